// A loopback-only HTTP server for pages that run in headless Chromium: the
// vitals oracle's scenario pages and the agent overhead benchmark
// (bench/agent-overhead). It serves folders, slow tiled images (late LCP
// candidates) and whatever routes its caller adds.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { extname, join, normalize } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.json': 'application/json', '.mjs': 'text/javascript', '.map': 'application/json',
};

/** The content type for a file name, by its extension. */
export const contentType = (name) => TYPES[extname(name)] ?? 'application/octet-stream';

/**
 * An SVG of w×h tiles in varied colours. Chromium ignores images of under
 * 0.05 bits per displayed pixel for LCP (a plain rectangle is one), so the
 * tiles give it about a bit per 20 pixels.
 */
export function tiledSvg(w, h) {
  const tiles = [];
  let seed = w * 31 + h;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let y = 0; y < h; y += 20) {
    for (let x = 0; x < w; x += 20) {
      tiles.push(`<rect x="${x}" y="${y}" width="20" height="20" fill="#${(next() % 0xffffff).toString(16).padStart(6, '0')}"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${tiles.join('')}</svg>`;
}

/** An image of w×h after `delay` ms: /img/<any name>.svg?delay=…&w=…&h=… */
async function slowImage(request, response, url) {
  await sleep(Number(url.searchParams.get('delay') ?? 0));
  response.writeHead(200, { 'content-type': 'image/svg+xml' });
  response.end(tiledSvg(Number(url.searchParams.get('w') ?? 100), Number(url.searchParams.get('h') ?? 100)));
}

/**
 * Starts the server on 127.0.0.1 and a free port.
 * - `mounts`: [url prefix, folder] pairs served as files;
 * - `routes`: [url prefix, async (request, response, url) => void] pairs, tried first;
 * - `headers`: sent with every response;
 * - `gone`: (pathname) => true for paths to answer 404, as after a lost deploy.
 * Every request's path and query is kept in `hits`, in order.
 */
export async function startPageServer({ mounts = [], routes = [], headers = {}, gone = () => false }) {
  const hits = [];
  const handlers = [...routes, ['/img/', slowImage]];
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, 'http://localhost');
    hits.push(url.pathname + url.search);
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    try {
      if (gone(url.pathname)) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
      const route = handlers.find(([prefix]) => url.pathname.startsWith(prefix));
      if (route) return await route[1](request, response, url);
      const mount = mounts.find(([prefix]) => url.pathname.startsWith(prefix));
      if (!mount) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
      const file = join(mount[1], normalize(url.pathname.slice(mount[0].length)).replace(/^(\.\.[/\\])+/, ''));
      const body = await readFile(file);
      // No `no-store`: it would keep pages out of the back/forward cache.
      response.writeHead(200, { 'content-type': contentType(file) });
      response.end(body);
    } catch (error) {
      response.writeHead(error.code === 'ENOENT' || error.code === 'EISDIR' ? 404 : 500);
      response.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, hits, close: () => server.close() };
}

/** A request's body as text. */
export async function readBody(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}
