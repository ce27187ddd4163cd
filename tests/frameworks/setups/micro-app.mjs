// micro-app setups: the main app (the shell) bundles micro-app and starts it
// with @canopy/agent/micro-app; catalog and cart are HTML entries, each with
// one script (esbuild, the package bundled into it) in static/js/, as
// create-react-app and vue-cli lay a deploy out, on a CDN origin. micro-app
// fetches each entry and its script and runs the script in its default
// sandbox (a proxy window, through `new Function`); with `shadowDOM`, each
// sub-app renders into its <micro-app> element's shadow root.
import { build as esbuild } from 'esbuild';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APPS } from '../harness.mjs';

const FIXTURES = new URL('../fixtures/micro-app/', import.meta.url).pathname;

/** esbuild's bundle of `entry` into `outdir` as `name`.js; fails on any warning. */
async function bundle(entry, outdir, name, options) {
  const { warnings } = await esbuild({
    entryPoints: { [name]: join(FIXTURES, entry) },
    outdir,
    bundle: true,
    minify: true,
    target: 'es2022',
    logLevel: 'silent',
    ...options,
  });
  if (warnings.length) throw new Error(`esbuild: ${warnings.map((w) => w.text).join('\n')}`);
}

async function build(out, { shadowDOM }) {
  await bundle('shell.js', join(out, 'shell'), 'shell', {
    format: 'esm',
    loader: { '.wasm': 'file' },
    define: { SHADOW_DOM: String(shadowDOM) },
  });
  await copyFile(join(FIXTURES, 'index.html'), join(out, 'shell', 'index.html'));
  const page = await readFile(join(FIXTURES, 'app.html'), 'utf8');
  for (const app of APPS) {
    // A classic script, as micro-app's sandbox runs it (it runs modules as blobs, outside the sandbox).
    // The package's wasm glue reads import.meta.url, which an IIFE has not;
    // the glue is dropped anyway (only init uses it: the test checks).
    await bundle('app.js', join(out, app, 'static', 'js'), app, {
      format: 'iife',
      define: { APP_NAME: JSON.stringify(app) },
      logOverride: { 'empty-import-meta': 'silent' },
    });
    await writeFile(join(out, app, 'index.html'), page.replaceAll('%APP%', app));
  }
}

const setup = ({ shadowDOM }) => ({
  title: `micro-app, default sandbox (proxy window)${shadowDOM ? ' and shadowDOM' : ''}, ` +
    'HTML entries with the package bundled in, on a CDN origin',
  crossOrigin: true,
  build: (out) => build(out, { shadowDOM }),
});

export default [setup({ shadowDOM: false }), setup({ shadowDOM: true })];
