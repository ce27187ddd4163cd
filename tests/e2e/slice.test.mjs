// The end-to-end slice: a page of separately built micro-frontends ships
// vitals and errors through the ingest server into ClickHouse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startStack } from './stack.mjs';

const HUB = 'Symbol.for("canopy.agent.hub")';

async function openDemo(stack) {
  const page = await stack.browser.newPage();
  const firstBeacon = page.waitForRequest((request) => new URL(request.url()).pathname === '/v1/beacon', { timeout: 15_000 });
  await page.goto(stack.demoUrl);
  await page.waitForSelector('#cart-throw');
  await firstBeacon; // the agent is running and delivering
  return page;
}

test('vitals, errors and navigation land in ClickHouse under the app that caused them', async (t) => {
  const stack = await startStack(t);
  const page = await openDemo(stack);

  await page.click('#cart-throw');
  await page.click('#cart-reject');
  await page.click('#cart-broken-image');
  await page.click('#catalog-slow');
  await page.click('#catalog-shift');
  await page.waitForSelector('#catalog-app .banner'); // the late banner shifted the grid
  await page.waitForTimeout(300);
  await page.goto('about:blank'); // hiding the page finalises vitals and flushes

  const errors = await eventually('three cart errors', async () => {
    const rows = await stack.query("SELECT app, source, error_type, message, url FROM errors ORDER BY source");
    return rows.length >= 3 && rows;
  });
  assert.deepEqual(errors.map((e) => [e.app, e.source]), [['cart', 'error'], ['cart', 'rejection'], ['cart', 'resource_load']]);
  assert.equal(errors[0].message, 'Checkout failed: payment service unavailable');
  assert.match(errors[0].url, /^http:\/\/127\.0\.0\.1:\d+\/mfe\/cart\/1\.4\.0\/[^/]+\.js$/, "a chunk of the cart remote, on the CDN");
  assert.equal(errors[1].message, 'Coupon service timed out');
  assert.match(errors[2].url, /\/mfe\/cart\/1\.4\.0\/missing-badge\.png$/);

  const cls = await eventually('catalog CLS', async () => {
    const rows = await stack.query("SELECT app, value FROM vitals WHERE name = 'cls'");
    return rows.find((r) => r.app === 'catalog');
  });
  assert.ok(cls.value > 0, `CLS ${cls.value}`);

  const vitals = await stack.query('SELECT app, name, value FROM vitals');
  const lcp = vitals.find((v) => v.name === 'lcp');
  assert.ok(lcp && lcp.value > 0, `LCP ${JSON.stringify(lcp)}`);
  const inp = vitals.find((v) => v.name === 'inp' && v.app === 'catalog');
  assert.ok(inp && inp.value >= 300, `INP of the 300 ms sort: ${JSON.stringify(inp)}`);
  for (const name of ['fcp', 'ttfb']) {
    assert.ok(vitals.some((v) => v.name === name && v.app === 'shell'), `${name} for the shell`);
  }

  const [nav] = await stack.query('SELECT app, nav_type, ttfb, dom_ready, load FROM navigations');
  assert.equal(nav.app, 'shell');
  assert.equal(nav.nav_type, 'navigate');
  assert.ok(nav.load >= nav.dom_ready && nav.dom_ready > 0, JSON.stringify(nav));

  const registered = await stack.query("SELECT DISTINCT app, app_version FROM app_events WHERE phase = 'registered' ORDER BY app");
  assert.deepEqual(registered, [
    { app: 'cart', app_version: '1.4.0' },
    { app: 'catalog', app_version: '2.3.1' },
    { app: 'shell', app_version: '1.0.0' },
  ]);

  // Custom metrics and events land on the app whose bundle pushed them.
  const [metric] = await stack.query("SELECT app, name, attrs['currency'] AS currency, value FROM custom_metrics");
  assert.deepEqual([metric.app, metric.name, metric.currency], ['cart', 'cart_render_ms', 'EUR']);
  assert.ok(metric.value >= 0);
  const [custom] = await stack.query("SELECT app, name, attrs['items'] AS items FROM custom_events");
  assert.deepEqual(custom, { app: 'cart', name: 'cart_viewed', items: '2' });

  const resources = await stack.query("SELECT app, count() AS n FROM resources WHERE url LIKE '%.js' GROUP BY app ORDER BY app");
  assert.deepEqual(resources.map((r) => r.app), ['cart', 'catalog', 'shell']);
});

test('bad calls to the JS API warn instead of throwing, and one agent serves every bundle', async (t) => {
  const stack = await startStack(t);
  const page = await openDemo(stack);
  const warnings = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));

  const results = await page.evaluate(`(async () => {
    const hub = globalThis[${HUB}];
    return {
      badName: hub.registerApp({ name: 'not a name' }),
      missingName: hub.registerApp({ version: '1' }),
      secondInit: await hub.init({ endpoint: 'http://127.0.0.1:1' }),
    };
  })()`);
  assert.deepEqual(results, { badName: false, missingName: false, secondInit: true });
  assert.ok(warnings.some((w) => w.includes('registerApp') && w.includes('not a name')), warnings.join('\n'));
  assert.ok(warnings.some((w) => w.includes('already running')), warnings.join('\n'));

  // Three bundles each imported the package: one wasm instance was fetched.
  const wasmFetches = await page.evaluate(() =>
    performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length);
  assert.equal(wasmFetches, 1);
});

test('a lost deploy of cart (its remoteEntry.js answers 404) is a failed load of cart and of nothing else', async (t) => {
  const stack = await startStack(t);
  await stack.setFaults({ cart_deploy: 1 });
  const page = await stack.browser.newPage();
  await page.goto(stack.demoUrl);
  await page.waitForSelector('#cart-app .failed');
  await page.waitForSelector('#catalog-shift');
  await page.goto('about:blank');

  const failed = await eventually('the failed load of cart', async () => {
    const rows = await stack.query("SELECT app, detail FROM app_events WHERE phase = 'failed'");
    return rows.length > 0 && rows;
  });
  assert.deepEqual(failed.map((r) => r.app), ['cart'], JSON.stringify(failed));
  assert.match(failed[0].detail, /remoteEntry\.js/, 'the runtime plugin passes the runtime\'s error');
  const phases = await stack.query("SELECT app, groupArray(phase) AS phases FROM (SELECT app, phase FROM app_events ORDER BY app, phase) GROUP BY app ORDER BY app");
  assert.deepEqual(phases, [
    { app: 'cart', phases: ['failed', 'registered'] }, // registered by the failure: an attempted load
    { app: 'catalog', phases: ['mounted', 'registered'] },
    { app: 'shell', phases: ['registered'] },
  ]);
});
