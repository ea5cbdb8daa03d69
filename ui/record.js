// A golden record: fields with lineage, members with their history (the crosswalk IDs),
// splitting members out, overriding a field, and the record's audit trail.

import { canAct, get, post, seg, withQuery } from './api.js';
import { cell, clear, errorBox, field, flash, h, isMasked, link, show, when } from './dom.js';

export async function render(main, app, { domain, id }) {
  app.useDomain(domain);
  let view;
  try {
    view = await get(`/v1/${seg(domain)}/golden/${seg(id)}`);
  } catch (err) {
    main.append(h('h1', {}, `Golden record ${id}`), errorBox(err, () => app.render()));
    return;
  }
  const errors = h('div');
  const reload = () => app.render();
  main.append(h('h1', {}, `${view.golden_id} — ${domain}`));
  if (view.redirected_from) {
    main.append(h('p', { class: 'notice', role: 'status' },
      `${view.redirected_from} was retired by a merge and redirects to ${view.golden_id}; shown here is the survivor.`));
  }
  main.append(
    h('p', { class: 'muted' }, `Status ${view.status} · version ${view.version} · created ${when(view.created_at)} · updated ${when(view.updated_at)}`),
    errors,
    fieldsTable(app, domain, view, errors, reload),
    membersSection(domain, view, errors, app),
  );
  const audit = h('section', { 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, 'Audit trail'));
  main.append(audit);
  loadAudit(audit, view.golden_id);
}

function fieldsTable(app, domain, view, errors, reload) {
  const declared = (app.domains.find((d) => d.name === domain) || { fields: [] }).fields.map((f) => f.name);
  const names = [...new Set([...declared, ...Object.keys(view.fields)])];
  const body = h('tbody');
  for (const name of names) {
    const lineage = view.lineage[name];
    const overridden = lineage && lineage.rule === 'override';
    const origin = !lineage ? '—' : overridden
      ? `override by ${lineage.overridden_by || 'a steward'}`
      : `${lineage.source_system ?? '?'}:${lineage.source_id ?? '?'} · ${lineage.rule}`;
    const actions = h('td');
    const row = h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, cell(view.fields[name])), h('td', {}, origin), actions);
    if (canAct()) {
      actions.append(h('button', { type: 'button', onclick: () => overrideForm(row, domain, view, name, errors, reload) }, `Override ${name}`));
      if (overridden) {
        actions.append(' ', h('button', { type: 'button', class: 'danger', onclick: () => saveOverride(domain, view, name, null, '', errors, reload) }, `Remove override of ${name}`));
      }
    }
    body.append(row);
  }
  return h('section', { 'aria-labelledby': 'fields-title' },
    h('h2', { id: 'fields-title' }, 'Fields and lineage'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'Value'), h('th', {}, 'From (source · rule)'), h('th', {}, 'Actions'))), body));
}

function overrideForm(row, domain, view, name, errors, reload) {
  if (row.nextElementSibling && row.nextElementSibling.dataset.form) return;
  // A masked value is no value to start from: the box starts empty then.
  const current = view.fields[name];
  const value = h('input', { name: 'value', value: show(current) === '—' || isMasked(current) ? '' : String(current) });
  const comment = h('input', { name: 'comment', size: 30 });
  const form = h('form', { class: 'row', onsubmit: (e) => {
    e.preventDefault();
    saveOverride(domain, view, name, value.value, comment.value, errors, reload);
  } },
  field(`New value for ${name}`, value)[0],
  field('Comment', comment)[0],
  h('button', { type: 'submit', class: 'primary' }, 'Save override'),
  h('button', { type: 'button', onclick: () => formRow.remove() }, 'Cancel'));
  const formRow = h('tr', { 'data-form': 'override' }, h('td', { colspan: 4 }, form));
  row.after(formRow);
  value.focus();
}

