// @canopy/agent — the JavaScript face of the wasm agent.
//
// Every micro-frontend on a page bundles its own copy of this file (or shares
// one through Module Federation or an import map), but the page must run one
// agent: the first copy to load puts a hub on a well-known global, and every
// later copy (even another version) talks to that hub. A copy that a
// framework runs in a same-origin iframe of the page (wujie's sandbox) finds
// the hub of the window above it, which then also watches that iframe's
// window. Calls made before the wasm is ready are queued. Nothing here
// throws into the page: problems are reported once each on the console, and
// a call the agent will never see returns false.
//
// Only `init` refers to the wasm and its glue, so an MFE that never calls it
// (every MFE but the shell) bundles neither: bundlers drop them as unused
// (the package has no side effects), and library builds that inline assets
// (Vite's library mode) do not carry a copy of the wasm each.

import { loadAgent } from './agent/api.js';
import { stackAbove } from './stack.js';
// The agent's rule for app names and versions (the wire's check_app_name),
// checked here too so that a registration queued before the wasm is ready is
// refused at once rather than accepted and dropped.
import { APP_NAME, MAX_APP_NAME_BYTES as MAX_VERSION_BYTES, byteLength } from './agent/fields.js';

const HUB = Symbol.for('canopy.agent.hub');
// 2: `init` brings the wasm loader along (protocol 1 hubs carried their own).
const HUB_PROTOCOL = 2;
const MAX_QUEUED_CALLS = 100;
// Calls queued this long with no init() on the page are reported once.
const NO_INIT_WARNING_MS = 10_000;
const DEFAULT_MOUNT_TIMEOUT_MS = 10_000;
// Error events kept while the wasm loads, for the agent to record once it runs.
const MAX_EARLY_ERRORS = 20;
const ERROR_EVENTS = [['error', true], ['unhandledrejection', false]];
// How far up a chain of nested frames a copy looks for the page's hub.
const MAX_FRAME_DEPTH = 10;

