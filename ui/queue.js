// The review queue of one domain: filters, sort, keyboard selection of a proposal, both
// sides' names and key fields at a glance, who holds each proposal, and bulk decisions.

import { canAct, claims, get, post, seg, withQuery } from './api.js';
import { ageSince, errorBox, field, flash, h, link, when } from './dom.js';

const FILTERS = ['status', 'min_score', 'max_score', 'source_system', 'min_age', 'max_age', 'claimed_by', 'sort'];
const KEY = 'golden.queue';

// The last queue a steward looked at, so the proposal page knows what comes next.
export function remembered() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function remember(domain, params, ids) {
  sessionStorage.setItem(KEY, JSON.stringify({ domain, params, ids }));
}

// Loads the queue again with the remembered filters (after a decision changed it).
export async function refresh() {
  const last = remembered();
  if (!last) return null;
  const page = await get(withQuery(`/v1/${seg(last.domain)}/proposals`, { ...last.params, limit: 500 }));
  const ids = page.proposals.map((p) => p.id);
  remember(last.domain, last.params, ids);
  return ids;
}

export async function render(main, app, { domain }) {
  if (!domain) {
    app.navigate(`/ui/queue/${seg(app.domain())}`, { replace: true });
    return;
  }
  app.useDomain(domain);
  const params = Object.fromEntries(
    FILTERS.map((name) => [name, new URLSearchParams(location.search).get(name) || '']),
  );
  main.append(h('h1', {}, `Review queue — ${domain}`), filterForm(app, domain, params));
  const body = h('div');
  main.append(body);
  let page;
  try {
    page = await get(withQuery(`/v1/${seg(domain)}/proposals`, { ...params, limit: 500 }));
  } catch (err) {
    body.append(errorBox(err, () => app.render()));
    return;
  }
  remember(domain, params, page.proposals.map((p) => p.id));
  body.append(h('p', { class: 'muted' }, `${page.total} proposal(s). `,
    h('kbd', {}, 'j'), '/', h('kbd', {}, 'k'), ' select, ', h('kbd', {}, 'Enter'), ' open, ',
    h('kbd', {}, '?'), ' all shortcuts.'));
  // The last bulk decision's results, shown once on the queue it was made from.
  const outcome = lastOutcome && lastOutcome.domain === domain ? lastOutcome : null;
  lastOutcome = null;
  if (outcome) body.append(outcomeBox(outcome));
  if (!page.proposals.length) {
    body.append(h('p', {}, 'Nothing to review with these filters.'));
    return;
  }
  const bulk = canAct() && page.proposals.some((p) => p.status === 'open' || p.status === 'awaiting_second');
  const failures = new Map((outcome ? outcome.results : []).filter((r) => r.failure).map((r) => [r.id, r]));
  const rows = page.proposals.map((p) => {
    const failed = failures.get(p.id);
    const row = h('tr', { 'data-id': p.id, class: failed ? 'failed' : undefined },
      bulk ? h('td', {}, h('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select proposal ${p.id}` })) : null,
      h('td', {}, link(`/ui/proposals/${p.id}`, `#${p.id}`)),
      h('td', { class: 'num' }, p.score.toFixed(3)),
      h('td', {}, ageSince(p.created_at)),
      h('td', {}, p.record ? `${p.record.source_system}:${p.record.source_id}` : '—'),
      h('td', {}, side(domain, p.golden_id, p.summary && p.summary.golden_name)),
      h('td', {}, side(domain, p.other_golden_id, p.summary && p.summary.other_name)),
      h('td', {}, keyFields(p.summary)),
      h('td', {}, claimCell(app, p)),
      h('td', { class: `status-${p.status}` }, p.status,
        p.first_approval ? h('div', { class: 'muted' }, `first approval: ${p.first_approval.by}`) : null,
        failed ? h('div', { class: 'row-error', role: 'alert' }, `Not decided (${failed.status}): ${failed.failure.message}`) : null));
    row.proposal = p;
    return row;
  });
  if (bulk) body.append(bulkBar(app, domain, rows));
  const all = bulk ? h('input', { type: 'checkbox', 'aria-label': 'Select all proposals', onchange: (e) => {
    for (const r of rows) r.querySelector('input.pick').checked = e.target.checked;
    counted();
  } }) : null;
  const counter = h('span', { class: 'muted picked-count', 'aria-live': 'polite' });
  const counted = () => {
    const n = rows.filter((r) => r.querySelector('input.pick')?.checked).length;
    counter.textContent = n ? `· ${n} picked` : '';
    rows.forEach((r) => r.classList.toggle('picked', Boolean(r.querySelector('input.pick')?.checked)));
  };
  body.append(h('table', { class: 'queue', onchange: counted },
    h('caption', { class: 'muted' }, 'Proposals ', counter),
    h('thead', {}, h('tr', {}, bulk ? h('th', {}, all) : null, h('th', {}, 'Proposal'), h('th', { class: 'num' }, 'Score'),
      h('th', {}, 'Age'), h('th', {}, 'Opened by record'), h('th', {}, 'New golden record'), h('th', {}, 'Candidate'),
      h('th', {}, 'Key fields'), h('th', {}, 'Claimed by'), h('th', {}, 'Status'))),
    h('tbody', {}, rows)));
  let selected = 0;
  const select = (index, focus = true) => {
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle('selected', i === selected));
    focusId = rows[selected].dataset.id;
    if (focus) rows[selected].querySelector('a').focus();
  };
  // A click anywhere in a row but its links and buttons selects it, as j and k do.
  rows.forEach((row, i) => row.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('a, button, input')) return;
    select(i, false);
  }));
  if (!main.isConnected) return;
  const kept = rows.findIndex((r) => r.dataset.id === focusId);
  select(kept >= 0 ? kept : 0);
  app.onKey = (key) => {
    if (key === 'x' && bulk) {
      const pick = rows[selected].querySelector('input.pick');
      pick.checked = !pick.checked;
      counted();
    }
    else if (key === 'c' && canAct()) rows[selected].querySelector('button[data-action]')?.click();
    else if (key === 'j' || key === 'n') select(selected + 1);
    else if (key === 'k' || key === 'p') select(selected - 1);
    else if (key === 'o' || (key === 'Enter' && rows[selected].contains(document.activeElement))) {
      app.navigate(`/ui/proposals/${rows[selected].dataset.id}`);
    }
    else return false;
    return true;
  };
}

