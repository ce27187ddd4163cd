// Session identity as text: the tab's session in sessionStorage (so reloads
// and route changes share it), random ids, and the sampling point of a
// session and app. When a session expires is the wasm's (numbers only).

import { byteLength, hash } from './fields.js';
import { whole } from './encode.js';

const SESSION_KEY = 'canopy.session';

/** The session sessionStorage holds (`{ id, started, lastActive }`, epoch ms), else a new one started at `now`; the caller decides whether it is still live. */
export function restoreSession(now) {
  try {
    const [id, started, lastActive] = String(sessionStorage.getItem(SESSION_KEY)).split(' ');
    // `id started last_active`, whole ms (what follows is ignored); anything else is garbage from elsewhere.
    const times = [started, lastActive].map((ms) => (/^\d+$/.test(ms) && +ms < 2 ** 64 ? +ms : NaN));
    if (id && byteLength(id) <= 64 && times.every((ms) => ms >= 0)) return { id, started: times[0], lastActive: times[1] };
  } catch {
    // no storage (privacy modes, sandboxed frames): each page has its own session
  }
  return { id: randomId(), started: now, lastActive: now };
}

/** Keeps `session` for the tab's next page as `id started last_active` (whole ms); storage may be missing or full. */
export function saveSession({ id, started, lastActive }) {
  try {
    sessionStorage.setItem(SESSION_KEY, `${id} ${whole(started)} ${whole(lastActive)}`);
  } catch {
    // as restoreSession: without storage each page has its own session
  }
}

/** `bytes` random bytes in hex: trace and span ids, and (16) the ids of sessions, views and beacons. */
export const randomHex = (bytes) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');

/** A random 128-bit id in 32 hex digits, for sessions, views and beacons: ids group events and tell a retried body from a new one. */
export const randomId = () => randomHex(16);

/** Where session `sessionId` falls for app `appName`, in [0, 1): the app reports from the session when it is below its sample rate, so the decision holds for the whole session on every page and differs between apps. */
export function samplePoint(sessionId, appName) {
  // The two hashed with a 0 between.
  return hash(sessionId + '\0' + appName) / 2 ** 32;
}
