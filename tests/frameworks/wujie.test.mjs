// wujie: sub-apps in same-origin sandbox iframes with their DOM in shadow
// roots. See harness.mjs for the scenario, setups/wujie.mjs for the build.
import { test } from 'node:test';
import { exercise } from './harness.mjs';
import setups from './setups/wujie.mjs';

for (const setup of setups) {
  test(setup.title, async (t) => {
    await exercise(t, setup);
  });
}
