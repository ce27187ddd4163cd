// Alerting end to end: the demo's cart fails to mount on every load, real
// page loads in Chromium carry that to ClickHouse, and a webhook receiver
// started here gets the firing notice within `for` + one evaluation; with the
// fault off, more loads bring the resolved notice.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { eventually, startStack } from './stack.mjs';

const FOR_SECONDS = 3;
const INTERVAL_SECONDS = 1;

async function webhookReceiver(t) {
  const received = [];
  const server = http.createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    received.push({ at: Date.now(), body: JSON.parse(body) });
    response.end('ok');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${server.address().port}/hook`, received };
}

function alertingConfig(hookUrl) {
  return `
[alerting]
interval = "${INTERVAL_SECONDS}s"
default_rules = false
[[alerting.channels]]
name = "hook"
kind = "webhook"
url = "${hookUrl}"
[[alerting.rules]]
name = "cart-availability"
app = "cart"
metric = "availability"
operator = "lt"
threshold = 0.9
resolve_threshold = 0.95
window = "20s"
for = "${FOR_SECONDS}s"
min_samples = 3
severity = "critical"
channels = ["hook"]
`;
}

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
  const stack = await startStack(t, { extraConfig: alertingConfig(hook.url) });
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
