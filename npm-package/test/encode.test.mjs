// encode.js: every event kind json/tests.rs writes, as the wire names and
// leaves out its fields; beforeSend as privacy.rs runs it; the envelope and
// the body canopy_wire::assemble makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  vitalEvent, navigationEvent, resourceEvent, resourceSummaryEvent, longFrameEvent, apiSummaryEvent,
  withCount, encodeEvent, envelope, assemble, whole, VITAL_NAMES, RATINGS,
} from '../agent/encode.js';

const AT = 1_732_000_000_123.4;
const encoded = (event, beforeSend) => encodeEvent('cart', AT, event, beforeSend);
const decoded = (event) => JSON.parse(encoded(event));
const error = (changes) => ({
  kind: 'error', source: 'handled', error_type: 'TypeError', message: 'x', stack: '', url: '', line: 0, column: 0, frames: [], ...changes,
});

test('vitals: rating and attribution only when known', () => {
  assert.deepEqual(decoded(vitalEvent('cls', 0.0123456789)), { app: 'cart', at: AT, kind: 'vital', name: 'cls', value: 0.0123456789 });
  const script = { url: '', function: '', invoker: 'Window.setTimeout', duration: 61 };
  const lcp = vitalEvent('lcp', 2612.5, 'needs-improvement', 'div#grid>img.hero', 'https://cdn.example/hero.jpg', 'keydown', 'catalog', true,
    { ttfb: 80.5, render_delay: 2532 }, [script]);
  assert.deepEqual(decoded(lcp), {
    app: 'cart', at: AT, kind: 'vital', name: 'lcp', value: 2612.5, rating: 'needs-improvement', target: 'div#grid>img.hero',
    resource: 'https://cdn.example/hero.jpg', event_type: 'keydown', owner: 'catalog', restored: true,
    parts: { ttfb: 80.5, render_delay: 2532 }, scripts: [{ url: '', invoker: 'Window.setTimeout', duration: 61 }],
  });
  const bare = vitalEvent('ttfb', 250, 'good', '', '', '', '', false, {}, []);
  assert.deepEqual(decoded(bare), { app: 'cart', at: AT, kind: 'vital', name: 'ttfb', value: 250, rating: 'good' });
  assert.equal(encoded(vitalEvent('fcp', 9, '', '', '', '', undefined)), encoded(vitalEvent('fcp', 9)), 'no owner: -1 on the wasm side');
});

test("vital names and ratings by number: the wire's variants in its order, as serde names them", () => {
  const wire = readFileSync(new URL('../../wire/src/lib.rs', import.meta.url), 'utf8');
  const variants = (name) => wire.split(`pub enum ${name} {`)[1].split('}')[0].match(/\w+/g);
  assert.deepEqual(VITAL_NAMES, variants('VitalName').map((variant) => variant.toLowerCase()));
  assert.deepEqual(RATINGS, variants('Rating').map((variant) => variant.replace(/(?<=.)[A-Z]/g, '-$&').toLowerCase()));
});

