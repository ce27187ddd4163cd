// @canopy/agent — the JavaScript face of the wasm agent.
//
// Every micro-frontend on a page bundles its own copy of this file, but the
// page must run one agent: the first copy to load puts a hub on a well-known
// global, and every later copy (even another version) talks to that hub.
// Calls made before the wasm is ready are queued. Nothing here throws into
// the page: problems are reported once each on the console.

import loadWasm, * as glue from './wasm/canopy_agent.js';

// The calls the hub makes, by name. Picked one by one: a namespace used as a
// whole keeps every export of the glue in a bundle (its unused `initSync` too).
const wasm = {
  init: glue.init,
  registerApp: glue.registerApp,
  appMounted: glue.appMounted,
  appFailed: glue.appFailed,
  pushMetric: glue.pushMetric,
  pushEvent: glue.pushEvent,
  flush: glue.flush,
  stats: glue.stats,
};

const HUB = Symbol.for('canopy.agent.hub');
const HUB_PROTOCOL = 1;
const MAX_QUEUED_CALLS = 100;

function createHub() {
  const queued = [];
  let agent = null;
  let started = null;

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
    if (queued.length < MAX_QUEUED_CALLS) queued.push([method, argument]);
    else warn(method, 'too many calls before init(); dropped');
    return true;
  };

  return {
    protocol: HUB_PROTOCOL,
    init(options) {
      if (started) {
        warn('init', 'the agent is already running on this page; ignoring this call');
        return started;
      }
      const wasmUrl = options && options.wasmUrl;
      started = loadWasm(wasmUrl ? { module_or_path: wasmUrl } : undefined)
        .then(() => {
          agent = wasm;
          const ok = call('init', withoutWasmUrl(options));
          for (const [method, argument] of queued.splice(0)) call(method, argument);
          return ok;
        })
        .catch((error) => {
          warn('init', error);
          return false;
        });
      return started;
    },
    registerApp(app, stack) {
      // A copy with the caller's stack, from which the agent infers where the
      // app's bundle is served when it gives no assetPrefixes.
      const registration = app && typeof app === 'object' ? { ...app, stack } : app;
      return callOrQueue('registerApp', registration);
    },
    appMounted(name) {
      return callOrQueue('appMounted', name);
    },
    appFailed(name, error) {
      return callOrQueue('appFailed', { name, error: describe(error) });
    },
    pushMetric(name, value, attrs, stack) {
      return callOrQueue('pushMetric', { name, value, attrs, stack });
    },
    pushEvent(name, attrs, stack) {
      return callOrQueue('pushEvent', { name, attrs, stack });
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

function withoutWasmUrl(options) {
  if (!options || typeof options !== 'object') return options;
  const { wasmUrl, ...rest } = options;
  return rest;
}

function hub() {
  const existing = globalThis[HUB];
  if (existing && existing.protocol === HUB_PROTOCOL) return existing;
  const created = createHub();
  globalThis[HUB] = created;
  return created;
}

/** Starts the page's agent. Call once, from the shell; later calls are ignored. */
export function init(options) {
  return hub().init(options);
}

/** Registers a micro-frontend; may be called before init(). */
export function registerApp(app) {
  return hub().registerApp(app, callerStack());
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
 * Records a number the app measured itself (e.g. checkout duration in ms).
 * The app is the one whose bundle made the call (found from the call stack).
 */
export function pushMetric(name, value, attrs) {
  return hub().pushMetric(name, value, attrs, callerStack());
}

/** Records that something happened in the app, with optional attributes. */
export function pushEvent(name, attrs) {
  return hub().pushEvent(name, attrs, callerStack());
}

// This copy of the package is bundled into the calling app, so the stack's
// script URLs are that app's: the agent attributes the call by them (and
// infers the app's asset prefix from them at registration).
function callerStack() {
  try {
    return new Error().stack || '';
  } catch {
    return '';
  }
}

/** Sends everything queued now. */
export function flush() {
  hub().flush();
}

/** What the agent holds and has lost, or null before it runs. */
export function stats() {
  return hub().stats ? hub().stats() : null;
}
