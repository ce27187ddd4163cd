// The cart's Preact components, with buttons that make it misbehave in ways
// Canopy should attribute to "cart": an error thrown in a click handler
// (uncaught), a rejected promise, an image that fails to load, a component
// that throws while rendering (caught by an error boundary, reported with
// captureError) and an API call that fails.
import { Component, Fragment, h } from 'preact';
import { captureError } from '@canopy/agent';

/** Catches what its children throw while rendering: reports it, shows `fallback`. */
class ErrorBoundary extends Component {
  componentDidCatch(error) {
    captureError(error, { attributes: { boundary: this.props.name } });
    // Setting state marks the error handled (Preact rethrows it otherwise).
    this.setState({ failed: true });
  }

  render({ children, fallback, name }, { failed }) {
    return failed ? h('p', { class: 'failed', id: `cart-${name}-fallback` }, fallback) : children;
  }
}

const RECOMMENDED = [{ name: 'Fern pot', price: 12 }, { name: 'Moss lamp' }];

function Recommendation({ product }) {
  // The recommendations service sends products without a price now and then.
  if (product.price == null) throw new Error(`Recommendation without a price: ${product.name}`);
  return h('li', {}, `${product.name} · €${product.price}`);
}

const Recommendations = () => h('ul', { class: 'recommendations' }, RECOMMENDED.map((product) => h(Recommendation, { product })));

export class Cart extends Component {
  state = { recommend: false, badge: false, prices: '' };

  async refreshPrices() {
    this.setState({ prices: 'Refreshing prices…' });
    // The demo site's price API answers 503: a failed API call of the cart.
    const response = await fetch('/api/cart/prices');
    this.setState({ prices: response.ok ? 'Prices up to date' : `Prices could not be refreshed (HTTP ${response.status})` });
  }

  render({ badgeUrl }, { recommend, badge, prices }) {
    const button = (id, label, onClick) => h('button', { id, onClick }, label);
    return h(Fragment, {},
      h('h2', {}, 'Cart'),
      h('p', {}, '2 items · €91'),
      button('cart-throw', 'Checkout (throws)', () => {
        throw new Error('Checkout failed: payment service unavailable');
      }),
      button('cart-reject', 'Apply coupon (rejects)', () => {
        Promise.reject(new Error('Coupon service timed out'));
      }),
      button('cart-broken-image', 'Show badge (image fails to load)', () => this.setState({ badge: true })),
      button('cart-recommend', 'Show recommendations (a component throws)', () => this.setState({ recommend: true })),
      button('cart-prices', 'Refresh prices (the API fails)', () => this.refreshPrices()),
      h('p', { class: 'status', id: 'cart-prices-status' }, prices),
      h('div', { class: 'badge' }, badge ? h('img', { src: badgeUrl, alt: 'badge' }) : null),
      recommend ? h(ErrorBoundary, { name: 'recommendations', fallback: 'Recommendations are unavailable right now.' }, h(Recommendations)) : null);
  }
}
