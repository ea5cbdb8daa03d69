// Talks to the JSON API with the bearer token kept for this browser session only.

const KEY = 'golden.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function signIn(value) {
  sessionStorage.setItem(KEY, value.trim().replace(/^Bearer\s+/i, ''));
}

// Checks a pasted token against the server before it is kept: resolves to the domains it may
// read, or throws an ApiError that says why the token was refused.
export async function checkToken(value) {
  const candidate = value.trim().replace(/^Bearer\s+/i, '');
  if (candidate.split('.').length !== 3) {
    throw new ApiError(0, { error: 'malformed', message: 'This is not a token: a token is three dot-separated parts, as `golden token` prints it.' });
  }
  let response;
  try {
    response = await fetch('/v1/domains', { headers: { Authorization: `Bearer ${candidate}` } });
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: `cannot reach the server: ${e.message}` });
  }
  return (await answer(response)).domains;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

// The token's claims, for display only: the server checks every request itself.
export function claims() {
  const part = (token() || '').split('.')[1];
  if (!part) return {};
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

export function roles() {
  const value = claims().roles;
  return Array.isArray(value) ? value : [];
}

// Whether the token says the caller may act as a steward (buttons are hidden otherwise).
export function canAct() {
  return roles().some((r) => r === 'steward' || r === 'admin');
}

// An error answer of the API: status, its `error` code and message, the request ID.
export class ApiError extends Error {
  constructor(status, body, requestId) {
    const message = body && typeof body === 'object' && body.message
      ? body.message
      : (typeof body === 'string' && body) || `HTTP ${status}`;
    super(message);
    this.status = status;
    this.code = body && typeof body === 'object' ? body.error : undefined;
    this.requestId = (body && body.request_id) || requestId || null;
  }
}

async function send(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: `cannot reach the server: ${e.message}` });
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent('golden:unauthorized'));
  return response;
}

// A response's JSON body, or an ApiError when the status is not a success.
async function answer(response) {
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) throw new ApiError(response.status, data, response.headers.get('X-Request-Id'));
  return data;
}

export async function api(method, path, body) {
  return answer(await send(method, path, body));
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});

// Sends a file the user picked as a request body (a bulk job's input); the JSON answer.
export async function sendFile(path, file) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token()}`, 'Content-Type': file.type || 'text/csv', 'X-File-Name': file.name },
      body: file,
    });
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: `cannot reach the server: ${e.message}` });
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent('golden:unauthorized'));
  return answer(response);
}

// Fetches a file with the token and hands it to the browser as a download.
export async function download(path, filename) {
  const response = await send('GET', path);
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    throw new ApiError(response.status, body, response.headers.get('X-Request-Id'));
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Builds a path with its query string, leaving out empty values.
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export const seg = encodeURIComponent;
