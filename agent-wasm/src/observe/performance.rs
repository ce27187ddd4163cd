//! PerformanceObserver hooks: navigation, paint, LCP, layout shifts, event
//! timing and resources.

use canopy_wire::limits::{truncate, MAX_TEXT_BYTES};
use canopy_wire::{EventBody, Navigation, Resource, VitalName};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{PerformanceObserver, PerformanceObserverEntryList};

use super::{callback, get, number, owner_of_node, string};
use crate::agent::{scrub_url, vital, with_agent, Agent};

/// Event Timing only reports events at least this long (ms); web-vitals uses 40.
const EVENT_DURATION_THRESHOLD: f64 = 40.0;

pub fn install() {
    observe("navigation", on_navigation);
    observe("paint", on_paint);
    observe("largest-contentful-paint", on_lcp);
    observe("layout-shift", on_layout_shift);
    observe("event", on_event_timing);
    observe("resource", on_resource);
}

/// Observes one entry type, buffered so entries from before the agent loaded
/// count too. An entry type the browser lacks is skipped.
fn observe(entry_type: &str, handle: fn(&mut Agent, JsValue)) {
    let on_entries = callback(move |list: JsValue| {
        let entries = list.unchecked_into::<PerformanceObserverEntryList>().get_entries();
        with_agent(|agent| {
            for entry in entries.iter() {
                handle(agent, entry);
            }
        });
    });
    let Ok(observer) = PerformanceObserver::new(&on_entries) else { return };
    // web-sys only knows the older `entryTypes` form; `type` is needed for `buffered`.
    let init = Object::new();
    let _ = Reflect::set(&init, &"type".into(), &entry_type.into());
    let _ = Reflect::set(&init, &"buffered".into(), &true.into());
    if entry_type == "event" {
        let _ = Reflect::set(&init, &"durationThreshold".into(), &EVENT_DURATION_THRESHOLD.into());
    }
    // Through `Function.call`, which catches what `observe` throws.
    let _ = get(&observer, "observe").unchecked_into::<js_sys::Function>().call1(&observer, &init);
}

fn on_navigation(agent: &mut Agent, nav: JsValue) {
    let ms = |key| number(&nav, key);
    let ttfb = (ms("responseStart") - ms("activationStart")).max(0.0);
    let tls_start = ms("secureConnectionStart");
    let timing = Navigation {
        nav_type: string(&nav, "type").unwrap_or_default(),
        dns: ms("domainLookupEnd") - ms("domainLookupStart"),
        tcp: ms("connectEnd") - ms("connectStart"),
        tls: if tls_start > 0.0 { ms("connectEnd") - tls_start } else { 0.0 },
        ttfb,
        download: ms("responseEnd") - ms("responseStart"),
        dom_parse: ms("domInteractive") - ms("responseEnd"),
        dom_ready: ms("domContentLoadedEventEnd"),
        load: ms("loadEventEnd"),
        transfer_size: ms("transferSize") as u64,
    };
    let shell = agent.apps.shell().to_owned();
    agent.record(&shell, 0.0, EventBody::Navigation(timing));
    agent.record(&shell, 0.0, vital(VitalName::Ttfb, ttfb));
}

fn on_paint(agent: &mut Agent, entry: JsValue) {
    if string(&entry, "name").as_deref() == Some("first-contentful-paint") {
        let start = number(&entry, "startTime");
        let shell = agent.apps.shell().to_owned();
        agent.record(&shell, start, vital(VitalName::Fcp, start));
    }
}

fn on_lcp(agent: &mut Agent, entry: JsValue) {
    let app = owner_of(agent, &get(&entry, "element"));
    agent.vitals.set_lcp(&app, number(&entry, "startTime"));
}

fn on_layout_shift(agent: &mut Agent, shift: JsValue) {
    if get(&shift, "hadRecentInput").as_bool() == Some(true) {
        return;
    }
    let sources = get(&shift, "sources");
    let first_node = match sources.dyn_ref::<Array>() {
        Some(sources) => sources.iter().map(|source| get(&source, "node")).find(JsValue::is_object),
        None => None,
    };
    let app = owner_of(agent, &first_node.unwrap_or(JsValue::NULL));
    agent.vitals.add_layout_shift(&app, number(&shift, "value"));
}

fn on_event_timing(agent: &mut Agent, timing: JsValue) {
    if number(&timing, "interactionId") <= 0.0 {
        return;
    }
    let app = owner_of(agent, &get(&timing, "target"));
    agent.vitals.add_interaction(&app, number(&timing, "duration"));
}

fn on_resource(agent: &mut Agent, resource: JsValue) {
    let url = string(&resource, "name").unwrap_or_default();
    if agent.is_own_request(&url) {
        return;
    }
    let app = agent.apps.owner_of_url_or_shell(&url).to_owned();
    let mut url = scrub_url(&url).to_owned();
    truncate(&mut url, MAX_TEXT_BYTES);
    let body = Resource {
        url,
        initiator: string(&resource, "initiatorType").unwrap_or_default(),
        duration: number(&resource, "duration"),
        transfer_size: number(&resource, "transferSize") as u64,
    };
    agent.record(&app, number(&resource, "startTime"), EventBody::Resource(body));
}

/// The app owning a DOM node (an LCP element, a shift source, an event
/// target), else the shell.
fn owner_of(agent: &Agent, node: &JsValue) -> String {
    owner_of_node(node).unwrap_or_else(|| agent.apps.shell().to_owned())
}
