// micro-app (@micro-zoe/micro-app) as the agent needs it, spread into
// microApp.start in the main app:
//
//   import microApp from '@micro-zoe/micro-app';
//   import { canopyMicroApp } from '@canopy/agent/micro-app';
//   microApp.start({ ...canopyMicroApp() });
//
// - plugins: micro-app runs a sub-app's scripts through `new Function`, so
//   their stack frames name the main app's script (`eval at … main.js`). A
//   loader plugin names each script by its URL (`//# sourceURL`): errors,
//   long frames and the asset prefix registerApp infers are the sub-app's.
// - fetch: micro-app renders whatever its entry request answers, so a
//   deploy that is gone (a 404 page) would "mount", and it mounts a sub-app
//   whose scripts could not be fetched (it only logs them). This fetch fails
//   a non-2xx answer, and a sub-app that could not fetch its entry, a script
//   or a stylesheet while it loads has failed to load.
// - lifeCycles: `mounted` is a successful load of the app (unless a fetch of
//   it failed), `error` (its entry could not be loaded or rendered, its UMD
//   mount failed) a failed one. `created` marks each <micro-app> element with
//   data-canopy-app, so interactions and layout shifts inside it are the app's.
//
// `apps` maps micro-app names to Canopy app names where they differ; `fetch`
// is a fetch of your own for micro-app (its signature: (url, options,
// appName) => Promise of the text), which should fail non-2xx answers.

import { appFailed, appMounted } from './index.js';
import { withSourceUrl } from './source-url.js';

export function canopyMicroApp({ apps = {}, fetch: fetchText = fetchOk } = {}) {
  const appOf = (name) => (Object.hasOwn(apps, name) ? apps[name] : name);
  // Every hook is guarded: a monitoring problem must never stop a sub-app.
  const guarded = (what, hook) => (...args) => {
    try {
      return hook(...args);
    } catch (error) {
      console.warn(`[canopy] micro-app ${what}: ${error && error.message ? error.message : error}`);
      return undefined;
    }
  };
  const mark = ({ detail }) => {
    if (detail && detail.container) detail.container.setAttribute('data-canopy-app', appOf(detail.name));
  };
  // micro-app names of apps between `created` and their mount, and what
  // failed to be fetched for each meanwhile.
  const loading = new Set();
  const failedFetches = new Map();
  const settle = (name, report) => {
    loading.delete(name);
    const failure = failedFetches.get(name);
    failedFetches.delete(name);
    report(failure);
  };
  return {
    lifeCycles: {
      created: guarded('created', (event) => {
        mark(event);
        loading.add(event.detail.name);
      }),
      beforemount: guarded('beforemount', mark),
      mounted: guarded('mounted', ({ detail }) => settle(detail.name, (failure) =>
        (failure ? appFailed(appOf(detail.name), failure) : appMounted(appOf(detail.name))))),
      error: guarded('error', ({ detail }) => settle(detail.name, (failure) => appFailed(appOf(detail.name), detail.error || failure))),
      unmount: guarded('unmount', ({ detail }) => settle(detail.name, () => {})),
    },
    plugins: {
      global: [{ loader: withSourceUrl }],
    },
    fetch: (url, options, appName) => Promise.resolve().then(() => fetchText(url, options, appName)).catch((error) => {
      if (loading.has(appName) && !failedFetches.has(appName)) failedFetches.set(appName, error);
      throw error;
    }),
  };
}

/** micro-app's fetch, failing an answer that is not 2xx. */
function fetchOk(url, options) {
  return fetch(url, options).then((response) => {
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.text();
  });
}