function createHub() {
  const queued = [];
  let agent = null;
  let started = null;
  let failed = false;
  let waitingWarning = null;
  const outcomes = new Set(); // apps that reported appMounted or appFailed
  // An app that fails as it boots does so while the wasm is still loading:
  // its errors and rejections are kept (a few) and handed to the agent.
  const early = [];
  const keepEarly = (event) => {
    if (early.length < MAX_EARLY_ERRORS) early.push(event);
  };
  const watchEarly = (watch) => {
    try {
      for (const [type, capture] of ERROR_EVENTS) (watch ? addEventListener : removeEventListener)(type, keepEarly, capture);
    } catch {
      // no window (server rendering, a worker): nothing to watch
    }
  };
  watchEarly(true);
  // A failed image or script inside a shadow root (an app rendered into one)
  // never reaches the window: the agent gets it as it gets the early ones.
  watchShadowRoots((event) => {
    if (agent) call('recordEarly', [event]);
    else if (!failed) keepEarly(event);
  });

  const warned = new Set();
  const warn = (what, error) => {
    const text = String(error && error.message ? error.message : error);
    // The agent's own errors already name the call.
    const message = `[canopy] ${text.startsWith(`${what}:`) ? text : `${what}: ${text}`}`;
    if (!warned.has(message)) {
      warned.add(message);
      console.warn(message);
    }
  };
  const call = (method, argument) => {
    try {
      agent[method](argument);
      return true;
    } catch (error) {
      warn(method, error);
      return false;
    }
  };
  const callOrQueue = (method, argument) => {
    if (agent) return call(method, argument);
    if (failed) {
      warn(method, 'the agent did not start on this page (see the init warning); not recorded');
      return false;
    }
    if (queued.length >= MAX_QUEUED_CALLS) {
      warn(method, `more than ${MAX_QUEUED_CALLS} calls before init(); not recorded`);
      return false;
    }
    queued.push([method, argument]);
    waitingWarning ??= setTimeout(() => {
      if (!agent && !failed) warn('init', `not called within ${NO_INIT_WARNING_MS / 1000} s: ${describeQueue(queued)} are waiting for it`);
    }, NO_INIT_WARNING_MS);
    return true;
  };
  const watchCalls = (api, options) => {
    try {
      // A loader of an older copy of the package has no wrappers to install.
      api.watchApiCalls?.(options, (finished) => call('recordApiCall', finished));
    } catch (error) {
      warn('api calls', error);
    }
  };
  // Windows where an app's code runs (a framework's sandbox iframe), each
  // handed to the agent once.
  const watched = new WeakSet();
  const watch = (target, app) => {
    if (watched.has(target)) return;
    watched.add(target);
    callOrQueue('watch', { target, app });
  };
  const report = (name, method, argument) => {
    if (typeof name === 'string') outcomes.add(name);
    return callOrQueue(method, argument);
  };

  const hub = {
    protocol: HUB_PROTOCOL,
    init(options, load) {
      if (started) {
        warn('init', 'the agent is already running on this page; ignoring this call');
        return started;
      }
      const wasmUrl = options && options.wasmUrl;
      started = load(wasmUrl)
        .then((api) => {
          agent = api;
          const ok = call('init', withoutWasmUrl(options));
          // At once after the agent's own hooks went in: no event falls between.
          watchEarly(false);
          if (ok) watchCalls(api, options);
          else agent = null;
          return ok;
        })
        .catch((error) => {
          warn('init', `the agent could not start: ${error && error.message ? error.message : error}` +
            (wasmUrl ? '' : ' (if the wasm is not served next to this module, pass init({ wasmUrl }))'));
          return false;
        })
        .then((ok) => {
          watchEarly(false); // also when the wasm never came
          if (ok) {
            hintAtMutedErrors(warn);
            for (const [method, argument] of queued.splice(0)) call(method, argument);
            // After the registrations queued with them, so their apps are known.
            call('recordEarly', early);
          } else {
            failed = true;
            if (queued.length) warn('init', `${describeQueue(queued)} made before init() were not recorded`);
            queued.length = 0;
          }
          early.length = 0;
          return ok;
        });
      return started;
    },
    // `sandbox`: the window of the calling copy, when it is not this hub's.
    registerApp(app, stack, sandbox) {
      const problem = registrationProblem(app);
      if (problem) {
        warn('registerApp', problem);
        return false;
      }
      const { container, ...rest } = app;
      if (container !== undefined && typeof rest.name == 'string' && !markContainer(container, rest.name)) {
        warn('registerApp', 'container must be an element or the CSS selector of one on the page');
        return false;
      }
      // A copy with the caller's stack, from which the agent infers where the
      // app's bundle is served when it gives no assetPrefixes.
      const ok = callOrQueue('registerApp', { ...rest, stack });
      // From a copy in another window: what happens there is this app's.
      if (ok && sandbox) watch(sandbox, rest.name);
      return ok;
    },
    appMounted(name) {
      return report(name, 'appMounted', name);
    },
    appFailed(name, error) {
      return report(name, 'appFailed', { name, error: describe(error) });
    },
    expectApps(names, timeoutMs) {
      if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
        warn('expectApps', 'the apps must be an array of names');
        return false;
      }
      if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
        warn('expectApps', 'timeoutMs must be a positive number of milliseconds');
        return false;
      }
      setTimeout(() => {
        for (const name of names) {
          if (!outcomes.has(name)) hub.appFailed(name, `did not mount within ${timeoutMs} ms`);
        }
      }, timeoutMs);
      return !failed;
    },
    pushMetric(name, value, attrs, stack) {
      return callOrQueue('pushMetric', { name, value, attrs, stack });
    },
    pushEvent(name, attrs, stack) {
      return callOrQueue('pushEvent', { name, attrs, stack });
    },
    captureError(error, options, caller) {
      return callOrQueue('captureError', { ...describeThrown(error), ...captureOptions(options), caller });
    },
    captureMessage(message, options, caller) {
      return callOrQueue('captureMessage', { message, ...captureOptions(options), caller });
    },
    flush() {
      if (agent) call('flush');
    },
    stats() {
      try {
        return agent ? agent.stats() : null;
      } catch {
        return null;
      }
    },
  };
  return hub;
}

/**
 * Says once how to unmute errors when the browser hides a cross-origin
 * script's error as "Script error." (the agent counts those as muted), naming
 * the page's cross-origin scripts loaded without `crossorigin`.
 */
function hintAtMutedErrors(warn) {
  addEventListener('error', (event) => {
    try {
      if (event.message !== 'Script error.' || event.filename) return;
      const scripts = [...document.scripts]
        .filter((script) => script.src && !script.crossOrigin && new URL(script.src).origin !== location.origin)
        .map((script) => script.src);
      warn('errors', 'the browser hid a cross-origin script\'s error ("Script error."). Load cross-origin scripts ' +
        'with crossorigin="anonymous" and serve them with Access-Control-Allow-Origin (webpack: ' +
        'output.crossOriginLoading = "anonymous"; see the README)' +
        (scripts.length ? `; scripts without crossorigin: ${scripts.slice(0, 5).join(' ')}` : ''));
    } catch {
      // a hint is not worth an exception
    }
  }, true);
}

/**
 * Marks an app's container (an element, or a selector of one) with
 * `data-canopy-app`, where the agent looks for the owner of a DOM node: what
 * the app renders inside, shadow roots included, is then the app's. False
 * when there is no such element.
 */
