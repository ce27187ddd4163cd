// Reads go through the server's JSON API (parameterised SQL on the server;
// nothing here builds queries). Tokens live in localStorage, never in URLs.
const READ_KEY = 'canopy.readToken';
const ADMIN_KEY = 'canopy.adminToken';

export const tokens = {
  read: () => localStorage.getItem(READ_KEY) || '',
  admin: () => localStorage.getItem(ADMIN_KEY) || '',
  setRead: (t) => localStorage.setItem(READ_KEY, t),
  setAdmin: (t) => localStorage.setItem(ADMIN_KEY, t),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
  }
}

async function call(path, { method = 'GET', token = tokens.read(), json } = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (json !== undefined) headers['content-type'] = 'application/json';
  const body = json === undefined ? undefined : JSON.stringify(json);
  const response = await fetch(path, { method, headers, body });
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

export function rangeQuery(seconds) {
  const to = Math.floor(Date.now() / 1000);
  return `from=${to - seconds}&to=${to}`;
}

export const api = {
  overview: (q) => call(`/api/dashboard/overview?${q}`),
  app: (app, part, q) => call(`/api/dashboard/apps/${encodeURIComponent(app)}/${part}?${q}`),
  errorGroup: (app, fingerprint, q) => call(`/api/dashboard/apps/${encodeURIComponent(app)}/errors/${encodeURIComponent(fingerprint)}?${q}`),
  alerts: (q) => call(`/api/alerts?${q}`),
  alertStats: (q = '') => call(`/api/alerts/stats?${q}`),
  change: (id, action) => call(`/api/alerts/${encodeURIComponent(id)}/${action}`, { method: 'POST', token: tokens.admin() }),
  silences: () => call('/api/silences'),
  createSilence: (silence) => call('/api/silences', { method: 'POST', token: tokens.admin(), json: silence }),
  expireSilence: (id) => call(`/api/silences/${encodeURIComponent(id)}`, { method: 'DELETE', token: tokens.admin() }),
};
