// wujie's lifecycle callbacks for availability, and names for the scripts
// wujie runs. Spread into each startApp (or preloadApp, setupApp) call:
//
//   import { startApp } from 'wujie';
//   import { wujieOptions } from '@canopy/agent/wujie';
//   startApp({ name: 'cart', url, el, ...wujieOptions('cart') });
//
// - loadError (the entry, a script or a stylesheet of the app did not load)
//   is a failed load of the app; afterMount (its __WUJIE_MOUNT ran) is a
//   successful one, as is `activated` for an app that renders without
//   __WUJIE_MOUNT (wujie's keep-alive apps).
// - wujie runs each script's code inline in the app's iframe: a
//   `//# sourceURL` names it by the URL it came from, so the app's stack
//   frames point at its own deploy (attribution, source maps) rather than
//   at the iframe's page.
// Pass your own callbacks or plugins alongside: call this one's from yours.

import { appFailed, appMounted } from './index.js';
import { withSourceUrl } from './source-url.js';

export function wujieOptions(name) {
  return {
    afterMount: () => appMounted(name),
    activated: (appWindow) => {
      if (!hasMount(appWindow)) appMounted(name);
    },
    loadError: (url, error) => appFailed(name, `${url}: ${error && error.message ? error.message : error}`),
    plugins: [{ jsLoader: withSourceUrl }],
  };
}

function hasMount(appWindow) {
  try {
    return typeof appWindow.__WUJIE_MOUNT === 'function';
  } catch {
    return false;
  }
}
