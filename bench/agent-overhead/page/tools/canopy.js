// Variant A: the Canopy agent as a shell and two micro-frontends would start
// it, beaconing to the benchmark server.
import { init, registerApp } from '/agent/index.js';

const { origin } = location;
await __meter.asTool(() => init({ endpoint: `${origin}/canopy`, key: 'bench-public-key' }));
__meter.asTool(() => {
  registerApp({ name: 'catalog', version: '1.0.0', assetPrefixes: [`${origin}/mfe/catalog/`] });
  registerApp({ name: 'cart', version: '1.0.0', assetPrefixes: [`${origin}/mfe/cart/`] });
});
