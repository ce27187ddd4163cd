// apps.js: the app registry, registrations and attribution by URL and stack
// (ported from agent-wasm/src/attribute.rs and config.rs' AppOptions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApps, callerPrefix } from '../agent/apps.js';
import { scrubUrl } from '../agent/scrub.js';
import { parseStack } from '../stack.js';
import { MAX_APPS_PER_BEACON } from '../agent/fields.js';

const app = (name, version, prefix, more = {}) => ({ name, version, assetPrefixes: prefix ? [prefix] : [], ...more });

function registry() {
  const apps = createApps('shell', scrubUrl);
  apps.register(app('catalog', '1.0.0', 'https://cdn.example/mfe/'));
  apps.register(app('cart', '2.1.0', 'https://cdn.example/mfe/cart/'));
  return apps;
}

test('longest prefix wins', () => {
  const apps = registry();
  assert.equal(apps.nameOf(apps.ownerOfUrl('https://cdn.example/mfe/cart/main.js')), 'cart');
  assert.equal(apps.nameOf(apps.ownerOfUrl('https://cdn.example/mfe/catalog/main.js')), 'catalog');
  assert.equal(apps.ownerOfUrl('https://elsewhere.example/a.js'), -1);
  assert.deepEqual([apps.indexOf('shell'), apps.indexOf('catalog'), apps.indexOf('cart'), apps.indexOf('nope')], [0, 1, 2, -1]);
});

test('the later of two equal prefixes wins', () => {
  const apps = registry();
  apps.register(app('cart-v2', '3.0.0', 'https://cdn.example/mfe/cart/'));
  assert.equal(apps.nameOf(apps.ownerOfUrl('https://cdn.example/mfe/cart/main.js')), 'cart-v2');
});

test('re-registering replaces instead of duplicating', () => {
  const apps = registry();
  assert.equal(apps.register(app('cart', '2.2.0', '')).index, 2);
  const infos = apps.infos();
  assert.equal(infos.length, 2);
  assert.equal(infos[1].version, '2.2.0');
  assert.equal(apps.nameOf(apps.ownerOfUrl('https://cdn.example/mfe/cart/main.js')), 'catalog');
});

test('a beacon lists no more apps than the server takes', () => {
  const apps = registry();
  for (let n = 0; n < MAX_APPS_PER_BEACON; n++) apps.register(app(`extra-${n}`, '1', ''));
  const infos = apps.infos();
  assert.equal(infos.length, MAX_APPS_PER_BEACON);
  assert.equal(infos[0].name, 'catalog');
});

test('errors fall back to stack frames, then the shell', () => {
  const apps = registry();
  const cart = apps.indexOf('cart'), catalog = apps.indexOf('catalog');
  const chrome = parseStack('TypeError: x is undefined\n    at render (https://cdn.example/mfe/cart/main.js:10:5)\n    at https://shell.example/app.js:1:1');
  assert.equal(apps.ownerOfError('', chrome), cart);
  const firefox = parseStack('render@https://elsewhere.example/lib.js:3:9\nmount@https://cdn.example/mfe/c.js:1:2');
  assert.equal(apps.ownerOfError('', firefox), catalog);
  assert.equal(apps.ownerOfError('https://cdn.example/mfe/cart/x.js', firefox), cart);
  assert.equal(apps.ownerOfError('', parseStack('no urls here')), 0);
  assert.equal(apps.claimantOfError('', parseStack('no urls here')), -1);
  assert.equal(apps.claimantOfError('', firefox), catalog);
});

test("the caller's prefix is its bundle's directory", () => {
  const stack = 'Error\n    at mount (http://127.0.0.1:8080/mfe/cart/index.js:120:12)\n    at main (x)';
  assert.deepEqual(callerPrefix(parseStack(stack), scrubUrl), ['http://127.0.0.1:8080/mfe/cart/']);
  assert.deepEqual(callerPrefix(parseStack('f@[native code]'), scrubUrl), []);
});

test("asset prefixes default to the calling bundle's directory", () => {
  const apps = createApps('shell', scrubUrl);
  const stack = 'Error\n    at registerApp (https://cdn.example/cart/v2/main.js?x=1:9:9)';
  const { index } = apps.register({ name: 'cart', stack });
  assert.equal(apps.ownerOfUrl('https://cdn.example/cart/v2/chunk.js'), index);
  assert.equal(apps.ownerOfUrl('https://cdn.example/cart/v1/chunk.js'), -1);
  apps.register({ name: 'cart', assetPrefixes: ['https://cdn.example/other/'], stack });
  assert.equal(apps.ownerOfUrl('https://cdn.example/cart/v2/chunk.js'), -1, 'given prefixes win over the stack');
});

