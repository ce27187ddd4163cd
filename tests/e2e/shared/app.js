// One micro-frontend that imports the page's single shared copy of the
// package (as an import map or a Module Federation singleton shares it): its
// name comes from its own URL (/mfe/<name>/app.js). It registers without
// assetPrefixes, pushes a metric and throws on demand.
import { registerApp, pushMetric, appMounted } from '/agent/index.js';

const name = new URL('./', import.meta.url).pathname.split('/').at(-2);
registerApp({ name, version: '1.0.0' });
appMounted(name);
// A failure as the app boots, while the agent's wasm may still be loading.
addEventListener('unhandledrejection', (event) => {
  if (event.reason?.message === `${name} failed as it booted`) window.bootFailures = (window.bootFailures ?? 0) + 1;
});
Promise.reject(new Error(`${name} failed as it booted`));
window[name] = {
  metric: () => pushMetric(`${name}_metric`, 42),
  throwError: () => setTimeout(function explode() { throw new Error(`${name} exploded`); }),
};
