// One micro-frontend of the API page, bundled once per app (cart, catalog)
// with its own copy of @canopy/agent. `__APP__` is set by the bundler. Each
// call answers what the page saw, so the test can tell the wrappers changed
// nothing.
import { captureError, registerApp } from '@canopy/agent';

const base = new URL('./', import.meta.url).href;
registerApp({ name: __APP__, version: '2.0.0', assetPrefixes: [base] });

/** What a fetch gave the page: its status, or the rejection's name. */
const outcome = (promise) => promise.then((response) => response.status, (error) => error.name);

/** An XMLHttpRequest's status once it ended (0 for a network error). */
function xhr(method, url, headers = {}) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
    request.addEventListener('loadend', () => resolve(request.status));
    request.send();
  });
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
  // catalog: same-origin calls that succeed (not traced), and one it aborts.
  async succeed() {
    const aborted = new AbortController();
    const abortedCall = outcome(fetch('/api/catalog?aborted', { signal: aborted.signal }));
    aborted.abort();
    return [
      await outcome(fetch('/api/catalog', { headers: new Headers({ 'x-catalog': '1' }) })),
      await xhr('GET', '/api/catalog'),
      await abortedCall,
    ];
  },
};