test('navigation, resources, long frames and API summaries: numbers as the wire types them', () => {
  assert.deepEqual(decoded(navigationEvent('back_forward', 0, 12.5, 7.300000000000182, 80.1, 3, 140.7, 812.9, 1204.4, 18732)), {
    app: 'cart', at: AT, kind: 'navigation', nav_type: 'back_forward', dns: 0, tcp: 12.5, tls: 7.300000000000182, ttfb: 80.1,
    download: 3, dom_parse: 140.7, dom_ready: 812.9, load: 1204.4, transfer_size: 18732,
  });
  assert.deepEqual(decoded(resourceEvent('https://cdn.example/mfe/cart/main.js', 'script', 41.89999999, 0, true)), {
    app: 'cart', at: AT, kind: 'resource', url: 'https://cdn.example/mfe/cart/main.js', initiator: 'script', duration: 41.89999999,
    transfer_size: 0, cache_hit: true,
  });
  assert.equal('cache_hit' in decoded(resourceEvent('https://api.example/items', 'fetch', 12, 300, false)), false);
  assert.deepEqual(decoded(resourceSummaryEvent(1, 1048576, 7, 9001.25)), {
    app: 'cart', at: AT, kind: 'resource_summary', count: 1, transfer_size: 1048576, cache_hits: 7, duration: 9001.25,
  });
  const frame = longFrameEvent(183, 120.5, [{ url: 'https://cdn.example/mfe/cart/main.js', function: 'onClick', invoker: 'BUTTON#buy.onclick', duration: 150.25 }]);
  assert.deepEqual(decoded(frame).scripts, [{ url: 'https://cdn.example/mfe/cart/main.js', function: 'onClick', invoker: 'BUTTON#buy.onclick', duration: 150.25 }]);
  assert.deepEqual(decoded(longFrameEvent(60, 10, [])), { app: 'cart', at: AT, kind: 'long_frame', duration: 60, blocking: 10 });
  assert.deepEqual(decoded(apiSummaryEvent(7, 2, 311.75)), { app: 'cart', at: AT, kind: 'api_summary', calls: 7, failed: 2, duration: 311.75 });
  // Unsigned fields are whole numbers, saturated as Rust's `as` does; floats that JSON cannot hold are null.
  assert.deepEqual([whole(NaN), whole(-4), whole(2.9), whole(2 ** 40, 4294967295), whole('7')], [0, 0, 2, 4294967295, 0]);
  assert.equal(encoded(resourceSummaryEvent(2.5, -1, NaN, Infinity)).endsWith('"count":2,"transfer_size":0,"cache_hits":0,"duration":null}'), true);
});

test('errors leave out no frames, a count of 1, level error and no attributes', () => {
  assert.deepEqual(decoded(error({ source: 'resource_load', error_type: 'img', url: 'https://x.example/a.png', count: 1, level: 'error', attrs: undefined })), {
    app: 'cart', at: AT, kind: 'error', source: 'resource_load', error_type: 'img', message: 'x', stack: '', url: 'https://x.example/a.png', line: 0, column: 0,
  });
  const frames = [{ function: 'f', file: 'https://x/a.js', line: 1, column: 2 }, { function: '', file: '<anonymous>', line: 0, column: 0 }];
  const message = 'say "hi"\\ \u0001\u001f\u007f é ✓ 🌲 \u2028';
  const repeated = withCount(error({ source: 'rejection', message, stack: 'TypeError: x\n at f', url: 'https://x/a.js', line: 4294967295, column: 17, frames }), 3);
  assert.deepEqual(decoded(repeated), {
    app: 'cart', at: AT, kind: 'error', source: 'rejection', error_type: 'TypeError', message, stack: '', url: 'https://x/a.js',
    line: 4294967295, column: 17, frames: [{ function: 'f', file: 'https://x/a.js', line: 1, column: 2 }, { file: '<anonymous>', line: 0, column: 0 }], count: 3,
  });
  const warning = decoded(error({ source: 'message', error_type: 'Message', message: 'low stock', level: 'warning', attrs: { order: '42', 'é"': '✓' } }));
  assert.deepEqual([warning.level, warning.attrs], ['warning', { order: '42', 'é"': '✓' }]);
  assert.equal(decoded(error({ level: 'fatal' })).level, 'fatal');
  assert.equal('count' in decoded(withCount(error(), 1)), false);
});

