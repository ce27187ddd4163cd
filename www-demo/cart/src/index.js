// The cart micro-frontend, with buttons that throw and reject inside "cart".
import { registerApp } from '@canopy/agent';

registerApp({ name: 'cart', version: '1.4.0', assetPrefixes: [new URL('./', import.meta.url).href] });

const root = document.querySelector('[data-canopy-app="cart"]');
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
  img.src = new URL('./missing-badge.png', import.meta.url).href;
  img.alt = 'badge';
  root.querySelector('.badge').append(img);
});
