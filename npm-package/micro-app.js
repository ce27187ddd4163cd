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
//   deploy that is gone (a 404 page) would "mount"; a failed answer fails
//   the load instead.
// - lifeCycles: `mounted` is a successful load of the app, `error` (its
//   entry or a script could not be loaded, its mount failed) a failed one.
//   `created` marks each <micro-app> element with data-canopy-app, so
//   interactions and layout shifts inside it are the app's.
//
// `apps` maps micro-app names to Canopy app names where they differ.

import { appFailed, appMounted } from './index.js';

export function canopyMicroApp({ apps = {} } = {}) {
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
  return {
    lifeCycles: {
      created: guarded('created', mark),
      beforemount: guarded('beforemount', mark),
      mounted: guarded('mounted', ({ detail }) => appMounted(appOf(detail.name))),
      error: guarded('error', ({ detail }) => appFailed(appOf(detail.name), detail.error)),
    },
    plugins: {
      global: [{ loader: (code, url) => named(code, url) }],
    },
    fetch: (url, options) => fetch(url, options).then((response) => {
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    }),
  };
}

/** `code` named by `url` in stack traces; inline scripts (`inline-…`) have no URL to give. */
function named(code, url) {
  return typeof url === 'string' && /^https?:/.test(url) ? `${code}\n//# sourceURL=${url}\n` : code;
}
