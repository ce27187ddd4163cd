//! Single-page-app route changes: `history.pushState`/`replaceState` and
//! `popstate` to another URL (after scrubbing: a change of fragment or of an
//! unlisted query parameter is the same view) end the view and start a new
//! one. The old view's CLS, INP and resources are reported and sent with its
//! view id first. The new view measures CLS and INP afresh; it has no
//! navigation, so no TTFB, FCP or LCP (as web-vitals, which has no
//! soft-navigation support by default). A route changed by an input's
//! handler ends the view once that input's interaction was timed: the
//! interaction is the old view's.

use wasm_bindgen::prelude::*;

use super::lifecycle::interaction_count;
use super::performance::take_records;
use crate::agent::with_agent;

#[wasm_bindgen(inline_js = r#"
export function watch_history(changed) {
  const notify = () => {
    const href = location.href, input = globalThis.event;
    if (!(input instanceof UIEvent)) return changed(href);
    // Inside an input's handler (a router's link): the interaction belongs to
    // the view it started in, so the view ends once the interaction's Event
    // Timing entry is in (or, for one too short to have any, a frame later).
    let pending = true, observer;
    const end = () => {
      if (!pending) return;
      pending = false;
      observer?.disconnect();
      try { changed(href); } catch {}
    };
    requestAnimationFrame(() => setTimeout(end, 100));
    observer = new PerformanceObserver((list) => {
      if (list.getEntries().some((entry) => entry.startTime >= input.timeStamp)) end();
    });
    observer.observe({ type: 'event', durationThreshold: 16 });
  };
  try {
    for (const method of ['pushState', 'replaceState']) {
      const original = history[method];
      if (typeof original !== 'function') continue;
      history[method] = function (...args) {
        const result = original.apply(this, args);
        try { notify(); } catch {}
        return result;
      };
    }
    addEventListener('popstate', () => { try { notify(); } catch {} });
  } catch {}
}
"#)]
extern "C" {
    fn watch_history(changed: &js_sys::Function);
}

pub fn install() {
    watch_history(&super::callback(|href| {
        if let Some(href) = href.as_string() {
            route_changed(&href);
        }
    }));
}

fn route_changed(href: &str) {
    let is_new = with_agent(|agent| agent.scrub(href) != agent.page_url());
    if is_new != Some(true) {
        return;
    }
    take_records(None);
    let interactions = interaction_count();
    with_agent(|agent| {
        agent.report_vitals(interactions);
        agent.report_resources();
        agent.flush();
        agent.start_view(Some(href));
        let first_hidden = agent.vitals.first_hidden;
        agent
            .vitals
            .restart(false, first_hidden, interactions.unwrap_or(0.0));
        // The page is painted already: CLS counts from the route change.
        agent.vitals.painted = true;
    });
}