async function saveOverride(domain, view, name, value, comment, errors, reload) {
  clear(errors);
  try {
    await post(`/v1/${seg(domain)}/golden/${seg(view.golden_id)}/override`, {
      field: name, value, version: view.version, comment: comment.trim() || undefined,
    });
  } catch (err) {
    errors.append(errorBox(err, reload));
    errors.querySelector('button, p')?.focus?.();
    return;
  }
  flash(value === null ? `Override of ${name} removed.` : `${name} overridden.`);
  reload();
}

function membersSection(domain, view, errors, app) {
  const body = h('tbody');
  const boxes = [];
  for (const m of view.members) {
    const box = h('input', { type: 'checkbox', 'aria-label': `Select ${m.source_system}:${m.source_id}` });
    box.dataset.system = m.source_system;
    box.dataset.id = m.source_id;
    boxes.push(box);
    const history = h('td', { colspan: 5 });
    const historyRow = h('tr', { hidden: true }, history);
    const toggle = h('button', { type: 'button', 'aria-expanded': 'false', onclick: () => showHistory(domain, m, historyRow, history, toggle) }, 'History');
    body.append(h('tr', {},
      h('td', {}, canAct() ? box : ''),
      h('td', {}, m.source_system), h('td', {}, h('code', {}, m.source_id)), h('td', {}, m.status),
      h('td', {}, toggle)), historyRow);
  }
  const section = h('section', { 'aria-labelledby': 'members-title' },
    h('h2', { id: 'members-title' }, `Members — crosswalk IDs (${view.members.length})`),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Split'), h('th', {}, 'Source system'), h('th', {}, 'Source ID'), h('th', {}, 'Status'), h('th', {}, 'History'))), body));
  if (canAct()) {
    const comment = h('input', { name: 'split-comment', size: 30 });
    section.append(h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault();
      const records = boxes.filter((b) => b.checked).map((b) => ({ source_system: b.dataset.system, source_id: b.dataset.id }));
      clear(errors);
      if (!records.length) {
        errors.append(h('p', { class: 'error', role: 'alert' }, 'Select the members to split out first.'));
        return;
      }
      try {
        const result = await post(`/v1/${seg(domain)}/golden/${seg(view.golden_id)}/split`, {
          records, version: view.version, comment: comment.value.trim() || undefined,
        });
        const into = result.split_into && result.split_into.golden_id;
        flash(`Split out into ${into || 'a new golden record'}.`);
        app.render();
      } catch (err) {
        errors.append(errorBox(err, () => app.render()));
      }
    } }, field('Split comment', comment)[0], h('button', { type: 'submit', class: 'primary' }, 'Split selected out')));
  }
  return section;
}

async function showHistory(domain, member, row, cell, toggle) {
  const opening = row.hidden;
  row.hidden = !opening;
  toggle.setAttribute('aria-expanded', String(opening));
  if (!opening || cell.childElementCount) return;
  try {
    const record = await get(`/v1/${seg(domain)}/records/${seg(member.source_system)}/${seg(member.source_id)}`);
    cell.append(h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Change'), h('th', {}, 'Recorded'), h('th', {}, 'Attributes'))),
      h('tbody', {}, record.history.map((v) => h('tr', {}, h('td', {}, v.version), h('td', {}, v.change), h('td', {}, when(v.recorded_at)), h('td', {}, h('pre', {}, JSON.stringify(v.attributes, null, 1))))))));
  } catch (err) {
    cell.append(errorBox(err));
  }
}

async function loadAudit(section, goldenId) {
  try {
    const page = await get(withQuery('/v1/audit', { golden_id: goldenId, limit: 50 }));
    if (!page.entries.length) {
      section.append(h('p', { class: 'muted' }, 'No steward action on this record yet.'));
      return;
    }
    section.append(h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Action'), h('th', {}, 'Outcome'), h('th', {}, 'Why'), h('th', {}, 'Request ID'))),
      h('tbody', {}, page.entries.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.actor), h('td', {}, e.entity_type === 'proposal' ? `${e.action} proposal #${e.entity_id}` : e.action), h('td', {}, e.outcome), h('td', {}, show(e.reason)), h('td', {}, h('code', {}, show(e.request_id))))))));
  } catch (err) {
    section.append(errorBox(err));
  }
}