test('a registration gives its event in wire shape, empty parts left out', () => {
  const apps = createApps('shell', scrubUrl);
  assert.deepEqual(apps.register({ name: 'cart' }), { index: 1, event: { kind: 'app', phase: 'registered', detail: '' } });
  const declared = apps.register({
    name: 'catalog', healthCheck: 'https://cdn.example/health', dependencies: ['cart'], rules: [{ metric: 'lcp' }], sampleRate: 0.5, attributes: { team: 'x', n: 1 },
  });
  assert.deepEqual(declared, {
    index: 2,
    event: { kind: 'app', phase: 'registered', detail: '', health_check: 'https://cdn.example/health', dependencies: ['cart'], declared_rules: '[{"metric":"lcp"}]' },
  });
  assert.deepEqual(apps.infos(), [{ name: 'cart', version: '' }, { name: 'catalog', version: '', sample_rate: 0.5, attrs: { team: 'x', n: '1' } }]);
  assert.deepEqual([apps.sampleRate(0), apps.sampleRate(1), apps.sampleRate(2), apps.sampleRate(9)], [1, 1, 0.5, 1]);
});

test('bad registrations are named in the error', () => {
  const apps = createApps('shell', scrubUrl);
  const error = (more) => apps.register({ ...app('cart', '1', 'https://cdn.example/cart/'), healthCheck: 'https://cdn.example/cart/health', dependencies: ['catalog'], ...more }).error;
  assert.equal(error({}), undefined);
  assert.equal(apps.register(null).error, 'registerApp: the app must be an object');
  assert.equal(apps.register({}).error, 'registerApp: missing field `name`');
  assert.equal(error({ name: 'cart app!' }), `registerApp: app name may hold only letters, digits, '-', '_' and '.', got "cart app!"`);
  assert.equal(error({ version: 'é'.repeat(33) }), 'registerApp: version is longer than 64 characters');
  assert.equal(error({ version: 'v'.repeat(64) }), undefined);
  assert.equal(error({ assetPrefixes: ['/cart/'] }), 'registerApp: assetPrefixes must be absolute URLs, got "/cart/"');
  assert.equal(error({ healthCheck: '/health' }), 'registerApp: healthCheck must be an absolute http(s) URL, got "/health"');
  assert.equal(error({ dependencies: ['ok', 'no way'] }), `registerApp: dependencies: app name may hold only letters, digits, '-', '_' and '.', got "no way"`);
  assert.equal(error({ sampleRate: 2 }), 'registerApp: sampleRate must be a number from 0 to 1');
  assert.equal(error({ rules: {} }), 'registerApp: rules must be an array');
  assert.equal(error({ name: 'no way', version: 'v'.repeat(65) }), `registerApp: app name may hold only letters, digits, '-', '_' and '.', got "no way"`, 'the name first');
  assert.deepEqual(apps.infos().map((info) => info.name), ['cart'], 'a refused registration changes nothing');
});

test('the shell is app 0, listed only once it registers itself', () => {
  const apps = createApps('host', scrubUrl);
  assert.deepEqual([apps.indexOf('host'), apps.nameOf(0), apps.infos()], [0, 'host', []]);
  apps.register(app('cart', '1', 'https://cdn.example/cart/'));
  assert.deepEqual(apps.register(app('host', '9', 'https://cdn.example/')).index, 0);
  assert.deepEqual(apps.infos().map((info) => [info.name, info.version]), [['cart', '1'], ['host', '9']], 'in registration order');
  assert.equal(apps.ownerOfUrl('https://cdn.example/x.js'), 0);
  assert.equal(apps.ownerOfUrl('https://cdn.example/cart/x.js'), 1);
});

test('ensure registers a bare app once, for a failure before its code could register', () => {
  const apps = createApps('shell', scrubUrl);
  assert.deepEqual(apps.ensure('shell'), { index: 0, event: null });
  assert.deepEqual(apps.ensure('cart'), { index: 1, event: { kind: 'app', phase: 'registered', detail: '' } });
  assert.deepEqual(apps.ensure('cart'), { index: 1, event: null });
  apps.register(app('catalog', '2', ''));
  assert.deepEqual(apps.ensure('catalog'), { index: 2, event: null });
  assert.equal(apps.ensure('no way').error, `appFailed: app name may hold only letters, digits, '-', '_' and '.', got "no way"`);
  assert.deepEqual(apps.infos(), [{ name: 'cart', version: '' }, { name: 'catalog', version: '2' }]);
});
