// Apps rendered into shadow roots (qiankun's strictStyleIsolation, wujie):
// the browser reports a layout shift inside one as an ancestor outside it,
// an interaction's target as the shadow host and the LCP element not at all.
// Each must still land on the app whose container holds the shadow root,
// marked in the page or registered by the app (`registerApp({ container })`).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { startPageServer } from './page-server.mjs';
import { KEY, eventually, startStack } from './stack.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const HERE = new URL('agent/', import.meta.url).pathname;
// Busy enough to be an LCP candidate: Chrome skips images of low entropy
// (too few bytes a pixel), such as one plain rectangle.
const HERO = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="500">${Array.from({ length: 300 }, (_, i) =>
  `<circle cx="${(i * 37) % 900}" cy="${(i * 53) % 500}" r="${5 + (i % 20)}" fill="#${((i * 9973) % 0xffffff).toString(16).padStart(6, '0')}"/>`).join('')}</svg>`;

async function buildApps(dir) {
  for (const app of ['alpha', 'beta']) {
    await build({
      entryPoints: [join(HERE, 'shadow-mfe.js')],
      outfile: join(dir, app, 'main.js'),
      absWorkingDir: ROOT,
      bundle: true,
      format: 'esm',
      define: { __APP__: JSON.stringify(app) },
      logLevel: 'error',
    });
  }
  writeFileSync(join(dir, 'alpha', 'hero.svg'), HERO);
}

test('a shift, an interaction and the LCP image inside shadow roots land on the app that holds them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-shadow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await buildApps(dir);
  const server = await startPageServer({
    mounts: [['/pages/', HERE], ['/agent/', join(ROOT, 'npm-package/')], ['/mfe/', dir]],
  });
  t.after(() => server.close());
  const stack = await startStack(t, { origins: [server.origin], demo: false });
  const page = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const warnings = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  await page.goto(`${server.origin}/pages/shadow.html?${new URLSearchParams({ endpoint: stack.ingestUrl, key: KEY })}`);
  await page.waitForSelector('html[data-agent="ready"]');
  // Playwright's CSS selectors pierce open shadow roots.
  await page.waitForFunction(() => document.querySelector('#alpha div')?.shadowRoot?.querySelector('img.hero')?.complete);
  await page.click('#alpha-act');
  await page.waitForSelector('.banner');
  await page.click('#beta-act');
  // The browser reports the slow interaction a frame or more after the click;
  // hiding the page before that would leave it out of INP.
  await page.evaluate(() => new Promise((resolve) => {
    new PerformanceObserver((list) => list.getEntries().some((e) => e.interactionId && e.duration >= 300) && resolve())
      .observe({ type: 'event', buffered: true, durationThreshold: 16 });
  }));
  assert.deepEqual(await page.evaluate(() => [window.betaRegister('#nowhere'), window.betaRegister('#nowhere'), window.betaRegister('][')]),
    [false, false, false], 'a container that is not there is refused');
  assert.deepEqual(warnings.filter((w) => w.includes('container')),
    ['[canopy] registerApp: container must be an element or the CSS selector of one on the page'], 'said once');
  await page.goto('about:blank'); // hiding the page finalises its vitals and flushes

  const vitals = await eventually('CLS, INP and LCP of the view', async () => {
    const rows = await stack.query("SELECT app, name, value, owner FROM vitals WHERE name IN ('cls', 'inp', 'lcp') ORDER BY app, name");
    return ['cls', 'inp', 'lcp'].every((name) => rows.some((r) => r.app === 'shell' && r.name === name)) && rows;
  });
  const of = (app, name) => vitals.find((v) => v.app === app && v.name === name);
  assert.ok(of('alpha', 'cls')?.value > 0, `alpha's banner is alpha's shift: ${JSON.stringify(vitals)}`);
  assert.ok(of('beta', 'inp')?.value >= 300, `beta's slow button: ${JSON.stringify(vitals)}`);
  assert.equal(of('shell', 'lcp').owner, 'alpha', `alpha's hero image: ${JSON.stringify(vitals)}`);
  assert.equal(of('shell', 'cls').owner, 'alpha');
  assert.deepEqual(pageErrors, [], 'the agent threw nothing into the page');
});
