// A loopback web server for test pages: static files from mounted
// directories, plus routes a test adds (a fake collector, slow images,
// reports). It records every path it served.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

/** The body of a request, as text. */
export async function bodyOf(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

/**
 * Starts the server for test `t`. `mounts` is a list of [url prefix, directory];
 * `routes` maps a path to `async (request, response, url)` handlers.
 */
export async function startPageServer(t, { mounts, routes = {} }) {
  const hits = [];
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, 'http://localhost');
    hits.push(url.pathname + url.search);
    try {
      const route = routes[url.pathname] ?? Object.entries(routes).find(([path]) => path.endsWith('/') && url.pathname.startsWith(path))?.[1];
      if (route) return await route(request, response, url);
      const mount = mounts.find(([prefix]) => url.pathname.startsWith(prefix));
      if (!mount) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
      const file = join(mount[1], normalize(url.pathname.slice(mount[0].length)).replace(/^(\.\.[/\\])+/, ''));
      const body = await readFile(file);
      // No `no-store`: it would keep pages out of the back/forward cache.
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch (error) {
      response.writeHead(error.code === 'ENOENT' || error.code === 'EISDIR' ? 404 : 500);
      response.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { origin: `http://127.0.0.1:${server.address().port}`, hits };
}
