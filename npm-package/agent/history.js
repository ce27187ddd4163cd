// Single-page-app route changes: history.pushState / replaceState and
// popstate. A route changed by an input's handler (a router's link) is
// reported once that input's interaction was timed: the interaction belongs
// to the view it started in (or, for one too short to have an Event Timing
// entry, a frame and 100 ms later).

import { attempt } from './fields.js';

/** Calls `changed(href)` after each route change. */
export function watchHistory(changed) {
  const notify = () => {
    const href = location.href, input = globalThis.event;
    if (!(input instanceof UIEvent)) return changed(href);
    let pending = true, observer;
    const end = () => {
      if (!pending) return;
      pending = false;
      observer?.disconnect();
      changed(href);
    };
    requestAnimationFrame(() => setTimeout(end, 100));
    observer = new PerformanceObserver((list) => {
      if (list.getEntries().some((entry) => entry.startTime >= input.timeStamp)) end();
    });
    observer.observe({ type: 'event', durationThreshold: 16 });
  };
  const safely = () => attempt(notify);
  try {
    for (const method of ['pushState', 'replaceState']) {
      const original = history[method];
      if (typeof original !== 'function') continue;
      history[method] = function (...args) {
        const result = original.apply(this, args);
        safely();
        return result;
      };
    }
    addEventListener('popstate', safely);
  } catch {}
}
