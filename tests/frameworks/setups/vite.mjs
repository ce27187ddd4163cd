// The Vite 8 setups of the framework suite, built through Vite's JS API with
// inline config. catalog and cart are library-mode builds (build.lib, ES
// format) with @canopy/agent bundled in, as a team gets by default, deployed
// on a CDN origin; the shell imports each one at run time from there. The
// shell is either a `vite build` site or served by Vite's dev server.
//
// Every project is a folder of its own under the test's output, with the
// package in node_modules as npm installs it (its published files): the
// repo's workspace link would make Vite treat the package as source and skip
// the dependency pre-bundling a real user's dev server does. Vite's cache
// (<root>/node_modules/.vite) thereby stays in the test's output too.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer } from 'vite';
import { APPS } from '../harness.mjs';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const PACKAGE = fileURLToPath(new URL('../../../npm-package/', import.meta.url));
const SHELL_FILES = ['index.html', 'main.js'];
const INLINE = { configFile: false, logLevel: 'warn' };

/**
 * Makes `dir` a Vite project: the fixture `files`, the shared fixture code
 * in ./common and @canopy/agent installed from its published files.
 */
async function project(dir, files) {
  await cp(join(FIXTURES, 'common'), join(dir, 'common'), { recursive: true });
  for (const file of files) await cp(join(FIXTURES, 'vite', file), join(dir, file));
  // A package of ES modules: library mode names its ES output index.js only then (else .mjs).
  await writeFile(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  const agent = join(dir, 'node_modules', '@canopy', 'agent');
  const { files: published } = JSON.parse(await readFile(join(PACKAGE, 'package.json'), 'utf8'));
  for (const file of ['package.json', ...published]) {
    await cp(join(PACKAGE, file), join(agent, file), { recursive: true }).catch((error) => {
      if (error.code !== 'ENOENT') throw error; // npm publishes the listed files that exist
    });
  }
}

/** catalog and cart as library builds: out/<app>/index.js, nothing else. */
async function buildApps(out) {
  const src = join(out, 'src', 'apps');
  await project(src, APPS.map((app) => `${app}.js`));
  for (const app of APPS) {
    await build({
      ...INLINE,
      root: src,
      build: {
        outDir: join(out, app),
        emptyOutDir: true,
        lib: { entry: join(src, `${app}.js`), formats: ['es'], fileName: 'index' },
      },
    });
  }
}

/** The shell's `vite build` into out/shell. */
async function buildShell(out) {
  const src = join(out, 'src', 'shell');
  await project(src, SHELL_FILES);
  await build({ ...INLINE, root: src, build: { outDir: join(out, 'shell'), emptyOutDir: true } });
}

/** Serves the shell project at `root` with Vite's dev server, HMR on. */
async function startDevServer(t, root) {
  const server = await createServer({
    ...INLINE,
    root,
    server: { host: '127.0.0.1', port: 0, hmr: true },
  });
  t.after(() => server.close());
  await server.listen();
  return `http://127.0.0.1:${server.httpServer.address().port}`;
}

export default [
  {
    title: 'Vite build: shell from vite build, library-mode MFEs on a CDN origin',
    crossOrigin: true,
    async build(out) {
      await buildApps(out);
      await buildShell(out);
    },
  },
  {
    title: 'Vite dev: shell on the dev server, library-mode MFEs on a CDN origin',
    crossOrigin: true,
    async build(out) {
      await buildApps(out);
      await project(join(out, 'shell'), SHELL_FILES);
    },
    startShell: startDevServer,
  },
];
