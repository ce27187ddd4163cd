// What the alerting tests share: a webhook receiver that records what the
// server sends it, and the demo's cart availability rule notifying it.
import http from 'node:http';

/** An HTTP server recording each JSON body posted to it, with when it came. */
export async function webhookReceiver(t) {
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

/**
 * `[alerting]` with one rule: cart's availability under 90 % over `window`
 * (min 3 samples) for `forSeconds` is critical, told to the webhook at
 * `hookUrl`; `adminToken` allows changes through the API.
 */
export function cartAvailabilityConfig(hookUrl, { intervalSeconds = 1, forSeconds = 0, window = '20s', adminToken = '' } = {}) {
  return `
[alerting]
interval = "${intervalSeconds}s"
admin_token = "${adminToken}"
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
window = "${window}"
for = "${forSeconds}s"
min_samples = 3
severity = "critical"
channels = ["hook"]
`;
}
