// The benchmark's loopback server: the page, the tools under test (the built
// agent, web-vitals), the page's 500 small resources, and the two receivers
// (the agent's beacon endpoint, web-vitals' sink), which count what arrives.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentType, readBody, startPageServer } from '../../tests/e2e/page-server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A small body of the requested kind: what a thumbnail, a chunk or an API answer costs to load. */
const SMALL_BODIES = {
  '.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="#8ac"/></svg>',
  '.js': 'void 0;',
  '.json': '{"ok":true}',
};

async function smallResource(request, response, url) {
  const extension = url.pathname.slice(url.pathname.lastIndexOf('.'));
  response.writeHead(200, { 'content-type': contentType(url.pathname) });
  response.end(SMALL_BODIES[extension] ?? '');
}

/** Starts the server; `received` counts the beacons and bytes each receiver got. */
export async function startBenchServer() {
  const received = { canopy: { beacons: 0, bytes: 0 }, sink: { beacons: 0, bytes: 0 } };
  const receiver = (name, status) => async (request, response) => {
    const body = await readBody(request);
    received[name].beacons += 1;
    received[name].bytes += Buffer.byteLength(body);
    response.writeHead(status);
    response.end();
  };
  const server = await startPageServer({
    mounts: [
      ['/page/', fileURLToPath(new URL('page/', import.meta.url))],
      ['/agent/', join(ROOT, 'npm-package/')],
      ['/web-vitals/', dirname(fileURLToPath(import.meta.resolve('web-vitals')))],
    ],
    routes: [
      ['/canopy/v1/beacon', receiver('canopy', 202)],
      ['/sink', receiver('sink', 204)],
      ['/mfe/', smallResource],
      ['/cdn/', smallResource],
      ['/api/', smallResource],
    ],
    // Cross-origin isolated, so performance.now() is precise to 5 µs, not 100 µs.
    headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
  });
  return { ...server, received };
}
