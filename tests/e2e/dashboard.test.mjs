// The built-in dashboard, in headless Chromium, showing data the demo sent:
// overview cards with ratings and health, an app page with charts and tables,
// and the alerts page with its counts and ack / resolve. Saves a screenshot of the overview.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { eventually, startStack } from './stack.mjs';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const ADMIN = 'e2e-admin-token-123';

test('the dashboard renders the demo’s data, and alerts can be acknowledged', async (t) => {
  // An always-breached rule so the alerts page has something to act on.
  const stack = await startStack(t, { extraConfig: `[alerting]
interval = "1s"
admin_token = "${ADMIN}"
[[alerting.rules]]
name = "cart-lcp"
app = "cart"
metric = "error_rate"
operator = "gte"
threshold = 0.0
min_samples = 1
severity = "warning"
` });

  // Demo traffic: a few views with errors, as users would produce.
  const demo = await stack.browser.newPage();
  for (let i = 0; i < 3; i += 1) {
    await demo.goto(stack.demoUrl);
    await demo.waitForSelector('#cart-throw');
    await demo.click('#cart-throw');
    await demo.click('#catalog-slow');
    await demo.waitForTimeout(200);
    await demo.goto('about:blank'); // hide: vitals are reported and flushed
  }
  await eventually('rolled-up views of cart and catalog', async () => {
    const rows = await stack.query('SELECT app, uniqMerge(views) AS v FROM rollup_app_minute GROUP BY app');
    return rows.filter((r) => r.v >= 3).length >= 2;
  });
  await eventually('an active alert', async () => (await stack.query("SELECT id FROM alerts FINAL WHERE status = 'firing'")).length > 0);

  const page = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));

  // Overview: one card per app, vitals coloured by rating.
  await page.goto(`${stack.ingestUrl}/dashboard`);
  await page.waitForSelector('main[data-ready] .card[data-app="cart"]');
  const cards = await page.$$eval('.card', (els) => els.map((e) => e.dataset.app));
  for (const app of ['cart', 'catalog', 'shell']) assert.ok(cards.includes(app), `${app} card in ${cards}`);
  const cart = await page.$eval('.card[data-app="cart"]', (e) => e.innerText);
  assert.match(cart, /views/);
  assert.match(cart, /Error rate\s*\n?\s*\d+(\.\d)? %/);
  assert.match(cart, /1 alert/);
  // Health from firing alerts: cart's warning makes it (and so the page)
  // degraded; the rule watches cart only.
  assert.equal(await page.$eval('.card[data-app="cart"] .health', (e) => e.dataset.health), 'degraded');
  assert.equal(await page.$eval('.card[data-app="catalog"] .health', (e) => e.dataset.health), 'healthy');
  assert.equal(await page.$eval('.page-health .health', (e) => e.dataset.health), 'degraded');
  const ratings = await page.$$eval('.metric[data-rating]', (els) => els.map((e) => e.dataset.rating));
  assert.ok(ratings.some((r) => ['good', 'needs-improvement', 'poor'].includes(r)), `ratings: ${ratings}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}dashboard-overview.png`, fullPage: true });

  // App page: charts drawn (uPlot canvases) and the top error grouped.
  await page.click('.card[data-app="cart"]');
  await page.waitForSelector('main[data-ready] .chart[data-chart="lcp"] canvas');
  assert.equal(await page.$$eval('.chart canvas', (els) => els.length), 6);
  const text = await page.$eval('main', (e) => e.innerText);
  assert.match(text, /Checkout failed: payment service unavailable/);
  // Its remote entry and chunks, served from the CDN, are its own resources.
  assert.match(text, /Slowest resources[\s\S]*\/mfe\/cart\/\S+\.js/);
  await page.screenshot({ path: `${ARTIFACTS}dashboard-app.png`, fullPage: true });

  // The shell owns page-level vitals: worst pages and browsers have rows.
  await page.goto(`${stack.ingestUrl}/dashboard/#/app/shell`);
  await page.waitForSelector('main[data-ready] .chart[data-chart="lcp"] canvas');
  const shell = await page.$eval('main', (e) => e.innerText);
  assert.match(shell, /Worst pages\s*\n\s*page[^\n]*\n\s*\/\s/);
  assert.match(shell, /Browsers\s*\n\s*browser[^\n]*\n\s*Chrom/);

  // Alerts page: acknowledge with the admin token.
  await page.goto(`${stack.ingestUrl}/dashboard/#/alerts`);
  await page.waitForSelector('main[data-ready] button[data-action="ack"]');
  // Counts from /api/alerts/stats: the one cart alert, firing, a warning.
  assert.equal(await page.$eval('.stat[data-stat="firing"] b', (e) => e.textContent), '1');
  assert.equal(await page.$eval('.stat[data-severity="warning"] b', (e) => e.textContent), '1');
  await page.fill('input[type="password"]', ADMIN);
  await page.click('button[data-action="ack"]');
  await eventually('the alert acknowledged', async () => (await stack.query('SELECT id FROM alerts FINAL WHERE acknowledged')).length > 0);
  await page.waitForSelector('text=(acknowledged)');
  assert.deepEqual(problems, []);
});
