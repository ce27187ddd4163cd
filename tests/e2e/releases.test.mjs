// Errors a team can act on, end to end in Chromium with the demo's cart (a
// Preact remote): a component throwing while rendering is caught by cart's
// error boundary and reported with captureError (a handled error, counted);
// a failing fetch is a failed API call of cart; cart deployed as two
// versions, one per page load, shows side by side on the dashboard's
// versions view, and the worse, newer one fires a regression alert; the
// source maps uploaded with the CLI (after the errors arrived) resolve the
// error group's frames to cart's source. Saves a screenshot of both pages.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { eventually, startStack } from './stack.mjs';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const CART_DIST = new URL('../../www-demo/cart/dist/', import.meta.url).pathname;
const UPLOAD_TOKEN = 'e2e-sourcemaps-token-123';
const LOADS = 3;
const BOUNDARY_ERROR = 'Recommendation without a price: Moss lamp';

const config = `
[sourcemaps]
upload_token = "${UPLOAD_TOKEN}"
[alerting]
interval = "1s"
default_rules = false
[[alerting.rules]]
name = "cart-release-regression"
app = "cart"
metric = "error_rate"
compare = "previous_version"
ratio = 2.0
floor = 0.1
min_samples = ${LOADS}
severity = "warning"
`;

/** One view of the demo with cart at `version`: mounts, runs `act`, leaves (which flushes). */
async function pageLoad(stack, page, version, act = async () => {}) {
  await page.goto(`${stack.demoUrl}?cart=${version}`);
  await page.waitForSelector('#cart-prices');
  await act();
  await page.goto('about:blank');
}

/** The worse release: the recommendations component throws, the price API fails. */
async function breakCart(page) {
  await page.click('#cart-recommend');
  await page.waitForSelector('#cart-recommendations-fallback');
  await page.click('#cart-prices');
  await page.waitForSelector('#cart-prices-status:has-text("HTTP 503")');
}

async function uploadMaps(stack, version) {
  const { stdout } = await promisify(execFile)(process.env.CANOPY_INGEST_BIN, ['sourcemaps', 'upload', '--app', 'cart',
    '--version', version, '--server', stack.ingestUrl, '--token', UPLOAD_TOKEN, CART_DIST]);
  return stdout;
}

const versionsOf = async (stack) => (await (await fetch(`${stack.ingestUrl}/api/dashboard/apps/cart/versions`)).json()).versions;