function markContainer(container, name) {
  try {
    const element = typeof container == 'string' ? document.querySelector(container) : container;
    // nodeType, not instanceof: a sandbox iframe's elements are another realm's.
    if (element?.nodeType !== 1) return false;
    element.setAttribute('data-canopy-app', String(name));
    return true;
  } catch {
    return false; // an invalid selector
  }
}

/**
 * Hands `forward` the `error` events of elements inside every shadow root
 * attached from now on: an element's load error is not composed, so it stays
 * in the shadow root, out of the window's listeners' sight.
 */
function watchShadowRoots(forward) {
  try {
    const prototype = Element.prototype;
    const attachShadow = prototype.attachShadow;
    if (typeof attachShadow != 'function') return;
    prototype.attachShadow = function () {
      const root = attachShadow.apply(this, arguments);
      root.addEventListener('error', forward, true);
      return root;
    };
  } catch {
    // no DOM (server rendering, a worker): no shadow roots
  }
}

/** Why the agent would refuse `app` (as its wasm words it), or '' when it would not. */
function registrationProblem(app) {
  if (!app || typeof app !== 'object') return 'the app must be an object';
  const { name, version } = app;
  if (typeof name !== 'string') return name === undefined ? 'missing field `name`' : 'name must be a string';
  if (!APP_NAME.test(name)) {
    return `app name must be 1 to 64 characters, may hold only letters, digits, '-', '_' and '.', got "${name}"`;
  }
  if (version !== undefined && typeof version !== 'string') return 'version must be a string';
  if (version && byteLength(version) > MAX_VERSION_BYTES) return `version is longer than ${MAX_VERSION_BYTES} characters`;
  return '';
}

/** "2 registerApp calls, 1 pushMetric call" for the calls in `queue`. */
function describeQueue(queue) {
  const counts = new Map();
  for (const [method] of queue) counts.set(method, (counts.get(method) || 0) + 1);
  return [...counts].map(([method, n]) => `${n} ${method} call${n > 1 ? 's' : ''}`).join(', ');
}

/** An error (or anything thrown) as text, without throwing. */
function describe(error) {
  try {
    if (error && typeof error === 'object' && 'message' in error) return `${error.name || 'Error'}: ${error.message}`;
    return String(error);
  } catch {
    return 'unknown error';
  }
}

/** A thrown value as `captureError` reports it: an Error's name, message and
 * stack; anything else as `String(value)`, typed by its constructor. */
function describeThrown(error) {
  try {
    const message = error != null && typeof error.message == 'string' ? error.message : String(error);
    const type = error == null ? String(error) : String(error.name || error.constructor?.name || typeof error);
    return { message, type, stack: typeof error?.stack == 'string' ? error.stack : '' };
  } catch {
    return { message: 'unknown error' };
  }
}

/** `{ attributes, app, level }` of a capture call (anything else: none). */
function captureOptions(options) {
  const { attributes, app, level } = options && typeof options == 'object' ? options : {};
  return { attributes, app, level };
}

function withoutWasmUrl(options) {
  if (!options || typeof options !== 'object') return options;
  const { wasmUrl, ...rest } = options;
  return rest;
}

/** The hub `window` holds, if this copy can talk to it; throws for a cross-origin window. */
function hubOf(window) {
  const found = window[HUB];
  return found && found.protocol === HUB_PROTOCOL ? found : null;
}

/**
 * The page's hub: this window's own, else that of the nearest same-origin
 * window above holding one (a framework's sandbox iframe), else a new one
 * for this window; in a same-origin frame of a page where no window holds
 * one, a stand-in whose calls say once that nothing records them.
 */
function hub() {
  const own = hubOf(globalThis);
  if (own) return own;
  let window = globalThis;
  try {
    for (let depth = 0; depth < MAX_FRAME_DEPTH && window.parent !== window; depth++) {
      // Throws for a cross-origin window (a page of its own from here up), and in a worker (no parent).
      const found = hubOf(window.parent);
      window = window.parent;
      if (found) return found;
    }
  } catch {
    // nothing further up is reachable
  }
  if (window !== globalThis) return NO_AGENT;
  return (globalThis[HUB] = createHub());
}

let warnedNoAgent = false;
// Every call of the stand-in: `stats` and `flush` too, which callers take as "nothing".
const NO_AGENT = new Proxy({}, {
  get: () => () => {
    if (!warnedNoAgent) {
      warnedNoAgent = true;
      console.warn('[canopy] no agent on this page: this copy runs in a frame, and no window above it called init(); not recorded');
    }
    return false;
  },
});

