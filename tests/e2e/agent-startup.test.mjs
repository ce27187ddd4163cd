// The package shared by every app (one module URL, as import maps and Module
// Federation singletons share it): each app's calls and errors land on that
// app, not on the shared file's directory. An app that never loads is a
// failed load of it; a muted cross-origin error is counted as muted; and an
// agent that cannot start says so, to every call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { startPageServer } from './page-server.mjs';
import { KEY, eventually, startStack } from './stack.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const HERE = new URL('shared/', import.meta.url).pathname;

/**
 * The shell's origin (the page, the shared package, the apps) and a CDN
 * origin for a script without CORS. The wasm at /held/ is served only once
 * `releaseWasm()` is called.
 */
async function servers(t) {
  let releaseWasm;
  const released = new Promise((resolve) => { releaseWasm = resolve; });
  const cdn = await startPageServer({
    routes: [['/cdn/thrower.js', (request, response) => {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end("window.cdnThrow = () => setTimeout(function cdnFails() { throw new Error('hidden by the browser'); });");
    }]],
  });
  t.after(() => cdn.close());
  const page = await startPageServer({
    routes: [['/pages/shared.html', async (request, response) => {
      const html = await readFile(`${HERE}shared.html`, 'utf8');
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(html.replace('CROSS_ORIGIN_SCRIPT', `${cdn.origin}/cdn/thrower.js`));
    }], ['/held/agent.wasm', async (request, response) => {
      await released;
      response.writeHead(200, { 'content-type': 'application/wasm' });
      response.end(await readFile(`${ROOT}npm-package/wasm/canopy_agent_bg.wasm`));
    }]],
    mounts: [['/agent/', `${ROOT}npm-package/`], ['/mfe/alpha/', HERE], ['/mfe/beta/', HERE]],
  });
  t.after(() => { releaseWasm(); page.close(); });
  return { origin: page.origin, releaseWasm };
}

/** The shared page with its wasm held back, once both apps failed as they booted; its console warnings. */
async function openHeld(t) {
  const site = await servers(t);
  const stack = await startStack(t, { origins: [site.origin] });
  const page = await stack.browser.newPage();
  const warnings = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  const query = new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY, wasm: '/held/agent.wasm' });
  await page.goto(`${site.origin}/pages/shared.html?${query}`);
  await page.waitForFunction(() => window.bootFailures === 2);
  return { site, stack, page, warnings };
}

test('a shared package attributes by the caller; missing apps fail; muted errors are counted', async (t) => {
  // The wasm arrives only after both apps failed as they booted.
  const { site, stack, page, warnings } = await openHeld(t);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.agent), undefined, 'the agent is not running yet');
  site.releaseWasm();
  await page.waitForSelector('html[data-agent="ready"]');
  await page.waitForFunction(() => window.alpha && window.beta);
  await page.evaluate(() => {
    window.alpha.metric();
    window.beta.metric();
    window.alpha.throwError();
    window.beta.throwError();
    window.shellThrow();
    window.cdnThrow(); // defined by a cross-origin script loaded without crossorigin: its error is muted
  });
  // The ghost app's mount timeout (500 ms) fires while the page is open.
  await eventually('the ghost app reported as failed', async () =>
    (await stack.query("SELECT 1 FROM app_events WHERE app = 'ghost' AND phase = 'failed'")).length, 15);
  await page.goto('about:blank');

  const metrics = await eventually('two metrics', async () => {
    const rows = await stack.query('SELECT app, name FROM custom_metrics ORDER BY app');
    return rows.length >= 2 && rows;
  });
  assert.deepEqual(metrics, [{ app: 'alpha', name: 'alpha_metric' }, { app: 'beta', name: 'beta_metric' }]);

  const errors = await eventually('six errors', async () => {
    const rows = await stack.query('SELECT app, source, message FROM errors ORDER BY app, source');
    return rows.length >= 6 && rows;
  });
  assert.deepEqual(errors, [
    { app: 'alpha', source: 'error', message: 'alpha exploded' },
    { app: 'alpha', source: 'rejection', message: 'alpha failed as it booted' },
    { app: 'beta', source: 'error', message: 'beta exploded' },
    { app: 'beta', source: 'rejection', message: 'beta failed as it booted' },
    { app: 'shell', source: 'error', message: 'shell exploded' },
    { app: 'shell', source: 'muted', message: 'Script error.' },
  ]);
  assert.ok(warnings.some((w) => w.includes('crossorigin') && w.includes('/cdn/thrower.js')), warnings.join('\n'));

  const failed = await stack.query("SELECT app, detail FROM app_events WHERE phase = 'failed' ORDER BY app");
  assert.deepEqual(failed, [{ app: 'ghost', detail: 'did not mount within 500 ms' }], 'alpha and beta mounted');
  const ghost = await stack.query("SELECT phase FROM app_events WHERE app = 'ghost' ORDER BY phase");
  assert.deepEqual(ghost.map((r) => r.phase), ['failed', 'registered'], 'a failed app counts as an attempted load');

  const navigations = await stack.query('SELECT count() AS n, uniqExact(view_id) AS views FROM navigations');
  assert.deepEqual(navigations, [{ n: 1, views: 1 }], 'navigation timing once per view');
  const ttfb = await stack.query("SELECT count() AS n FROM vitals WHERE name = 'ttfb'");
  assert.deepEqual(ttfb, [{ n: 1 }], 'TTFB once per view');

  // The overview counts errors from a rollup, whose rows ClickHouse commits
  // just after the raw ones: wait for the shell's error there, then compare.
  let overview;
  const shell = await eventually('the shell\'s errors in the overview', async () => {
    overview = await (await fetch(`${stack.ingestUrl}/api/dashboard/overview`)).json();
    const row = overview.apps.find((a) => a.app === 'shell');
    return row && row.errors >= 1 && row.muted_errors >= 1 && row;
  });
  assert.equal(shell.muted_errors, 1, JSON.stringify(overview.apps));
  assert.equal(shell.errors, 1, 'a muted error is not one of the errors grouped and rated');
});

