// micro-app: the main app starts micro-app with @canopy/agent/micro-app, the
// sub-apps only call registerApp. See harness.mjs for the scenario,
// setups/micro-app.mjs for the builds. Then a third view: cart's entry is
// served but its script is gone, which micro-app only logs before it
// "mounts" the empty app: a failed load of cart all the same.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually } from '../e2e/stack.mjs';
import { APPS, exercise, filesIn } from './harness.mjs';
import setups from './setups/micro-app.mjs';

const WAIT = { timeout: 60_000 };

for (const setup of setups) {
  test(setup.title, async (t) => {
    const { out, stack, page, url, missing } = await exercise(t, setup);
    for (const app of APPS) {
      assert.deepEqual(await filesIn(join(out, app)), ['index.html', `static/js/${app}.js`], `${app}'s deploy`);
      assert.doesNotMatch(await readFile(join(out, app, 'static', 'js', `${app}.js`), 'utf8'), /canopy_agent_bg/, `${app} carries the wasm glue`);
    }
    // Failed as its entry answered 404, not as it never mounted (expectApps' safety net).
    const failedEntry = await stack.query("SELECT detail FROM app_events WHERE app = 'cart' AND phase = 'failed'");
    assert.match(failedEntry.map((f) => f.detail).join('\n'), /apps\/cart\/index\.html answered 404/);

    // View 3: cart's entry is back, its script is not (a path prefix `gone` answers 404).
    missing.delete('cart');
    missing.add('cart/static');
    await page.goto(url);
    // The integration marks each <micro-app> element as its app's container.
    await page.waitForSelector('micro-app[name="catalog"][data-canopy-app="catalog"] #catalog-throw', WAIT);
    await page.waitForSelector('micro-app[name="cart"][data-canopy-app="cart"] #root', { ...WAIT, state: 'attached' });
    const scriptFailed = "app = 'cart' AND phase = 'failed' AND detail LIKE '%/apps/cart/static/js/cart.js answered 404%'";
    const [{ view_id: third }] = await eventually('the failed load of cart\'s script', async () => {
      const rows = await stack.query(`SELECT view_id FROM app_events WHERE ${scriptFailed}`);
      return rows.length > 0 && rows;
    }, 60);
    await eventually('catalog\'s mount in the third view', async () =>
      (await stack.query(`SELECT 1 FROM app_events WHERE app = 'catalog' AND phase = 'mounted' AND view_id = '${third}'`)).length, 60);
    const cart = await stack.query(`SELECT phase FROM app_events WHERE app = 'cart' AND view_id = '${third}' AND phase != 'registered'`);
    assert.deepEqual(cart.map((e) => e.phase), ['failed'], 'cart neither mounted nor failed twice');
  });
}
