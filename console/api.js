// The console's calls to Roster: the side API (/api/v1) and the console's own /admin/api, with the
// session cookie (sent by the browser) and the session's CSRF token on every state-changing request.

let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = token || '';
}

/** A refused call: the HTTP status, the problem details (RFC 9457) and the field at fault, if any. */
export class ApiError extends Error {
  constructor(status, problem) {
    const detail = (problem && problem.detail) || `the server answered ${status}`;
    super(detail);
    this.status = status;
    this.problem = problem || {};
    this.reason = this.problem.reason;
    const at = fieldOf(detail);
    this.field = at.field;
    this.fieldMessage = at.message;
    // A uniqueness clash names no field: in the console it is always the email (the sign-in name).
    if (!this.field && /:uniqueness$/.test(String(this.problem.type || ''))) {
      this.field = 'email';
      this.fieldMessage = detail;
    }
  }
}

/**
 * Roster's error details start with the path of the value at fault ("email: must be ...",
 * "roles.0.key: ..."); this splits them so the message can sit next to that field.
 */
export function fieldOf(detail) {
  const match = /^([A-Za-z][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*): (.+)$/s.exec(String(detail || ''));
  if (!match) return { field: undefined, message: String(detail || '') };
  return { field: match[1], message: match[3] };
}

/** Words for an error, whatever it is (network failure included). */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.status === 412) return 'Someone changed this user after you opened the page. Reload to see the current values, then make your change again.';
    if (err.status === 429) return `${err.message}.`;
    return sentence(err.message);
  }
  return 'Roster could not be reached. Check your connection and try again.';
}

export function sentence(text) {
  const t = String(text || '').trim();
  if (!t) return '';
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}

/**
 * fetch with JSON in and out. `body` is sent as JSON unless `raw` gives the bytes and their type.
 * Resolves to { status, body, etag }; rejects with ApiError for a 4xx/5xx.
 */
export async function call(method, path, { body, raw, contentType, ifMatch } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  if (ifMatch) headers['If-Match'] = ifMatch;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers['Content-Type'] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { status: res.status, body: data, etag: res.headers.get('ETag') || undefined };
}

export const get = (path) => call('GET', path).then((r) => r.body);
export const post = (path, body) => call('POST', path, { body: body ?? {} }).then((r) => r.body);
export const patch = (path, body, ifMatch) => call('PATCH', path, { body, ifMatch });
export const put = (path, body) => call('PUT', path, { body }).then((r) => r.body);
export const del = (path) => call('DELETE', path).then((r) => r.body);

/** A query string from the defined, non-empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** "12.5%" from a rate between 0 and 1. */
export function percent(rate) {
  const value = Math.round(Number(rate || 0) * 1000) / 10;
  return `${value}%`;
}

/** The media type of an import file, from its name (browsers often leave File.type empty for CSV). */
export function importTypeOf(fileName) {
  const name = String(fileName || '').toLowerCase();
  if (name.endsWith('.csv')) return 'text/csv';
  if (name.endsWith('.xlsx')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (name.endsWith('.json')) return 'application/json';
  return undefined;
}

/** "1–50 of 120" for a page. */
export function pageLabel(offset, count, total) {
  if (total === 0) return 'No users';
  return `${offset + 1}–${offset + count} of ${total}`;
}

/** A date and time in the reader's locale; empty for none. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}
