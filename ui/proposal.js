// One proposal: both golden records side by side, the field-by-field evidence, and the
// decision (approve or reject, with a comment), by button or by key.

import { canAct, claims, get, post, seg } from './api.js';
import { ageSince, cell, clear, errorBox, field, flash, h, isMasked, link, show, when } from './dom.js';
import { refresh, remembered } from './queue.js';

export async function render(main, app, { id }) {
  let detail;
  try {
    detail = await get(`/v1/proposals/${id}`);
  } catch (err) {
    main.append(h('h1', {}, `Proposal #${id}`), errorBox(err, () => app.render()));
    if (main.isConnected) app.onKey = (key) => move(app, id, key);
    return;
  }
  app.useDomain(detail.domain);
  const ids = (remembered() || {}).ids || [];
  const position = ids.indexOf(id);
  main.append(
    h('h1', {}, `Proposal #${id} — ${detail.domain}`),
    h('p', {},
      h('span', { class: `status-${detail.status}` }, detail.status), ' · score ',
      h('strong', {}, detail.score.toFixed(3)), ` · opened ${ageSince(detail.created_at)} ago`,
      position >= 0 ? ` · ${position + 1} of ${ids.length} in the queue` : '',
      detail.decided_by ? ` · decided by ${detail.decided_by}` : '',
      detail.comment ? ` · “${detail.comment}”` : ''),
  );
  const errors = h('div');
  main.append(decisionBar(app, detail, errors, ids, position), errors);
  const open = detail.status === 'open' || detail.status === 'awaiting_second';
  main.append(sideBySide(detail, canAct() && open), evidence(detail));
  if (!main.isConnected) return;
  app.onKey = (key) => keys(app, detail, key, main);
}

function move(app, id, key) {
  const ids = (remembered() || {}).ids || [];
  const position = ids.indexOf(id);
  const go = (i) => { if (ids[i] !== undefined) app.navigate(`/ui/proposals/${ids[i]}`); };
  if (key === 'j' || key === 'n') go(position + 1);
  else if (key === 'k' || key === 'p') go(position - 1);
  else if (key === 'u') app.navigate('/ui/queue');
  else return false;
  return true;
}

function keys(app, detail, key, main) {
  if (move(app, detail.id, key)) return true;
  const button = (name) => main.querySelector(`button[data-action="${name}"]`);
  if (key === 'a' && button('approve')) button('approve').click();
  else if (key === 'r' && button('reject')) button('reject').click();
  else if (key === 'c' && main.querySelector('#decision-comment')) main.querySelector('#decision-comment').focus();
  else return false;
  return true;
}

