// Bundles the dashboard (JS and CSS, uPlot included: no CDN) into dist/,
// which the ingest server serves at /dashboard (dashboard.dir).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const here = new URL('./', import.meta.url).pathname;
rmSync(`${here}dist`, { recursive: true, force: true });
mkdirSync(`${here}dist`, { recursive: true });
await build({
  entryPoints: [`${here}src/main.js`],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  outdir: `${here}dist`,
  logLevel: 'warning',
});
copyFileSync(`${here}index.html`, `${here}dist/index.html`);