// The proposal the queue's selection was on, kept across a reload of the queue.
let focusId = null;
// The results of the bulk decision just made, for the queue shown after it.
let lastOutcome = null;

function filterForm(app, domain, params) {
  const domainSelect = h('select', { name: 'domain' },
    app.domains.map((d) => h('option', { value: d.name, selected: d.name === domain }, d.label || d.name)));
  const status = h('select', { name: 'status' },
    ['open', 'awaiting_second', 'approved', 'rejected', 'superseded'].map((s) => h('option', { value: s, selected: s === (params.status || 'open') }, s)));
  const claimed = h('select', { name: 'claimed_by' },
    [['', 'anyone or no one'], ['me', 'me'], ['none', 'no one']]
      .map(([v, t]) => h('option', { value: v, selected: v === (params.claimed_by || '') }, t)));
  const sort = h('select', { name: 'sort' },
    [['oldest', 'oldest first'], ['newest', 'newest first'], ['score_desc', 'highest score'], ['score_asc', 'lowest score']]
      .map(([v, t]) => h('option', { value: v, selected: v === (params.sort || 'oldest') }, t)));
  const input = (name, attrs) => h('input', { name, value: params[name], size: 8, ...attrs });
  const form = h('form', { class: 'filters', onsubmit: (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const chosen = data.domain;
    delete data.domain;
    app.navigate(withQuery(`/ui/queue/${seg(chosen)}`, data));
  } },
  field('Domain', domainSelect)[0],
  field('Status', status)[0],
  field('Min score', input('min_score', { type: 'number', step: '0.01', min: 0, max: 1 }))[0],
  field('Max score', input('max_score', { type: 'number', step: '0.01', min: 0, max: 1 }))[0],
  field('Source system', input('source_system', { size: 10 }))[0],
  field('Older than (e.g. 2d)', input('min_age'))[0],
  field('Newer than (e.g. 12h)', input('max_age'))[0],
  field('Claimed by', claimed)[0],
  field('Sort', sort)[0],
  h('button', { type: 'submit' }, 'Apply'));
  return form;
}