test('an agent whose wasm cannot load says so, and every call returns false', async (t) => {
  const site = await servers(t);
  const stack = await startStack(t, { origins: [site.origin] });
  const page = await stack.browser.newPage();
  const warnings = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  const query = new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY, wasm: '/nowhere/agent.wasm' });
  await page.goto(`${site.origin}/pages/shared.html?${query}`);
  await page.waitForSelector('html[data-agent="failed"]');
  const late = await page.evaluate(() => window.registerLate());
  assert.equal(late, false, 'a call after a failed init returns false');
  assert.ok(warnings.some((w) => /init: the agent could not start/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /registerApp calls?.* made before init\(\) were not recorded/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /registerApp: the agent did not start/.test(w)), warnings.join('\n'));
});

test('calls queued before the wasm is ready report honestly: invalid registrations and a full queue return false', async (t) => {
  const { site, stack, page, warnings } = await openHeld(t);
  const answers = await page.evaluate(async () => {
    const { registerApp, pushMetric } = await import('/agent/index.js');
    const refused = [
      null, 'checkout', {}, { name: 42 }, { name: '' }, { name: 'has space' }, { name: 'x'.repeat(65) },
      { name: 'ok-name', version: 3 }, { name: 'ok-name', version: 'é'.repeat(33) },
    ].map((app) => registerApp(app));
    const valid = registerApp({ name: 'valid.app-1', version: '1.0.0' });
    // Fill the queue: every call up to the limit is taken, then none.
    const filled = [];
    for (let i = 0; i < 120; i += 1) filled.push(pushMetric('filler', i));
    return { refused, valid, filled, late: registerApp({ name: 'late-app' }) };
  });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.agent), undefined, 'the wasm is still held');
  assert.deepEqual(answers.refused, answers.refused.map(() => false), 'each invalid registration returns false');
  assert.equal(answers.valid, true, 'a valid registration is queued');
  const taken = answers.filled.indexOf(false);
  assert.ok(taken > 0 && answers.filled.slice(taken).every((ok) => ok === false), `the queue fills, then refuses: ${answers.filled}`);
  assert.equal(answers.late, false, 'a registration to a full queue returns false');
  for (const text of ['missing field `name`', 'name must be a string', 'app name must be 1 to 64 characters', 'version must be a string', 'version is longer than 64']) {
    assert.ok(warnings.some((w) => w.startsWith('[canopy] registerApp:') && w.includes(text)), `a warning says ${text}: ${warnings.join('\n')}`);
  }
  assert.equal(warnings.filter((w) => /calls before init\(\); not recorded/.test(w)).length, 2, 'one warning per method for the full queue');
  site.releaseWasm();
  await page.waitForSelector('html[data-agent="ready"]');
  await page.goto('about:blank');
  await eventually('the valid queued registration recorded', async () =>
    (await stack.query("SELECT 1 FROM app_events WHERE app = 'valid.app-1' AND phase = 'registered'")).length);
  const refused = await stack.query("SELECT DISTINCT app FROM app_events WHERE app IN ('ok-name', 'late-app')");
  assert.deepEqual(refused, [], 'nothing refused was recorded');
});
