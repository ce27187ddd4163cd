// qiankun, three ways: the default proxy sandbox, strictStyleIsolation (each
// app in a shadow root) and experimentalStyleIsolation (scoped styles). See
// harness.mjs for the scenario, setups/qiankun.mjs for the builds.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, exercise, filesIn } from './harness.mjs';
import setups from './setups/qiankun.mjs';

for (const setup of setups) {
  test(setup.title, { todo: setup.todo }, async (t) => {
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
