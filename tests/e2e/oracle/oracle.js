// Runs on every scenario page: the official web-vitals library (the oracle)
// beside the Canopy agent. Each web-vitals report is kept on the page and sent
// to the test server (POST /report), so values reported while the page goes
// away still reach the test. The raw entries both libraries read are kept too,
// for the per-app checks.
import { onCLS, onFCP, onINP, onLCP, onTTFB } from '/web-vitals/web-vitals.attribution.js';
import { init, registerApp } from '/agent/index.js';

const params = new URLSearchParams(location.search);
const scenario = location.pathname.split('/').pop().replace(/\.html$/, '');
const oracle = (window.oracle = { reports: [], shifts: [], events: [] });
let seq = 0;

/** The app whose container holds `node` (as Canopy attributes DOM-bound vitals). */
const appOf = (node) => {
  const element = node && (node.nodeType === 1 ? node : node.parentElement);
  return element?.closest('[data-canopy-app]')?.getAttribute('data-canopy-app') ?? 'shell';
};

const TARGETS = { LCP: 'target', INP: 'interactionTarget', CLS: 'largestShiftTarget' };
// web-vitals' attribution names for the parts Canopy sends as `parts`.
const PARTS = {
  LCP: { ttfb: 'timeToFirstByte', load_delay: 'resourceLoadDelay', load_duration: 'resourceLoadDuration', render_delay: 'elementRenderDelay' },
  INP: { input_delay: 'inputDelay', processing: 'processingDuration', presentation: 'presentationDelay' },
};
const report = (metric) => {
  const attribution = metric.attribution || {};
  const kept = {
    scenario,
    seq: ++seq,
    name: metric.name.toLowerCase(),
    value: metric.value,
    rating: metric.rating,
    navigationType: metric.navigationType,
    target: attribution[TARGETS[metric.name]] ?? '',
    url: attribution.url ?? '',
    eventType: metric.name === 'INP' ? (metric.entries[0]?.name ?? '') : '',
    parts: Object.fromEntries(Object.entries(PARTS[metric.name] ?? {}).map(([part, name]) => [part, attribution[name]])),
    activationStart: performance.getEntriesByType('navigation')[0]?.activationStart ?? 0,
  };
  oracle.reports.push(kept);
  navigator.sendBeacon('/report', JSON.stringify(kept));
};
for (const on of [onCLS, onFCP, onINP, onLCP, onTTFB]) on(report, { reportAllChanges: true });

// The entries behind CLS and INP, with the app each belongs to.
const observe = (type, handle, options = {}) =>
  new PerformanceObserver((list) => list.getEntries().forEach(handle)).observe({ type, buffered: true, ...options });
// A shift is the app's whose DOM caused it: what lies just before the moved
// element that comes first in the document (or its parent) grew or appeared.
const causeOf = (sources) => {
  let first = null;
  for (const { node } of sources) {
    const element = node?.nodeType === 1 ? node : node?.parentElement;
    if (element && (!first || element.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING)) first = element;
  }
  return first && (first.previousElementSibling || first.parentElement);
};
observe('layout-shift', (shift) => {
  if (shift.hadRecentInput) return;
  oracle.shifts.push({ start: shift.startTime, value: shift.value, app: appOf(causeOf(shift.sources)) });
});
const onEvent = (event) => {
  if (event.interactionId) {
    oracle.events.push({ id: event.interactionId, duration: event.duration, name: event.name, app: appOf(event.target) });
  }
};
observe('event', onEvent, { durationThreshold: 40 });
observe('first-input', onEvent);

/** Keeps the main thread busy for `ms`: a slow handler. */
window.busy = (ms) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

await init({ endpoint: params.get('endpoint'), key: params.get('key'), flushIntervalMs: 1000 });
registerApp({ name: 'shell', version: '1.0.0' });
for (const container of document.querySelectorAll('[data-canopy-app]')) {
  registerApp({ name: container.getAttribute('data-canopy-app'), version: '1.0.0' });
}
document.documentElement.dataset.agent = 'ready';
const visibility = performance.getEntriesByType('visibility-state').map((e) => `${e.name}@${e.startTime}`);
navigator.sendBeacon('/report', JSON.stringify({ scenario, seq: ++seq, name: 'ready', visibility }));
