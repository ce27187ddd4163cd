// single-spa, three ways: native import maps with @canopy/agent shared
// through the map or bundled into each app, and SystemJS with webpack
// bundles. See harness.mjs for the scenario, setups/single-spa.mjs for the builds.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, exercise, filesIn } from './harness.mjs';
import setups from './setups/single-spa.mjs';

for (const setup of setups) {
  test(setup.title, async (t) => {
    const { out } = await exercise(t, setup);
    // Only the root config, which calls init, brings the wasm; the apps carry neither it nor its glue.
    assert.equal((await filesIn(join(out, 'shell'))).filter((f) => f.endsWith('.wasm')).length, 1);
    for (const app of APPS) {
      const files = await filesIn(join(out, app));
      assert.deepEqual(files.filter((f) => f.endsWith('.wasm')), [], `${app} ships no wasm`);
      const code = await readFile(join(out, app, `${app}.js`), 'utf8');
      assert.ok(!code.includes('canopy_agent_bg'), `${app}'s bundle holds no wasm glue`);
    }
  });
}
