// The review queue of one domain: filters, sort, and keyboard selection of a proposal.

import { get, seg, withQuery } from './api.js';
import { ageSince, clear, errorBox, field, h, link } from './dom.js';

const FILTERS = ['status', 'min_score', 'max_score', 'source_system', 'min_age', 'max_age', 'sort'];
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
  const rows = page.proposals.map((p) => h('tr', { 'data-id': p.id },
    h('td', {}, link(`/ui/proposals/${p.id}`, `#${p.id}`)),
    h('td', { class: 'num' }, p.score.toFixed(3)),
    h('td', {}, ageSince(p.created_at)),
    h('td', {}, p.record ? `${p.record.source_system}:${p.record.source_id}` : '—'),
    h('td', {}, link(`/ui/golden/${seg(domain)}/${seg(p.golden_id)}`, p.golden_id)),
    h('td', {}, link(`/ui/golden/${seg(domain)}/${seg(p.other_golden_id)}`, p.other_golden_id)),
    h('td', { class: `status-${p.status}` }, p.status)));
  body.append(h('table', {},
    h('caption', { class: 'muted' }, 'Proposals'),
    h('thead', {}, h('tr', {}, h('th', {}, 'Proposal'), h('th', { class: 'num' }, 'Score'),
      h('th', {}, 'Age'), h('th', {}, 'Opened by record'), h('th', {}, 'New golden record'), h('th', {}, 'Candidate'),
      h('th', {}, 'Status'))),
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
    if (key === 'j' || key === 'n') select(selected + 1);
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
    ['open', 'approved', 'rejected', 'superseded'].map((s) => h('option', { value: s, selected: s === (params.status || 'open') }, s)));
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
  field('Sort', sort)[0],
  h('button', { type: 'submit' }, 'Apply'));
  return form;
}
