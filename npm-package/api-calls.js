// The API call wrappers of the page's agent: only `init`'s loader refers to
// them, so an MFE that does not import `init` bundles none of this.

import { stackAbove } from './stack.js';
import { randomHex as hex } from './agent/session.js';

/**
 * Wraps `fetch` and `XMLHttpRequest` (open, setRequestHeader, send) so that
 * each call the page makes is handed to `record` when it finishes:
 * `{ method, url, status, duration, message, traceId, caller, failed }`,
 * `caller` the stack of the code that made it (which app's). A call to the
 * agent's own endpoint is left alone; an aborted one is not reported. The
 * page gets exactly what it would without the wrappers: a promise that
 * settles as the browser's does (and is an unhandled rejection when the page
 * leaves a failure unhandled), the same response or rejection. Calls to
 * `tracePropagationTargets` (origins, compared as `URL` writes them) get a
 * W3C `traceparent` unless the page set one. In JS, not in the wasm: a
 * promise and XHR events are a few lines here, closures and glue there.
 */
export function watchApiCalls({ endpoint, apiErrorStatuses, tracePropagationTargets = [] }, record) {
  // Both sides as `URL` writes them: `HTTPS://Host:443/` is `https://host/`.
  const own = new URL(`${String(endpoint).replace(/\/+$/, '')}/v1/beacon`).href;
  const targets = tracePropagationTargets.map((target) => {
    try {
      return new URL(target).origin;
    } catch {
      return target; // no request goes there: it matches none
    }
  });
  const worst = apiErrorStatuses === '4xx+5xx' ? 400 : 500;
  // The call as it starts: null for the agent's own calls and unreadable URLs.
  const start = (method, target, caller) => {
    try {
      const url = new URL(target, location.href);
      if (url.href.startsWith(own)) return null;
      const traced = targets.includes(url.origin);
      return { method: String(method || 'GET').toUpperCase(), url: url.href, traced, traceId: '', caller, started: performance.now() };
    } catch {
      return null;
    }
  };
  // Sets a traceparent through `set` unless `has` says the page set one.
  const trace = (call, has, set) => {
    if (!call || !call.traced || has()) return;
    const traceId = hex(16);
    set(`00-${traceId}-${hex(8)}-01`);
    call.traceId = traceId;
  };
  // `answered`: an opaque (no-cors) response, status 0 but no failure.
  const finish = (call, status, message, answered = status > 0) => {
    const { started, traced, ...rest } = call;
    record({ ...rest, status, message, duration: performance.now() - started, failed: !answered || status >= worst });
  };

  const originalFetch = globalThis.fetch;
  if (typeof originalFetch == 'function') {
    globalThis.fetch = function fetch(input, init) {
      const request = input instanceof Request ? input : null;
      const call = start(init?.method || request?.method, request ? request.url : input, stackAbove(fetch));
      let args = arguments;
      try {
        let headers;
        trace(call, () => {
          headers = new Headers(init?.headers !== undefined ? init.headers : request?.headers);
          return headers.has('traceparent');
        }, (value) => {
          headers.set('traceparent', value);
          args = [input, { ...init, headers }];
        });
      } catch {
        // headers the browser refuses: the call goes as the page made it
      }
      const result = originalFetch.apply(this, args);
      // The page gets this chain, which settles as `result` does: a failure
      // the page leaves alone stays an unhandled rejection.
      return call ? result.then((response) => {
        finish(call, response.status, '', response.type !== 'error');
        return response;
      }, (error) => {
        error?.name === 'AbortError' || finish(call, 0, String(error?.message ?? error));
        throw error;
      }) : result;
    };
  }

  const xhr = globalThis.XMLHttpRequest?.prototype;
  if (!xhr) return;
  const calls = new WeakMap();
  const { open, setRequestHeader, send } = xhr;
  xhr.open = function (method, url) {
    calls.set(this, { method, url, page: false });
    return open.apply(this, arguments);
  };
  xhr.setRequestHeader = function (name) {
    const opened = calls.get(this);
    if (opened && String(name).toLowerCase() === 'traceparent') opened.page = true;
    return setRequestHeader.apply(this, arguments);
  };
  xhr.send = function sendWatched() {
    const opened = calls.get(this);
    const call = opened && start(opened.method, opened.url, stackAbove(sendWatched));
    if (call) {
      try {
        trace(call, () => opened.page, (value) => setRequestHeader.call(this, 'traceparent', value));
      } catch {
        // not OPENED: send throws below, as it would
      }
    }
    // Throws when not OPENED or already sent: then nothing was sent.
    const result = send.apply(this, arguments);
    if (call) {
      const done = () => finish(call, this.status, this.status ? '' : 'network error');
      // A synchronous request ended inside `send`.
      if (this.readyState === 4) done();
      else {
        let aborted = false;
        this.addEventListener('abort', () => (aborted = true), { once: true });
        // `open` during the request ends it without events: these listeners
        // then fire at the next request's end, which is not this call.
        this.addEventListener('loadend', () => aborted || calls.get(this) !== opened || done(), { once: true });
      }
    }
    return result;
  };
}