// A golden record of a proposal: its display name, with its ID.
function side(domain, goldenId, name) {
  const href = `/ui/golden/${seg(domain)}/${seg(goldenId)}`;
  if (name === undefined || name === null) return link(href, goldenId);
  return h('span', {}, link(href, String(name)), ' ', h('span', { class: 'muted' }, goldenId));
}

// Each key field, marked as agreeing (=), disagreeing (≠) or missing on a side (·); the
// values show on hover.
function keyFields(summary) {
  if (!summary) return '—';
  return summary.key_fields.map((k) => {
    const [mark, cls] = k.agree === true ? ['=', 'agree'] : k.agree === false ? ['≠', 'disagree'] : ['·', 'missing'];
    const title = `${k.field}: ${k.golden ?? '—'} | ${k.other ?? '—'}`;
    return h('span', { class: `key ${cls}`, title }, `${k.field} ${mark}`);
  });
}

// Who holds the proposal, with a button to claim it or give it back (another steward's claim
// is taken over on the proposal page).
function claimCell(app, p) {
  const mine = p.claim && p.claim.by === claims().sub;
  const text = p.claim ? `${mine ? 'you' : p.claim.by} until ${when(p.claim.until)}` : '—';
  const open = p.status === 'open' || p.status === 'awaiting_second';
  if (!canAct() || !open || (p.claim && !mine)) return text;
  const verb = mine ? 'release' : 'claim';
  const button = h('button', { type: 'button', class: 'small', 'data-action': verb,
    'aria-label': `${mine ? 'Release' : 'Claim'} proposal ${p.id}`, onclick: async () => {
      button.disabled = true;
      try {
        await post(`/v1/proposals/${p.id}/${verb}`, {});
        flash(`Proposal #${p.id} ${mine ? 'released' : 'claimed'}.`);
      } catch (err) {
        flash(`#${p.id}: ${err.message}`);
      }
      focusId = String(p.id);
      app.render();
    } }, mine ? 'Release (c)' : 'Claim (c)');
  return h('span', {}, text, ' ', button);
}

// Approve or reject the picked rows together, each with the versions the queue showed, so a
// proposal whose records changed meanwhile fails alone (409) and the rest proceed.
function bulkBar(app, domain, rows) {
  const comment = h('input', { name: 'bulk-comment', size: 30, placeholder: 'comment (optional)' });
  const decide = async (action) => {
    const picked = rows.filter((r) => r.querySelector('input.pick').checked).map((r) => r.proposal);
    if (!picked.length) {
      flash('Pick proposals first (x picks the selected row).');
      return;
    }
    const text = comment.value.trim() || undefined;
    try {
      const answer = await post('/v1/proposals/decide', picked.map((p) => ({
        id: p.id, action, comment: text, golden_version: p.golden_version, other_version: p.other_version,
      })));
      lastOutcome = { domain, action, ...answer };
    } catch (err) {
      lastOutcome = { domain, action, error: err, results: [] };
    }
    app.render();
  };
  return h('div', { class: 'bulk' },
    field('Comment', comment)[0],
    h('button', { type: 'button', onclick: () => decide('approve') }, 'Approve picked'),
    h('button', { type: 'button', onclick: () => decide('reject') }, 'Reject picked'),
    h('span', { class: 'muted' }, ' ', h('kbd', {}, 'x'), ' picks the selected row, ', h('kbd', {}, 'c'), ' claims or releases it.'));
}

// What a bulk decision did, proposal by proposal.
function outcomeBox(outcome) {
  if (outcome.error) return errorBox(outcome.error);
  const verb = outcome.action === 'approve' ? 'approved' : 'rejected';
  const line = (r) => {
    if (r.failure) return h('li', { class: 'failed' }, `#${r.id}: not ${verb} (${r.status}) — ${r.failure.message}`);
    const state = r.proposal && r.proposal.status === 'awaiting_second' ? 'first approval recorded, awaiting a second steward' : verb;
    return h('li', {}, `#${r.id}: ${state}`);
  };
  return h('section', { class: outcome.failed ? 'outcome notice warn' : 'outcome notice', role: 'status', 'aria-label': 'Bulk decision results' },
    h('p', {}, h('strong', {}, `${outcome.decided} ${verb}`), outcome.failed ? `, ${outcome.failed} not decided` : ''),
    h('ul', {}, outcome.results.map(line)));
}
