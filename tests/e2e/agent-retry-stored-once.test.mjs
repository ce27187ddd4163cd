// A body whose first answer is lost is sent again with the same id, and the
// real ingest server stores it once. A relay in front of the server passes
// every request on, but tells the agent the first one failed (503): the
// server stored it, the agent never learned.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startPageServer } from './page-server.mjs';
import { KEY, eventually, startStack } from './stack.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const HERE = new URL('agent/', import.meta.url).pathname;

/** Serves the delivery page and relays its beacons to `relay.target`, recording each. */
async function startRelay(t) {
  const relay = { requests: [] };
  const beacon = async (request, response, url) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const answer = await fetch(`${relay.target}/v1/beacon${url.search}`, {
      method: 'POST',
      headers: { origin: relay.origin, 'content-type': 'text/plain' },
      body,
    });
    const answerBody = await answer.text();
    relay.requests.push({ beacon: JSON.parse(body.toString()), status: answer.status, answer: answerBody });
    // The first answer is lost on the way back.
    const lost = relay.requests.length === 1;
    response.writeHead(lost ? 503 : answer.status, lost ? { 'retry-after': '1' } : { 'content-type': 'application/json' });
    response.end(lost ? '' : answerBody);
  };
  const server = await startPageServer({
    mounts: [['/pages/', HERE], ['/agent/', join(ROOT, 'npm-package/')]],
    routes: [['/v1/beacon', beacon]],
  });
  t.after(() => server.close());
  return Object.assign(relay, server);
}

test('a body retried after a lost answer carries its id again and is stored once', async (t) => {
  const relay = await startRelay(t);
  const stack = await startStack(t, { demo: false, origins: [relay.origin] });
  relay.target = stack.ingestUrl;

  const page = await stack.browser.newPage();
  // Without sendBeacon the agent posts with fetch and sees the answers.
  await page.addInitScript(() => { navigator.sendBeacon = () => false; });
  const query = new URLSearchParams({ options: JSON.stringify({ key: KEY }) });
  await page.goto(`${relay.origin}/pages/delivery.html?${query}`);
  await page.waitForSelector('html[data-agent="ready"]');
  await page.evaluate(() => {
    canopy.pushEvent('paid', { order: 1 });
    canopy.flush();
  });
  await eventually('the retry', () => relay.requests.length >= 2);
  const [first, retry] = relay.requests;
  assert.match(first.beacon.id, /^[0-9a-f]{32}$/);
  assert.equal(retry.beacon.id, first.beacon.id, 'the retry carries the first attempt\'s id');
  assert.deepEqual([first.status, retry.status], [202, 202], 'both reached the server and were accepted');
  assert.deepEqual(JSON.parse(retry.answer), JSON.parse(first.answer));

  // A later body, with an id of its own, stored after the first (the log drains in order).
  await page.evaluate(() => {
    canopy.pushEvent('shipped', {});
    canopy.flush();
  });
  const count = async (name) => (await stack.query(`SELECT count() AS n FROM custom_events WHERE name = '${name}'`))[0].n;
  await eventually('the later body to be stored', async () => (await count('shipped')) === 1);
  assert.equal(await count('paid'), 1, 'stored once');
  assert.notEqual(relay.requests.at(-1).beacon.id, first.beacon.id, 'each body has its own id');
});
