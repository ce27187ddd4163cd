// The benchmark page's own work, the same whatever tool runs beside it: once
// the tool is set up (tools/<name>.js; none for the baseline) it loads 500
// resources under three URL prefixes (so the agent's attribution has apps to
// tell apart), an LCP image, makes layout shifts, and answers the runner's
// clicks and keys with handlers that keep the main thread busy for their
// element's data-work-ms. <html data-loaded> says when loading is done.
const tool = new URLSearchParams(location.search).get('tool');
if (tool !== 'baseline') await import(`./tools/${tool}.js`);

const RESOURCES = { catalogImages: 150, cdnImages: 50, cartScripts: 100, apiFetches: 199 }; // + the LCP image: 500
const BANNERS = 10;
const BANNER_INTERVAL_MS = 150;

const busy = (ms) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/** Resolves when the element has loaded or failed. */
const loaded = (element) => new Promise((resolve) => {
  element.addEventListener('load', resolve, { once: true });
  element.addEventListener('error', resolve, { once: true });
});

function image(parent, src, className) {
  const img = Object.assign(document.createElement('img'), { src, alt: '', className });
  parent.append(img);
  return loaded(img);
}

function script(src) {
  const element = Object.assign(document.createElement('script'), { src, async: true });
  document.head.append(element);
  return loaded(element);
}

const times = (n, make) => Array.from({ length: n }, (_, i) => make(i));

function loadResources() {
  const catalog = document.querySelector('#catalog-images');
  const cdn = document.querySelector('#cdn-images');
  return Promise.all([
    image(document.querySelector('#hero-slot'), '/img/hero.svg?delay=300&w=760&h=360', 'hero'),
    ...times(RESOURCES.catalogImages, (i) => image(catalog, `/mfe/catalog/img/${i}.svg`)),
    ...times(RESOURCES.cdnImages, (i) => image(cdn, `/cdn/img/${i}.svg`)),
    ...times(RESOURCES.cartScripts, (i) => script(`/mfe/cart/js/${i}.js`)),
    ...times(RESOURCES.apiFetches, (i) => fetch(`/api/items/${i}.json`).then((response) => response.json())),
  ]);
}

/** Banners pushed in above the content, one every BANNER_INTERVAL_MS: shifts without input. */
async function shiftLayout() {
  for (let i = 0; i < BANNERS; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, BANNER_INTERVAL_MS));
    document.querySelector('#banners').insertAdjacentHTML('beforeend', '<div class="banner"></div>');
  }
}

function answerInput() {
  for (const element of document.querySelectorAll('[data-work-ms]')) {
    const ms = Number(element.dataset.workMs);
    const type = element.localName === 'input' ? 'keydown' : 'click';
    element.addEventListener(type, () => {
      busy(ms);
      document.querySelector('h1').textContent = `${element.id} ${type}`; // something to paint
    });
  }
  // "More" adds a row above the cart: a shift right after input.
  document.querySelector('#more').addEventListener('click', () => {
    document.querySelector('#rows').insertAdjacentHTML('beforeend', '<li>another row</li>');
  });
}

answerInput();
await Promise.all([loadResources(), shiftLayout()]);
document.documentElement.dataset.loaded = 'yes';
