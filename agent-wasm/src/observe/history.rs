//! Single-page-app route changes: `history.pushState`/`replaceState` and
//! `popstate` to another URL (after scrubbing: a change of fragment or of an
//! unlisted query parameter is the same view) end the view and start a new
//! one. The old view's CLS, INP and resources are reported and sent with its
//! view id first. The new view measures CLS and INP afresh; it has no
//! navigation, so no TTFB, FCP or LCP (as web-vitals, which has no
//! soft-navigation support by default).

use wasm_bindgen::prelude::*;

use super::lifecycle::interaction_count;
use super::performance::take_records;
use crate::agent::with_agent;

#[wasm_bindgen(inline_js = r#"
export function watch_history(changed) {
  try {
    for (const method of ['pushState', 'replaceState']) {
      const original = history[method];
      if (typeof original !== 'function') continue;
      history[method] = function (...args) {
        const result = original.apply(this, args);
        try { changed(); } catch {}
        return result;
      };
    }
    addEventListener('popstate', () => { try { changed(); } catch {} });
  } catch {}
}
"#)]
extern "C" {
    fn watch_history(changed: &js_sys::Function);
}

pub fn install() {
    watch_history(&super::callback(|_| {
        let Some(href) = super::string(&super::global("location"), "href") else {
            return;
        };
        route_changed(&href);
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
