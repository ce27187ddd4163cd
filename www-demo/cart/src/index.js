// The cart micro-frontend, a Module Federation remote, with buttons that
// throw, reject and fail to load an image inside "cart".
import { appFailed, appMounted, pushEvent, pushMetric, registerApp } from '@canopy/agent';

// Where webpack loaded this remote from (output.publicPath 'auto'): the CDN.
const base = __webpack_public_path__;
registerApp({
  name: 'cart',
  version: '1.4.0',
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
  render(root);
  appMounted('cart');
  pushMetric('cart_render_ms', performance.now() - started, { items: 2, currency: 'EUR' });
  pushEvent('cart_viewed', { items: 2 });
}

function render(root) {
  root.innerHTML = `
    <h2>Cart</h2>
    <p>2 items · €91</p>
    <button id="cart-throw">Checkout (throws)</button>
    <button id="cart-reject">Apply coupon (rejects)</button>
    <button id="cart-broken-image">Show badge (image fails to load)</button>
    <div class="badge"></div>`;

  root.querySelector('#cart-throw').addEventListener('click', () => {
    throw new Error('Checkout failed: payment service unavailable');
  });

  root.querySelector('#cart-reject').addEventListener('click', () => {
    Promise.reject(new Error('Coupon service timed out'));
  });

  root.querySelector('#cart-broken-image').addEventListener('click', () => {
    const img = document.createElement('img');
    img.src = new URL('missing-badge.png', base).href;
    img.alt = 'badge';
    root.querySelector('.badge').append(img);
  });
}
