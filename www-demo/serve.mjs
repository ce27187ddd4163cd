// Serves the demo as a CDN would: the shell page at /, each app's bundle
// under a path of its own (so URL prefixes tell the apps apart).
//   node www-demo/serve.mjs --port 8080 --endpoint http://127.0.0.1:8787 --key demo-public-key
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    endpoint: { type: 'string', default: 'http://127.0.0.1:8787' },
    key: { type: 'string', default: 'demo-public-key' },
  },
});
const root = new URL('./', import.meta.url);
const mounts = [
  ['/shell/', 'shell/dist/'],
  ['/mfe/catalog/', 'catalog/dist/'],
  ['/mfe/cart/', 'cart/dist/'],
];
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css',
  '.wasm': 'application/wasm', '.map': 'application/json', '.png': 'image/png',
};

// The fault switch: the share of page loads on which an app fails to mount.
// GET /__faults reads it, POST /__faults {"cart": 0.5} sets it (the demo's
// header has a toggle; the end-to-end tests drive it directly).
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

async function page() {
  const html = await readFile(new URL('shell/index.html', root), 'utf8');
  return html.replace('%CANOPY_ENDPOINT%', values.endpoint).replace('%CANOPY_KEY%', values.key);
}

function resolve(pathname) {
  const mount = mounts.find(([prefix]) => pathname.startsWith(prefix));
  if (!mount) return null;
  const rest = normalize(pathname.slice(mount[0].length)).replace(/^(\.\.[/\\])+/, '');
  return new URL(mount[1] + rest, root);
}

const server = http.createServer(async (request, response) => {
  const { pathname } = new URL(request.url, 'http://localhost');
  try {
    if (pathname === '/__faults') return await faultSwitch(request, response);
    if (pathname === '/' || pathname === '/index.html') {
      response.writeHead(200, { 'content-type': types['.html'], 'cache-control': 'no-store' });
      return response.end(await page());
    }
    const file = resolve(pathname);
    if (!file) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': types[extname(file.pathname)] ?? 'application/octet-stream' });
    response.end(body);
  } catch (error) {
    response.writeHead(error.code === 'ENOENT' || error.code === 'EISDIR' ? 404 : 500);
    response.end();
  }
});
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`demo site on http://127.0.0.1:${server.address().port}/`);
});
