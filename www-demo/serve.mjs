// Serves the demo as a CDN would: the shell page at /, each app's bundle
// under a path of its own (so URL prefixes tell the apps apart).
//   node www-demo/serve.mjs --port 8080 --endpoint http://127.0.0.1:8787
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, endpoint: { type: 'string', default: 'http://127.0.0.1:8787' } },
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

async function page() {
  const html = await readFile(new URL('shell/index.html', root), 'utf8');
  return html.replace('%CANOPY_ENDPOINT%', values.endpoint);
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
