// The catalog micro-frontend, a Module Federation remote: a product grid,
// with buttons that make it misbehave in ways Canopy should attribute to
// "catalog". It registers when the shell loads it; where its code is served
// (the CDN) is inferred from the call, no assetPrefixes needed.
import { appMounted, registerApp } from '@canopy/agent';

registerApp({ name: 'catalog', version: '2.3.1' });

const products = ['Fern', 'Moss', 'Birch', 'Cedar', 'Maple', 'Willow'];

export function mount(root) {
  root.innerHTML = `
    <h2>Catalog</h2>
    <div class="controls">
      <button id="catalog-shift">Load recommendations (layout shift)</button>
      <button id="catalog-slow">Sort by price (slow interaction)</button>
    </div>
    <div class="slot"></div>
    <div class="products">${products.map((p) => `<div class="product">${p}<br><small>€${p.length * 7}</small></div>`).join('')}</div>
    <p class="note">The recommendations arrive late and push the grid down, as un-reserved ads do.</p>`;

  root.querySelector('#catalog-shift').addEventListener('click', () => {
    // Later than 500 ms after the click, so the shift does not count as expected.
    setTimeout(() => {
      const banner = document.createElement('div');
      banner.className = 'banner';
      banner.textContent = 'Recommended for you: the Evergreen bundle';
      root.querySelector('.slot').prepend(banner);
    }, 800);
  });

  root.querySelector('#catalog-slow').addEventListener('click', () => {
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // A synchronous sort that blocks the main thread.
    }
    const grid = root.querySelector('.products');
    grid.append(...[...grid.children].reverse());
  });

  appMounted('catalog');
}
