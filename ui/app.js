// The console's shell: sign-in, navigation between views, global keyboard shortcuts.

import { checkToken, claims, get, roles, signIn, signOut, token } from './api.js';
import { clear, errorBox, field, h } from './dom.js';
import * as browse from './browse.js';
import * as dashboard from './dashboard.js';
import * as queue from './queue.js';
import * as proposal from './proposal.js';
import * as record from './record.js';
import * as search from './search.js';

const main = document.getElementById('main');

// Shared by the views: the declared domains, the domain last worked on, the view's key handler.
export const app = { domains: [], onKey: null, navigate, render, domain, useDomain };

function domain() {
  const last = sessionStorage.getItem('golden.domain');
  const known = app.domains.find((d) => d.name === last);
  return known ? known.name : app.domains[0] && app.domains[0].name;
}

function useDomain(name) {
  sessionStorage.setItem('golden.domain', name);
}

// Each view renders into its own container, so a view still loading when the page changes
// writes into a detached element, never into the next page.
const routes = [
  [/^\/ui\/?$/, (m, view) => dashboard.render(view, app)],
  [/^\/ui\/queue\/?$/, (m, view) => queue.render(view, app, {})],
  [/^\/ui\/queue\/([^/]+)$/, (m, view) => queue.render(view, app, { domain: decodeURIComponent(m[1]) })],
  [/^\/ui\/proposals\/(\d+)$/, (m, view) => proposal.render(view, app, { id: Number(m[1]) })],
  [/^\/ui\/golden\/([^/]+)\/([^/]+)$/, (m, view) => record.render(view, app, {
    domain: decodeURIComponent(m[1]), id: decodeURIComponent(m[2]),
  })],
  [/^\/ui\/search\/?$/, (m, view) => search.render(view, app)],
  [/^\/ui\/browse\/?$/, (m, view) => browse.render(view, app, {})],
  [/^\/ui\/browse\/([^/]+)$/, (m, view) => browse.render(view, app, { domain: decodeURIComponent(m[1]) })],
];

function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

async function render() {
  app.onKey = null;
  if (!token()) return renderSignIn();
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
  if (!token()) return renderSignIn();
  document.getElementById('top').hidden = false;
  const route = routes.find(([pattern]) => pattern.test(path));
  const view = h('div');
  clear(main).append(view);
  if (!route) {
    view.append(h('h1', {}, 'Not found'), h('p', {}, 'No console page at this address.'));
    return;
  }
  await route[1](path.match(route[0]), view);
  // Keyboard and screen-reader users land on the new page's content, not the old link.
  if (view.isConnected && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

function renderSignIn() {
  document.getElementById('top').hidden = true;
  const input = h('textarea', { name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' });
  const problem = h('p', { class: 'error', role: 'alert', hidden: !app.refused }, app.refused || '');
  const form = h('form', { class: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    // The token is checked before anything but this form shows.
    try {
      const domains = await checkToken(input.value);
      signIn(input.value);
      app.refused = null;
      app.domains = domains;
      render();
    } catch (err) {
      problem.textContent = err.status === 401
        ? `The server refused this token: ${err.message}`
        : err.message;
      problem.hidden = false;
      input.focus();
    }
  } },
  h('h1', {}, 'Golden steward console'),
  problem,
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
  app.refused = 'The server refused the token (expired, or signed with another secret). Sign in again.';
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
