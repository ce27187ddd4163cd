// qiankun, three ways: registerMicroApps with the default proxy sandbox and
// with strictStyleIsolation (each app in a shadow root), and loadMicroApp
// with experimentalStyleIsolation (scoped styles). See harness.mjs for the
// scenario, setups/qiankun.mjs for the builds. Then what registerApp alone
// does in qiankun's sandbox, with no hooks in the main app.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../e2e/stack.mjs';
import { APPS, WAIT, build, exercise, filesIn, serve } from './harness.mjs';
import setups, { registerAppOnly } from './setups/qiankun.mjs';

for (const setup of setups) {
  test(setup.title, async (t) => {
    const { out } = await exercise(t, setup);
    // Only the main app, which calls init, brings the wasm; the apps carry neither it nor its glue.
    assert.equal((await filesIn(join(out, 'shell'))).filter((f) => f.endsWith('.wasm')).length, 1);
    for (const app of APPS) {
      assert.deepEqual(await filesIn(join(out, app)), [`${app}.js`, 'index.html'], `${app}'s deploy`);
      const code = await readFile(join(out, app, `${app}.js`), 'utf8');
      assert.ok(!code.includes('canopy_agent_bg'), `${app}'s bundle holds no wasm glue`);
    }
  });
}

// The wrapper marks alone: no agent (no endpoint) and no ClickHouse needed.
test(registerAppOnly.title, async (t) => {
  const site = await serve(t, registerAppOnly, await build(t, registerAppOnly));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${site.page}?${new URLSearchParams({ apps: site.appsOrigin })}`);
  for (const app of APPS) await page.waitForSelector(`#${app}-broken`, WAIT);
  await registerAppOnly.verify(page);
});
