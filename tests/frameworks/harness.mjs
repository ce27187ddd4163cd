// One scenario, run in every framework setup: a shell and two micro-frontends
// (catalog, cart) built with the framework's own tools, served as a team
// deploys them, in headless Chromium, against the real ingest server and
// ClickHouse. Each app throws, rejects, fails to load an image, shifts its
// layout, handles a click slowly and pushes a metric; the shell throws once.
// Every one of those must land on the app that caused it. Then the page
// loads again with cart's deploy gone (404): a failed load of cart, and of
// nothing else.
//
// A setup (setups/*.mjs) is
//   { title, crossOrigin, build(out), startShell?(t, out), verify?(page) }
// where build(out) writes the shell's site to out/shell/ (its page at
// /index.html) and each app's deploy to out/<app>/, served at /apps/<app>/ on
// the page's origin or, when crossOrigin, on a CDN origin of its own with
// CORS headers. "%APPS_ORIGIN%" in the shell's .html files is replaced by the
// apps' origin (import maps need it); the page's query string carries
// endpoint, key and apps (the apps' origin). A setup whose shell is served by
// a framework's own server (Vite's dev server) gives startShell, which
// serves out/shell its way and returns that origin. A setup whose page must
// be checked for what it claims to be (a framework option that changes how
// apps render) gives verify, which asserts on the first view's page once
// both apps are up.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPageServer } from '../e2e/page-server.mjs';
import { KEY, eventually, startStack } from '../e2e/stack.mjs';

export const APPS = ['catalog', 'cart'];
export const WAIT = { timeout: 60_000 }; // a busy machine is slow, never wrong

