// End-to-end test of the console's bulk jobs: boots the real `golden serve` (debug build) on a
// free port over a fresh SQLite data dir, loads a master through the API, then drives headless
// Chromium as an admin to preview a second file from the dashboard (checking through the API
// that nothing changed), commit it as previewed, and roll the load back with a comment.
// Screenshots go to target/e2e/jobs-*.png. Exits non-zero on failure.

import { withConsole, check, until } from './harness.mjs';

const MASTER = 'source_id,name,tax_id,city\n'
  + '1,Cardinal Health,310958666,Dublin\n'
  + '2,Contoso Surgical,,Chicago\n'
  + '3,Fabrikam Linen,,Boston\n';

// An auto-link to the master, a new vendor and its twin further down (the riskiest decision:
// it joins a golden record that already holds a record of its source), and a row with no name.
const ACQUIRED = 'source_id,name,tax_id,city\n'
  + '9,Cardinal Health,310958666,Dublin\n'
  + '11,Zenith Widgets,412345678,Denver\n'
  + '12,,,Nowhere\n'
  + '13,Zenith Widgets Inc,412345678,Denver\n';

await withConsole({ name: 'jobs', shotPrefix: 'jobs-', viewport: { width: 1366, height: 900 }, timeout: 20000 },
  async ({ base, token, page, shot, consoleErrors }) => {
    const admin = token('--role', 'admin', '--sub', 'e2e-admin');
    const ingest = token('--role', 'ingest', '--sub', 'e2e-loader', '--source', 'sap');

    const raw = async (method, path, auth, body, type = 'application/json') => {
      const response = await fetch(`${base}${path}`, {
        method, headers: { Authorization: `Bearer ${auth}`, 'Content-Type': type }, body,
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text;
    };
    const call = async (method, path, auth, body) => JSON.parse(await raw(method, path, auth, body === undefined ? undefined : JSON.stringify(body)));
    const job = (id) => call('GET', `/v1/jobs/${id}`, admin);
    const crosswalk = () => raw('GET', '/v1/crosswalk/vendor/export?format=csv', admin);
    const events = async () => (await call('GET', '/v1/events?after=0&limit=1000', admin)).events.length;

    const master = JSON.parse(await raw('POST', '/v1/vendor/jobs?source=sap', ingest, MASTER, 'text/csv'));
    await until('the master load', async () => (await job(master.id)).status === 'finished');
    const before = await crosswalk();
    const eventsBefore = await events();


    await page.goto(`${base}/ui`);
    await page.getByLabel('Bearer token').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Recent bulk jobs' }).waitFor();

    // Preview the acquired file from the dashboard.
    const form = page.getByRole('form', { name: 'New bulk job' });
    await form.getByLabel('Domain').selectOption('vendor');
    await form.getByLabel('Source system').fill('acq');
    await form.getByLabel('Mode', { exact: false }).selectOption('preview');
    await form.getByLabel('File', { exact: true }).setInputFiles({ name: 'acquired.csv', mimeType: 'text/csv', buffer: Buffer.from(ACQUIRED) });
    await form.getByRole('button', { name: 'Send file' }).click();
    const newest = page.locator('tbody[data-job]').first();
    await newest.getByRole('cell', { name: 'preview', exact: true }).waitFor();
    await newest.getByText('Report', { exact: true }).click();
    await newest.getByText('Nothing was committed.', { exact: false }).waitFor();
    const previewText = await newest.innerText();
    check(previewText.includes('1 new, 2 auto-linked (1 within the file)'), `preview counts: ${previewText}`);
    const riskiest = newest.locator('table.riskiest tbody tr').first();
    check((await riskiest.innerText()).includes('same_source'), `riskiest first: ${await riskiest.innerText()}`);
    check(await crosswalk() === before, 'the preview left the crosswalk byte-identical');
    check(await events() === eventsBefore, 'the preview appended no event');
    await shot('01-preview');

    // Commit it as previewed: a load job that names the preview, with nothing re-decided.
    await newest.getByRole('button', { name: 'Commit as previewed' }).click();
    await newest.getByRole('cell', { name: 'load', exact: true }).waitFor();
    const load = await page.locator('tbody[data-job]').first().getAttribute('data-job');
    const loaded = await job(load);
    check(loaded.status === 'finished' && loaded.commit.redecided === 0, `commit: ${JSON.stringify(loaded)}`);
    check(loaded.auto_linked === 2 && loaded.created === 1, `committed counts: ${JSON.stringify(loaded)}`);
    check(await crosswalk() !== before, 'the commit loaded the file');
    await newest.getByText('Details and rollback').click();
    await newest.getByText('0 of 4 rows re-decided', { exact: false }).waitFor();

    // Roll the load back, with the comment the audit log keeps.
    await newest.getByRole('button', { name: 'Roll back…' }).click();
    await newest.getByLabel('Rollback comment').fill('wrong company file');
    await shot('02-rollback');
    await newest.getByRole('button', { name: 'Confirm rollback' }).click();
    await page.getByText('Job rolled back', { exact: false }).waitFor();
    await until('the rolled-back job', async () => (await job(load)).status === 'rolled_back');
    const after = (await crosswalk()).split('\n').filter((l) => l && !l.endsWith(',retired'));
    check(after.join('\n') === before.trim(), `the crosswalk is back (retired keys aside): ${after.join(' | ')}`);
    const audit = await call('GET', '/v1/audit?action=rollback_job', admin);
    check(JSON.stringify(audit).includes('wrong company file'), `the comment is audited: ${JSON.stringify(audit)}`);
    await shot('03-rolled-back');

    // The browser's own favicon request is the one 404 expected.
    check(consoleErrors.every((e) => e.includes('status of 404')), `browser errors: ${consoleErrors.join('; ')}`);
  });

