// Bulk jobs on the dashboard: send a file to profile, preview or load it; each job with its
// profile, its preview report (riskiest decisions first, every row as CSV, a commit button)
// and, for stewards and admins, a rollback of a load with the comment the audit log keeps.

import { canAct, download, get, post, roles, sendFile, seg, withQuery } from './api.js';
import { errorBox, field, flash, h, pct, when } from './dom.js';

const canLoad = () => roles().some((r) => r === 'ingest' || r === 'admin');
const finished = (job) => job.status !== 'queued' && job.status !== 'running';

// The section: the upload form (for writers) and the recent jobs with their reports.
export function jobsSection(jobs, domains, rerender) {
  const errors = h('div');
  const section = h('section', { 'aria-labelledby': 'jobs-title' },
    h('h2', { id: 'jobs-title' }, 'Recent bulk jobs'), errors);
  if (canLoad()) section.append(uploadForm(domains, errors, rerender));
  if (!jobs.length) {
    section.append(h('p', { class: 'muted' }, 'No bulk job yet.'));
    return section;
  }
  const committed = new Set(jobs.map((j) => j.preview_of).filter(Boolean));
  section.append(h('table', { class: 'jobs' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Domain'), h('th', {}, 'Source'), h('th', {}, 'File'), h('th', {}, 'Mode'), h('th', {}, 'Status'),
      h('th', { class: 'num' }, 'Rows'), h('th', { class: 'num' }, 'Created'), h('th', { class: 'num' }, 'Auto-linked'), h('th', { class: 'num' }, 'Proposed'), h('th', { class: 'num' }, 'Rejected'))),
    jobs.map((j) => h('tbody', { 'data-job': j.id },
      h('tr', {}, h('td', {}, when(j.created_at)), h('td', {}, j.domain), h('td', {}, j.source_system || '(per row)'), h('td', {}, j.input_name),
        h('td', {}, j.mode), h('td', {}, j.progress !== undefined && j.status === 'running' ? `${j.status} ${pct(j.progress)}` : j.status),
        h('td', { class: 'num' }, j.rows_read), h('td', { class: 'num' }, j.created), h('td', { class: 'num' }, j.auto_linked), h('td', { class: 'num' }, j.proposed),
        h('td', { class: 'num' }, j.rejected > 0
          ? h('button', { type: 'button', class: 'link', onclick: () => download(`/v1/jobs/${seg(j.id)}/rejects`, `${j.id}-rejects.csv`).then(() => flash('Rejects downloaded.'), (err) => errors.replaceChildren(errorBox(err))) }, `${j.rejected} (download rejects)`)
          : '0')),
      h('tr', { class: 'job-detail' }, h('td', { colspan: 11 }, details(j, committed.has(j.id), errors, rerender)))))));
  return section;
}

