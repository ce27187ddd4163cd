// session.js: the stored session's text, random ids and the sampling point
// (ported from agent-wasm/src/session.rs; when a session expires stays in the wasm).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomId, restoreSession, samplePoint, saveSession } from '../agent/session.js';

/** A sessionStorage holding `items`; `fail` makes every call throw, as a sandboxed frame's does. */
function useStorage(items, fail = false) {
  const call = (action) => (...args) => {
    if (fail) throw new DOMException('denied', 'SecurityError');
    return action(...args);
  };
  globalThis.sessionStorage = {
    getItem: call((key) => (key in items ? items[key] : null)),
    setItem: call((key, value) => { items[key] = String(value); }),
  };
  return items;
}
afterEach(() => delete globalThis.sessionStorage);

test('stored sessions round trip in the text the wasm wrote', () => {
  const items = useStorage({});
  saveSession({ id: 's1', started: 1_700_000_000_000.7, lastActive: 1_700_000_100_000 });
  assert.equal(items['canopy.session'], 's1 1700000000000 1700000100000', 'whole ms');
  assert.deepEqual(restoreSession(5), { id: 's1', started: 1_700_000_000_000, lastActive: 1_700_000_100_000 });
  items['canopy.session'] = 'abc 1 2 and more';
  assert.deepEqual(restoreSession(5), { id: 'abc', started: 1, lastActive: 2 }, 'what follows is ignored, as the wasm did');
});

test('garbage is ignored: a new session starts now', () => {
  const items = useStorage({});
  for (const garbage of [undefined, '', 'abc', 'id x y', 'id 1', ' 1 2', 'id -1 2', 'id 1 2.5', 'id 1 +2', `${'x'.repeat(65)} 1 2`, 'id 1 99999999999999999999']) {
    if (garbage === undefined) delete items['canopy.session'];
    else items['canopy.session'] = garbage;
    const session = restoreSession(42);
    assert.deepEqual([session.started, session.lastActive], [42, 42], String(garbage));
    assert.match(session.id, /^[0-9a-f]{32}$/);
  }
  items['canopy.session'] = `${'x'.repeat(64)} 1 2`;
  assert.equal(restoreSession(42).started, 1, 'a 64-byte id is still an id');
});

test('storage that throws or is missing: a session of its own, and no exception', () => {
  useStorage({}, true);
  assert.equal(restoreSession(7).started, 7);
  assert.doesNotThrow(() => saveSession({ id: 'a', started: 1, lastActive: 2 }));
  delete globalThis.sessionStorage;
  assert.equal(restoreSession(8).started, 8);
  assert.doesNotThrow(() => saveSession({ id: 'a', started: NaN, lastActive: -5 }));
  const items = useStorage({});
  saveSession({ id: 'a', started: NaN, lastActive: -5 });
  assert.equal(items['canopy.session'], 'a 0 0', 'times the wasm could not write as whole ms are 0');
});

test('random ids are 32 hex digits and differ', () => {
  const ids = new Set(Array.from({ length: 100 }, randomId));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  const bytes = Object.getOwnPropertyDescriptor(crypto, 'getRandomValues');
  try {
    crypto.getRandomValues = (array) => array.fill(0);
    assert.equal(randomId(), '0'.repeat(32), 'small values are zero-padded');
    crypto.getRandomValues = (array) => array.fill(255);
    assert.equal(randomId(), 'f'.repeat(32));
  } finally {
    if (bytes) Object.defineProperty(crypto, 'getRandomValues', bytes);
    else delete crypto.getRandomValues;
  }
});

test('the sampling point is FNV-1a of both names, stable per session, and near the rate', () => {
  // FNV-1a 32 of the single byte 0 is 0x050c5d1f.
  assert.equal(samplePoint('', ''), 0x050c5d1f / 2 ** 32);
  // Values of the Rust is_sampled's hash (as Python computes FNV-1a over the same UTF-8 bytes).
  assert.equal(samplePoint('s', 'cart'), 0.9176269406452775);
  assert.equal(samplePoint('é', 'cart'), 0.37620315444655716);
  assert.equal(samplePoint('abc', 'cart'), samplePoint('abc', 'cart'));
  assert.notEqual(samplePoint('abc', 'cart'), samplePoint('abc', 'catalog'));
  assert.notEqual(samplePoint('ab', 'ccart'), samplePoint('abc', 'cart'), 'the 0 between keeps the names apart');
  const randomLike = (i) => (Math.imul(i, 2654435761 | 0) >>> 0).toString(16).padStart(8, '0');
  let kept = 0;
  for (let i = 0; i < 10_000; i++) {
    const point = samplePoint(randomLike(i), 'cart');
    assert.ok(point >= 0 && point < 1);
    if (point < 0.25) kept++;
  }
  assert.ok(kept >= 2200 && kept < 2800, `${kept} of 10000 at 0.25`);
});
