// The wujie setup: the shell (main app) bundles wujie and the package with
// webpack 5; catalog and cart are HTML-entry apps built with webpack 5, the
// package bundled into each, deployed on a CDN origin. wujie fetches each
// entry and runs the app's scripts in a same-origin iframe, its DOM in a
// <wujie-app>'s shadow root in the shell's page.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import webpack from 'webpack';
import { APPS } from '../harness.mjs';

const FIXTURES = new URL('../fixtures/wujie/', import.meta.url).pathname;

/** webpack's configuration of one app: `entry` bundled as main.js (the shell: shell.js) into out/<app>/. */
function config(app, out) {
  const shell = app === 'shell';
  return {
    mode: 'production',
    context: FIXTURES,
    entry: { [shell ? 'shell' : 'main']: shell ? './shell.js' : './app.js' },
    output: {
      path: join(out, app),
      publicPath: 'auto',
      uniqueName: `fixture-${app}`,
      filename: '[name].js',
      assetModuleFilename: '[name].[contenthash:8][ext]',
    },
    plugins: [new webpack.DefinePlugin({ APP_NAME: JSON.stringify(app) })],
    devtool: false,
    performance: { hints: false },
    infrastructureLogging: { level: 'error' },
  };
}

async function build(out) {
  const configs = ['shell', ...APPS].map((app) => config(app, out));
  const stats = await new Promise((resolve, reject) =>
    webpack(configs, (error, result) => (error ? reject(error) : resolve(result))));
  if (stats.hasErrors() || stats.hasWarnings()) {
    throw new Error(stats.toString({ all: false, errors: true, warnings: true }));
  }
  await writeFile(join(out, 'shell', 'index.html'), await readFile(join(FIXTURES, 'index.html')));
  const entry = await readFile(join(FIXTURES, 'app.html'), 'utf8');
  for (const app of APPS) await writeFile(join(out, app, 'index.html'), entry.replace('APP_NAME', app));
}

export default [
  {
    title: 'wujie: HTML-entry sub-apps (webpack 5, package bundled into each) in sandbox iframes, on a CDN origin',
    crossOrigin: true,
    build,
  },
];
