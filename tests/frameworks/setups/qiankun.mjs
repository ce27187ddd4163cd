// qiankun setups: a main app (the shell, bundled with qiankun by esbuild) and
// two micro apps built as qiankun's docs have them, webpack 5 UMD bundles
// behind an HTML entry, deployed on a CDN origin. qiankun fetches each entry,
// runs its scripts in a JS sandbox and renders the app into its container:
// as is (the default proxy sandbox), in a shadow root (strictStyleIsolation)
// or with its styles scoped (experimentalStyleIsolation); the apps come
// through registerMicroApps or loadMicroApp.
import assert from 'node:assert/strict';
import { build as esbuild } from 'esbuild';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import webpack from 'webpack';
import { APPS } from '../harness.mjs';

const FIXTURES = new URL('../fixtures/qiankun/', import.meta.url).pathname;

/** webpack's configuration of one micro app: a UMD library `app`.js into out/<app>/. */
function appConfig(app, out) {
  return {
    mode: 'production',
    context: FIXTURES,
    entry: { [app]: './app.js' },
    output: {
      path: join(out, app),
      filename: '[name].js',
      // qiankun takes the lifecycles from what the entry script puts on the sandbox's window.
      library: { name: `qiankun-${app}`, type: 'umd' },
      uniqueName: `fixture-${app}`,
      // Set at run time by public-path.js from what qiankun injects.
      publicPath: '',
    },
    plugins: [new webpack.DefinePlugin({ APP_NAME: JSON.stringify(app) })],
    devtool: false,
    performance: { hints: false },
    infrastructureLogging: { level: 'error' },
  };
}

async function buildApps(out) {
  const stats = await new Promise((resolve, reject) =>
    webpack(APPS.map((app) => appConfig(app, out)), (error, result) => (error ? reject(error) : resolve(result))));
  if (stats.hasErrors() || stats.hasWarnings()) {
    throw new Error(stats.toString({ all: false, errors: true, warnings: true }));
  }
  const entry = await readFile(join(FIXTURES, 'entry.html'), 'utf8');
  for (const app of APPS) await writeFile(join(out, app, 'index.html'), entry.replaceAll('%APP%', app));
}

/**
 * The main app with qiankun bundled in, loading the apps with `sandbox` as
 * qiankun's sandbox option, through loadMicroApp if `manual`, giving
 * qiankun trackQiankun's hooks unless `hooks` is false.
 */
async function buildShell(out, { sandbox, manual, hooks = true }) {
  const { warnings } = await esbuild({
    entryPoints: { shell: join(FIXTURES, 'shell.js') },
    outdir: join(out, 'shell'),
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    loader: { '.wasm': 'file' },
    define: {
      SANDBOX: JSON.stringify(sandbox),
      MANUAL: JSON.stringify(manual),
      HOOKS: JSON.stringify(hooks),
      'process.env.NODE_ENV': '"production"',
    },
    logLevel: 'silent',
  });
  if (warnings.length) throw new Error(`esbuild: ${warnings.map((w) => w.text).join('\n')}`);
  await copyFile(join(FIXTURES, 'index.html'), join(out, 'shell', 'index.html'));
}

/**
 * How qiankun rendered each app: its wrapper element in the app's container,
 * whether that is a shadow host, whether qiankun scoped its styles, and the
 * app it is marked for.
 */
const wrappers = (page) => page.evaluate((apps) => apps.map((app) => {
  const wrapper = document.querySelector(`#${app}-app > [data-name="${app}"]`);
  return wrapper && { shadowRoot: !!wrapper.shadowRoot, scoped: wrapper.hasAttribute('data-qiankun'), app: wrapper.dataset.canopyApp };
}), APPS);

function setup(title, shell, rendered) {
  return {
    title: `qiankun, ${title}, webpack UMD apps behind HTML entries on a CDN origin`,
    crossOrigin: true,
    build: (out) => Promise.all([buildApps(out), buildShell(out, shell)]),
    verify: async (page) => assert.deepEqual(await wrappers(page), APPS.map((app) => ({ ...rendered, app }))),
  };
}

export default [
  setup('registerMicroApps, default proxy sandbox', { sandbox: true, manual: false }, { shadowRoot: false, scoped: false }),
  setup('registerMicroApps, strictStyleIsolation (each app in a shadow root)',
    { sandbox: { strictStyleIsolation: true }, manual: false }, { shadowRoot: true, scoped: false }),
  setup('loadMicroApp, experimentalStyleIsolation (scoped styles)',
    { sandbox: { experimentalStyleIsolation: true }, manual: true }, { shadowRoot: false, scoped: true }),
];

/** No trackQiankun: each app's registerApp, run in qiankun's sandbox, marks the wrapper it renders into. */
export const registerAppOnly = setup('registerMicroApps without hooks, strictStyleIsolation',
  { sandbox: { strictStyleIsolation: true }, manual: false, hooks: false }, { shadowRoot: true, scoped: false });