function decisionBar(app, detail, errors, ids, position) {
  // Awaiting a second approval is still open: another steward approves or rejects it.
  const open = detail.status === 'open' || detail.status === 'awaiting_second';
  const bar = h('div', { class: 'actions' });
  const nav = [
    h('button', { type: 'button', disabled: position <= 0, onclick: () => move(app, detail.id, 'k') }, 'Previous (k)'),
    h('button', { type: 'button', disabled: position < 0 || position >= ids.length - 1, onclick: () => move(app, detail.id, 'j') }, 'Next (j)'),
    link('/ui/queue', 'Back to queue (u)'),
  ];
  if (!canAct()) {
    bar.append(h('p', { class: 'muted' }, 'Your token has no steward role: you can look, not decide.'), ...nav);
    return bar;
  }
  if (!open) {
    bar.append(h('p', { class: 'muted' }, `This proposal is ${detail.status}.`), ...nav);
    return bar;
  }
  const first = detail.first_approval;
  if (first) {
    const me = first.by === claims().sub;
    bar.append(h('p', { class: 'notice awaiting', role: 'status' },
      h('strong', {}, 'Awaiting a second approval. '),
      `Approved first by ${me ? 'you' : first.by} on ${when(first.at)}; `,
      me ? 'another steward must give the second approval.' : 'your approval merges the two records.'));
  }
  const comment = h('textarea', { id: 'decision-comment', name: 'comment', rows: 2 });
  const decide = async (verb) => {
    for (const b of bar.querySelectorAll('button')) b.disabled = true;
    clear(errors);
    const picks = verb === 'approve' ? chosenPicks() : {};
    let decided;
    try {
      decided = await post(`/v1/proposals/${detail.id}/${verb}`, {
        comment: comment.value.trim() || undefined,
        golden_version: detail.golden.version,
        other_version: detail.other.version,
        picks: Object.keys(picks).length ? picks : undefined,
      });
    } catch (err) {
      errors.append(decisionError(err, detail, app));
      for (const b of bar.querySelectorAll('button')) b.disabled = false;
      return;
    }
    if (decided.status === 'awaiting_second') {
      // The first of two approvals: the page now shows who gave it, and waits.
      flash(`First approval of proposal #${detail.id} recorded; it needs a second steward.`);
      app.render();
      return;
    }
    flash(`Proposal #${detail.id} ${verb === 'approve' ? 'approved' : 'rejected'}.`);
    await next(app, detail.id, position);
  };
  bar.append(
    claimLine(app, detail, errors),
    field('Comment (c)', comment)[0],
    h('button', { type: 'button', class: 'primary', 'data-action': 'approve', onclick: () => decide('approve') },
      first ? 'Second approval — merge (a)' : 'Approve — merge (a)'),
    h('button', { type: 'button', class: 'danger', 'data-action': 'reject', onclick: () => decide('reject') }, 'Reject — different (r)'),
    ...nav,
  );
  return bar;
}

// After a decision: the proposal that now sits where this one sat, or the queue when none.
async function next(app, id, position) {
  let ids = [];
  try {
    ids = (await refresh()) || [];
  } catch {
    ids = [];
  }
  const target = ids.length ? ids[Math.min(Math.max(position, 0), ids.length - 1)] : undefined;
  if (target !== undefined && target !== id) app.navigate(`/ui/proposals/${target}`, { replace: true });
  else app.navigate('/ui/queue', { replace: true });
}

// Both golden records field by field. When the steward may merge, each field the two sides
// do not agree on offers a choice of value: the survivorship rule's (the default), or either
// side's, sent as `picks` with the approval.
function sideBySide(detail, choosing) {
  const left = detail.golden;
  const right = detail.other;
  const names = [...new Set([...Object.keys(left.fields), ...Object.keys(right.fields)])].sort();
  const rows = names.map((name) => {
    const a = left.fields[name];
    const b = right.fields[name];
    // Compared after standardization on the server: `Dallas` and `DALLAS` are the same.
    const agree = detail.fields_agree ? detail.fields_agree[name] : undefined;
    const differ = agree === undefined ? show(a) !== show(b) : agree === false;
    const compared = agree === null ? 'one side' : differ ? 'differs' : 'same';
    return h('tr', { class: differ ? 'diff' : undefined },
      h('th', { scope: 'row' }, name),
      h('td', { class: 'value' }, cell(a)),
      h('td', { class: 'value' }, cell(b)),
      h('td', {}, compared),
      choosing ? h('td', {}, agree === true ? '' : pickChoice(name, a, b)) : null);
  });
  const head = (view) => h('th', {}, link(`/ui/golden/${seg(view.domain)}/${seg(view.golden_id)}`, view.golden_id),
    view.redirected_from ? ` (was ${view.redirected_from})` : '',
    h('div', { class: 'muted' }, view.members.map((m) => `${m.source_system}:${m.source_id}`).join(', ')));
  return h('section', { 'aria-labelledby': 'records-title' },
    h('h2', { id: 'records-title' }, 'The two golden records'),
    choosing ? h('p', { class: 'muted' }, 'Where they differ, choose the value the merged record keeps; left alone, the survivorship rule chooses.') : null,
    h('table', { class: 'sides-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Field'), head(left), head(right), h('th', {}, 'Compared'),
        choosing ? h('th', {}, 'Merged record keeps') : null)),
      h('tbody', {}, rows)));
}