/** The shadow root wujie renders this copy's app into, when wujie runs it in its sandbox iframe. */
function wujieShadowRoot() {
  try {
    return (globalThis.__POWERED_BY_WUJIE__ && globalThis.__WUJIE && globalThis.__WUJIE.shadowRoot) || null;
  } catch {
    return null;
  }
}

/** Starts the page's agent. Call once, from the shell; later calls are ignored. */
export function init(options) {
  const found = hub();
  // A frame with no agent above it is a page of its own.
  return (found === NO_AGENT ? (globalThis[HUB] = createHub()) : found).init(options, loadAgent);
}

/** Registers a micro-frontend; may be called before init(). */
export function registerApp(app) {
  const found = hub();
  const registration = withSandboxPrefixes(app);
  // A copy run in qiankun's default sandbox: the element qiankun renders the
  // app into is its container (unless the app names one).
  if (found === globalThis[HUB]) return found.registerApp(withContainer(registration, qiankunWrapper()), stackAbove(registerApp));
  // A copy in a sandbox iframe: the agent watches its window. Under wujie the
  // app's DOM is in a shadow root in the page, whose host is then the app's
  // container (unless the app names one); failed loads inside it reach the
  // agent as every shadow root's do (watchShadowRoots).
  const root = wujieShadowRoot();
  return found.registerApp(withContainer(registration, root && root.host), stackAbove(registerApp), globalThis);
}

/**
 * `app` with the asset prefix a framework's sandbox gives the calling app,
 * when it names none: micro-app sets `__MICRO_APP_PUBLIC_PATH__` (the folder
 * of the sub-app's entry) on each sub-app's window, which is this copy's
 * `globalThis` when the package is bundled into the sub-app. Its stack names
 * the main app's script unless the main app uses @canopy/agent/micro-app.
 */
function withSandboxPrefixes(app) {
  try {
    const publicPath = globalThis.__MICRO_APP_ENVIRONMENT__ && globalThis.__MICRO_APP_PUBLIC_PATH__;
    if (typeof publicPath !== 'string' || !app || typeof app !== 'object' || app.assetPrefixes) return app;
    return { ...app, assetPrefixes: [publicPath] };
  } catch {
    return app; // an exotic global: the agent infers the prefix from the stack
  }
}

/** `app` with `container` as its container, unless it names one. */
function withContainer(app, container) {
  return container && app && typeof app === 'object' && app.container === undefined ? { ...app, container } : app;
}

// The element qiankun renders the calling app into (the shadow host under
// strictStyleIsolation), when the calling code runs in qiankun's default
// sandbox: only there does the document answer querySelector('head') with
// the app's own <qiankun-head>, inside that element. The app's container
// as registerApp takes it: marked for the app, what it renders inside (the
// shadow root included) is the app's.
function qiankunWrapper() {
  try {
    const head = document.querySelector('head');
    if (head.localName == 'qiankun-head') return head.parentElement || head.getRootNode().host;
  } catch {}
}

/** Reports that the app mounted: a successful load for availability. */
export function appMounted(name) {
  return hub().appMounted(name);
}

/** Reports that the app failed to mount: a failed load for availability. */
export function appFailed(name, error) {
  return hub().appFailed(name, error);
}

/**
 * Declares the apps the shell expects on this page: one that neither reports
 * appMounted nor appFailed within `timeoutMs` is a failed load of that app.
 */
export function expectApps(names, { timeoutMs = DEFAULT_MOUNT_TIMEOUT_MS } = {}) {
  return hub().expectApps(names, timeoutMs);
}

/**
 * Records a number the app measured itself (e.g. checkout duration in ms).
 * The app is the one whose code made the call (found from the call stack).
 */
export function pushMetric(name, value, attrs) {
  return hub().pushMetric(name, value, attrs, stackAbove(pushMetric));
}

/** Records that something happened in the app, with optional attributes. */
export function pushEvent(name, attrs) {
  return hub().pushEvent(name, attrs, stackAbove(pushEvent));
}

/**
 * Reports an error the app caught (an error boundary, a `catch`): counted
 * like an uncaught one, for the app whose code made the call unless
 * `options.app` names it. `options`: `{ attributes, app, level }`.
 */
export function captureError(error, options) {
  return hub().captureError(error, options, stackAbove(captureError));
}

/** Reports a message (level `info` unless `options.level` says otherwise). */
export function captureMessage(message, options) {
  return hub().captureMessage(message, options, stackAbove(captureMessage));
}

/** Sends everything queued now. */
export function flush() {
  hub().flush();
}

/** What the agent holds and has lost, or null before it runs. */
export function stats() {
  const found = hub();
  return (found.stats && found.stats()) || null;
}
