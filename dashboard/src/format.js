// Number formatting and web-vitals thresholds (web.dev), shared by pages.
export const VITALS = {
  lcp: { label: 'LCP', unit: 'ms', good: 2500, poor: 4000 },
  inp: { label: 'INP', unit: 'ms', good: 200, poor: 500 },
  cls: { label: 'CLS', unit: '', good: 0.1, poor: 0.25 },
  fcp: { label: 'FCP', unit: 'ms', good: 1800, poor: 3000 },
  ttfb: { label: 'TTFB', unit: 'ms', good: 800, poor: 1800 },
};

export function vital(name, value) {
  if (value == null || Number.isNaN(value)) return '–';
  return name === 'cls' ? value.toFixed(3) : `${Math.round(value)} ms`;
}

export const percent = (v, digits = 1) => (v == null ? '–' : `${(v * 100).toFixed(digits)} %`);
export const count = (v) => (v == null ? '–' : Number(v).toLocaleString('en'));
export const time = (ms) => (ms ? new Date(ms).toLocaleString() : '–');

/** good / needs-improvement / poor for a rate where higher is worse. */
export function rateRating(v, good, poor) {
  if (v == null) return 'unknown';
  return v <= good ? 'good' : v <= poor ? 'needs-improvement' : 'poor';
}

/** Ratings of an error rate (views with errors) and of availability (views without a failed load). */
export const errorRateRating = (v) => rateRating(v, 0.01, 0.05);
export const availabilityRating = (v) => (v == null ? 'unknown' : rateRating(1 - v, 0.01, 0.05));

/** good / needs-improvement / poor for a vital's value (web.dev thresholds). */
export const vitalRating = (name, v) => rateRating(v, VITALS[name].good, VITALS[name].poor);

/** Text-only element builder: values are set as text, never as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v != null) node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child != null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function table(headers, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.length ? rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))
      : el('tr', {}, el('td', { colspan: headers.length, class: 'empty' }, 'no data in this range'))));
}

/** A labelled number, its border coloured by `rating`. */
export function metric(label, value, rating = 'unknown') {
  return el('div', { class: `metric ${rating}`, 'data-rating': rating }, el('span', { class: 'label' }, label), el('span', { class: 'value' }, value));
}

/** The page heading: Apps / app / …, each but the last a link. */
export function crumbs(app, ...rest) {
  const appLink = rest.length ? el('a', { href: `#/app/${encodeURIComponent(app)}` }, app) : app;
  return el('h1', {}, el('a', { href: '#/' }, 'Apps'), ' / ', appLink, rest.flatMap((part) => [' / ', part]));
}
