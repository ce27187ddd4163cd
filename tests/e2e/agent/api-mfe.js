// One micro-frontend of the API page, bundled once per app (cart, catalog)
// with its own copy of @canopy/agent. `__APP__` is set by the bundler. Each
// call answers what the page saw, so the test can tell the wrappers changed
// nothing.
import { captureError, registerApp } from '@canopy/agent';

const base = new URL('./', import.meta.url).href;
registerApp({ name: __APP__, version: '2.0.0', assetPrefixes: [base] });

/** What a fetch gave the page: its status, or the rejection's name. */
const outcome = (promise) => promise.then((response) => response.status, (error) => error.name);

/**
 * An XMLHttpRequest's status once it ended (0 for a network error).
 * `reuse(request)` runs right after `send`: a second `send`, which throws, or
 * an `open` and `send` anew, which ends the first request without events.
 */
function xhr(method, url, headers = {}, reuse = () => {}) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
    request.addEventListener('loadend', () => resolve(request.status));
    request.send();
    reuse(request);
  });
}

/** A synchronous XMLHttpRequest's status: it ends inside `send`. */
function syncXhr(url) {
  const request = new XMLHttpRequest();
  request.open('GET', url, false);
  request.send();
  return request.status;
}

window[__APP__] = {
  // cart: its API (another origin, traced) answers 500 and 503, and a
  // server that is not there fails the call; then an error it caught.
  async fail(api) {
    const seen = [
      await outcome(fetch(new Request(`${api}/api/cart?id=7`, { method: 'POST', headers: { 'x-cart': 'request' } }))),
      await outcome(fetch(`${api}/api/cart`, { headers: [['traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`]] })),
      await outcome(fetch('http://127.0.0.1:9/down')),
      await xhr('PUT', `${api}/api/cart-xhr`, { 'x-cart': 'xhr' }),
    ];
    captureError(new RangeError('payment declined'), { attributes: { order: '42', retry: true } });
    captureError('not an Error');
    return seen;
  },
  // catalog: same-origin calls that succeed (not traced), an opaque answer
  // (no-cors: status 0, yet no failure), one it aborts, and XMLHttpRequests
  // sent twice, reopened while in flight, and synchronous: each one call.
  async succeed(api) {
    const aborted = new AbortController();
    const abortedCall = outcome(fetch('/api/catalog?aborted', { signal: aborted.signal }));
    aborted.abort();
    const sendAgain = (request) => {
      try {
        request.send();
      } catch {
        // InvalidStateError: it was sent
      }
    };
    return [
      await outcome(fetch('/api/catalog', { headers: new Headers({ 'x-catalog': '1' }) })),
      await xhr('GET', '/api/catalog'),
      await outcome(fetch(`${api}/api/catalog`, { mode: 'no-cors' })),
      await abortedCall,
      await xhr('GET', '/api/catalog?twice', {}, sendAgain),
      await xhr('GET', '/api/catalog?first', {}, (request) => {
        request.open('GET', '/api/catalog?again');
        request.send();
      }),
      syncXhr('/api/catalog?sync'),
    ];
  },
};
