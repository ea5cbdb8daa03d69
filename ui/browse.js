// Browse golden records without a search text: filters on the declared fields, member count,
// source system and update time; a sort; cursor paging ("More"); exports of what the filters
// keep. The filters live in the address, so a filtered list can be reloaded and shared.

import { download, get, roles, seg, withQuery } from './api.js';
import { cell, clear, errorBox, field, flash, h, link, when } from './dom.js';

const SIZES = ['10', '50', '200'];
const SORTS = [['updated_desc', 'recently updated'], ['updated_asc', 'least recently updated'],
  ['created_desc', 'newest'], ['created_asc', 'oldest']];
const PLAIN = ['min_members', 'max_members', 'source_system', 'updated_after', 'sort', 'limit'];

// Whether the token may filter on a field the rule file marks sensitive (the API answers 403
// otherwise, since a filter could probe the masked values).
function mayFilter(f) {
  return !f.sensitive || roles().some((r) => r === 'sensitive' || r === 'admin');
}

// The filters in the address: `field.NAME` for declared fields, and the plain ones.
function filtersOf(info) {
  const search = new URLSearchParams(location.search);
  const filters = {};
  for (const f of info.fields) filters[`field.${f.name}`] = search.get(`field.${f.name}`) || '';
  for (const name of PLAIN) filters[name] = search.get(name) || '';
  return filters;
}

export async function render(main, app, { domain }) {
  if (!domain) {
    app.navigate(`/ui/browse/${seg(app.domain())}`, { replace: true });
    return;
  }
  const info = app.domains.find((d) => d.name === domain);
  if (!info) {
    main.append(h('h1', {}, 'Golden records'), h('p', { class: 'error', role: 'alert' }, `No domain ${domain}.`));
    return;
  }
  app.useDomain(domain);
  const filters = filtersOf(info);
  const columns = info.key_fields && info.key_fields.length ? info.key_fields : info.fields.slice(0, 3).map((f) => f.name);
  const errors = h('div');
  const status = h('p', { class: 'muted', role: 'status' });
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'More (m)');
  main.append(h('h1', {}, `Golden records — ${info.label || domain}`),
    filterForm(app, info, filters), exportBar(domain, filters, errors), errors,
    h('table', { class: 'browse' },
      h('caption', { class: 'muted' }, 'Golden records'),
      h('thead', {}, h('tr', {}, h('th', {}, 'Golden ID'), columns.map((c) => h('th', {}, c)),
        h('th', { class: 'num' }, 'Members'), h('th', {}, 'Updated'))),
      body),
    status, more);

  const rows = [];
  let selected = -1;
  let cursor = null;
  const select = (index) => {
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle('selected', i === selected));
    rows[selected].querySelector('a').focus();
  };
  const load = async () => {
    more.disabled = true;
    let page;
    try {
      page = await get(withQuery(`/v1/${seg(domain)}/golden`, { ...filters, cursor, limit: filters.limit || '50' }));
    } catch (err) {
      errors.replaceChildren(errorBox(err, () => app.render()));
      more.disabled = false;
      return;
    }
    const first = rows.length;
    for (const r of page.records) {
      const row = h('tr', { 'data-id': r.golden_id, onclick: (e) => {
        if (!(e.target instanceof Element) || !e.target.closest('a')) select(rows.indexOf(row));
      } },
      h('td', {}, link(`/ui/golden/${seg(domain)}/${seg(r.golden_id)}`, r.golden_id)),
      columns.map((c) => h('td', {}, cell(r.fields[c]))),
      h('td', { class: 'num' }, r.member_count),
      h('td', {}, when(r.updated_at)));
      rows.push(row);
      body.append(row);
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    status.textContent = rows.length
      ? `${rows.length} record(s) shown${cursor ? '; more match' : ''}. j/k select, Enter opens${cursor ? ', m loads more' : ''}.`
      : 'No golden record passes these filters.';
    if (main.isConnected && rows.length > first) select(first > 0 ? first : 0);
  };
  more.addEventListener('click', load);
  await load();
  if (!main.isConnected) return;
  app.onKey = (key) => {
    if (key === 'j' || key === 'n') select(selected + 1);
    else if (key === 'k' || key === 'p') select(selected - 1);
    else if (key === 'm' && cursor) load();
    else if ((key === 'o' || key === 'Enter') && rows[selected]) {
      app.navigate(`/ui/golden/${seg(domain)}/${seg(rows[selected].dataset.id)}`);
    } else return false;
    return true;
  };
}

