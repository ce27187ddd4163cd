// Serves the demo as it would be deployed: the shell's page and bundle on the
// site's origin, the remotes (catalog, cart) on a CDN origin of their own,
// with the CORS headers cross-origin scripts need for their errors to be seen.
// Cart is deployed per version (/mfe/cart/<version>/, one build served as
// each); a page load picks one with ?cart=<version> (default 1.4.0).
//   node www-demo/serve.mjs --port 8080 --cdn-port 8081 --endpoint http://127.0.0.1:8787 --key demo-public-key
// A --cdn-port of 0 (the default) takes a free port; both origins are printed.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'cdn-port': { type: 'string', default: '0' },
    endpoint: { type: 'string', default: 'http://127.0.0.1:8787' },
    key: { type: 'string', default: 'demo-public-key' },
  },
});
const root = new URL('./', import.meta.url);
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css',
  '.wasm': 'application/wasm', '.map': 'application/json', '.png': 'image/png', '.json': 'application/json',
};

// The fault switches: the share of page loads on which an app fails.
// GET /__faults reads them, POST /__faults {"cart": 0.5} sets them (the
// demo's header has toggles; the end-to-end tests drive them directly).
// "cart": cart reports appFailed; "cart_deploy": the CDN answers 404 for
// cart's remoteEntry.js, as after a broken deploy.
const faults = {};

async function readJson(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return JSON.parse(body || '{}');
}

async function faultSwitch(request, response) {
  if (request.method === 'POST') {
    const update = await readJson(request);
    for (const [app, share] of Object.entries(update)) {
      if (typeof share === 'number' && share >= 0 && share <= 1) faults[app] = share;
    }
  }
  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(faults));
}

/** The file under `mounts` for `pathname`, or null. */
function resolve(mounts, pathname) {
  const mount = mounts.find(([prefix]) => pathname.startsWith(prefix));
  if (!mount) return null;
  const rest = normalize(pathname.slice(mount[0].length)).replace(/^(\.\.[/\\])+/, '');
  return new URL(mount[1] + rest, root);
}

async function sendFile(response, file, headers = {}) {
  const body = await readFile(file);
  response.writeHead(200, { 'content-type': types[extname(file.pathname)] ?? 'application/octet-stream', ...headers });
  response.end(body);
}

/** A loopback server whose `handle` may throw ENOENT for a 404. */
function listen(port, handle) {
  const server = http.createServer(async (request, response) => {
    try {
      await handle(request, response, new URL(request.url, 'http://localhost').pathname);
    } catch (error) {
      response.writeHead(error.code === 'ENOENT' || error.code === 'EISDIR' ? 404 : 500);
      response.end();
    }
  });
  return new Promise((done) => server.listen(Number(port), '127.0.0.1', () => done(`http://127.0.0.1:${server.address().port}`)));
}

const notFound = () => Object.assign(new Error('not found'), { code: 'ENOENT' });

const cdnMounts = [['/mfe/catalog/', 'catalog/dist/'], ['/mfe/cart/', 'cart/dist/']];
const SEMVER = '\\d+\\.\\d+\\.\\d+';
const cdn = await listen(values['cdn-port'], async (request, response, versionedPath) => {
  const cors = { 'access-control-allow-origin': '*' };
  // Every version of cart is the one build in cart/dist/.
  const pathname = versionedPath.replace(new RegExp(`^/mfe/cart/${SEMVER}/`), '/mfe/cart/');
  if (pathname === '/mfe/cart/remoteEntry.js' && Math.random() < (faults.cart_deploy ?? 0)) throw notFound();
  const file = resolve(cdnMounts, pathname);
  if (!file) throw notFound();
  await sendFile(response, file, cors);
});

const site = await listen(values.port, async (request, response, pathname) => {
  if (pathname === '/__faults') return faultSwitch(request, response);
  // The cart's price API is down: each call is a failed API call of cart.
  if (pathname === '/api/cart/prices') {
    response.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return response.end('{"error":"unavailable"}');
  }
  if (pathname === '/' || pathname === '/index.html') {
    const html = await readFile(new URL('shell/index.html', root), 'utf8');
    const asked = new URL(request.url, 'http://localhost').searchParams.get('cart');
    response.writeHead(200, { 'content-type': types['.html'], 'cache-control': 'no-store' });
    return response.end(html.replace('%CANOPY_ENDPOINT%', values.endpoint).replace('%CANOPY_KEY%', values.key)
      .replace('%CANOPY_CDN%', cdn).replace('%CART_VERSION%', new RegExp(`^${SEMVER}$`).test(asked) ? asked : '1.4.0'));
  }
  const file = resolve([['/shell/', 'shell/dist/']], pathname);
  if (!file) throw notFound();
  await sendFile(response, file);
});
console.log(`demo site on ${site}/`);
console.log(`demo CDN on ${cdn}/`);
