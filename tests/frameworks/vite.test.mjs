// The framework scenario in each Vite setup, plus where the wasm went: only
// the shell, which calls init, may carry it. Library mode inlines assets, so
// an MFE bundle that kept the package's wasm loader would carry a base64
// copy of it; the shell must load the wasm as a file of its own.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, exercise, filesIn } from './harness.mjs';
import setups, { PACKAGE } from './setups/vite.mjs';

// An MFE bundle is the fixture app plus the agent's JavaScript (about 6 KB);
// the wasm (about 63 KB) is bigger than this, and a third more in base64.
const MAX_APP_BUNDLE = 20_000;
// A data URL of the wasm, or its base64 ("AGFzbQ" is the wasm magic "\0asm").
const INLINED_WASM = /data:application\/wasm|AGFzbQ/;

/** Each app's deploy is one small ES module with no trace of the wasm. */
async function assertNoWasmInApps(out, wasm) {
  assert.ok(wasm.length > MAX_APP_BUNDLE, `the wasm (${wasm.length} bytes) no longer tells a copy by size`);
  for (const app of APPS) {
    assert.deepEqual(await filesIn(join(out, app)), ['index.js'], `${app}'s library build`);
    const code = await readFile(join(out, app, 'index.js'), 'utf8');
    assert.ok(code.length < MAX_APP_BUNDLE, `${app}'s bundle is ${code.length} bytes`);
    assert.doesNotMatch(code, INLINED_WASM, `${app}'s bundle carries the wasm`);
    assert.doesNotMatch(code, /canopy_agent_bg/, `${app}'s bundle refers to the wasm`);
  }
}

/** The shell's build emitted the package's wasm once, as a file its code refers to; returns its name. */
async function assertShellEmitsWasm(out, wasm) {
  const files = await filesIn(join(out, 'shell'));
  const emitted = files.filter((file) => file.endsWith('.wasm'));
  assert.equal(emitted.length, 1, `the shell's files: ${files}`);
  assert.ok(wasm.equals(await readFile(join(out, 'shell', emitted[0]))), 'the emitted wasm is the package\'s');
  const scripts = await Promise.all(files.filter((f) => f.endsWith('.js')).map((f) => readFile(join(out, 'shell', f), 'utf8')));
  const name = emitted[0].split('/').pop();
  assert.ok(scripts.some((code) => code.includes(name)), `no script of the shell refers to ${name}`);
  assert.ok(scripts.every((code) => !INLINED_WASM.test(code)), 'the shell inlined the wasm');
  return name;
}

/** The page fetched a URL whose path ends in `path`, and got it, as `type`. */
async function assertPageFetched(page, path, type) {
  const requests = (await page.requests()).filter((r) => new URL(r.url()).pathname.endsWith(path));
  assert.ok(requests.length > 0, `the page never asked for ${path}`);
  for (const request of requests) {
    const response = await request.response();
    assert.equal(response?.status(), 200, request.url());
    assert.equal(response.headers()['content-type'], type, request.url());
  }
}

for (const setup of setups) {
  test(setup.title, async (t) => {
    const { out, page } = await exercise(t, setup);
    const wasm = await readFile(join(PACKAGE, 'wasm', 'canopy_agent_bg.wasm'));
    await assertNoWasmInApps(out, wasm);
    if (setup.startShell) {
      // The dev server ran the package as Vite's optimizer pre-bundled it,
      // and the wasm came from the installed package.
      await assertPageFetched(page, '/node_modules/.vite/deps/@canopy_agent.js', 'text/javascript');
      await assertPageFetched(page, '/node_modules/@canopy/agent/wasm/canopy_agent_bg.wasm', 'application/wasm');
    } else {
      await assertPageFetched(page, `/assets/${await assertShellEmitsWasm(out, wasm)}`, 'application/wasm');
    }
  });
}
