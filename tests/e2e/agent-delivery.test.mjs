// Delivery and privacy, against a collector played by the test's own server
// (the real ingest server cannot be told to answer 429 on cue): retries after
// 429, the fetch fallback when sendBeacon refuses, the 60,000-byte request
// limit, a collector that is down, sessions, SPA views, beforeSend, the URL
// keep-list and sampling. The real server's side of the same wire is
// covered by the other end-to-end tests.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { startPageServer } from './page-server.mjs';
import { CHROMIUM_ARGS, eventually } from './stack.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const HERE = new URL('agent/', import.meta.url).pathname;

/**
 * A page server whose /v1/beacon records each request and answers with what
 * `answer()` returns (status and headers), 202 by default.
 */
async function startCollector(t) {
  const requests = [];
  const collector = { requests, answer: () => ({ status: 202 }) };
  const beacon = async (request, response, url) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const raw = Buffer.concat(chunks);
    const body = url.searchParams.get('encoding') === 'gzip' ? gunzipSync(raw) : raw;
    requests.push({ at: Date.now(), bytes: raw.length, url: url.pathname + url.search, beacon: JSON.parse(body.toString()) });
    const { status, headers = {} } = collector.answer(requests.length);
    response.writeHead(status, headers);
    response.end();
  };
  const server = await startPageServer({
    mounts: [['/pages/', HERE], ['/agent/', join(ROOT, 'npm-package/')]],
    routes: [['/v1/beacon', beacon]],
  });
  t.after(() => server.close());
  return Object.assign(collector, server, {
    events: () => requests.flatMap((r) => r.beacon.events),
  });
}

async function startBrowser(t) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  return browser;
}

/** Opens the delivery page with `options` for init; `refuseBeacons` makes sendBeacon return false. */
async function openPage(browser, collector, { options = {}, app = {}, refuseBeacons = false, hash = '' } = {}) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  // The browser logs refused requests as console errors of its own; anything else is a problem.
  const isNetworkLog = (text) => text.startsWith('Failed to load resource');
  page.on('console', (message) => message.type() === 'error' && !isNetworkLog(message.text()) && problems.push(`console: ${message.text()}`));
  page.problems = problems;
  if (refuseBeacons) {
    await page.addInitScript(() => {
      window.beaconsRefused = 0;
      navigator.sendBeacon = () => (window.beaconsRefused++, false);
    });
  }
  const query = new URLSearchParams({ options: JSON.stringify(options), app: JSON.stringify(app) });
  page.url0 = `${collector.origin}/pages/delivery.html?${query}${hash}`;
  await page.goto(page.url0);
  await page.waitForSelector('html[data-agent="ready"]');
  return page;
}

const customEvents = (collector, name) => collector.events().filter((e) => e.kind === 'custom' && e.name === name);

