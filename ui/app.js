// The console's shell: sign-in, navigation between views, global keyboard shortcuts.

import { claims, get, roles, signIn, signOut, token } from './api.js';
import { clear, errorBox, field, h } from './dom.js';
import * as dashboard from './dashboard.js';
import * as queue from './queue.js';
import * as proposal from './proposal.js';
import * as record from './record.js';
import * as search from './search.js';

const main = document.getElementById('main');

// Shared by the views: the declared domains and the view's own key handler.
export const app = { domains: [], onKey: null, navigate, render };

const routes = [
  [/^\/ui\/?$/, () => dashboard.render(main, app)],
  [/^\/ui\/queue\/?$/, () => queue.render(main, app, {})],
  [/^\/ui\/queue\/([^/]+)$/, (m) => queue.render(main, app, { domain: decodeURIComponent(m[1]) })],
  [/^\/ui\/proposals\/(\d+)$/, (m) => proposal.render(main, app, { id: Number(m[1]) })],
  [/^\/ui\/golden\/([^/]+)\/([^/]+)$/, (m) => record.render(main, app, {
    domain: decodeURIComponent(m[1]), id: decodeURIComponent(m[2]),
  })],
  [/^\/ui\/search\/?$/, () => search.render(main, app)],
];

function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

async function render() {
  app.onKey = null;
  if (!token()) return renderSignIn();
  document.getElementById('top').hidden = false;
  const who = claims();
  document.getElementById('who').textContent = `${who.sub || 'signed in'} · ${roles().join(', ') || 'no roles'}`;
  const path = location.pathname;
  for (const a of document.querySelectorAll('.top nav a')) {
    const target = a.getAttribute('href');
    const current = target === '/ui/' ? path === '/ui' || path === '/ui/' : path.startsWith(target);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!app.domains.length) {
    try {
      app.domains = (await get('/v1/domains')).domains;
    } catch (err) {
      clear(main).append(h('h1', {}, 'Cannot load the domains'), errorBox(err, render));
      return;
    }
  }
  const route = routes.find(([pattern]) => pattern.test(path));
  clear(main);
  if (!route) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, 'No console page at this address.'));
    return;
  }
  await route[1](path.match(route[0]));
}

function renderSignIn() {
  document.getElementById('top').hidden = true;
  const input = h('textarea', { name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'signin', onsubmit: (e) => {
    e.preventDefault();
    signIn(input.value);
    app.domains = [];
    render();
  } },
  h('h1', {}, 'Golden steward console'),
  h('p', {}, 'Paste a bearer token (', h('code', {}, 'golden token --role steward'),
    '). It is kept in this browser tab only and forgotten when the tab closes.'),
  field('Bearer token', input)[0],
  h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  clear(main).append(form);
  input.focus();
}

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (typing(e.target)) {
    if (e.key === 'Escape') e.target.blur();
    return;
  }
  if (!token() || document.getElementById('help').open) return;
  if (e.key === '?') {
    e.preventDefault();
    document.getElementById('help').showModal();
  } else if (e.key === '/') {
    e.preventDefault();
    navigate('/ui/search');
  } else if (app.onKey && app.onKey(e.key)) {
    e.preventDefault();
  }
});

document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[data-link]') : null;
  if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});

window.addEventListener('popstate', render);
window.addEventListener('golden:unauthorized', () => {
  signOut();
  render();
});
document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  app.domains = [];
  navigate('/ui/');
});
document.getElementById('help-button').addEventListener('click', () => {
  document.getElementById('help').showModal();
});

render();
