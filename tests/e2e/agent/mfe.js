// One micro-frontend of the attribution page, bundled once per app (alpha,
// beta) with its own copy of @canopy/agent. `__APP__` and `__PREFIXED__` are
// set by the bundler: beta declares its asset prefix, alpha leaves it to the
// agent to infer.
import { registerApp } from '@canopy/agent';

const base = new URL('./', import.meta.url).href;
registerApp({ name: __APP__, version: '1.0.0', ...(__PREFIXED__ ? { assetPrefixes: [base] } : {}) });

const root = document.getElementById(__APP__);
root.innerHTML = `<button id="${__APP__}-busy">busy</button>`;
root.querySelector('button').addEventListener('click', () => busy(160));

function busy(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

window[__APP__] = {
  throwError() {
    setTimeout(function explode() {
      throw new TypeError(`${__APP__} exploded`);
    });
  },
  // A chunk of this app that is not there: alpha imports it (an unhandled
  // rejection), beta adds it as a script (a failed load).
  loadChunk() {
    const chunk = `${base}missing-chunk.js`;
    if (__PREFIXED__) {
      const script = document.createElement('script');
      script.src = chunk;
      document.head.append(script);
    } else {
      import(chunk);
    }
  },
};
