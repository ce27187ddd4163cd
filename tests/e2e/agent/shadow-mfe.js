// One app of the shadow DOM page, bundled once per app (alpha, beta): it
// renders into an open shadow root inside its container, as qiankun's
// strictStyleIsolation and wujie do. alpha shows the page's largest image
// (its LCP) and grows a banner late (a layout shift); beta's button is slow
// (an interaction). The browser reports none of these nodes from inside the
// shadow roots.
import { registerApp } from '@canopy/agent';

const base = new URL('./', import.meta.url).href;
// alpha's container is marked in the page; beta registers its own.
registerApp({ name: __APP__, version: '1.0.0', ...(__APP__ === 'beta' ? { container: '#beta' } : {}) });
// What registerApp answers for a container that is not there.
window[`${__APP__}Register`] = (container) => registerApp({ name: `${__APP__}-extra`, container });

const host = document.createElement('div');
document.getElementById(__APP__).append(host);
const root = host.attachShadow({ mode: 'open' });
root.innerHTML = `<div class="slot"></div>
  ${__APP__ === 'alpha' ? `<img class="hero" width="900" height="500" src="${base}hero.svg">` : ''}
  <button id="${__APP__}-act">act</button>
  <p>${__APP__} text</p>`;

root.getElementById(`${__APP__}-act`).addEventListener('click', () => {
  if (__APP__ === 'beta') {
    const end = performance.now() + 300;
    while (performance.now() < end); // a slow interaction
    return;
  }
  // Later than 500 ms after the click, so the shift is not an expected one.
  setTimeout(() => {
    const banner = document.createElement('div');
    banner.style.height = '80px';
    banner.className = 'banner';
    banner.textContent = 'alpha banner';
    root.querySelector('.slot').append(banner);
  }, 700);
});
