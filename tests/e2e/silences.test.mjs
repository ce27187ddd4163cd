// Silences from the dashboard, end to end: a silence made with the alerts
// page's form mutes the alert the demo's fault switch raises (shown as
// silenced, never told to the webhook receiver started here), and expiring it
// with the page's Expire button lets the notice through.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { eventually, startStack } from './stack.mjs';
import { cartAvailabilityConfig, webhookReceiver } from './webhook.mjs';

const ADMIN = 'e2e-admin-token-456';
const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

/** One page view with cart failing to mount (the fault switch is on). */
async function failedLoad(stack, page) {
  await page.goto(stack.demoUrl);
  await page.waitForSelector('#cart-app .failed');
  await page.goto('about:blank'); // hide: the agent flushes
}

test('a silence made on the dashboard mutes the fault switch’s alert; expiring it lets the notice through', async (t) => {
  const hook = await webhookReceiver(t);
  const stack = await startStack(t, { extraConfig: cartAvailabilityConfig(hook.url, { window: '60s', adminToken: ADMIN }) });
  const dashboard = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  dashboard.on('pageerror', (e) => problems.push(e.message));
  const alertsPage = async () => {
    await dashboard.goto(`${stack.ingestUrl}/dashboard/#/alerts`);
    await dashboard.reload(); // the hash alone would not reload from the alerts page
    await dashboard.waitForSelector('main[data-ready] form[data-form="silence"]');
  };

  // The silence, typed into the form, before anything breaks.
  await alertsPage();
  await dashboard.fill('input[type="password"]', ADMIN);
  await dashboard.fill('textarea[name="matchers"]', 'app="cart"\nseverity=~"critical|warning"');
  await dashboard.fill('input[name="duration"]', '1h');
  await dashboard.fill('input[name="created_by"]', 'e2e');
  await dashboard.fill('input[name="comment"]', 'deploying cart');
  await dashboard.click('button[data-action="create-silence"]');
  await dashboard.waitForSelector('main[data-ready] .silence-state[data-state="active"]');
  const [silence] = await stack.query('SELECT id, matchers, created_by FROM silences FINAL');
  assert.deepEqual(silence.matchers, ['app="cart"', 'severity=~"critical|warning"']);
  assert.equal(silence.created_by, 'e2e');

  // The fault switch breaks cart; the alert fires, silenced.
  await stack.setFaults({ cart: 1 });
  const demo = await stack.browser.newPage();
  for (let i = 0; i < 3; i += 1) await failedLoad(stack, demo);
  const firing = "SELECT id, toUnixTimestamp64Milli(updated_at) AS at FROM alerts FINAL WHERE app = 'cart' AND status = 'firing' AND has(silenced_by, ";
  const mutedNow = async () => (await stack.query(`${firing}'${silence.id}')`))[0];
  const muted = await eventually('the alert firing, silenced', mutedNow);
  // Two more evaluations of it: still not a word to the receiver.
  await eventually('two more evaluations', async () => (await mutedNow())?.at >= muted.at + 2000);
  assert.deepEqual(hook.received, [], 'nothing told while silenced');

  // Shown as silenced; its row's Silence button fills the form for it.
  await alertsPage();
  const status = await dashboard.$eval(`[data-silenced-by="${silence.id}"]`, (e) => e.closest('td').innerText);
  assert.match(status, /firing\s*silenced/);
  mkdirSync(ARTIFACTS, { recursive: true });
  await dashboard.screenshot({ path: `${ARTIFACTS}dashboard-silences.png`, fullPage: true });
  await dashboard.click('button[data-action="silence"]');
  assert.equal(await dashboard.inputValue('textarea[name="matchers"]'), 'alertname="cart-availability"\napp="cart"');

  // Expired from the page: kept, listed as expired, and the notice goes out.
  await dashboard.click(`button[data-action="expire"][data-silence="${silence.id}"]`);
  await dashboard.waitForSelector(`main[data-ready] .silence-state[data-silence="${silence.id}"][data-state="expired"]`);
  const { body: notice } = await eventually('the notice once the silence expired', async () => hook.received[0]);
  assert.equal(notice.status, 'firing');
  assert.equal(notice.alerts[0].labels.app, 'cart');
  assert.equal(notice.alerts[0].annotations.repeat, 'false', 'news: never told before');
  await eventually('the alert no longer silenced', async () => (await stack.query(
    "SELECT id FROM alerts FINAL WHERE app = 'cart' AND status = 'firing' AND empty(silenced_by)")).length === 1);
  assert.equal(hook.received.length, 1, 'told once');
  assert.deepEqual(problems, []);
});
