//! PerformanceObserver hooks: navigation, paint, LCP, layout shifts, event
//! timing and resources.

use canopy_wire::{EventBody, Navigation, Resource, VitalName};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{
    PerformanceEntry, PerformanceNavigationTiming, PerformanceObserver, PerformanceObserverEntryList,
    PerformanceResourceTiming,
};

use super::entries::{EventTiming, LargestContentfulPaint, LayoutShift, LayoutShiftSource};
use super::owner_of_node;
use crate::agent::{vital, with_agent, Agent};

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
fn observe(entry_type: &str, handle: fn(&mut Agent, PerformanceEntry)) {
    let callback = Closure::<dyn FnMut(PerformanceObserverEntryList, PerformanceObserver)>::new(
        move |list: PerformanceObserverEntryList, _: PerformanceObserver| {
            with_agent(|agent| {
                for entry in list.get_entries() {
                    handle(agent, entry.unchecked_into());
                }
            });
        },
    );
    let Ok(observer) = PerformanceObserver::new(callback.as_ref().unchecked_ref()) else { return };
    // web-sys only knows the older `entryTypes` form; `type` is needed for `buffered`.
    let init = Object::new();
    let _ = Reflect::set(&init, &"type".into(), &entry_type.into());
    let _ = Reflect::set(&init, &"buffered".into(), &true.into());
    if entry_type == "event" {
        let _ = Reflect::set(&init, &"durationThreshold".into(), &EVENT_DURATION_THRESHOLD.into());
    }
    if observe_with(&observer, &init).is_ok() {
        // Observers live as long as the page.
        callback.forget();
    }
}

fn on_navigation(agent: &mut Agent, entry: PerformanceEntry) {
    let nav: PerformanceNavigationTiming = entry.unchecked_into();
    let activation_start = number(&nav, "activationStart");
    let ttfb = (nav.response_start() - activation_start).max(0.0);
    let tls_start = nav.secure_connection_start();
    let shell = agent.apps.shell().to_owned();
    let timing = Navigation {
        nav_type: Reflect::get(&nav, &"type".into()).ok().and_then(|v| v.as_string()).unwrap_or_default(),
        dns: nav.domain_lookup_end() - nav.domain_lookup_start(),
        tcp: nav.connect_end() - nav.connect_start(),
        tls: if tls_start > 0.0 { nav.connect_end() - tls_start } else { 0.0 },
        ttfb,
        download: nav.response_end() - nav.response_start(),
        dom_parse: nav.dom_interactive() - nav.response_end(),
        dom_ready: nav.dom_content_loaded_event_end(),
        load: nav.load_event_end(),
        transfer_size: nav.transfer_size() as u64,
    };
    agent.record(&shell, 0.0, EventBody::Navigation(timing));
    agent.record(&shell, 0.0, vital(VitalName::Ttfb, ttfb));
}

fn on_paint(agent: &mut Agent, entry: PerformanceEntry) {
    if entry.name() == "first-contentful-paint" {
        let shell = agent.apps.shell().to_owned();
        agent.record(&shell, entry.start_time(), vital(VitalName::Fcp, entry.start_time()));
    }
}

fn on_lcp(agent: &mut Agent, entry: PerformanceEntry) {
    let lcp: LargestContentfulPaint = entry.unchecked_into();
    let app = lcp.element().and_then(|node| owner_of_node(&node)).unwrap_or_else(|| agent.apps.shell().to_owned());
    agent.vitals.set_lcp(&app, lcp.start_time());
}

fn on_layout_shift(agent: &mut Agent, entry: PerformanceEntry) {
    let shift: LayoutShift = entry.unchecked_into();
    if shift.had_recent_input() {
        return;
    }
    let app = shift
        .sources()
        .and_then(|sources| sources.iter().find_map(|s| s.unchecked_into::<LayoutShiftSource>().node()))
        .and_then(|node| owner_of_node(&node))
        .unwrap_or_else(|| agent.apps.shell().to_owned());
    agent.vitals.add_layout_shift(&app, shift.value());
}

fn on_event_timing(agent: &mut Agent, entry: PerformanceEntry) {
    let timing: EventTiming = entry.unchecked_into();
    if timing.interaction_id().unwrap_or(0.0) <= 0.0 {
        return;
    }
    let app = timing.target().and_then(|node| owner_of_node(&node)).unwrap_or_else(|| agent.apps.shell().to_owned());
    agent.vitals.add_interaction(&app, timing.duration());
}

fn on_resource(agent: &mut Agent, entry: PerformanceEntry) {
    let resource: PerformanceResourceTiming = entry.unchecked_into();
    let url = resource.name();
    if agent.is_own_request(&url) {
        return;
    }
    let app = agent.apps.owner_of_url_or_shell(&url).to_owned();
    let mut url = crate::agent::scrub_url(&url).to_owned();
    canopy_wire::limits::truncate(&mut url, canopy_wire::limits::MAX_TEXT_BYTES);
    let body = Resource {
        url,
        initiator: resource.initiator_type(),
        duration: resource.duration(),
        transfer_size: resource.transfer_size() as u64,
    };
    agent.record(&app, resource.start_time(), EventBody::Resource(body));
}

/// A numeric property web-sys has no getter for; 0 when absent.
fn number(object: &Object, key: &str) -> f64 {
    Reflect::get(object, &key.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
}

/// `observer.observe({ type, buffered, ... })`, catching what it throws.
fn observe_with(observer: &PerformanceObserver, options: &Object) -> Result<JsValue, JsValue> {
    let observe: js_sys::Function = Reflect::get(observer, &"observe".into())?.dyn_into()?;
    observe.call1(observer, options)
}
