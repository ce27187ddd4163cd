// Builds one demo app on its own, as its team would: bundle its entry with its
// own copy of @canopy/agent, and put the agent's wasm (which the package loads
// relative to itself) and the app's public/ files next to the bundle.
import { build } from 'esbuild';
import { copyFile, cp, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const app = process.argv[2];
const appDir = new URL(`./${app}/`, import.meta.url);
const dist = new URL('dist/', appDir);

await mkdir(dist, { recursive: true });
await build({
  entryPoints: [fileURLToPath(new URL('src/index.js', appDir))],
  outfile: fileURLToPath(new URL(`${app}.js`, dist)),
  absWorkingDir: fileURLToPath(appDir),
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
const wasm = fileURLToPath(import.meta.resolve('@canopy/agent/canopy_agent_bg.wasm'));
await copyFile(wasm, fileURLToPath(new URL('canopy_agent_bg.wasm', dist)));
const assets = new URL('public/', appDir);
if (existsSync(assets)) await cp(assets, dist, { recursive: true });
console.log(`built ${app} → www-demo/${app}/dist/`);
