// Small DOM helpers: element building (no HTML strings, so no injection), errors, formats.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'checked' || key === 'value' || key === 'disabled') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// A link the app's router follows without reloading the page.
export function link(href, text, attrs = {}) {
  return h('a', { href, 'data-link': true, ...attrs }, text);
}

let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// A labelled form control: returns [label element, control].
export function field(labelText, control, className) {
  if (!control.id) control.id = uid('f');
  const label = h('label', { for: control.id, class: className }, labelText, control);
  return [label, control];
}

// Shows an API error: its message and request ID; a 409 offers to reload the page's data.
export function errorBox(err, onReload) {
  const box = h('div', { class: 'error', role: 'alert' });
  if (err.code === 'claimed') {
    box.append(h('p', {}, h('strong', {}, 'Another steward has this proposal: '), err.message));
    if (onReload) box.append(h('button', { type: 'button', onclick: onReload }, 'Reload'));
  } else if (err.status === 409) {
    box.append(h('p', {}, h('strong', {}, 'Someone changed this record — reload'), ` (${err.message})`));
    if (onReload) box.append(h('button', { type: 'button', class: 'primary', onclick: onReload }, 'Reload'));
  } else if (err.status === 403) {
    box.append(h('p', {}, h('strong', {}, 'Not allowed: '), err.message));
  } else {
    box.append(h('p', {}, h('strong', {}, err.status ? `Error ${err.status}: ` : 'Error: '), err.message));
  }
  const meta = [];
  if (err.code) meta.push(`code ${err.code}`);
  if (err.requestId) meta.push(`request ID ${err.requestId}`);
  if (meta.length) box.append(h('p', { class: 'meta' }, meta.join(' · ')));
  return box;
}

export function flash(message) {
  const el = document.getElementById('flash');
  el.textContent = message;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { el.textContent = ''; }, 4000);
}

export function age(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function ageSince(timestamp) {
  return age((Date.now() - Date.parse(timestamp)) / 1000);
}

export function when(timestamp) {
  return timestamp ? new Date(timestamp).toLocaleString() : '—';
}

export function pct(value) {
  return `${(value * 100).toFixed(1)}%`;
}

export function show(value) {
  if (value === null || value === undefined || value === '') return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// The API masks a sensitive field for a caller without the `sensitive` grant: every character
// but the last four becomes `•` (a short value is `••••`). Shown as it comes, with a hint.
const MASKED = /^•+[^•]{0,4}$/;

export function isMasked(value) {
  return typeof value === 'string' && MASKED.test(value);
}

// A value for a table cell: its text, and a small "masked" hint when the API masked it.
export function cell(value) {
  if (!isMasked(value)) return show(value);
  return h('span', { class: 'masked' }, value, ' ',
    h('small', { class: 'masked-hint', title: 'Masked: your token lacks the sensitive grant' }, 'masked'));
}
