// End-to-end test of the steward console: boots the real `golden serve` (debug build) on a
// free port over a fresh SQLite data dir, seeds records through the API, then drives headless
// Chromium to sign in, decide two proposals by keyboard, split a record and check a conflict,
// then the steward workbench (claims, a bulk approval, browsing golden records, a merge with a
// field pick, four eyes, a masked tax ID), verifying each step through the API. Screenshots go
// to target/e2e/. Exits non-zero on failure.

import { readFileSync } from 'node:fs';
import { withConsole, check, until } from './harness.mjs';

await withConsole({ name: 'console', shotPrefix: '', viewport: { width: 1366, height: 768 }, timeout: 15000 },
  async ({ base, token, page, shot, consoleErrors }) => {
    const steward = token('--role', 'steward', '--sub', 'e2e-steward');
    const reader = token('--role', 'reader', '--sub', 'e2e-reader');
    const ingest = token('--role', 'ingest', '--sub', 'e2e-loader', '--source', 'sap', '--source', 'oracle');

    const call = async (method, path, auth, body) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await response.json();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(data)}`);
      return data;
    };
    const send = async (system, id, attributes) =>
      (await call('POST', '/v1/vendor/records', ingest, { source_system: system, source_id: id, attributes })).results[0];

    // Two near-duplicate pairs for review, and one vendor whose two records auto-link.
    const seeded = [
      await send('sap', '1', { name: 'Acme Medical Supply Inc', city: 'Chicago' }),
      await send('oracle', 'A1', { name: 'ACME MEDICAL SUPPLY', city: 'Chicago' }),
      await send('sap', '2', { name: 'Northwind Surgical Instruments LLC', city: 'Boston' }),
      await send('oracle', 'B2', { name: 'NORTHWIND SURGICAL INSTRUMENTS', city: 'Boston' }),
      await send('sap', '3', { name: 'Contoso Lab Products, Inc.', tax_id: '12-3456789', city: 'Denver' }),
      await send('oracle', 'C3', { name: 'CONTOSO LAB PRODUCTS INC', tax_id: '123456789' }),
    ];
    const decisions = seeded.map((r) => r.decision).join(',');
    check(decisions === 'new,proposed,new,proposed,new,auto_linked', `seed decisions ${decisions}`);
    const contoso = seeded[5].golden_id;
    const queue = await call('GET', '/v1/vendor/proposals?sort=oldest', steward);
    check(queue.total === 2, `two open proposals, got ${queue.total}`);
    const [first, second] = queue.proposals.map((p) => p.id);


    // A pasted string that is no token, and a token the server refuses, are turned away on
    // the sign-in screen, which says why; nothing else shows while signed out.
    await page.goto(`${base}/ui`);
    check(await page.locator('#top').isHidden(), 'navigation is hidden while signed out');
    await page.getByLabel('Bearer token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This is not a token').waitFor();
    const [head, , signature] = steward.split('.');
    await page.getByLabel('Bearer token').fill(`${head}.e30.${signature}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The server refused this token').waitFor();
    check(await page.locator('#top').isHidden(), 'navigation stays hidden after a refused token');
    await shot('00-sign-in-refused');

    // Sign in with the steward's token.
    await page.getByLabel('Bearer token').fill(steward);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('heading', { name: 'Review backlog' }).waitFor();
    await page.getByRole('heading', { name: 'Match models' }).waitFor();
    await page.getByText('declared in the rule file (no model estimated)').first().waitFor();
    await shot('01-dashboard');
    await page.keyboard.press('?');
    await page.getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor({ state: 'hidden' });

    // Open the vendor queue from the backlog.
    await page.getByRole('link', { name: 'vendor', exact: true }).click();
    await page.getByRole('heading', { name: 'Review queue — vendor' }).waitFor();
    await page.locator(`tr[data-id="${first}"].selected`).waitFor();
    await shot('02-queue');
    await page.keyboard.press('j');
    await page.locator(`tr[data-id="${second}"].selected`).waitFor();
    await page.keyboard.press('k');
    await page.locator(`tr[data-id="${first}"].selected`).waitFor();

    // Keyboard only: open the first proposal, comment, approve; the second opens; reject it.
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Proposal #${first} — vendor` }).waitFor();
    await page.getByRole('heading', { name: 'Why they were matched' }).waitFor();
    await shot('03-proposal');
    await page.keyboard.press('c');
    await page.keyboard.type('same supplier, checked the address');
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    await page.getByRole('heading', { name: `Proposal #${second} — vendor` }).waitFor();
    await shot('04-next-proposal');
    await page.keyboard.press('r');
    await page.getByRole('heading', { name: 'Review queue — vendor' }).waitFor();
    await page.getByText('Nothing to review with these filters.').waitFor();
    await shot('05-queue-empty');

    const approved = await call('GET', `/v1/proposals/${first}`, steward);
    check(approved.status === 'approved', `proposal ${first} approved, is ${approved.status}`);
    check(approved.comment === 'same supplier, checked the address', `comment kept: ${approved.comment}`);
    check(approved.decided_by === 'e2e-steward', `decided by the steward: ${approved.decided_by}`);
    const a1 = await call('GET', '/v1/crosswalk/vendor/sap/1', reader);
    const a2 = await call('GET', '/v1/crosswalk/vendor/oracle/A1', reader);
    check(a1.golden_id === a2.golden_id, 'the approved pair shares one golden ID');
    const rejected = await call('GET', `/v1/proposals/${second}`, steward);
    check(rejected.status === 'rejected', `proposal ${second} rejected, is ${rejected.status}`);
    const b1 = await call('GET', '/v1/crosswalk/vendor/sap/2', reader);
    const b2 = await call('GET', '/v1/crosswalk/vendor/oracle/B2', reader);
    check(b1.golden_id !== b2.golden_id, 'the rejected pair stays apart');

    // The ID the merge retired still opens, and says where it went.
    const retired = [approved.golden_id, approved.other_golden_id].find((g) => g !== a1.golden_id);
    await page.goto(`${base}/ui/golden/vendor/${retired}`);
    await page.getByText(`${retired} was retired by a merge and redirects to ${a1.golden_id}`).waitFor();
    await page.getByRole('heading', { name: /Members — crosswalk IDs \(2\)/ }).waitFor();
    await page.getByRole('button', { name: 'History' }).first().click();
    await page.getByRole('cell', { name: 'created' }).first().waitFor();
    await shot('06-redirected-record');

    // Split the auto-linked vendor: move oracle C3 out.
    await page.goto(`${base}/ui/golden/vendor/${contoso}`);
    await page.getByRole('heading', { name: `${contoso} — vendor` }).waitFor();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await shot('07-golden-record');
    await page.getByLabel('Select oracle:C3').check();
    await page.getByLabel('Split comment').fill('different legal entity');
    await page.getByRole('button', { name: 'Split selected out' }).click();
    await page.getByText('Split out into').waitFor();
    await page.getByRole('heading', { name: /Members — crosswalk IDs \(1\)/ }).waitFor();
    await shot('08-after-split');
    const c3 = await call('GET', '/v1/crosswalk/vendor/oracle/C3', reader);
    const c1 = await call('GET', '/v1/crosswalk/vendor/sap/3', reader);
    check(c1.golden_id === contoso && c3.golden_id !== contoso, `C3 split out (${c3.golden_id})`);
    check(c1.members.length === 1, 'the record kept one member');
    await page.getByRole('cell', { name: 'split' }).first().waitFor();

    // A change made elsewhere meanwhile: the console answers 409 with a reload button.
    const current = await call('GET', `/v1/vendor/golden/${contoso}`, reader);
    await call('POST', `/v1/vendor/golden/${contoso}/override`, steward,
      { field: 'city', value: 'Aurora', version: current.version });
    await page.getByRole('button', { name: 'Override city' }).click();
    await page.getByLabel('New value for city').fill('Boulder');
    await page.getByRole('button', { name: 'Save override' }).click();
    await page.getByText('Someone changed this record — reload').waitFor();
    await shot('09-conflict');
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByRole('button', { name: 'Remove override of city' }).waitFor();
    const after = await call('GET', `/v1/vendor/golden/${contoso}`, reader);
    check(after.fields.city === 'Aurora', `the stale override was refused (city ${after.fields.city})`);

    // Search finds the record; the crosswalk box resolves the record split out.
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByLabel('Name, identifier or phone').fill('contoso lab');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: contoso }).waitFor();
    await page.getByLabel('Source system').fill('oracle');
    await page.getByLabel('Source ID').fill('C3');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('region', { name: 'Crosswalk lookup' }).getByRole('link', { name: c3.golden_id }).waitFor();
    await shot('10-search');

    // A reader sees the proposal queue refused, clearly, and no action buttons.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token').fill(reader);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.goto(`${base}/ui/queue/vendor`);
    await page.getByText('Not allowed:').waitFor();
    await page.goto(`${base}/ui/golden/vendor/${contoso}`);
    await page.getByRole('heading', { name: 'Fields and lineage' }).waitFor();
    check(await page.getByRole('button', { name: 'Split selected out' }).count() === 0, 'no split for a reader');
    await shot('11-reader');

    await workbench({ page, base, call, send, shot, steward, reader,
      second: token('--role', 'steward', '--sub', 'e2e-second'),
      curator: token('--roles', 'steward,sensitive', '--sub', 'e2e-curator'),
      sensitiveReader: token('--roles', 'reader,sensitive', '--sub', 'e2e-auditor') });

    check(consoleErrors.every((e) => e.includes('status of 40')), `browser errors: ${consoleErrors.join('; ')}`);
  });

