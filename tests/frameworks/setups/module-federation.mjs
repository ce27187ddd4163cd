// Module Federation setups: a host (the shell) and two remotes built with
// webpack 5, by webpack's own ModuleFederationPlugin or by
// @module-federation/enhanced, with @canopy/agent shared as a singleton or
// bundled into each app, the remotes on the page's origin or on a CDN.
import { copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import webpack from 'webpack';
import { APPS } from '../harness.mjs';

const require = createRequire(import.meta.url);
const FIXTURES = new URL('../fixtures/module-federation/', import.meta.url).pathname;
const PLUGINS = {
  webpack: () => webpack.container.ModuleFederationPlugin,
  enhanced: () => require('@module-federation/enhanced/webpack').ModuleFederationPlugin,
};
const SINGLETON = { singleton: true, requiredVersion: '0.1.0' };

/** The federation options of one app. */
function federation(app, { plugin, shared }) {
  const host = app === 'shell';
  const options = host
    ? { name: 'shell', remotes: {} }
    : { name: app, filename: 'remoteEntry.js', exposes: { './mount': './remote.js' } };
  if (shared) {
    // Remotes take the host's copy: no fallback copy of the package ships with them.
    options.shared = { '@canopy/agent': host ? SINGLETON : { ...SINGLETON, import: false } };
  }
  if (plugin === 'enhanced') {
    Object.assign(options, { dts: false, manifest: false });
    if (host) options.runtimePlugins = [require.resolve('@canopy/agent/module-federation')];
  }
  return options;
}

/** webpack's configuration for one app of the setup, built into out/<app>/. */
function config(app, out, options) {
  const Plugin = PLUGINS[options.plugin]();
  return {
    mode: 'production',
    context: FIXTURES,
    entry: app === 'shell' ? { shell: './shell.js' } : {},
    output: {
      path: join(out, app),
      publicPath: 'auto',
      uniqueName: `fixture-${app}`,
      filename: '[name].js',
      chunkFilename: '[name].[contenthash:8].js',
      // Chunks load with crossorigin="anonymous": a cross-origin remote's errors are not muted.
      crossOriginLoading: 'anonymous',
    },
    resolve: { alias: { 'canopy-fixture-loader': join(FIXTURES, `load-${options.plugin}.js`) } },
    plugins: [new Plugin(federation(app, options)), new webpack.DefinePlugin({ APP_NAME: JSON.stringify(app) })],
    devtool: false,
    performance: { hints: false },
    infrastructureLogging: { level: 'error' },
  };
}

async function build(out, options) {
  const configs = ['shell', ...APPS].map((app) => config(app, out, options));
  const stats = await new Promise((resolve, reject) =>
    webpack(configs, (error, result) => (error ? reject(error) : resolve(result))));
  if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
  await copyFile(join(FIXTURES, 'index.html'), join(out, 'shell', 'index.html'));
}

function setup(options) {
  const { plugin, shared, crossOrigin } = options;
  return {
    title: `Module Federation (${plugin === 'webpack' ? "webpack's ModuleFederationPlugin" : '@module-federation/enhanced'}), ` +
      `package ${shared ? 'shared as a singleton' : 'bundled per app'}, remotes ${crossOrigin ? 'on a CDN origin' : 'on the same origin'}`,
    crossOrigin,
    build: (out) => build(out, options),
  };
}

export default [
  setup({ plugin: 'webpack', shared: false, crossOrigin: false }),
  setup({ plugin: 'webpack', shared: true, crossOrigin: true }),
  setup({ plugin: 'enhanced', shared: true, crossOrigin: true }),
  setup({ plugin: 'enhanced', shared: false, crossOrigin: false }),
];