/** Builds `setup` into a fresh folder, removed when the test ends. */
export async function build(t, setup) {
  const out = await mkdtemp(join(tmpdir(), 'canopy-framework-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const started = Date.now();
  await setup.build(out);
  t.diagnostic(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

/** Every file under `dir`, relative to it, sorted. */
export async function filesIn(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

/**
 * Serves the built setup: `{ page, appsOrigin, origins, missing }`, the
 * page's URL (without the query string) and `missing` the apps (or folders
 * of them: 'cart/static') whose deploy answers 404.
 */
export async function serve(t, setup, out) {
  const missing = new Set();
  const appMounts = APPS.map((app) => [`/apps/${app}/`, join(out, app)]);
  const gone = (pathname) => [...missing].some((app) => pathname.startsWith(`/apps/${app}/`));
  let apps = null;
  if (setup.crossOrigin) {
    apps = await startPageServer({ mounts: appMounts, gone, headers: { 'access-control-allow-origin': '*' } });
    t.after(() => apps.close());
  }
  const own = setup.startShell ? [] : [['/', join(out, 'shell')]];
  // The shell's origin serves the apps too when they are not cross-origin.
  const shellServer = setup.startShell && setup.crossOrigin
    ? null
    : await startPageServer({ mounts: [...(setup.crossOrigin ? [] : appMounts), ...own], gone });
  if (shellServer) t.after(() => shellServer.close());
  const appsOrigin = apps ? apps.origin : shellServer.origin;
  for (const name of (await filesIn(join(out, 'shell'))).filter((f) => f.endsWith('.html'))) {
    const file = join(out, 'shell', name);
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('%APPS_ORIGIN%', appsOrigin));
  }
  const shellOrigin = setup.startShell ? await setup.startShell(t, join(out, 'shell')) : shellServer.origin;
  return { page: `${shellOrigin}/index.html`, appsOrigin, origins: [...new Set([shellOrigin, appsOrigin])], missing };
}

/** Runs the scenario in `setup` and checks where everything landed. */
export async function exercise(t, setup) {
  const out = await build(t, setup);
  const site = await serve(t, setup, out);
  const stack = await startStack(t, { origins: site.origins, demo: false });
  const page = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const logged = [];
  page.on('console', (m) => ['warning', 'error'].includes(m.type()) && logged.push(m.text()));
  // Every frame's requests (sandbox iframes too): one agent means one wasm fetch a view.
  const wasmFetches = [];
  page.on('request', (r) => new URL(r.url()).pathname.endsWith('.wasm') && wasmFetches.push(r.url()));
  const url = `${site.page}?${new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY, apps: site.appsOrigin })}`;
  const diagnose = (error) => {
    error.message += `\nconsole:\n${logged.join('\n')}`;
    throw error;
  };

  // View 1: everything misbehaves once.
  await page.goto(url);
  await page.waitForSelector('html[data-agent="ready"]', WAIT).catch(diagnose);
  for (const app of APPS) await page.waitForSelector(`#${app}-broken`, WAIT).catch(diagnose);
  await setup.verify?.(page);
  for (const app of APPS) {
    for (const action of ['throw', 'reject', 'broken', 'slow']) await page.click(`#${app}-${action}`);
    // No input for 500 ms before the shift, or it would count as expected.
    await page.click(`#${app}-shift`);
    await page.waitForSelector(`[data-canopy-app="${app}"] .banner`, WAIT);
    await page.waitForSelector(`[data-canopy-app="${app}"] img[data-failed]`, { ...WAIT, state: 'attached' });
  }
  await page.click('#shell-throw');
  await page.goto('about:blank'); // hiding the page finalises its vitals and flushes
  assert.equal(wasmFetches.length, 1, `one agent, one wasm fetch: ${wasmFetches.join(' ')}`);
  // A copy of the package that found no running agent says so on the console.
  const unheard = logged.filter((text) => text.startsWith('[canopy] init') || text.includes('not recorded'));
  assert.deepEqual(unheard, [], 'every copy of the package reached the page\'s one agent');

  // View 2: cart's deploy is gone.
  site.missing.add('cart');
  await page.goto(url);
  await page.waitForSelector('#catalog-broken', WAIT).catch(diagnose);
  await eventually('the failed load of cart', async () =>
    (await stack.query("SELECT 1 FROM app_events WHERE app = 'cart' AND phase = 'failed'")).length, 60);
  await page.goto('about:blank');

  const views = await eventually('two views, each with its navigation', async () => {
    const rows = await stack.query('SELECT view_id, app FROM navigations ORDER BY at');
    return rows.length >= 2 && rows;
  }, 60);
  const [first, second] = views.map((v) => v.view_id);
  assert.deepEqual(views.map((v) => v.app), ['shell', 'shell']);
  assert.notEqual(first, second);
  const ttfb = await stack.query("SELECT view_id, count() AS n FROM vitals WHERE name = 'ttfb' GROUP BY view_id ORDER BY view_id");
  assert.deepEqual(ttfb.map((r) => r.n), [1, 1], 'TTFB once per view');

  const inView = (view) => `view_id = '${view}'`;
  const expectedErrors = ['cart', 'catalog'].flatMap((app) => [
    [app, 'error', `${app} exploded`],
    [app, 'rejection', `${app} rejected`],
    [app, 'resource_load', `/apps/${app}/missing.png`],
  ]).concat([['shell', 'error', 'shell exploded']]);
  // Polled until all are stored; what was stored is then compared, either way.
  const errorsOfFirst = () => stack.query(`SELECT app, source, message, url FROM errors WHERE ${inView(first)} ORDER BY app, source`);
  await eventually('the first view\'s seven errors', async () => (await errorsOfFirst()).length >= expectedErrors.length, 30)
    .catch(() => {});
  const errors = await errorsOfFirst();
  assert.deepEqual(
    errors.map((e) => [e.app, e.source, e.source === 'resource_load' ? new URL(e.url).pathname : e.message]),
    expectedErrors,
    JSON.stringify(errors),
  );
  const otherErrors = await stack.query(`SELECT app, source, message, url FROM errors WHERE ${inView(second)}`);
  assert.ok(otherErrors.every((e) => e.app !== 'catalog'), `cart's lost deploy charged to catalog: ${JSON.stringify(otherErrors)}`);

  // Custom metrics and events: on the app whose code pushed them.
  for (const [table, suffix] of [['custom_metrics', 'metric'], ['custom_events', 'mounted']]) {
    const rows = await stack.query(`SELECT app, name, view_id FROM ${table} ORDER BY at`);
    for (const app of APPS) {
      assert.ok(rows.some((r) => r.app === app && r.view_id === first), `${app}'s ${suffix}: ${JSON.stringify(rows)}`);
    }
    assert.ok(rows.every((r) => r.name === `${r.app}_${suffix}`), `${table} on the app that pushed them: ${JSON.stringify(rows)}`);
  }

  const vitals = await stack.query(`SELECT app, name, max(value) AS value FROM vitals WHERE ${inView(first)} AND name IN ('cls', 'inp') GROUP BY app, name`);
  const vital = (app, name) => (vitals.find((v) => v.app === app && v.name === name) || { value: 0 }).value;
  for (const app of APPS) {
    assert.ok(vital(app, 'cls') > 0, `${app}'s layout shift: ${JSON.stringify(vitals)}`);
    assert.ok(vital(app, 'inp') >= 300, `${app}'s 300 ms interaction: ${JSON.stringify(vitals)}`);
  }

  const frames = await stack.query(`SELECT app, max(duration) AS longest FROM long_frames WHERE ${inView(first)} GROUP BY app`);
  for (const app of APPS) {
    assert.ok(frames.some((f) => f.app === app && f.longest >= 300), `${app}'s long frame: ${JSON.stringify(frames)}`);
  }

  // Resources (the apps' entries and chunks too, loaded before they registered) land on their app.
  const resources = await stack.query(`SELECT app, url FROM resources WHERE ${inView(first)}`);
  const deployedApp = (url) => APPS.find((app) => new URL(url).pathname.startsWith(`/apps/${app}/`)) ?? 'shell';
  const misplaced = resources.filter((r) => r.url.startsWith('http') && r.app !== deployedApp(r.url) && !r.url.startsWith(stack.ingestUrl));
  assert.deepEqual(misplaced, [], 'every resource on the app deployed at its URL');
  for (const app of APPS) assert.ok(resources.some((r) => r.app === app), `${app}'s resources: ${JSON.stringify(resources)}`);

  const failed = await stack.query("SELECT app, view_id FROM app_events WHERE phase = 'failed'");
  assert.deepEqual(failed.map((f) => [f.app, f.view_id]), [['cart', second]], 'only cart failed, in the second view');
  // The overview reads rollups, which a busy machine fills a little later: polled until cart's
  // failed view is in, then compared either way.
  const overviewNow = async () => (await fetch(`${stack.ingestUrl}/api/dashboard/overview`)).json();
  const cartIn = (answer) => answer.apps.find((a) => a.app === 'cart')?.availability < 1;
  await eventually('cart\'s failed view in the overview', async () => cartIn(await overviewNow()), 30).catch(() => {});
  const overview = await overviewNow();
  const availability = (app) => overview.apps.find((a) => a.app === app)?.availability;
  assert.ok(availability('cart') < 1, `cart's availability: ${JSON.stringify(overview.apps)}`);
  assert.equal(availability('catalog'), 1, `catalog's availability: ${JSON.stringify(overview.apps)}`);
  return { out, stack, page, url, missing: site.missing };
}
