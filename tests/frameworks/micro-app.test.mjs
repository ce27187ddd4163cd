// micro-app: the main app starts micro-app with @canopy/agent/micro-app, the
// sub-apps only call registerApp. See harness.mjs for the scenario,
// setups/micro-app.mjs for the builds.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, exercise, filesIn } from './harness.mjs';
import setups from './setups/micro-app.mjs';

for (const setup of setups) {
  test(setup.title, async (t) => {
    const { out, stack, page, url } = await exercise(t, setup);
    for (const app of APPS) {
      assert.deepEqual(await filesIn(join(out, app)), ['index.html', `static/js/${app}.js`], `${app}'s deploy`);
      assert.doesNotMatch(await readFile(join(out, app, 'static', 'js', `${app}.js`), 'utf8'), /canopy_agent_bg/, `${app} carries the wasm glue`);
    }
    // Failed as its entry answered 404, not as it never mounted (expectApps' safety net).
    const failed = await stack.query("SELECT detail FROM app_events WHERE app = 'cart' AND phase = 'failed'");
    assert.match(failed.map((f) => f.detail).join('\n'), /apps\/cart\/index\.html answered 404/);
    // The integration marks each <micro-app> element as its app's container (cart is still gone).
    await page.goto(url);
    await page.waitForSelector('micro-app[name="catalog"][data-canopy-app="catalog"] #catalog-throw', { timeout: 60_000 });
  });
}
