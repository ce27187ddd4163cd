// A copy of the package in a same-origin frame (a framework's sandbox
// iframe) reaches the page's agent through the window above it, and never
// starts or queues for one of its own: on a page that runs no agent, its
// calls say so once on the console and return false. In the top window,
// calls before init() are still queued (true). Once the app in the frame
// registers, the errors, rejections and resources of the frame's window are
// recorded, the errors as that app's. (The wujie framework test runs the
// same with wujie's sandbox.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startPageServer } from './page-server.mjs';
import { CHROMIUM_ARGS, KEY, eventually, startStack } from './stack.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const page = (body) => async (request, response) => {
  response.writeHead(200, { 'content-type': 'text/html' });
  response.end(`<!doctype html><body>${body}</body>`);
};
// Each window imports its own copy of the package (another module URL: another copy).
// The frame is added once the window's calls are made.
const calls = (copy, frame = false) => `<script type="module">
  const agent = await import('/agent/index.js?copy=${copy}');
  window.results = [agent.registerApp({ name: '${copy}' }), agent.pushMetric('${copy}_metric', 1), agent.appMounted('${copy}')];
  ${frame ? "document.body.append(Object.assign(document.createElement('iframe'), { src: '/frame.html' }));" : ''}
</script>`;
const frameTag = '<iframe src="/frame.html"></iframe>';

/** The page server, and a tab of a new browser collecting the console's warnings. */
async function open(t) {
  const server = await startPageServer({
    routes: [
      ['/bare.html', page(frameTag)],
      ['/top.html', page(calls('top', true))],
      ['/frame.html', page(calls('frame'))],
    ],
    mounts: [['/agent/', `${ROOT}npm-package/`]],
  });
  t.after(() => server.close());
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const tab = await browser.newPage();
  const warnings = [];
  tab.on('console', (m) => m.type() === 'warning' && m.text().startsWith('[canopy]') && warnings.push(m.text()));
  return { tab, warnings, url: (path) => `${server.origin}${path}` };
}

const results = (target) => target.waitForFunction(() => window.results).then((handle) => handle.jsonValue());
const hubs = (target) => target.evaluate(() => Object.getOwnPropertySymbols(window).filter((s) => s.description === 'canopy.agent.hub').length);
const frameOf = async (tab) => {
  await tab.waitForSelector('iframe');
  return (await (await tab.$('iframe')).contentFrame());
};

test('a copy in a same-origin frame of a page with no agent warns once and records nothing', async (t) => {
  const { tab, warnings, url } = await open(t);
  await tab.goto(url('/bare.html'));
  const frame = await frameOf(tab);
  assert.deepEqual(await results(frame), [false, false, false], 'the frame\'s calls reach no agent');
  assert.deepEqual(warnings, [
    '[canopy] no agent on this page: this copy runs in a frame, and no window above it called init(); not recorded',
  ]);
  assert.deepEqual([await hubs(tab), await hubs(frame)], [0, 0], 'no copy made a hub');
});

test('a copy in a same-origin frame uses the hub of the window above it, which queues for init()', async (t) => {
  const { tab, warnings, url } = await open(t);
  await tab.goto(url('/top.html'));
  assert.deepEqual(await results(tab), [true, true, true], 'the top window queues its calls for init()');
  const frame = await frameOf(tab);
  assert.deepEqual(await results(frame), [true, true, true], 'the frame\'s calls are queued by the page\'s hub');
  assert.deepEqual([await hubs(tab), await hubs(frame)], [1, 0], 'one hub, the top window\'s');
  assert.deepEqual(warnings, []);
});

test('the errors, rejections and resources of an app\'s frame are recorded, the errors as the app\'s', async (t) => {
  const server = await startPageServer({
    mounts: [['/pages/', `${ROOT}tests/e2e/agent/`], ['/agent/', `${ROOT}npm-package/`], ['/mfe/framed/', `${ROOT}tests/e2e/agent/`]],
  });
  t.after(() => server.close());
  const stack = await startStack(t, { origins: [server.origin], demo: false });
  const tab = await stack.browser.newPage();
  const warnings = [];
  tab.on('console', (m) => m.type() === 'warning' && m.text().startsWith('[canopy]') && warnings.push(m.text()));
  await tab.goto(`${server.origin}/pages/frames.html?${new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY })}`);
  await tab.waitForSelector('html[data-agent="ready"]');
  const frame = await frameOf(tab);
  await frame.waitForFunction(() => window.thrown && window.imageFailed);
  assert.equal(await frame.evaluate(() => window.registered), true);
  await tab.goto('about:blank'); // flushes

  const errors = await eventually('the frame\'s three errors', async () => {
    const rows = await stack.query("SELECT app, source, message, url FROM errors WHERE message LIKE '%framed%' ORDER BY source");
    return rows.length >= 3 && rows;
  });
  assert.deepEqual(errors.map((e) => [e.app, e.source, e.source === 'resource_load' ? new URL(e.url).pathname : e.message]), [
    ['framed', 'error', 'framed exploded'],
    ['framed', 'rejection', 'framed rejected'],
    ['framed', 'resource_load', '/mfe/framed/missing.png'],
  ]);
  const resources = await eventually('the frame\'s image among the resources', async () => {
    const rows = await stack.query("SELECT app, url FROM resources WHERE url LIKE '%/mfe/framed/%'");
    return rows.some((r) => r.url.endsWith('/missing.png')) && rows;
  });
  assert.deepEqual([...new Set(resources.map((r) => r.app))], ['framed'], JSON.stringify(resources));
  assert.deepEqual(warnings, []);
});