test('delivery', async (t) => {
  const browser = await startBrowser(t);

  await t.test('a 429 is retried after Retry-After on the fetch path', async (t) => {
    const collector = await startCollector(t);
    collector.answer = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 202 });
    const page = await openPage(browser, collector, { refuseBeacons: true });
    await page.evaluate(() => {
      canopy.pushEvent('checkout', { step: 1 });
      canopy.flush();
    });
    await eventually('the retry', () => collector.requests.length >= 2);
    const [refused, retried] = collector.requests;
    assert.deepEqual(retried.beacon, refused.beacon, 'the same body again');
    // …so the retry's URL says when it was sent: the server dates events by it.
    assert.ok(!refused.url.includes('sent_at'), refused.url);
    const sentAt = Number(new URL(retried.url, collector.origin).searchParams.get('sent_at'));
    assert.ok(Math.abs(sentAt - retried.at) < 2_000, `sent_at=${sentAt}, received at ${retried.at}`);
    assert.ok(retried.at - refused.at >= 900, `retried after ${retried.at - refused.at} ms, Retry-After was 1 s`);
    assert.equal(customEvents(collector, 'checkout').length, 2, 'sent twice, stored once the server takes it');
    assert.ok(await page.evaluate(() => window.beaconsRefused) >= 1);
    assert.deepEqual(page.problems, []);
  });

  await t.test('when sendBeacon refuses, fetch delivers', async (t) => {
    const collector = await startCollector(t);
    const page = await openPage(browser, collector, { refuseBeacons: true });
    await page.evaluate(() => {
      canopy.pushEvent('fallback');
      canopy.flush();
    });
    await eventually('the event by fetch', () => customEvents(collector, 'fallback').length === 1);
    assert.ok(await page.evaluate(() => window.beaconsRefused) >= 1, 'sendBeacon was tried first');
  });

  await t.test('500 events go out in requests of at most 60,000 bytes', async (t) => {
    const collector = await startCollector(t);
    const page = await openPage(browser, collector);
    await page.evaluate(() => {
      for (let i = 0; i < 500; i++) canopy.pushEvent('bulk', { i, text: 'x'.repeat(200) });
      canopy.flush();
    });
    await eventually('all 500 events', () => customEvents(collector, 'bulk').length === 500);
    const sizes = collector.requests.map((r) => r.bytes);
    assert.ok(sizes.length >= 3, `${sizes.length} requests`);
    assert.ok(Math.max(...sizes) <= 60_000, `largest request ${Math.max(...sizes)} bytes`);
    const seen = customEvents(collector, 'bulk').map((e) => Number(e.attrs.i)).sort((a, b) => a - b);
    assert.deepEqual(seen, [...Array(500).keys()], 'each event exactly once');
  });

  await t.test('bodies are gzipped where the page asks for it, and the URL says so', async (t) => {
    const collector = await startCollector(t);
    const page = await openPage(browser, collector, { options: { compress: true } });
    await page.evaluate(() => {
      for (let i = 0; i < 50; i++) canopy.pushEvent('zipped', { i, text: 'z'.repeat(100) });
      canopy.flush();
    });
    await eventually('the gzipped events', () => customEvents(collector, 'zipped').length === 50);
    const zipped = collector.requests.filter((r) => r.url.includes('encoding=gzip'));
    assert.ok(zipped.length >= 1, 'sent with encoding=gzip');
    const json = Buffer.byteLength(JSON.stringify(zipped[0].beacon));
    assert.ok(zipped[0].bytes < json / 3, `${zipped[0].bytes} bytes gzipped for ${json} of JSON`);
  });

  await t.test('a collector that is down costs bounded memory and no page errors', async (t) => {
    const collector = await startCollector(t);
    collector.answer = () => ({ status: 503 }); // down, as far as the agent can tell
    const page = await openPage(browser, collector, { refuseBeacons: true, options: { maxQueueBytes: 100_000 } });
    const stats = await page.evaluate(async () => {
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 500; i++) canopy.pushEvent('lost', { round, text: 'y'.repeat(200) });
        canopy.flush();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return canopy.stats();
    });
    assert.ok(stats.queuedBytes <= 100_000, `queue ${stats.queuedBytes} bytes`);
    assert.ok(stats.dropped >= 5_000, `${stats.dropped} of 10,000 events dropped and counted`);
    assert.ok(stats.memoryBytes <= 4 * 1024 * 1024, `wasm memory ${stats.memoryBytes} bytes`);
    // Backing off: at most the one waiting body is retried in the next 1.5 s.
    const before = collector.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.ok(collector.requests.length - before <= 1, `${collector.requests.length - before} requests while backing off`);
    assert.deepEqual(page.problems, []);
    // Back up: the retry goes through and the drop count is reported.
    collector.answer = () => ({ status: 202 });
    await eventually('delivery to resume', () => collector.requests.some((r) => r.beacon.dropped > 0));
  });

  await t.test('a collector nobody listens on: the same, with connections refused', async (t) => {
    const collector = await startCollector(t);
    const nowhere = await new Promise((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address();
        probe.close(() => resolve(`http://127.0.0.1:${port}`));
      });
    });
    const page = await openPage(browser, collector, { refuseBeacons: true, options: { endpoint: nowhere, maxQueueBytes: 100_000 } });
    const stats = await page.evaluate(async () => {
      for (let i = 0; i < 2_000; i++) canopy.pushEvent('unsent', { i, text: 'w'.repeat(200) });
      canopy.flush();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return canopy.stats();
    });
    assert.ok(stats.queuedBytes <= 100_000, `queue ${stats.queuedBytes} bytes`);
    assert.ok(stats.dropped > 0, 'drops counted');
    assert.deepEqual(page.problems, []);
  });
});

