// Handled errors and API calls with two apps on a page (issue 16): cart's
// failing calls (500/503 and a network error) and its captureError are
// cart's; catalog's succeeding calls count in catalog's summary only; a
// traceparent goes only to the configured origin and never replaces the
// page's own; the agent's own beacon fetches are not recorded; a reused
// XMLHttpRequest counts once a request; and every call gives the page what
// it would have without the agent, down to an unhandled rejection.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { startPageServer } from './page-server.mjs';
import { CHROMIUM_ARGS, KEY, eventually, startStack } from './stack.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const HERE = new URL('agent/', import.meta.url).pathname;
const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/;

async function buildApps(dir) {
  for (const app of ['cart', 'catalog']) {
    await build({
      entryPoints: [join(HERE, 'api-mfe.js')],
      outfile: join(dir, app, 'main.js'),
      absWorkingDir: ROOT,
      bundle: true,
      format: 'esm',
      define: { __APP__: JSON.stringify(app) },
      // This checkout's package, whatever node_modules links to.
      alias: { '@canopy/agent': join(ROOT, 'npm-package/index.js') },
      logLevel: 'error',
    });
  }
}

test('failed API calls, summaries and handled errors land on the app that made them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await buildApps(dir);
  // The API: /api/cart* fail (cross-origin for the page, CORS allowing the
  // headers), /api/catalog succeeds. Every request's headers are kept.
  const requests = [];
  const api = async (request, response, url) => {
    const pageOrigin = `http://127.0.0.1:${request.socket.localPort}`;
    response.setHeader('access-control-allow-origin', pageOrigin);
    response.setHeader('access-control-allow-headers', 'traceparent, x-cart, x-catalog');
    response.setHeader('access-control-allow-methods', 'GET, POST, PUT');
    if (request.method === 'OPTIONS') return response.end();
    requests.push({ path: url.pathname, host: request.headers.host, headers: request.headers });
    response.writeHead(url.pathname === '/api/cart' ? 500 : url.pathname === '/api/cart-xhr' ? 503 : 200);
    response.end('{}');
  };
  const server = await startPageServer({
    mounts: [['/pages/', HERE], ['/agent/', join(ROOT, 'npm-package/')], ['/mfe/', dir]],
    routes: [['/api/', api]],
  });
  t.after(() => server.close());
  // The same server under another name: another origin for the page.
  const apiOrigin = server.origin.replace('127.0.0.1', 'localhost');
  const stack = await startStack(t, { origins: [server.origin], demo: false });
  const page = await stack.browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // A browser that refuses every sendBeacon (its keepalive budget spent):
  // the agent sends by fetch, through the page's wrapped fetch.
  await page.addInitScript(() => {
    navigator.sendBeacon = () => false;
  });
  // The endpoint and the traced origin as people write them, not as `URL`
  // does: the beacons are still the agent's own, the origin still traced.
  const query = new URLSearchParams({
    endpoint: `${stack.ingestUrl.replace('127.0.0.1', 'LOCALHOST')}/`,
    key: KEY,
    target: apiOrigin.replace('http://localhost', 'HTTP://LocalHost'),
  });
  await page.goto(`${server.origin}/pages/api.html?${query}`);
  await page.waitForSelector('html[data-agent="ready"]');
  await page.waitForFunction(() => window.cart && window.catalog);

  const seen = await page.evaluate((origin) => window.cart.fail(origin), apiOrigin);
  assert.deepEqual(seen, [500, 500, 'TypeError', 503], 'the page sees what the calls gave');
  assert.deepEqual(await page.evaluate((origin) => window.catalog.succeed(origin), apiOrigin),
    [200, 200, 0, 'AbortError', 200, 200, 200]);
  await page.evaluate(() => window.flushAgent());
  await page.waitForFunction(() => performance.getEntriesByType('resource')
    .some((e) => e.initiatorType === 'fetch' && e.name.includes('/v1/beacon')), null, { timeout: 15_000 });
  await page.goto('about:blank');

  // traceparent: added for the API origin (alongside the page's headers),
  // the page's own kept, none for the same-origin catalog calls.
  const cart = requests.filter((r) => r.path.startsWith('/api/cart'));
  assert.equal(cart.length, 3);
  const [byRequest, ownHeader, byXhr] = cart;
  assert.equal(byRequest.headers['x-cart'], 'request');
  assert.match(byRequest.headers.traceparent, TRACEPARENT);
  assert.equal(ownHeader.headers.traceparent, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, 'the page\'s own is kept');
  assert.equal(byXhr.headers['x-cart'], 'xhr');
  assert.match(byXhr.headers.traceparent, TRACEPARENT);
  const catalog = requests.filter((r) => r.path === '/api/catalog');
  assert.ok(catalog.length >= 3 && catalog.every((r) => !r.headers.traceparent),
    'no traceparent to other origins, nor where no-cors forbids the header');
  assert.ok(catalog.some((r) => r.headers['x-catalog'] === '1'), 'Headers objects pass through');

  const failures = await eventually('cart\'s four failed calls', async () => {
    const rows = await stack.query('SELECT app, method, url, status, message, trace_id, duration FROM api_failures ORDER BY url, status');
    return rows.length >= 4 && rows;
  });
  assert.ok(failures.every((f) => f.app === 'cart'), JSON.stringify(failures));
  const byUrl = (url, status) => failures.find((f) => f.url === url && f.status === status);
  const traced = byUrl(`${apiOrigin}/api/cart`, 500 /* the Request; its query scrubbed */);
  assert.ok(traced && failures.filter((f) => f.url === `${apiOrigin}/api/cart`).length === 2, JSON.stringify(failures));
  assert.deepEqual(
    failures.filter((f) => f.url === `${apiOrigin}/api/cart`).map((f) => f.trace_id).sort(),
    ['', TRACEPARENT.exec(byRequest.headers.traceparent)[1]].sort(),
    'the injected trace id is stored; the page\'s own traceparent is not the agent\'s',
  );
  const down = byUrl('http://127.0.0.1:9/down', 0);
  assert.ok(down && down.message.length > 0 && down.method === 'GET', JSON.stringify(failures));
  const xhrFailure = byUrl(`${apiOrigin}/api/cart-xhr`, 503);
  assert.equal(xhrFailure.method, 'PUT');
  assert.equal(xhrFailure.trace_id, TRACEPARENT.exec(byXhr.headers.traceparent)[1]);
  assert.ok(!failures.some((f) => f.url.includes('/v1/beacon')));

  // A batch's tables are inserted side by side: the summaries may land after the failures.
  const summaries = await eventually('both apps\' summaries', async () => {
    const rows = await stack.query('SELECT app, sum(calls) AS calls, sum(failed) AS failed FROM api_summaries GROUP BY app ORDER BY app');
    const calls = (app) => rows.find((r) => r.app === app)?.calls ?? 0;
    return calls('cart') >= 4 && calls('catalog') >= 3 && rows;
  });
  assert.deepEqual(summaries, [
    { app: 'cart', calls: 4, failed: 4 },
    { app: 'catalog', calls: 6, failed: 0 },
  ], 'the aborted calls and the agent\'s own beacons are not counted, a reused XHR once a request; ' +
    'an opaque answer is no failure');

  const handled = await eventually('cart\'s handled errors', async () => {
    const rows = await stack.query("SELECT app, error_type, message, level, attrs, frames.file[1] AS top FROM errors WHERE source = 'handled' ORDER BY message");
    return rows.length >= 2 && rows;
  });
  assert.deepEqual(handled.map(({ app, error_type, message, level, attrs }) => ({ app, error_type, message, level, attrs })), [
    { app: 'cart', error_type: 'String', message: 'not an Error', level: 'error', attrs: {} },
    { app: 'cart', error_type: 'RangeError', message: 'payment declined', level: 'error', attrs: { order: '42', retry: 'true' } },
  ]);
  assert.match(handled[1].top, /\/mfe\/cart\/main\.js$/);
  assert.deepEqual(pageErrors, [], 'the agent threw nothing into the page');
});

