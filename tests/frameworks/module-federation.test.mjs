// Module Federation, four ways: webpack's own plugin and
// @module-federation/enhanced, the package shared or bundled, remotes on the
// page's origin or on a CDN. See harness.mjs for the scenario.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, exercise, filesIn } from './harness.mjs';
import setups from './setups/module-federation.mjs';

for (const setup of setups) {
  test(setup.title, async (t) => {
    const { out } = await exercise(t, setup);
    // Only the host, which calls init, carries the wasm.
    assert.equal((await filesIn(join(out, 'shell'))).filter((f) => f.endsWith('.wasm')).length, 1);
    for (const app of APPS) {
      assert.deepEqual((await filesIn(join(out, app))).filter((f) => f.endsWith('.wasm')), [], `${app} ships no wasm`);
    }
  });
}