function filterForm(app, info, filters) {
  const domainSelect = h('select', { name: 'domain', onchange: (e) => app.navigate(`/ui/browse/${seg(e.target.value)}`) },
    app.domains.map((d) => h('option', { value: d.name, selected: d.name === info.name }, d.label || d.name)));
  const keys = new Set(info.key_fields || []);
  const fieldInput = (f) => {
    const allowed = mayFilter(f);
    const input = h('input', { name: `field.${f.name}`, value: filters[`field.${f.name}`], size: 14,
      disabled: !allowed, placeholder: allowed ? undefined : 'sensitive',
      title: allowed ? undefined : 'A sensitive field: filtering on it needs the sensitive grant' });
    return field(f.name, input)[0];
  };
  const others = info.fields.filter((f) => !keys.has(f.name));
  const more = h('details', { class: 'more-fields', open: others.some((f) => filters[`field.${f.name}`]) },
    h('summary', {}, 'More fields'), h('div', { class: 'filters inner' }, others.map(fieldInput)));
  const number = (name) => h('input', { name, type: 'number', min: 0, step: 1, value: filters[name], size: 5 });
  const since = h('input', { name: 'updated_after', type: 'datetime-local', value: localInput(filters.updated_after) });
  const sort = h('select', { name: 'sort' },
    SORTS.map(([v, t]) => h('option', { value: v, selected: v === (filters.sort || 'updated_desc') }, t)));
  const size = h('select', { name: 'limit' },
    SIZES.map((n) => h('option', { value: n, selected: n === (filters.limit || '50') }, n)));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter golden records', onsubmit: (e) => {
    e.preventDefault();
    const data = Object.fromEntries([...new FormData(form)].filter(([k]) => k !== 'domain'));
    if (data.updated_after) data.updated_after = new Date(data.updated_after).toISOString();
    if (data.sort === 'updated_desc') delete data.sort;
    if (data.limit === '50') delete data.limit;
    app.navigate(withQuery(`/ui/browse/${seg(info.name)}`, data));
  } },
  field('Domain', domainSelect)[0],
  info.fields.filter((f) => keys.has(f.name)).map(fieldInput),
  field('Min members', number('min_members'))[0],
  field('Max members', number('max_members'))[0],
  field('Source system', h('input', { name: 'source_system', value: filters.source_system, size: 10 }))[0],
  field('Updated since', since)[0],
  field('Sort', sort)[0],
  field('Per page', size)[0],
  h('button', { type: 'submit', class: 'primary' }, 'Apply'),
  link(`/ui/browse/${seg(info.name)}`, 'Clear filters'),
  more);
  return form;
}

// An RFC 3339 time as a `datetime-local` input's value, in the browser's time zone.
function localInput(timestamp) {
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '';
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

// Downloads of every record the filters keep, fetched with the token.
function exportBar(domain, filters, errors) {
  const exporter = (format, label) => h('button', { type: 'button', onclick: async () => {
    clear(errors);
    try {
      await download(withQuery(`/v1/${seg(domain)}/golden/export`, { ...filters, limit: undefined, format }), `${domain}-golden.${format}`);
      flash(`Export (${format.toUpperCase()}) downloaded.`);
    } catch (err) {
      errors.append(errorBox(err));
    }
  } }, label);
  return h('p', { class: 'row' }, h('span', { class: 'muted' }, 'Export what these filters keep:'),
    exporter('csv', 'Export CSV'), exporter('ndjson', 'Export NDJSON'));
}