// A file sent as a job of the chosen mode; the dashboard follows it until it finishes.
function uploadForm(domains, errors, rerender) {
  const domain = h('select', {}, domains.map((d) => h('option', { value: d.name }, d.name)));
  const source = h('input', { type: 'text', placeholder: 'from a source_system column' });
  const mode = h('select', {}, h('option', { value: 'preview' }, 'preview (dry run)'), h('option', { value: 'profile' }, 'profile'), h('option', { value: 'load' }, 'load'));
  const file = h('input', { type: 'file', accept: '.csv,.ndjson,.jsonl,text/csv', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Send file');
  const form = h('form', { class: 'job-upload', 'aria-label': 'New bulk job' },
    field('Domain', domain)[0], field('Source system', source)[0], field('Mode', mode)[0], field('File', file)[0], submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    submit.disabled = true;
    try {
      const path = withQuery(`/v1/${seg(domain.value)}/jobs`, { mode: mode.value, source: source.value.trim() });
      const job = await sendFile(path, chosen);
      flash(`Job ${job.id} queued.`);
      await follow(job.id);
      rerender();
    } catch (err) {
      errors.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// Waits (a few minutes at most) for a job to finish.
async function follow(id) {
  const deadline = Date.now() + 5 * 60 * 1000;
  while (Date.now() < deadline) {
    const job = await get(`/v1/jobs/${seg(id)}`);
    if (finished(job)) return job;
    await new Promise((r) => setTimeout(r, 400));
  }
  return null;
}

function details(job, committed, errors, rerender) {
  const parts = [];
  if (job.error) parts.push(h('p', { class: 'error' }, job.error));
  if (job.profile) parts.push(profileReport(job.profile));
  if (job.preview) parts.push(previewReport(job, committed, errors, rerender));
  if (job.commit) {
    const c = job.commit;
    parts.push(h('p', { class: 'commit-summary' }, `Commits preview ${c.preview}: `,
      c.store_changed ? `the store changed since; ${c.redecided} of ${c.rows} rows were re-decided.` : `the store had not changed; ${c.redecided} of ${c.rows} rows re-decided.`));
  }
  if (job.rollback) parts.push(h('p', {}, `Rolled back: ${job.rollback.records_retired} records retired, ${job.rollback.versions_reverted} versions reverted.`));
  if (job.mode === 'load' && finished(job) && job.status !== 'rolled_back' && canAct()) parts.push(rollbackForm(job, errors, rerender));
  if (!parts.length) return h('span', { class: 'muted' }, finished(job) ? 'No report.' : 'Running…');
  return h('details', {}, h('summary', {}, job.mode === 'load' ? 'Details and rollback' : 'Report'), parts);
}

function profileReport(p) {
  return h('div', { class: 'profile' },
    h('p', {}, `${p.rows} rows; ${p.rejected} would be rejected; ${p.duplicate_keys.keys} duplicate keys; unmapped: ${p.unmapped_columns.join(', ') || 'none'}.`),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Field'), h('th', { class: 'num' }, 'Fill'), h('th', { class: 'num' }, 'Distinct'),
      h('th', { class: 'num' }, 'Standardized'), h('th', { class: 'num' }, 'Failed'), h('th', { class: 'num' }, 'Unknown'))),
    h('tbody', {}, p.columns.map((c) => h('tr', {}, h('td', {}, c.column), h('td', {}, c.field || '(unmapped)'), h('td', { class: 'num' }, pct(c.fill_rate)),
      h('td', { class: 'num' }, c.distinct), h('td', { class: 'num' }, c.standardized), h('td', { class: 'num' }, c.failed), h('td', { class: 'num' }, c.unknown))))));
}

function previewReport(job, committed, errors, rerender) {
  const r = job.preview;
  const actions = h('p', {},
    h('button', { type: 'button', onclick: () => download(`/v1/jobs/${seg(job.id)}/preview?format=csv`, `${job.id}-preview.csv`).then(() => flash('Preview downloaded.'), (err) => errors.replaceChildren(errorBox(err))) }, 'Download every row (CSV)'));
  if (committed) actions.append(' ', h('span', { class: 'muted' }, 'Committed.'));
  else if (canLoad()) {
    actions.append(' ', h('button', { type: 'button', class: 'primary', onclick: async (event) => {
      event.target.disabled = true;
      try {
        const load = await post(`/v1/jobs/${seg(job.id)}/commit`);
        flash(`Committing as job ${load.id}.`);
        await follow(load.id);
        rerender();
      } catch (err) {
        errors.replaceChildren(errorBox(err));
        event.target.disabled = false;
      }
    } }, 'Commit as previewed'));
  }
  return h('div', { class: 'preview' },
    h('p', {}, `Nothing was committed. Would be: ${r.new} new, ${r.auto_linked} auto-linked (${r.within_file} within the file), ${r.proposed} proposed, ${r.updated} updated, ${r.unchanged} unchanged, ${r.rejected} rejected.`),
    h('p', {}, `Risks: ${r.risks.near_threshold} near the threshold, ${r.risks.identifier_conflict} disagreeing identifiers, ${r.risks.same_source} joining a record of the same source.`),
    r.reject_reasons.length ? h('ul', {}, r.reject_reasons.map((x) => h('li', {}, `${x.rows} × ${x.reason}`))) : null,
    h('h3', {}, 'Riskiest decisions'),
    h('table', { class: 'riskiest' }, h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Line'), h('th', {}, 'Record'), h('th', {}, 'Decision'), h('th', {}, 'Joins'),
      h('th', { class: 'num' }, 'Score'), h('th', {}, 'Risks'), h('th', {}, 'Why'))),
    h('tbody', {}, r.riskiest.map((d) => h('tr', {}, h('td', { class: 'num' }, d.line), h('td', {}, `${d.source_system || ''}/${d.source_id || ''}`), h('td', {}, d.decision),
      h('td', {}, d.target || '—'), h('td', { class: 'num' }, d.score === undefined ? '—' : d.score.toFixed(4)), h('td', {}, d.risks.join(', ') || '—'), h('td', {}, d.detail || ''))))),
    actions);
}

// Rolling a load back asks for the comment the audit log keeps, then confirms.
function rollbackForm(job, errors, rerender) {
  const comment = h('input', { type: 'text', required: true, placeholder: 'why the load is undone' });
  const confirm = h('button', { type: 'submit', class: 'danger' }, 'Confirm rollback');
  const form = h('form', { class: 'rollback', hidden: true }, field('Rollback comment', comment)[0], confirm);
  const open = h('button', { type: 'button', onclick: () => { form.hidden = false; open.hidden = true; comment.focus(); } }, 'Roll back…');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    try {
      const result = await post(`/v1/jobs/${seg(job.id)}/rollback`, { comment: comment.value });
      flash(`Job rolled back: ${result.records_retired} records retired.`);
      rerender();
    } catch (err) {
      errors.replaceChildren(errorBox(err));
      confirm.disabled = false;
    }
  });
  return h('div', {}, open, form);
}
