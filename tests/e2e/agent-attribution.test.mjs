// Micro-frontend attribution: two apps served from different URL prefixes,
// each bundled with its own copy of the package, throw, fail to load a
// chunk and run a long frame; every event must land on the right app, and
// the page must run one agent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { startPageServer } from './page-server.mjs';
import { KEY, eventually, startStack } from './stack.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const HERE = new URL('agent/', import.meta.url).pathname;

/** Bundles agent/mfe.js once per app, as two teams would, into `dir`/<app>/main.js. */
async function buildApps(dir) {
  for (const [app, prefixed] of [['alpha', false], ['beta', true]]) {
    await build({
      entryPoints: [join(HERE, 'mfe.js')],
      outfile: join(dir, app, 'main.js'),
      absWorkingDir: ROOT,
      bundle: true,
      format: 'esm',
      define: { __APP__: JSON.stringify(app), __PREFIXED__: String(prefixed) },
      logLevel: 'error',
    });
  }
}

test('errors, failed chunks and long frames land on the app they came from, with one agent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-mfe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await buildApps(dir);
  const server = await startPageServer({
    mounts: [['/pages/', HERE], ['/agent/', join(ROOT, 'npm-package/')], ['/mfe/', dir]],
  });
  t.after(() => server.close());
  const stack = await startStack(t, { origins: [server.origin] });
  const page = await stack.browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const query = new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY });
  await page.goto(`${server.origin}/pages/attribution.html?${query}`);
  await page.waitForSelector('html[data-agent="ready"]');
  await page.waitForSelector('#beta-busy');

  await page.evaluate(() => {
    for (let i = 0; i < 5; i++) window.alpha.throwError(); // one report, counted 5 times
    window.beta.throwError();
    window.alpha.loadChunk();
    window.beta.loadChunk();
  });
  await page.click('#alpha-busy');
  await page.click('#beta-busy');
  await page.waitForTimeout(500);
  const agents = await page.evaluate(() => ({
    wasm: performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length,
    hubs: Object.getOwnPropertySymbols(globalThis).filter((s) => s.description === 'canopy.agent.hub').length,
  }));
  await page.goto('about:blank'); // hiding the page sends the rest

  const errors = await eventually('the errors of both apps', async () => {
    const rows = await stack.query(
      `SELECT app, source, error_type, message, sum(count) AS n, any(frames.file[1]) AS top_file, any(frames.line[1]) AS top_line
       FROM errors GROUP BY app, source, error_type, message ORDER BY app, source`,
    );
    return rows.length >= 4 && rows.find((r) => r.message === 'alpha exploded')?.n === 5 && rows;
  });
  const pick = (app, source) => errors.find((e) => e.app === app && e.source === source);
  const alphaThrow = pick('alpha', 'error');
  assert.equal(alphaThrow.message, 'alpha exploded');
  assert.match(alphaThrow.top_file, /\/mfe\/alpha\/main\.js$/, 'parsed top frame');
  assert.ok(alphaThrow.top_line > 0);
  assert.match(pick('alpha', 'rejection').message, /missing-chunk\.js/, 'the failed dynamic import is alpha\'s');
  assert.equal(pick('beta', 'error').message, 'beta exploded');
  assert.match(pick('beta', 'resource_load').message, /\/mfe\/beta\/missing-chunk\.js$/);
  assert.ok(!errors.some((e) => e.app === 'shell'), `nothing for the shell: ${JSON.stringify(errors)}`);

  const failed = await stack.query("SELECT app, detail FROM app_events WHERE phase = 'failed' ORDER BY app");
  assert.deepEqual(failed.map((f) => f.app), ['alpha', 'beta'], 'each failed chunk is a failed load of its app');
  assert.match(failed[0].detail, /^chunk failed to load: .*\/mfe\/alpha\/missing-chunk\.js$/);

  const frames = await eventually('long frames of both apps', async () => {
    const rows = await stack.query('SELECT app, duration, scripts.url AS script_urls FROM long_frames ORDER BY app');
    return ['alpha', 'beta'].every((app) => rows.some((r) => r.app === app && r.duration >= 160)) && rows;
  });
  for (const app of ['alpha', 'beta']) {
    const frame = frames.find((r) => r.app === app && r.duration >= 160);
    assert.ok(frame.script_urls.some((url) => url.includes(`/mfe/${app}/main.js`)), JSON.stringify(frame));
  }

  const summaries = await stack.query('SELECT app, sum(count) AS n FROM resource_summaries GROUP BY app ORDER BY app');
  for (const app of ['alpha', 'beta']) {
    assert.ok(summaries.some((s) => s.app === app && s.n >= 1), `${app}'s resources summed up: ${JSON.stringify(summaries)}`);
  }

  assert.deepEqual(agents, { wasm: 1, hubs: 1 }, 'three copies of the package, one agent');
  const registered = await stack.query("SELECT DISTINCT app FROM app_events WHERE phase = 'registered' ORDER BY app");
  assert.deepEqual(registered.map((r) => r.app), ['alpha', 'beta', 'shell']);
  assert.deepEqual(pageErrors.filter((m) => !/exploded|dynamically imported/.test(m)), [], 'the agent threw nothing into the page');
});