// Signs out whoever is signed in and signs in with another token; waits for the dashboard.
async function signInAs(page, tokenText) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Bearer token').fill(tokenText);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

// The steward workbench: claims, a bulk decision with a stale proposal among the picked, the
// golden records browser with filters and an export, a merge with a field pick, a risky merge
// approved by two stewards, and a reader's masked view of a tax ID.
async function workbench({ page, base, call, send, shot, steward, reader, second, curator, sensitiveReader }) {
  await signInAs(page, steward);
  const pairs = [
    ['Initech Hospital Products Inc', 'INITECH HOSPITAL PRODUCTS', 'Austin'],
    ['Globex Clinical Supply Inc', 'GLOBEX CLINICAL SUPPLY', 'Springfield'],
    ['Stark Dental Instruments Inc', 'STARK DENTAL INSTRUMENTS', 'Newark'],
    ['Wayne Pharmacy Services Inc', 'WAYNE PHARMACY SERVICES', 'Gotham'],
  ];
  const pending = [];
  for (const [i, [a, b, city]] of pairs.entries()) {
    await send('sap', `W${i}`, { name: a, city });
    pending.push(await send('oracle', `WO${i}`, { name: b, city }));
  }
  await send('sap', 'P1', { name: 'Hooli Surgical', city: 'Denver' });
  pending.push(await send('oracle', 'PO1', { name: 'Hooli Surgical LLC', city: 'Aurora' }));
  await send('sap', 'F1', { name: 'Umbrella Surgical' });
  pending.push(await send('oracle', 'FO1', { name: 'Umbrella Surgical LLC' }));
  check(pending.every((r) => r.decision === 'proposed'), `workbench seeds proposed: ${pending.map((r) => r.decision)}`);
  const open = (await call('GET', '/v1/vendor/proposals?sort=oldest', steward)).proposals;
  const proposalOf = (result) => {
    const found = open.find((p) => p.golden_id === result.golden_id || p.other_golden_id === result.golden_id);
    check(found, `a proposal for ${result.golden_id}`);
    return found;
  };
  const bulk = pending.slice(0, 4).map(proposalOf);
  const [picked, risky] = pending.slice(4).map(proposalOf);

  // Claim the proposal to merge with a pick, from its queue row; the row says who holds it
  // and the "claimed by me" filter finds it alone.
  await page.getByRole('link', { name: 'Review queue' }).click();
  await page.getByRole('heading', { name: 'Review queue — vendor' }).waitFor();
  await page.getByRole('button', { name: `Claim proposal ${picked.id}` }).click();
  await page.locator(`tr[data-id="${picked.id}"]`).getByText('you until').waitFor();
  const held = await call('GET', `/v1/proposals/${picked.id}`, steward);
  check(held.claim && held.claim.by === 'e2e-steward', `claimed by the steward: ${JSON.stringify(held.claim)}`);
  await page.getByLabel('Claimed by').selectOption('me');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('p', { hasText: '1 proposal(s).' }).waitFor();
  check(await page.locator('tbody tr[data-id]').count() === 1, 'claimed_by=me lists the claimed proposal alone');
  await page.getByLabel('Claimed by').selectOption('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator(`tr[data-id="${risky.id}"]`).waitFor();

  // Pick four rows, by keyboard (x) and by mouse; one of them goes stale before the decision:
  // three are approved, the stale one answers its own 409 and stays open.
  const rowOf = (p) => page.locator(`tr[data-id="${p.id}"]`);
  await rowOf(bulk[0]).locator('td').nth(2).click();
  await rowOf(bulk[0]).and(page.locator('.selected')).waitFor();
  await page.keyboard.press('x');
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await page.getByLabel(`Select proposal ${bulk[2].id}`).check();
  await page.getByLabel(`Select proposal ${bulk[3].id}`).check();
  await page.getByText('· 4 picked').waitFor();
  await shot('12-queue-picked');
  const stale = bulk[3];
  const staleView = await call('GET', `/v1/vendor/golden/${stale.golden_id}`, reader);
  await call('POST', `/v1/vendor/golden/${stale.golden_id}/override`, steward,
    { field: 'city', value: 'Metropolis', version: staleView.version });
  await page.getByLabel('Comment').fill('same suppliers, bulk');
  await page.getByRole('button', { name: 'Approve picked' }).click();
  const results = page.getByRole('status', { name: 'Bulk decision results' });
  await results.getByText('3 approved').waitFor();
  await results.getByText(`#${stale.id}: not approved (409)`).waitFor();
  await rowOf(stale).getByText('Not decided (409)').waitFor();
  await shot('13-queue-bulk-results');
  for (const p of bulk.slice(0, 3)) {
    const decided = await call('GET', `/v1/proposals/${p.id}`, steward);
    check(decided.status === 'approved' && decided.comment === 'same suppliers, bulk', `bulk approved #${p.id}: ${decided.status}`);
  }
  check((await call('GET', `/v1/proposals/${stale.id}`, steward)).status === 'open', 'the stale proposal stays open');

  // Browse golden records: filter on a declared field and on members, then page through.
  await page.getByRole('link', { name: 'Golden records' }).click();
  await page.getByRole('heading', { name: 'Golden records — Vendor' }).waitFor();
  await page.locator('table.browse tbody tr').first().waitFor();
  const everything = await call('GET', '/v1/vendor/golden?limit=500', reader);
  await page.getByText(`${everything.records.length} record(s) shown.`).waitFor();
  await shot('14-browse');
  // Ten a page: "More" (m) fetches the next page by cursor and appends it.
  await page.getByLabel('Per page').selectOption('10');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('10 record(s) shown; more match.').waitFor();
  await page.keyboard.press('m');
  await page.getByText(`${everything.records.length} record(s) shown.`).waitFor();
  const listed = await page.locator('table.browse tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id));
  check(JSON.stringify(listed) === JSON.stringify(everything.records.map((r) => r.golden_id)), `two pages list each record once: ${listed}`);
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.getByLabel('city').fill('austin');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('1 record(s) shown.').waitFor();
  const austin = await call('GET', '/v1/vendor/golden?field.city=Austin', reader);
  check(austin.records.length === 1 && austin.records[0].member_count === 2, `one merged Austin record: ${JSON.stringify(austin.records)}`);
  await page.getByRole('link', { name: austin.records[0].golden_id }).waitFor();
  check(new URL(page.url()).searchParams.get('field.city') === 'austin', `the filter is in the address: ${page.url()}`);
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.getByLabel('Min members').fill('2');
  await page.getByRole('button', { name: 'Apply' }).click();
  const merged = await call('GET', '/v1/vendor/golden?min_members=2', reader);
  await page.getByText(`${merged.records.length} record(s) shown.`).waitFor();
  check(await page.locator('table.browse tbody tr').count() === merged.records.length, 'min_members filters the rows');
  await shot('15-browse-filtered');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const csv = await download.path().then((path) => readFileSync(path, 'utf8'));
  const csvLines = csv.trim().split('\n');
  check(csvLines[0].startsWith('golden_id,version,member_count'), `export header: ${csvLines[0]}`);
  check(csvLines.length === merged.records.length + 1, `the export keeps the filter: ${csvLines.length - 1} rows`);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `${merged.records[0].golden_id} — vendor` }).waitFor();

  // Merge with a field pick: the merged record keeps Denver, the side that is not the latest.
  await page.goto(`${base}/ui/proposals/${picked.id}`);
  await page.getByRole('heading', { name: `Proposal #${picked.id} — vendor` }).waitFor();
  const pickDetail = await call('GET', `/v1/proposals/${picked.id}`, steward);
  const denverSide = pickDetail.golden.fields.city === 'Denver' ? 'left' : 'right';
  const denver = page.locator('fieldset.pick[data-field="city"]').getByLabel('Denver', { exact: true });
  check(await denver.getAttribute('data-side') === denverSide, 'the pick names the side holding Denver');
  await denver.check();
  await shot('16-proposal-pick');
  await page.getByRole('button', { name: 'Approve — merge (a)' }).click();
  await page.getByText(`Proposal #${picked.id} approved.`).waitFor();
  const pickedDone = await call('GET', `/v1/proposals/${picked.id}`, steward);
  check(pickedDone.status === 'approved', `the picked merge is approved: ${pickedDone.status}`);
  const survivor = await call('GET', `/v1/crosswalk/vendor/sap/P1`, reader);
  await page.goto(`${base}/ui/golden/vendor/${survivor.golden_id}`);
  const cityRow = page.locator('tr', { has: page.getByRole('rowheader', { name: 'city', exact: true }) });
  await cityRow.getByRole('cell', { name: 'Denver', exact: true }).waitFor();
  await cityRow.getByText('override by e2e-steward').waitFor();

  // Four eyes: golden records that disagree on a tax ID need two stewards. (Setting a tax ID
  // takes the sensitive grant; the two stewards deciding have none and see it masked.)
  for (const [id, tax] of [[risky.golden_id, '12-3456789'], [risky.other_golden_id, '98-7654321']]) {
    const view = await call('GET', `/v1/vendor/golden/${id}`, reader);
    await call('POST', `/v1/vendor/golden/${id}/override`, curator, { field: 'tax_id', value: tax, version: view.version });
  }
  await page.goto(`${base}/ui/proposals/${risky.id}`);
  await page.getByRole('heading', { name: `Proposal #${risky.id} — vendor` }).waitFor();
  await page.keyboard.press('a');
  await page.getByText('Awaiting a second approval.').waitFor();
  await page.getByText('Approved first by you').waitFor();
  check((await call('GET', `/v1/proposals/${risky.id}`, steward)).status === 'awaiting_second', 'the risky merge waits');
  await page.getByRole('button', { name: 'Second approval — merge (a)' }).click();
  await page.getByText('Not merged:').waitFor();
  await page.getByText(/second steward's approval .*e2e-steward gave the first/).waitFor();
  await shot('17-four-eyes-same-steward');
  await signInAs(page, second);
  await page.goto(`${base}/ui/proposals/${risky.id}`);
  await page.getByText('Approved first by e2e-steward').waitFor();
  await page.getByRole('button', { name: 'Second approval — merge (a)' }).click();
  await page.getByText(`Proposal #${risky.id} approved.`).waitFor();
  const twice = await call('GET', `/v1/proposals/${risky.id}`, steward);
  check(twice.status === 'approved' && twice.decided_by === 'e2e-second', `merged on the second approval: ${twice.status} by ${twice.decided_by}`);

  // A reader without the sensitive grant sees tax IDs masked, in the record and the list.
  await signInAs(page, reader);
  const contoso = (await call('GET', '/v1/crosswalk/vendor/sap/3', reader)).golden_id;
  const masked = (await call('GET', `/v1/vendor/golden/${contoso}`, reader)).fields.tax_id;
  check(/^•+6789$/.test(masked), `the API masks the tax ID for a reader: ${masked}`);
  await page.goto(`${base}/ui/golden/vendor/${contoso}`);
  const taxRow = page.locator('tr', { has: page.getByRole('rowheader', { name: 'tax_id', exact: true }) });
  await taxRow.getByText(masked).waitFor();
  await taxRow.getByText('masked', { exact: true }).waitFor();
  check(await page.getByText('12-3456789').count() === 0, 'the real tax ID shows nowhere');
  await page.goto(`${base}/ui/browse/vendor`);
  await page.locator(`tr[data-id="${contoso}"]`).getByText(masked).waitFor();
  check(await page.getByLabel('tax_id').isDisabled(), 'no filter on a sensitive field without the grant');
  await shot('18-browse-reader-masked');
  // With the sensitive grant the same reader's view shows the value itself, and may filter on it.
  await signInAs(page, sensitiveReader);
  await page.goto(`${base}/ui/browse/vendor?field.tax_id=123456789`);
  await page.locator(`tr[data-id="${contoso}"]`).getByText('12-3456789').waitFor();
  check(await page.getByText('masked', { exact: true }).count() === 0, 'nothing is masked for the sensitive grant');
}

