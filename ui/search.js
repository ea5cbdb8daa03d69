// Search across golden records, and a crosswalk lookup by source system and ID.

import { get, seg, withQuery } from './api.js';
import { clear, errorBox, field, h, link, show } from './dom.js';

function domainSelect(app, chosen) {
  return h('select', { name: 'domain' },
    app.domains.map((d) => h('option', { value: d.name, selected: d.name === chosen }, d.label || d.name)));
}

export async function render(main, app) {
  const params = new URLSearchParams(location.search);
  const domain = params.get('domain') || app.domain();
  app.useDomain(domain);
  const q = params.get('q') || '';
  const text = h('input', { name: 'q', type: 'search', value: q, size: 40 });
  const results = h('div');
  main.append(h('h1', {}, 'Search golden records'),
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(e.target));
      app.navigate(withQuery('/ui/search', data));
    } }, field('Domain', domainSelect(app, domain))[0], field('Name, identifier or phone', text)[0],
    h('button', { type: 'submit', class: 'primary' }, 'Search')),
    results, crosswalkBox(app));
  text.focus();
  if (q) await search(results, domain, q);
}

async function search(results, domain, q) {
  try {
    const answer = await get(withQuery(`/v1/${seg(domain)}/golden`, { q, limit: 50 }));
    if (!answer.results.length) {
      results.append(h('p', {}, 'No golden record resembles that.'));
      return;
    }
    results.append(h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Golden ID'), h('th', { class: 'num' }, 'Score'), h('th', {}, 'Status'), h('th', {}, 'Fields'))),
      h('tbody', {}, answer.results.map((hit) => h('tr', {},
        h('td', {}, link(`/ui/golden/${seg(domain)}/${seg(hit.golden_id)}`, hit.golden_id)),
        h('td', { class: 'num' }, hit.score.toFixed(3)), h('td', {}, hit.status),
        h('td', {}, Object.entries(hit.fields).slice(0, 5).map(([k, v]) => `${k}: ${show(v)}`).join(' · ')))))));
  } catch (err) {
    results.append(errorBox(err));
  }
}

function crosswalkBox(app) {
  const system = h('input', { name: 'source_system', required: true, size: 12 });
  const id = h('input', { name: 'source_id', required: true, size: 16 });
  const select = domainSelect(app, app.domain());
  const answer = h('div', { 'aria-live': 'polite' });
  return h('section', { 'aria-labelledby': 'crosswalk-title' },
    h('h2', { id: 'crosswalk-title' }, 'Crosswalk lookup'),
    h('form', { class: 'filters', onsubmit: async (e) => {
      e.preventDefault();
      clear(answer);
      const domain = select.value;
      try {
        const entry = await get(`/v1/crosswalk/${seg(domain)}/${seg(system.value.trim())}/${seg(id.value.trim())}`);
        answer.append(h('p', {}, `${entry.source_system}:${entry.source_id} (${entry.record_status}) → `,
          link(`/ui/golden/${seg(domain)}/${seg(entry.golden_id)}`, entry.golden_id)),
        h('p', { class: 'muted' }, 'Members: ', entry.members.map((m) => `${m.source_system}:${m.source_id}`).join(', ')));
      } catch (err) {
        answer.append(errorBox(err));
      }
    } }, field('Domain', select)[0], field('Source system', system)[0], field('Source ID', id)[0],
    h('button', { type: 'submit' }, 'Look up')),
    answer);
}