test('API calls, app lifecycle, metrics and custom events', () => {
  const call = { kind: 'api_call', method: 'POST', url: 'https://api.example/cart', status: 503, duration: 41.299999, message: '', trace_id: '' };
  const { trace_id: _, ...untraced } = call;
  assert.deepEqual(decoded(call), { app: 'cart', at: AT, ...untraced });
  assert.equal(decoded({ ...call, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }).trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.deepEqual(decoded({ kind: 'app', phase: 'failed', detail: 'mount threw' }), { app: 'cart', at: AT, kind: 'app', phase: 'failed', detail: 'mount threw' });
  const rules = '[{"metric":"lcp","above":2500}]' + ' '.repeat(3000);
  const registered = { kind: 'app', phase: 'registered', detail: '', health_check: '', dependencies: [], declared_rules: rules };
  assert.deepEqual(decoded(registered), { app: 'cart', at: AT, kind: 'app', phase: 'registered', detail: '', declared_rules: rules });
  assert.deepEqual(decoded({ kind: 'metric', name: 'cart.total', value: 129.95, attrs: { currency: 'EUR' } }).attrs, { currency: 'EUR' });
  assert.deepEqual(decoded({ kind: 'custom', name: 'checkout', attrs: {} }), { app: 'cart', at: AT, kind: 'custom', name: 'checkout' });
});

test('every string is cut to its limit; attribute values that look like defaults stay', () => {
  const long = 'é'.repeat(5000);
  const event = decoded(error({ message: long, stack: long, frames: [{ function: long, file: long, line: 1, column: 1 }], attrs: { [long]: long, level: 'error', empty: '' } }));
  const bytes = (text) => Buffer.byteLength(text);
  assert.deepEqual([bytes(event.message), bytes(event.stack), bytes(event.frames[0].function), bytes(event.frames[0].file)], [2047, 8191, 2047, 2047]);
  assert.deepEqual(Object.entries(event.attrs).map(([key, value]) => [bytes(key), bytes(value)]), [[63, 255], [5, 5], [5, 0]]);
  assert.equal(bytes(decoded({ ...error(), kind: 'api_call', method: 'M'.repeat(40) }).method), 16);
  assert.equal(bytes(decoded(vitalEvent('inp', 1, 'good', long)).target), 2047);
});

test('beforeSend gets a copy: null drops, undefined keeps its changes, a throw or a non-object sends it unchanged', () => {
  const event = { kind: 'custom', name: 'checkout' };
  const plain = encoded(event);
  let seen;
  assert.equal(encoded(event, (copy) => { seen = copy; copy.name = 'changed'; }), plain.replace('checkout', 'changed'));
  assert.notEqual(seen, event);
  assert.equal(event.name, 'checkout', 'the event itself is untouched');
  assert.equal(encoded(event, () => null), null);
  assert.equal(encoded(event, () => ({ replaced: true })), '{"replaced":true}');
  assert.equal(encoded(event, () => { throw new Error('page bug'); }), plain);
  assert.equal(encoded(event, () => 'text'), plain);
  assert.equal(encoded(event, () => ({ toJSON: () => undefined })), plain);
  assert.equal(encoded(event, 'not a function'), plain);
});

test('the envelope ends with its empty events; assemble splices encoded events in', () => {
  const apps = [{ name: 'catalog', version: '2.3.1', sample_rate: 0.25, attrs: { tenant: 'eu' } }, { name: 'cart', version: '' }];
  const head = envelope({
    id: '00112233445566778899aabbccddeeff', sessionId: '0123456789abcdef0123456789abcdef', viewId: 'fedcba9876543210fedcba9876543210',
    pageUrl: 'https://shop.example/cart', sentAt: 1732000000999, apps, dropped: 12,
  });
  assert.equal(head, '{"schema":1,"id":"00112233445566778899aabbccddeeff","session_id":"0123456789abcdef0123456789abcdef",'
    + '"view_id":"fedcba9876543210fedcba9876543210","page_url":"https://shop.example/cart","sent_at":1732000000999,'
    + '"apps":[{"name":"catalog","version":"2.3.1","sample_rate":0.25,"attrs":{"tenant":"eu"}},{"name":"cart","version":""}],"dropped":12,"events":[]}');
  const bare = envelope({ sessionId: 's', viewId: 'v', pageUrl: 'https://shop.example/', sentAt: 2, apps: [], dropped: 0 });
  assert.equal(bare, '{"schema":1,"session_id":"s","view_id":"v","page_url":"https://shop.example/","sent_at":2,"apps":[],"events":[]}');
  const events = [encodeEvent('shell', 1, vitalEvent('lcp', 1)), encodeEvent('shell', 1, vitalEvent('lcp', 2))];
  const body = assemble(bare, events);
  assert.deepEqual(JSON.parse(body), { ...JSON.parse(bare), events: events.map((text) => JSON.parse(text)) });
  // The body's length is canopy_wire::body_len's: envelope + events + the commas between them.
  assert.equal(body.length, bare.length + events[0].length + events[1].length + 1);
  assert.equal(assemble(bare, []), bare);
  assert.equal(assemble('{"events":[],"x":1}', ['{}']), null);
  assert.equal(assemble(undefined, []), null);
});