/** What an `unhandledrejection` listener sees of a failed fetch the page never awaits. */
const unawaitedFailure = (page) => page.evaluate(() => new Promise((resolve) => {
  addEventListener('unhandledrejection', (event) => {
    event.preventDefault(); // seen here; no console error
    resolve(event.reason?.name);
  }, { once: true });
  setTimeout(() => resolve('no unhandledrejection'), 10_000); // a bound, not a wait
  fetch('http://127.0.0.1:9/unawaited');
}));

test('a failed fetch the page never awaits is an unhandled rejection, with the agent as without', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await buildApps(dir);
  const server = await startPageServer({
    mounts: [['/pages/', HERE], ['/agent/', join(ROOT, 'npm-package/')], ['/mfe/', dir]],
  });
  t.after(() => server.close());
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage();

  await page.goto('about:blank');
  assert.equal(await unawaitedFailure(page), 'TypeError', 'without the agent');
  // Nothing listens at the endpoint: the page's calls are all that matter here.
  const query = new URLSearchParams({ endpoint: 'http://127.0.0.1:9', key: KEY, target: server.origin });
  await page.goto(`${server.origin}/pages/api.html?${query}`);
  await page.waitForSelector('html[data-agent="ready"]');
  assert.equal(await unawaitedFailure(page), 'TypeError', 'with the agent');
});
