// Alerting end to end: the demo's cart fails to mount on every load, real
// page loads in Chromium carry that to ClickHouse, and a webhook receiver
// started here gets the firing notice within `for` + one evaluation; with the
// fault off, more loads bring the resolved notice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startStack } from './stack.mjs';
import { cartAvailabilityConfig, webhookReceiver } from './webhook.mjs';

const FOR_SECONDS = 3;
const INTERVAL_SECONDS = 1;

/** One page view: load, wait for cart to mount or fail, leave (which flushes). */
async function pageLoad(stack, page) {
  await page.goto(stack.demoUrl);
  await page.waitForSelector('#cart-app .failed, #cart-throw');
  const failed = await page.$('#cart-app .failed');
  await page.waitForTimeout(200);
  await page.goto('about:blank');
  return failed !== null;
}

test('a micro-frontend failing to mount fires an availability alert, and recovery resolves it', async (t) => {
  const hook = await webhookReceiver(t);
  const stack = await startStack(t, { extraConfig: cartAvailabilityConfig(hook.url, { intervalSeconds: INTERVAL_SECONDS, forSeconds: FOR_SECONDS }) });
  const page = await stack.browser.newPage();
  const status = (name) => hook.received.find((r) => r.body.status === name);

  await stack.setFaults({ cart: 1 });
  for (let i = 0; i < 3; i++) assert.equal(await pageLoad(stack, page), true, 'cart failed to mount');
  // The breach is measurable once min_samples failed loads are stored.
  await eventually('the failed loads in ClickHouse', async () => {
    const [row] = await stack.query("SELECT count() AS n FROM app_events WHERE app = 'cart' AND phase = 'failed'");
    return row.n >= 3;
  });
  const breachedAt = Date.now();
  const firing = await eventually('the firing notice', async () => status('firing'));
  const latency = firing.at - breachedAt;
  t.diagnostic(`alert latency (stored breach → webhook): ${latency} ms with for = ${FOR_SECONDS}s, interval = ${INTERVAL_SECONDS}s`);
  assert.ok(latency <= (FOR_SECONDS + 2 * INTERVAL_SECONDS + 2) * 1000, `${latency} ms`);
  const alert = firing.body.alerts[0];
  assert.equal(alert.labels.alertname, 'cart-availability');
  assert.equal(alert.labels.app, 'cart');
  assert.equal(Number(alert.annotations.value), 0);

  await stack.setFaults({ cart: 0 });
  const resolved = await eventually('the resolved notice', async () => {
    assert.equal(await pageLoad(stack, page), false, 'cart mounted');
    return status('resolved');
  }, 90);
  assert.notEqual(resolved.body.alerts[0].endsAt, '0001-01-01T00:00:00Z');
  assert.deepEqual(hook.received.map((r) => r.body.status), ['firing', 'resolved']);
});
