// The shell: starts the page's one agent. The micro-frontends register themselves.
import { init, registerApp } from '@canopy/agent';

const setting = (name) => document.querySelector(`meta[name="canopy-${name}"]`).content;
init({ endpoint: setting('endpoint'), key: setting('key'), shell: 'shell', flushIntervalMs: 2000 });
registerApp({ name: 'shell', version: '1.0.0', assetPrefixes: [new URL('./', import.meta.url).href] });

// The demo's fault switch (see www-demo/serve.mjs).
const faultBox = document.getElementById('fault-cart');
fetch('/__faults').then((r) => r.json()).then((faults) => { faultBox.checked = (faults.cart ?? 0) > 0; });
faultBox.addEventListener('change', () => {
  fetch('/__faults', { method: 'POST', body: JSON.stringify({ cart: faultBox.checked ? 0.5 : 0 }) });
});
