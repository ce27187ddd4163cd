// custom.js: pushMetric / pushEvent (lib.rs custom_name, limits'
// check_metric_name) and recordApiCall (capture.rs api_call).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { readMetric, readCustomEvent, readApiCall } from '../agent/custom.js';

const caller = 'Error\n    at buy (https://cdn.example/cart/main.js:3:4)';
// cart (1) owns its CDN folder; the shell (0) the rest.
const apps = { ownerOfError: (url, frames) => (frames.some((frame) => frame.file.startsWith('https://cdn.example/cart/')) ? 1 : 0) };
const ctx = { apps, scrub: (url) => 'S:' + url.split('?')[0], now: () => 1000 };

test('metric and event names follow the app-name rule, checked first', () => {
  assert.deepEqual(readMetric(null), { error: 'the metric must be an object' });
  assert.deepEqual(readCustomEvent([]), { error: 'missing field `name`' });
  assert.deepEqual(readMetric({ name: 7 }), { error: 'name must be a string' });
  assert.deepEqual(readMetric({ name: '', value: 'x' }), { error: 'name must be 1 to 64 characters, got ""' });
  assert.deepEqual(readMetric({ name: 'a'.repeat(65) }), { error: `name must be 1 to 64 characters, got "${'a'.repeat(65)}"` });
  assert.deepEqual(readCustomEvent({ name: 'coupon applied' }), {
    error: 'name may hold only letters, digits, \'-\', \'_\' and \'.\', got "coupon applied"',
  });
  assert.deepEqual(readMetric({ name: 'cart.total' }), { error: 'value must be a finite number' });
  assert.deepEqual(readMetric({ name: 'cart.total', value: Infinity }), { error: 'value must be a finite number' });
  assert.deepEqual(readMetric({ name: 'm', value: 1, attrs: 'x' }), { error: 'attrs must be an object' });
  assert.deepEqual(readCustomEvent({ name: 'e', attrs: { a: {} } }), { error: 'attrs.a must be a string, number or boolean' });
  assert.deepEqual(readCustomEvent({ name: 'e', stack: 1 }), { error: 'stack must be a string' });
});

test('a metric and an event, with their attributes as text and the stack that attributes them', () => {
  assert.deepEqual(readMetric({ name: 'cart.total', value: 129.95, attrs: { currency: 'EUR', paid: true, n: 2 }, stack: caller }), {
    stack: caller,
    event: { kind: 'metric', name: 'cart.total', value: 129.95, attrs: { currency: 'EUR', paid: 'true', n: '2' } },
  });
  const checkout = readCustomEvent({ name: 'checkout', attrs: null });
  assert.deepEqual(JSON.parse(JSON.stringify(checkout)), { stack: '', event: { kind: 'custom', name: 'checkout' } });
  // A `__proto__` attribute is a name like any other.
  const odd = readCustomEvent(JSON.parse('{"name":"e","attrs":{"__proto__":"x"}}'));
  assert.deepEqual(Object.keys(odd.event.attrs), ['__proto__']);
});

test('an API call: checked, cut, scrubbed, dated when it started and attributed by its caller', () => {
  const call = {
    method: 'post', url: 'https://api.example/cart?token=1', status: 503, duration: 41.5, message: '',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', caller, failed: true,
  };
  assert.deepEqual(readApiCall(call, ctx), {
    app: 1, duration: 41.5, failed: true, at: 958.5,
    event: {
      kind: 'api_call', method: 'post', url: 'S:https://api.example/cart', status: 503, duration: 41.5, message: '',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    },
  });
  const odd = readApiCall({ method: 'X'.repeat(20), url: 'u', status: 70000.5, duration: -3, message: 'é'.repeat(2000) }, ctx);
  assert.deepEqual([odd.event.method, odd.event.status, odd.duration, odd.at, odd.failed, odd.app], ['X'.repeat(13) + '…', 65535, 0, 1000, false, 0]);
  assert.equal(Buffer.byteLength(odd.event.message), 2047);
  assert.equal(readApiCall({ method: 'GET', url: 'u', status: -1, duration: 1 }, ctx).event.status, 0);
  assert.equal(readApiCall({ method: 'GET', url: 'u', status: 1.9, duration: 1 }, ctx).event.status, 1);
  assert.deepEqual(readApiCall('x', ctx), { error: 'the call must be an object' });
  assert.deepEqual(readApiCall({ method: 'GET' }, ctx), { error: 'missing field `url`' });
  assert.deepEqual(readApiCall({ method: 'GET', url: 'u', status: 200 }, ctx), { error: 'duration must be a finite number' });
  assert.deepEqual(readApiCall({ method: 'GET', url: 'u', status: 200, duration: 1, failed: 1 }, ctx), { error: 'failed must be true or false' });
});
