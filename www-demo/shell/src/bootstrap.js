// The shell: starts the page's one agent, declares the apps it expects and
// loads them from the CDN as Module Federation remotes. The remotes register
// themselves, with the shell's shared copy of @canopy/agent.
import { expectApps, init, registerApp } from '@canopy/agent';
import { loadRemote, registerRemotes } from '@module-federation/enhanced/runtime';

const setting = (name) => document.querySelector(`meta[name="canopy-${name}"]`).content;
const REMOTES = ['catalog', 'cart'];

init({ endpoint: setting('endpoint'), key: setting('key'), shell: 'shell', flushIntervalMs: 2000 });
registerApp({ name: 'shell', version: '1.0.0' });
// An app that neither mounts nor fails within 10 s is a failed load of it.
expectApps(REMOTES, { timeoutMs: 10_000 });

// Where the remotes are deployed is the page's setting, not the build's;
// so is the version of cart this page load gets.
const path = { catalog: 'catalog', cart: `cart/${setting('cart-version')}` };
registerRemotes(REMOTES.map((name) => ({ name, entry: `${setting('cdn')}/mfe/${path[name]}/remoteEntry.js` })));
for (const name of REMOTES) {
  // Not `id="cart"`: a window global of that name would shadow the remote's container.
  const root = document.getElementById(`${name}-app`);
  loadRemote(`${name}/mount`)
    .then((remote) => remote.mount(root))
    // The runtime plugin (@canopy/agent/module-federation) has reported the failed load.
    .catch(() => {
      root.innerHTML = `<h2>${name[0].toUpperCase()}${name.slice(1)}</h2><p class="failed">${name} could not be loaded.</p>`;
    });
}

// The demo's fault switches (see www-demo/serve.mjs).
for (const box of document.querySelectorAll('input[data-fault]')) {
  const fault = box.dataset.fault;
  fetch('/__faults').then((r) => r.json()).then((faults) => { box.checked = (faults[fault] ?? 0) > 0; });
  box.addEventListener('change', () => {
    fetch('/__faults', { method: 'POST', body: JSON.stringify({ [fault]: box.checked ? 0.5 : 0 }) });
  });
}
