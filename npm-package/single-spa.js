// single-spa's own signals for availability: an application that fails to
// load, bootstrap or mount is a failed load of that app, and one that mounts
// a successful one. Call once in the root config, after importing single-spa:
//
//   import * as singleSpa from 'single-spa';
//   import { trackSingleSpa } from '@canopy/agent/single-spa';
//   trackSingleSpa(singleSpa, { apps: { '@shop/cart': 'cart' } });
//
// single-spa stops throwing an application's errors once an error handler is
// added; this one throws them again, asynchronously, so they still reach the
// page's error handlers (and the agent) as they did before.

import { appFailed, appMounted } from './index.js';

export function trackSingleSpa(singleSpa, { apps = {}, rethrow = true } = {}) {
  const appOf = (name) => (Object.hasOwn(apps, name) ? apps[name] : name);
  try {
    singleSpa.addErrorHandler((error) => {
      appFailed(appOf(error && error.appOrParcelName), error);
      if (rethrow) setTimeout(() => { throw error; });
    });
    addEventListener('single-spa:app-change', (event) => {
      const mounted = (event.detail && event.detail.appsByNewStatus && event.detail.appsByNewStatus.MOUNTED) || [];
      for (const name of mounted) appMounted(appOf(name));
    });
    return true;
  } catch (error) {
    console.warn(`[canopy] trackSingleSpa: pass the single-spa module (${error && error.message ? error.message : error})`);
    return false;
  }
}
