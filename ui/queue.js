// The review queue of one domain: filters, sort, keyboard selection of a proposal, both
// sides' names and key fields at a glance, who holds each proposal, and bulk decisions.

import { canAct, get, post, seg, withQuery } from './api.js';
import { ageSince, clear, errorBox, field, flash, h, link, when } from './dom.js';

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
  if (!page.proposals.length) {
    body.append(h('p', {}, 'Nothing to review with these filters.'));
    return;
  }
  const bulk = canAct() && page.proposals.some((p) => p.status === 'open' || p.status === 'awaiting_second');
  const rows = page.proposals.map((p) => h('tr', { 'data-id': p.id },
    bulk ? h('td', {}, h('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select proposal ${p.id}` })) : null,
    h('td', {}, link(`/ui/proposals/${p.id}`, `#${p.id}`)),
    h('td', { class: 'num' }, p.score.toFixed(3)),
    h('td', {}, ageSince(p.created_at)),
    h('td', {}, p.record ? `${p.record.source_system}:${p.record.source_id}` : '—'),
    h('td', {}, side(domain, p.golden_id, p.summary && p.summary.golden_name)),
    h('td', {}, side(domain, p.other_golden_id, p.summary && p.summary.other_name)),
    h('td', {}, keyFields(p.summary)),
    h('td', {}, p.claim ? `${p.claim.by} until ${when(p.claim.until)}` : '—'),
    h('td', { class: `status-${p.status}` }, p.status)));
  if (bulk) body.append(bulkBar(app, rows));
  body.append(h('table', {},
    h('caption', { class: 'muted' }, 'Proposals'),
    h('thead', {}, h('tr', {}, bulk ? h('th', {}, 'Pick') : null, h('th', {}, 'Proposal'), h('th', { class: 'num' }, 'Score'),
      h('th', {}, 'Age'), h('th', {}, 'Opened by record'), h('th', {}, 'New golden record'), h('th', {}, 'Candidate'),
      h('th', {}, 'Key fields'), h('th', {}, 'Claimed by'), h('th', {}, 'Status'))),
    h('tbody', {}, rows)));
  let selected = 0;
  const select = (index) => {
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle('selected', i === selected));
    rows[selected].querySelector('a').focus();
  };
  if (!main.isConnected) return;
  select(0);
  app.onKey = (key) => {
    if (key === 'x' && bulk) {
      const pick = rows[selected].querySelector('input.pick');
      pick.checked = !pick.checked;
    }
    else if (key === 'j' || key === 'n') select(selected + 1);
    else if (key === 'k' || key === 'p') select(selected - 1);
    else if (key === 'o' || (key === 'Enter' && rows[selected].contains(document.activeElement))) {
      app.navigate(`/ui/proposals/${rows[selected].dataset.id}`);
    }
    else return false;
    return true;
  };
}

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

// Approve or reject the picked rows together; each result is reported, failures included.
function bulkBar(app, rows) {
  const comment = h('input', { name: 'bulk-comment', size: 30, placeholder: 'comment (optional)' });
  const decide = async (action) => {
    const ids = rows.filter((r) => r.querySelector('input.pick').checked).map((r) => Number(r.dataset.id));
    if (!ids.length) {
      flash('Pick proposals first (x picks the selected row).');
      return;
    }
    const text = comment.value.trim() || undefined;
    try {
      const answer = await post('/v1/proposals/decide', ids.map((id) => ({ id, action, comment: text })));
      const failed = answer.results.filter((r) => r.failure)
        .map((r) => `#${r.id}: ${r.failure.message}`);
      flash([`${answer.decided} decided.`, ...failed].join(' '));
    } catch (err) {
      flash(err.message);
    }
    app.render();
  };
  return h('div', { class: 'bulk' },
    field('Comment', comment)[0],
    h('button', { type: 'button', onclick: () => decide('approve') }, 'Approve picked'),
    h('button', { type: 'button', onclick: () => decide('reject') }, 'Reject picked'),
    h('span', { class: 'muted' }, ' ', h('kbd', {}, 'x'), ' picks the selected row.'));
}