// The radio buttons of one field's pick, each labelled with the value it keeps. A masked
// value cannot be picked: it is not the value.
function pickChoice(name, a, b) {
  const group = h('fieldset', { class: 'pick', 'data-field': name },
    h('legend', { class: 'visually-hidden' }, `Value of ${name} after the merge`));
  const option = (which, value) => {
    const present = value !== null && value !== undefined && value !== '';
    const masked = isMasked(value);
    if (which !== 'rule' && !present) return;
    const input = h('input', { type: 'radio', name: `pick-${name}`, value: which, checked: which === 'rule',
      disabled: masked, 'data-side': which });
    if (which !== 'rule') input.pickValue = value;
    group.append(h('label', { class: 'inline', title: masked ? 'Masked: picking it needs the sensitive grant' : undefined },
      input, which === 'rule' ? h('span', { class: 'muted' }, 'by rule') : show(value)));
  };
  option('rule');
  option('left', a);
  option('right', b);
  return group;
}

// The picks chosen on the page: field name to the value the merged record keeps.
function chosenPicks() {
  const picks = {};
  for (const input of document.querySelectorAll('fieldset.pick input[type="radio"]:checked')) {
    if (input.value !== 'rule') picks[input.closest('fieldset').dataset.field] = input.pickValue;
  }
  return picks;
}

// A refused decision. A 409 on a proposal awaiting its second approval is the API saying why
// (the same steward cannot approve twice), not a changed record.
function decisionError(err, detail, app) {
  if (err.status === 409 && detail.first_approval && err.code === 'conflict') {
    return h('div', { class: 'error', role: 'alert' }, h('p', {}, h('strong', {}, 'Not merged: '), err.message),
      err.requestId ? h('p', { class: 'meta' }, `code ${err.code} · request ID ${err.requestId}`) : null);
  }
  return errorBox(err, () => app.render());
}

function evidence(detail) {
  const e = detail.explanation;
  const rows = e.evidence.map((item) => {
    const differ = (item.left ?? '') !== (item.right ?? '');
    return h('tr', {},
      h('th', { scope: 'row' }, item.field),
      h('td', { class: differ ? 'diff' : undefined }, cell(item.left)),
      h('td', { class: differ ? 'diff' : undefined }, cell(item.right)),
      h('td', {}, item.method),
      h('td', { class: 'num' }, item.similarity === null ? '—' : item.similarity.toFixed(3)),
      h('td', { class: 'num' }, `${item.weight >= 0 ? '+' : ''}${item.weight.toFixed(2)}`));
  });
  return h('section', { 'aria-labelledby': 'evidence-title' },
    h('h2', { id: 'evidence-title' }, 'Why they were matched'),
    h('p', { class: 'muted' }, `Match probability ${e.probability.toFixed(3)} (log2 odds ${e.log_odds.toFixed(2)}): the prior plus each contribution.`),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, `${detail.golden.golden_id} (new record)`),
        h('th', {}, `${detail.other.golden_id} (candidate)`), h('th', {}, 'Method'),
        h('th', { class: 'num' }, 'Similarity'), h('th', { class: 'num' }, 'Contribution'))),
      h('tbody', {}, rows)));
}

// Who holds the proposal, and a button to claim it, give it back, or take it over.
function claimLine(app, detail, errors) {
  const claim = detail.claim;
  const mine = Boolean(claim) && claim.by === claims().sub;
  const change = async (verb, force) => {
    clear(errors);
    try {
      await post(`/v1/proposals/${detail.id}/${verb}`, force ? { force: true } : {});
    } catch (err) {
      errors.append(errorBox(err, () => app.render()));
      return;
    }
    app.render();
  };
  const [label, verb, force] = !claim ? ['Claim', 'claim', false]
    : mine ? ['Release claim', 'release', false] : ['Take over claim', 'claim', true];
  return h('p', { class: 'claim' },
    claim ? `Claimed by ${mine ? 'you' : claim.by} until ${when(claim.until)}. ` : 'Not claimed. ',
    h('button', { type: 'button', 'data-action': verb, onclick: () => change(verb, force) }, label));
}
