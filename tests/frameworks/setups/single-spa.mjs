// single-spa setups: a root config (the shell) and two applications, loaded
// through a native import map (built with esbuild, @canopy/agent shared
// through the map or bundled into each) or through SystemJS (built with
// webpack as System.register modules, the package bundled into each).
import { build as esbuild } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import webpack from 'webpack';
import { APPS } from '../harness.mjs';

const require = createRequire(import.meta.url);
const FIXTURES = new URL('../fixtures/single-spa/', import.meta.url).pathname;
const appUrl = (app) => `%APPS_ORIGIN%/apps/${app}/${app}.js`;

/** An installed package's folder and manifest (not every package exports its package.json). */
function installed(name) {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    const manifest = existsSync(file) && JSON.parse(readFileSync(file, 'utf8'));
    if (manifest && manifest.name === name) return { dir, manifest };
  }
  throw new Error(`no package.json of ${name} above ${require.resolve(name)}`);
}

/** Copies `files` (relative to `from`) into `to`, as a team would vendor them. */
async function vendor(from, files, to) {
  for (const file of files) await cp(join(from, file), join(to, file), { recursive: true });
}

/** single-spa's build for `format` ('esm' or 'system') into out/shell/vendor/single-spa/. */
async function vendorSingleSpa(out, format) {
  const file = `lib/es2015/${format}/single-spa.min.js`;
  await vendor(installed('single-spa').dir, [file], join(out, 'shell', 'vendor', 'single-spa'));
  return `/vendor/single-spa/${file}`;
}

/** The shell's page: the fixture's index.html with the setup's loader in its head. */
async function writePage(out, loader) {
  const page = (await readFile(join(FIXTURES, 'index.html'), 'utf8'))
    .replace(/<!-- loader:.*-->/, loader.trim().replaceAll('\n', '\n  '));
  await writeFile(join(out, 'shell', 'index.html'), page);
}

const script = (body, type) => `<script${type ? ` type="${type}"` : ''}>\n${body}\n</script>`;
const importMap = (type, imports) => script(JSON.stringify({ imports }, null, 2), type);

/** esbuild: one ES module per entry, `external` left to the import map. */
async function bundle(entry, outdir, { name, external, define = {}, ...options }) {
  const { warnings } = await esbuild({
    entryPoints: { [name]: join(FIXTURES, entry) },
    outdir,
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    external,
    define,
    logLevel: 'silent',
    ...options,
  });
  if (warnings.length) throw new Error(`esbuild: ${warnings.map((w) => w.text).join('\n')}`);
}

/** Native import maps; the package shared through the map (`shared`) or bundled into each app. */
async function buildImportMap(out, { shared }) {
  const imports = { 'single-spa': await vendorSingleSpa(out, 'esm') };
  const external = ['single-spa'];
  if (shared) {
    // Served as published (its `files`): the wasm sits next to the glue, where the glue looks.
    const { dir, manifest } = installed('@canopy/agent');
    const files = manifest.files.filter((file) => existsSync(join(dir, file))); // wasm/snippets/ only if the agent has any
    await vendor(dir, files, join(out, 'shell', 'vendor', 'canopy'));
    imports['@canopy/agent'] = '/vendor/canopy/index.js';
    imports['@canopy/agent/single-spa'] = '/vendor/canopy/single-spa.js';
    external.push('@canopy/agent');
  }
  // Bundled, the root config imports the wasm itself (see root-esm-bundled.js).
  await bundle(shared ? 'root-esm.js' : 'root-esm-bundled.js', join(out, 'shell'), {
    name: 'root-config',
    external,
    loader: { '.wasm': 'file' },
  });
  imports['@shop/root-config'] = '/root-config.js';
  for (const app of APPS) {
    await bundle('app-esm.js', join(out, app), { name: app, external, define: { APP_NAME: JSON.stringify(app) } });
    imports[`@shop/${app}`] = appUrl(app);
  }
  await writePage(out, `
${importMap('importmap', imports)}
${script("import '@shop/root-config';", 'module')}`);
}

/** webpack's configuration of one System.register bundle: `name`.js into `path`. */
function systemConfig(entry, path, name, define) {
  return {
    mode: 'production',
    context: FIXTURES,
    entry: { [name]: `./${entry}` },
    output: {
      path,
      filename: '[name].js',
      uniqueName: `fixture-${name}`,
      library: { type: 'system' },
      // Set at run time by set-public-path.js: webpack cannot know where SystemJS loaded the bundle from.
      publicPath: '',
      assetModuleFilename: '[name].[contenthash:8][ext]',
    },
    externals: ['single-spa'],
    plugins: [new webpack.DefinePlugin(Object.fromEntries(Object.entries(define).map(([k, v]) => [k, JSON.stringify(v)])))],
    devtool: false,
    performance: { hints: false },
    infrastructureLogging: { level: 'error' },
  };
}

/** SystemJS: the root config and the apps as System.register bundles (webpack), the package bundled into each. */
async function buildSystemJs(out) {
  const configs = [
    systemConfig('root-system.js', join(out, 'shell'), 'root-config', { SYSTEMJS_NAME: '@shop/root-config' }),
    ...APPS.map((app) => systemConfig('app-system.js', join(out, app), app, { SYSTEMJS_NAME: `@shop/${app}`, APP_NAME: app })),
  ];
  const stats = await new Promise((resolve, reject) =>
    webpack(configs, (error, result) => (error ? reject(error) : resolve(result))));
  if (stats.hasErrors() || stats.hasWarnings()) {
    throw new Error(stats.toString({ all: false, errors: true, warnings: true }));
  }
  const systemjs = 'dist/system.min.js';
  await vendor(installed('systemjs').dir, [systemjs], join(out, 'shell', 'vendor', 'systemjs'));
  const imports = {
    'single-spa': await vendorSingleSpa(out, 'system'),
    '@shop/root-config': '/root-config.js',
    ...Object.fromEntries(APPS.map((app) => [`@shop/${app}`, appUrl(app)])),
  };
  await writePage(out, `
${importMap('systemjs-importmap', imports)}
<script src="/vendor/systemjs/${systemjs}"></script>
${script("System.import('@shop/root-config');")}`);
}

export default [
  {
    title: 'single-spa, native import maps, package shared through the map, apps on a CDN origin',
    crossOrigin: true,
    build: (out) => buildImportMap(out, { shared: true }),
  },
  {
    title: 'single-spa, native import maps, package bundled into each app, apps on the same origin',
    crossOrigin: false,
    build: (out) => buildImportMap(out, { shared: false }),
  },
  {
    title: 'single-spa, SystemJS (webpack System.register bundles), package bundled into each app, apps on a CDN origin',
    crossOrigin: true,
    build: buildSystemJs,
  },
];
