// A Module Federation runtime plugin (@module-federation/enhanced and
// @module-federation/runtime 0.x/2.x): a remote that fails to load is a
// failed load of that app, and remote entries load with `crossorigin`, so
// errors of cross-origin remotes reach the agent instead of being muted to
// "Script error." (the remote must also send Access-Control-Allow-Origin).
//
//   new ModuleFederationPlugin({ …, runtimePlugins: [require.resolve('@canopy/agent/module-federation')] })
//
// With options: runtimePlugins: [[require.resolve('@canopy/agent/module-federation'),
//   { apps: { remoteName: 'appName' }, crossOrigin: 'use-credentials' | false }]]

import { appFailed } from './index.js';

export default function canopyFederationPlugin({ apps = {}, crossOrigin = 'anonymous' } = {}) {
  const appOf = (remote) => (Object.hasOwn(apps, remote) ? apps[remote] : remote);
  return {
    name: 'canopy-agent',
    createScript({ attrs }) {
      // The runtime applies `attrs` to the script it creates when this returns nothing.
      if (crossOrigin && attrs && !('crossorigin' in attrs)) attrs.crossorigin = crossOrigin;
    },
    errorLoadRemote({ id, error, remote, lifecycle }) {
      // `beforeLoadShare` is a shared package's failure, not a remote's.
      if (lifecycle === 'beforeLoadShare') return;
      const name = (remote && remote.name) || String(id).split('/')[0];
      if (name) appFailed(appOf(name), error);
      // Nothing returned: the runtime fails as it would have, or another plugin offers a fallback.
    },
  };
}