test('sessions, views and privacy', async (t) => {
  const browser = await startBrowser(t);

  await t.test('the session survives a reload; an SPA route change starts a view', async (t) => {
    const collector = await startCollector(t);
    const page = await openPage(browser, collector, { hash: '#top' });
    await page.evaluate(() => {
      canopy.pushEvent('first');
      canopy.flush();
    });
    await page.evaluate(() => history.pushState({}, '', '/pages/other.html?route=2&token=secret#x'));
    await page.evaluate(() => {
      canopy.pushEvent('second');
      canopy.flush();
    });
    await page.goto(page.url0); // the next page of the same tab
    await page.waitForSelector('html[data-agent="ready"]');
    await page.evaluate(() => {
      canopy.pushEvent('third');
      canopy.flush();
    });
    const beacons = await eventually('three views', () => {
      const found = ['first', 'second', 'third'].map((name) =>
        collector.requests.find((r) => r.beacon.events.some((e) => e.kind === 'custom' && e.name === name))?.beacon);
      return found.every(Boolean) && found;
    });
    const [first, second, third] = beacons;
    assert.equal(new Set(beacons.map((b) => b.session_id)).size, 1, 'one session');
    assert.equal(new Set(beacons.map((b) => b.view_id)).size, 3, 'three views');
    assert.equal(first.page_url, `${collector.origin}/pages/delivery.html`, 'query and fragment scrubbed');
    assert.equal(second.page_url, `${collector.origin}/pages/other.html`, 'the route, scrubbed');
    assert.equal(third.page_url, first.page_url);
  });

  await t.test('events queued behind a retry keep the view they were recorded in', async (t) => {
    const collector = await startCollector(t);
    collector.answer = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 202 });
    const page = await openPage(browser, collector, { refuseBeacons: true });
    await page.evaluate(() => {
      canopy.pushEvent('refused');
      canopy.flush();
    });
    await eventually('the refusal', () => collector.requests.length >= 1);
    // While the refused body waits for its retry, nothing else is sent.
    await page.evaluate(() => {
      canopy.pushEvent('behind');
      history.pushState({}, '', '/pages/next.html');
      canopy.pushEvent('next');
    });
    const beaconOf = (name) =>
      collector.requests.find((r) => r.beacon.events.some((e) => e.kind === 'custom' && e.name === name))?.beacon;
    const [refused, behind, next] = await eventually('all three sent', () => {
      const found = ['refused', 'behind', 'next'].map(beaconOf);
      return found.every(Boolean) && found;
    });
    assert.equal(behind.view_id, refused.view_id, 'recorded in the first view, sent after the second began');
    assert.equal(behind.page_url, refused.page_url);
    assert.notEqual(next.view_id, refused.view_id, 'the route change started a view');
    assert.equal(next.page_url, `${collector.origin}/pages/next.html`);
    assert.equal(new Set([refused, behind, next].map((b) => b.session_id)).size, 1, 'one session');
    assert.deepEqual(page.problems, []);
  });

  await t.test('beforeSend drops, edits, and survives throwing; kept parameters stay', async (t) => {
    const collector = await startCollector(t);
    const beforeSend = `
      if (event.kind !== 'custom') return event;
      if (event.name === 'secret') return null;
      if (event.name === 'boom') throw new Error('hook bug');
      event.attrs = { ...event.attrs, edited: 'yes' };
      return event;`;
    const page = await openPage(browser, collector, { options: { beforeSend, keepQueryParams: ['route'] } });
    await page.evaluate(() => {
      history.pushState({}, '', '/pages/delivery.html?route=7&token=t');
      for (const name of ['secret', 'boom', 'plain']) canopy.pushEvent(name, { a: 1 });
      canopy.flush();
    });
    await eventually('the events', () => customEvents(collector, 'plain').length === 1);
    assert.equal(customEvents(collector, 'secret').length, 0, 'dropped by the hook');
    assert.deepEqual(customEvents(collector, 'boom')[0].attrs, { a: '1' }, 'sent unchanged when the hook throws');
    assert.deepEqual(customEvents(collector, 'plain')[0].attrs, { a: '1', edited: 'yes' });
    const routed = collector.requests.find((r) => r.beacon.events.some((e) => e.name === 'plain')).beacon;
    assert.equal(routed.page_url, `${collector.origin}/pages/delivery.html?route=7`);
    assert.deepEqual(page.problems, []);
  });

  await t.test('an event beforeSend records while the agent encodes another is kept', async (t) => {
    // The hook runs inside the agent: a pushEvent made there waits for the
    // agent to finish the event at hand, and is recorded then (issue 21:
    // it used to fail with "call init first" and be lost).
    const collector = await startCollector(t);
    const beforeSend = `
      if (event.kind === 'custom' && event.name === 'checkout') window.auditRecorded = canopy.pushEvent('audit', { of: event.name });
      return event;`;
    const page = await openPage(browser, collector, { options: { beforeSend } });
    await page.evaluate(() => {
      canopy.pushEvent('checkout');
      canopy.flush();
    });
    await eventually('both events', () => customEvents(collector, 'checkout').length === 1 && customEvents(collector, 'audit').length === 1);
    assert.deepEqual(customEvents(collector, 'audit')[0].attrs, { of: 'checkout' });
    assert.equal(await page.evaluate(() => window.auditRecorded), true, 'pushEvent said it was recorded');
    assert.deepEqual(page.problems, []);
  });

  await t.test('an app sampled out sends nothing; attributes ride with the app', async (t) => {
    const collector = await startCollector(t);
    const page = await openPage(browser, collector, { app: { sampleRate: 0, attributes: { tenant: 'eu' } } });
    await page.evaluate(() => {
      // Its own prefix: the calls below come from the shop's bundle (the package's URL).
      canopy.registerApp({ name: 'kept', assetPrefixes: ['https://elsewhere.example/'], attributes: { team: 'search' } });
      canopy.pushEvent('from-shop');
      canopy.flush();
    });
    await eventually('a beacon', () => collector.requests.length > 0);
    const apps = Object.fromEntries(collector.requests.at(-1).beacon.apps.map((a) => [a.name, a]));
    assert.deepEqual(apps.shop.attrs, { tenant: 'eu' });
    assert.equal(apps.shop.sample_rate, 0);
    assert.deepEqual(apps.kept.attrs, { team: 'search' });
    assert.ok(!collector.events().some((e) => e.app === 'shop'), 'nothing of the sampled-out app');
    assert.ok(collector.events().some((e) => e.app === 'kept'), 'the other app reports');
  });
});
