// The cart micro-frontend, a Module Federation remote rendered with Preact.
// The CDN serves each deployed version under its own path
// (/mfe/cart/<version>/), and the cart reports the version it was loaded as.
import { render, h } from 'preact';
import { appFailed, appMounted, pushEvent, pushMetric, registerApp } from '@canopy/agent';
import { Cart } from './cart.js';

// Where webpack loaded this remote from (output.publicPath 'auto'): the CDN.
const base = __webpack_public_path__;
registerApp({
  name: 'cart',
  version: new URL(base).pathname.split('/').at(-2),
  healthCheck: new URL('health.json', base).href,
  dependencies: ['catalog'],
});

export async function mount(root) {
  // The demo's fault switch decides whether this load fails to mount.
  const faults = await fetch('/__faults').then((r) => r.json()).catch(() => ({}));
  if (Math.random() < (faults.cart ?? 0)) {
    root.innerHTML = '<h2>Cart</h2><p class="failed">The cart could not be loaded.</p>';
    appFailed('cart', new Error('cart failed to mount: injected fault'));
    return;
  }
  const started = performance.now();
  root.replaceChildren(); // the shell's placeholder
  render(h(Cart, { badgeUrl: new URL('missing-badge.png', base).href }), root);
  appMounted('cart');
  pushMetric('cart_render_ms', performance.now() - started, { items: 2, currency: 'EUR' });
  pushEvent('cart_viewed', { items: 2 });
}