test('cart’s handled errors and failed API calls, its versions side by side with a regression alert, and resolved frames', async (t) => {
  const stack = await startStack(t, { extraConfig: config });
  const demo = await stack.browser.newPage();
  for (let i = 0; i < LOADS; i += 1) await pageLoad(stack, demo, '1.4.0');
  for (let i = 0; i < LOADS; i += 1) await pageLoad(stack, demo, '1.4.1', () => breakCart(demo));

  // The boundary's error: cart's, handled, of the version that threw it.
  const handled = await eventually('the boundary’s errors', async () => {
    const rows = await stack.query("SELECT app, app_version, level, message, attrs['boundary'] AS boundary, sum(count) AS n FROM errors WHERE source = 'handled' GROUP BY ALL");
    return rows.length && rows[0].n >= LOADS && rows;
  }, 30);
  assert.deepEqual(handled, [{ app: 'cart', app_version: '1.4.1', level: 'error', message: BOUNDARY_ERROR, boundary: 'recommendations', n: LOADS }]);
  // The failing fetch: a failed API call of cart.
  const failures = await eventually('the failed API calls', async () => {
    const rows = await stack.query('SELECT app, app_version, method, status, url FROM api_failures');
    return rows.length >= LOADS && rows;
  }, 30);
  for (const f of failures) {
    assert.deepEqual([f.app, f.app_version, f.method, f.status], ['cart', '1.4.1', 'GET', 503]);
    assert.match(f.url, /\/api\/cart\/prices$/);
  }

  // Release health: both versions, each with its own numbers; handled errors count.
  // (A rollup's rows may show a moment after the raw rows they come from.)
  const versions = await eventually('both versions with every view, error and failed call', async () => {
    const list = await versionsOf(stack);
    return list.length === 2 && list.every((v) => v.views >= LOADS) && list[0].errors >= LOADS && list[0].api_failures >= LOADS && list;
  }, 30);
  assert.deepEqual(versions.map((v) => v.version), ['1.4.1', '1.4.0'], 'newest first');
  const [newer, older] = versions;
  assert.equal(newer.error_rate, 1, 'every 1.4.1 view had the boundary’s error');
  assert.equal(older.error_rate, 0);
  assert.equal(newer.api_failures, LOADS);
  assert.ok(newer.api_error_rate > 0, JSON.stringify(newer));
  assert.equal(older.api_failures, 0);

  // The regression rule compares the newest version with the previous one.
  const alert = await eventually('the regression alert', async () => {
    const { alerts } = await (await fetch(`${stack.ingestUrl}/api/alerts`)).json();
    return alerts.find((a) => a.rule === 'cart-release-regression' && a.status === 'firing');
  }, 30);
  assert.equal(alert.app, 'cart');
  assert.deepEqual(alert.versions, { newest: '1.4.1', previous: '1.4.0', previous_value: 0 }, 'the newer version is the worse one');
  assert.equal(alert.value, 1);

  // Maps uploaded after the errors still resolve them: symbolication is at read time.
  for (const version of ['1.4.0', '1.4.1']) assert.match(await uploadMaps(stack, version), /remoteEntry\.js/);

  const page = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  mkdirSync(ARTIFACTS, { recursive: true });

  // From the app's error list to the group: resolved frames with cart's source.
  await page.goto(`${stack.ingestUrl}/dashboard/#/app/cart`);
  await page.click(`main[data-ready] a[data-fingerprint]:has-text("${BOUNDARY_ERROR}")`);
  await page.waitForSelector('main[data-ready] .frame[data-resolved="true"]');
  const top = await page.$eval('.frame', (e) => ({ source: e.dataset.source, text: e.innerText }));
  assert.match(top.source, /src\/cart\.js$/, 'the top frame resolves to cart’s source file');
  assert.match(top.text, /Recommendation/, 'the original function name');
  assert.match(top.text, /throw new Error\(`Recommendation without a price/, 'the source line, from the map’s sourcesContent');
  assert.match(top.text, /minified: .*\/mfe\/cart\/1\.4\.1\/\d+\.js:\d+:\d+/, 'the minified frame beside it');
  const group = await page.$eval('main', (e) => e.innerText);
  assert.match(group, new RegExp(BOUNDARY_ERROR));
  assert.match(group, /By version\s*\n\s*version\s+occurrences\s*\n\s*1\.4\.1\s+3/);
  assert.ok(await page.$('.chart[data-chart="occurrences"] canvas'), 'the occurrences chart');
  await page.screenshot({ path: `${ARTIFACTS}dashboard-error-group.png`, fullPage: true });

  // The versions view: both versions side by side, the newer one's error rate poor.
  await page.click('a[href="#/app/cart"]');
  await page.click('main[data-ready] a.versions-link');
  await page.waitForSelector('main[data-ready] [data-version="1.4.0"]');
  const columns = await page.$$eval('th [data-version]', (els) => els.map((e) => e.dataset.version));
  assert.deepEqual(columns, ['1.4.1', '1.4.0']);
  const rows = await page.$$eval('.versions tbody tr', (trs) => Object.fromEntries(trs.map((tr) => {
    const [label, ...cells] = [...tr.children].map((td) => td.innerText);
    return [label, cells];
  })));
  assert.deepEqual(rows['Error rate'], ['100.0 %', '0.0 %']);
  assert.deepEqual(rows['Failed API calls'], [String(LOADS), '0']);
  assert.ok(await page.$('.chart[data-chart="adoption"] canvas'), 'the adoption chart');
  await page.screenshot({ path: `${ARTIFACTS}dashboard-versions.png`, fullPage: true });
  assert.deepEqual(problems, []);
});
