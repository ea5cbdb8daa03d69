// The business view of data quality: the review backlog, how each source's records were
// decided, and the recent bulk jobs with their reports (see jobs.js).

import { get, seg } from './api.js';
import { age, errorBox, h, link, pct, when } from './dom.js';
import { jobsSection } from './jobs.js';

export async function render(main, app) {
  main.append(h('h1', {}, 'Dashboard'));
  const [stats, jobs] = await Promise.allSettled([get('/v1/stats'), get('/v1/jobs?limit=10')]);
  if (stats.status === 'rejected') {
    main.append(errorBox(stats.reason, () => app.render()));
  } else {
    main.append(backlog(stats.value), sources(stats.value));
  }
  main.append(models(app.domains));
  if (jobs.status === 'rejected') main.append(errorBox(jobs.reason));
  else main.append(jobsSection(jobs.value.jobs, app.domains, () => app.render()));
}

// Which weights each domain matches with: its active model (estimated from the data) or the
// rule file's declared weights.
function models(domains) {
  const fixed = (x, digits) => (typeof x === 'number' ? x.toFixed(digits) : '—');
  return h('section', { 'aria-labelledby': 'models-title' },
    h('h2', { id: 'models-title' }, 'Match models'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Domain'), h('th', {}, 'Weights'), h('th', { class: 'num' }, 'Auto-link at'), h('th', { class: 'num' }, 'Review at'),
      h('th', { class: 'num' }, 'Records'), h('th', { class: 'num' }, 'Pairs'), h('th', { class: 'num' }, 'Labels'), h('th', {}, 'Estimated'))),
    h('tbody', {}, domains.map((d) => {
      const m = d.model;
      if (!m) return h('tr', {}, h('td', {}, d.name), h('td', { colspan: 7 }, 'declared in the rule file (no model estimated)'));
      const s = m.summary;
      return h('tr', {}, h('td', {}, d.name),
        h('td', {}, `model v${m.version} (${m.origin}${s.converged ? '' : ', not converged'})`),
        h('td', { class: 'num' }, fixed(m.auto_link, 3)), h('td', { class: 'num' }, fixed(m.review, 3)),
        h('td', { class: 'num' }, s.records), h('td', { class: 'num' }, s.candidate_pairs), h('td', { class: 'num' }, s.labelled_pairs),
        h('td', {}, when(m.created_at)));
    }))));
}

function backlog(stats) {
  return h('section', { 'aria-labelledby': 'backlog-title' },
    h('h2', { id: 'backlog-title' }, 'Review backlog'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Domain'), h('th', { class: 'num' }, 'Open proposals'), h('th', {}, 'Oldest waiting'))),
      h('tbody', {}, stats.domains.map((d) => h('tr', {},
        h('td', {}, link(`/ui/queue/${seg(d.domain)}`, d.domain)),
        h('td', { class: 'num' }, d.open_proposals),
        h('td', {}, d.oldest_open_age_seconds === null ? '—' : age(d.oldest_open_age_seconds)))))));
}

function sources(stats) {
  const section = h('section', { 'aria-labelledby': 'sources-title' },
    h('h2', { id: 'sources-title' }, 'Matching by source system'));
  if (!stats.sources.length) {
    section.append(h('p', { class: 'muted' }, 'No source records yet.'));
    return section;
  }
  section.append(h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Domain'), h('th', {}, 'Source system'), h('th', { class: 'num' }, 'Records'),
    h('th', { class: 'num' }, 'Auto-linked'), h('th', { class: 'num' }, 'Auto-link rate'), h('th', { class: 'num' }, 'Sent to review'), h('th', { class: 'num' }, 'Review rate'))),
  h('tbody', {}, stats.sources.map((s) => h('tr', {}, h('td', {}, s.domain), h('td', {}, s.source_system),
    h('td', { class: 'num' }, s.records), h('td', { class: 'num' }, s.auto_linked), h('td', { class: 'num' }, pct(s.auto_link_rate)),
    h('td', { class: 'num' }, s.sent_to_review), h('td', { class: 'num' }, pct(s.review_rate)))))));
  return section;
}
