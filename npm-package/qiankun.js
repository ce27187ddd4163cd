// qiankun's own signals for availability and attribution. Call once in the
// main app and pass what it returns as qiankun's lifecycle hooks:
//
//   import * as qiankun from 'qiankun';
//   import { trackQiankun } from '@canopy/agent/qiankun';
//   qiankun.registerMicroApps(apps, trackQiankun(qiankun));   // or loadMicroApp(app, config, hooks)
//
// - An app whose entry fails to load, or that fails to bootstrap or mount
//   (qiankun's single-spa error handler), or that has not mounted
//   `timeoutMs` after it loaded, is a failed load of that app; an app that
//   mounts is a successful one. loadMicroApp's failures reject its
//   mountPromise instead of reaching the error handler: the caller reports
//   those (`.catch((e) => appFailed(name, e))`).
// - Before each mount, qiankun's wrapper element for the app (the shadow host
//   under strictStyleIsolation) is marked data-canopy-app: an interaction
//   the browser retargets to the shadow host, or a layout shift inside the
//   shadow root (which the agent finds by its host), is then the app's. The
//   wrapper is made anew at every mount, so only a hook sees every one.
//
// single-spa stops throwing an application's errors once an error handler is
// added; this one throws them again, asynchronously, so they still reach the
// page's error handlers (and the agent) as they did before.

import { appFailed, appMounted } from './index.js';

const DEFAULT_TIMEOUT_MS = 10_000;
// qiankun renders each app into `<div id="__qiankun_microapp_wrapper_for_<name>__" data-name="<name>">`.
const WRAPPER_ID_PREFIX = '__qiankun_microapp_wrapper_for_';

export function trackQiankun(qiankun, { apps = {}, rethrow = true, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  const appOf = (name) => (Object.hasOwn(apps, name) ? apps[name] : name);
  // One timer per app between its load (or remount) and its mount.
  const timers = new Map();
  const settle = (name) => {
    clearTimeout(timers.get(name));
    timers.delete(name);
  };
  const arm = (name) => {
    if (timers.has(name)) return;
    timers.set(name, setTimeout(() => {
      timers.delete(name);
      appFailed(name, `did not mount within ${timeoutMs} ms`);
    }, timeoutMs));
  };
  try {
    qiankun.addErrorHandler((error) => {
      const name = appOf(error && error.appOrParcelName);
      settle(name);
      appFailed(name, error);
      if (rethrow) setTimeout(() => { throw error; });
    });
  } catch (error) {
    console.warn(`[canopy] trackQiankun: pass the qiankun module (${error && error.message ? error.message : error})`);
    return {};
  }
  // Hooks never reject: qiankun would take that for the app's failure.
  const hook = (run) => async (app) => {
    try {
      run(app, appOf(app.name));
    } catch {
      // an app qiankun describes differently is not worth breaking its mount
    }
  };
  return {
    beforeLoad: hook((app, name) => arm(name)),
    beforeMount: hook((app, name) => {
      arm(name);
      const wrapper = wrapperOf(app);
      if (wrapper) wrapper.dataset.canopyApp = name;
    }),
    afterMount: hook((app, name) => {
      settle(name);
      appMounted(name);
    }),
  };
}

/** qiankun's wrapper element of `app` in its container (a selector or an element), if any. */
function wrapperOf({ container }) {
  const element = typeof container === 'string' ? document.querySelector(container) : container;
  return element ? [...element.children].find((child) => child.id.startsWith(WRAPPER_ID_PREFIX)) : undefined;
}
