// Builds one demo app on its own, as its team would today: webpack 5 with
// Module Federation (@module-federation/enhanced). The shell is the host; catalog
// and cart are remotes, deployed to a CDN origin of their own. Every app shares
// @canopy/agent as a singleton: the shell provides it (and so the one wasm),
// the remotes use the shell's copy and ship none of their own.
//   node www-demo/build.mjs <shell|catalog|cart>
import { cp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const require = createRequire(import.meta.url);
const { ModuleFederationPlugin } = require('@module-federation/enhanced/webpack');

const app = process.argv[2];
const appDir = fileURLToPath(new URL(`./${app}/`, import.meta.url));
const dist = `${appDir}dist/`;
const shell = app === 'shell';

const federation = shell
  ? {
    name: 'shell',
    // The remotes' URLs are known only when the page is served (the CDN's
    // origin): the shell registers them at run time.
    remotes: {},
    shared: { '@canopy/agent': { singleton: true, requiredVersion: '0.1.0' } },
    // A remote that fails to load is a failed load of that app, and remote
    // entries load with crossorigin, so their errors are not muted.
    runtimePlugins: [require.resolve('@canopy/agent/module-federation')],
  }
  : {
    name: app,
    filename: 'remoteEntry.js',
    exposes: { './mount': './src/index.js' },
    // import: false — the host provides the package; no fallback copy (nor wasm) ships here.
    shared: { '@canopy/agent': { singleton: true, requiredVersion: '0.1.0', import: false } },
  };

const config = {
  mode: 'production',
  context: appDir,
  entry: shell ? { shell: './src/index.js' } : {},
  output: {
    path: dist,
    publicPath: 'auto',
    uniqueName: `canopy-demo-${app}`,
    filename: '[name].js',
    chunkFilename: '[name].js',
    assetModuleFilename: '[name][ext]',
    // Chunks of a cross-origin remote load with crossorigin="anonymous", so
    // the browser reports their errors (the CDN sends CORS headers).
    crossOriginLoading: 'anonymous',
    clean: true,
  },
  devtool: 'source-map',
  plugins: [new ModuleFederationPlugin({ ...federation, dts: false, manifest: false })],
  performance: { hints: false },
  infrastructureLogging: { level: 'error' },
  stats: 'errors-warnings',
};

const stats = await new Promise((resolve, reject) =>
  webpack(config, (error, result) => (error ? reject(error) : resolve(result))));
if (stats.hasErrors()) {
  console.error(stats.toString({ all: false, errors: true }));
  process.exit(1);
}
const assets = `${appDir}public/`;
if (existsSync(assets)) await cp(assets, dist, { recursive: true });
console.log(`built ${app} → www-demo/${app}/dist/`);
