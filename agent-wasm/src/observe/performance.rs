//! PerformanceObserver hooks: navigation, paint, LCP, layout shifts, event
//! timing and resources, read as web-vitals 6 reads them.
//!
//! A prerendered page is observed from its activation on (entries are
//! buffered, so none is lost), and its timings count from `activationStart`.
//! Paints after the page was first hidden do not count (FCP, LCP); LCP is
//! final at the first trusted click or keydown, or when the page hides.

use std::cell::RefCell;

use canopy_wire::limits::{truncate, MAX_TEXT_BYTES};
use canopy_wire::{concat, EventBody, Navigation, Pairs, Parts, Resource, Vital, VitalName};
use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::{EventTarget, Window};

use super::{
    activation_start, call, callback, entries_by_type, get, number, owner_of_node, performance,
    selector, shift_cause, string,
};
use crate::agent::{with_agent, Agent};
use crate::vitals::InteractionEntry;

/// Event Timing only reports events at least this long (ms); web-vitals uses 40.
const EVENT_DURATION_THRESHOLD: f64 = 40.0;

const LCP: &str = "largest-contentful-paint";

pub(super) type Handler = fn(&mut Agent, JsValue);

thread_local! {
    /// Every observer with its entry type and handler, so entries still
    /// queued can be taken when the page hides (`takeRecords`).
    static OBSERVERS: RefCell<Vec<(&'static str, JsValue, Handler)>> = const { RefCell::new(Vec::new()) };
}

pub fn install(window: &Window) {
    let document = get(window, "document");
    if get(&document, "prerendering").as_bool() == Some(true) {
        let window = window.clone();
        let on_activation = callback(move |_| start(&window));
        let _ = document
            .unchecked_ref::<EventTarget>()
            .add_event_listener_with_callback_and_bool("prerenderingchange", &on_activation, false);
    } else {
        start(window);
    }
}

fn start(window: &Window) {
    let first_hidden = first_hidden(window);
    with_agent(|agent| agent.vitals.first_hidden = first_hidden);
    observe("navigation", on_navigation);
    observe("paint", on_paint);
    observe(LCP, on_lcp);
    observe("layout-shift", on_layout_shift);
    observe("event", on_event_timing);
    // The first input is reported whatever its duration: an INP candidate too.
    observe("first-input", on_event_timing);
    observe("resource", on_resource);
    super::frames::install();
    let finalize = callback(|event| {
        if get(&event, "isTrusted").as_bool() == Some(true) {
            finalize_lcp();
        }
    });
    for event_type in ["keydown", "click"] {
        let _ = window.add_event_listener_with_callback_and_bool(event_type, &finalize, true);
    }
}

/// When the page was first hidden since activation, as web-vitals decides
/// it: the first `hidden` visibility-state entry, else 0 if the page is
/// hidden now (it loaded in the background), else never (infinity).
fn first_hidden(window: &Window) -> f64 {
    let activation = activation_start();
    for entry in entries_by_type("visibility-state").iter() {
        let start = number(&entry, "startTime");
        if string(&entry, "name").as_deref() == Some("hidden") && start >= activation {
            return start;
        }
    }
    if string(&get(window, "document"), "visibilityState").as_deref() == Some("hidden") {
        0.0
    } else {
        f64::INFINITY
    }
}

// The observer and its options in JS: a dictionary built in the wasm costs a
// `Reflect.set` per field. `type` (not web-sys's older `entryTypes` form) is
// what allows `buffered`.
#[wasm_bindgen(inline_js = r#"
export function observe_buffered(type, durationThreshold, callback, window) {
  let observer;
  try { observer = new (window || self).PerformanceObserver(callback); } catch { return; }
  try { observer.observe({ type, buffered: true, durationThreshold }); } catch {}
  return observer;
}
"#)]
extern "C" {
    /// A PerformanceObserver of `entry_type` calling `callback`, observing
    /// the timeline of `window` (the page's if undefined); `undefined` if
    /// the browser has none.
    fn observe_buffered(
        entry_type: &str,
        duration_threshold: Option<f64>,
        callback: &js_sys::Function,
        window: &JsValue,
    ) -> JsValue;
}

/// Observes one entry type, buffered so entries from before the agent loaded
/// count too. An entry type the browser lacks is skipped.
pub(super) fn observe(entry_type: &'static str, handle: Handler) {
    let on_entries = callback(move |list: JsValue| {
        handle_all(
            &call(&list, "getEntries", &JsValue::UNDEFINED)
                .dyn_into()
                .unwrap_or_default(),
            handle,
        );
    });
    let threshold = (entry_type == "event").then_some(EVENT_DURATION_THRESHOLD);
    let observer = observe_buffered(entry_type, threshold, &on_entries, &JsValue::UNDEFINED);
    if observer.is_undefined() {
        return;
    }
    let _ = OBSERVERS.try_with(|observers| {
        if let Ok(mut observers) = observers.try_borrow_mut() {
            observers.push((entry_type, observer, handle));
        }
    });
}

fn handle_all(entries: &Array, handle: Handler) {
    with_agent(|agent| {
        for entry in entries.iter() {
            handle(agent, entry);
        }
    });
}

/// Handles the entries still queued in the observers of `only` (or of every
/// type): the browser delivers them later, and the page may be going away.
pub fn take_records(only: Option<&str>) {
    each_observer(only, |observer, handle| {
        if let Ok(entries) = call(observer, "takeRecords", &JsValue::UNDEFINED).dyn_into::<Array>()
        {
            handle_all(&entries, handle);
        }
    });
}

/// LCP is final: take what is queued, then stop observing it.
pub fn finalize_lcp() {
    if with_agent(|agent| agent.vitals.lcp_final) != Some(false) {
        return;
    }
    take_records(Some(LCP));
    with_agent(|agent| agent.vitals.lcp_final = true);
    each_observer(Some(LCP), |observer, _| {
        let _ = call(observer, "disconnect", &JsValue::UNDEFINED);
    });
}

/// Runs `f` on the observers of entry type `only` (or on all). The handlers
/// never install observers, so the list stays borrowed meanwhile.
fn each_observer(only: Option<&str>, mut f: impl FnMut(&JsValue, Handler)) {
    let _ = OBSERVERS.try_with(|observers| {
        if let Ok(observers) = observers.try_borrow() {
            for (entry_type, observer, handle) in observers.iter() {
                if only.is_none_or(|only| only == *entry_type) {
                    f(observer, *handle);
                }
            }
        }
    });
}

/// The page load's navigation timing and TTFB, once. Chromium delivers the
/// buffered entry to an observer that starts before `load`, and again when
/// load ends: an entry without `loadEventEnd` waits for that second delivery
/// (or for [`report_navigation`], when the page hides first).
fn on_navigation(agent: &mut Agent, nav: JsValue) {
    if number(&nav, "loadEventEnd") > 0.0 {
        queue_navigation(agent, &nav);
    }
}

/// Queues the navigation entry as it is now, unless it was queued: for a
/// page hidden before its load ended, and where the browser did not deliver
/// the finished entry.
pub fn report_navigation(agent: &mut Agent) {
    queue_navigation(agent, &entries_by_type("navigation").get(0));
}

fn queue_navigation(agent: &mut Agent, nav: &JsValue) {
    if agent.navigation_sent || !nav.is_object() {
        return;
    }
    agent.navigation_sent = true;
    let ms = |key| number(nav, key);
    let ttfb = (ms("responseStart") - ms("activationStart")).max(0.0);
    let tls_start = ms("secureConnectionStart");
    let timing = Navigation {
        nav_type: string(nav, "type").unwrap_or_default(),
        dns: ms("domainLookupEnd") - ms("domainLookupStart"),
        tcp: ms("connectEnd") - ms("connectStart"),
        tls: if tls_start > 0.0 {
            ms("connectEnd") - tls_start
        } else {
            0.0
        },
        ttfb,
        download: ms("responseEnd") - ms("responseStart"),
        dom_parse: ms("domInteractive") - ms("responseEnd"),
        dom_ready: ms("domContentLoadedEventEnd"),
        load: ms("loadEventEnd"),
        transfer_size: ms("transferSize") as u64,
    };
    let shell = agent.apps.shell().to_owned();
    agent.record(&shell, 0.0, EventBody::Navigation(timing));
    agent.record_vital(&shell, 0.0, Vital::new(VitalName::Ttfb, ttfb));
}

fn on_paint(agent: &mut Agent, entry: JsValue) {
    let start = number(&entry, "startTime");
    // Not if the page was hidden before it painted.
    if string(&entry, "name").as_deref() == Some("first-contentful-paint")
        && start < agent.vitals.first_hidden
    {
        agent.vitals.painted = true;
        let shell = agent.apps.shell().to_owned();
        agent.record_vital(
            &shell,
            start,
            Vital::new(VitalName::Fcp, (start - activation_start()).max(0.0)),
        );
    }
}

fn on_lcp(agent: &mut Agent, entry: JsValue) {
    let start = number(&entry, "startTime");
    if agent.vitals.lcp_final || start >= agent.vitals.first_hidden {
        return;
    }
    let element = get(&entry, "element");
    let mut target = selector(&element);
    if !element.is_object() {
        // A removed element is still named by its id.
        let id = string(&entry, "id").unwrap_or_default();
        if !id.is_empty() {
            target = concat(&["#", &id]);
        }
    }
    let url = string(&entry, "url").unwrap_or_default();
    truncate(&mut target, MAX_TEXT_BYTES);
    let resource = agent.scrub(&url);
    // The browser hides an element inside a shadow root: an image is then
    // the app's that serves it.
    let owner = if element.is_object() {
        owner_of(agent, &element)
    } else {
        agent.apps.owner_of_url_or_shell(&resource).to_owned()
    };
    let value = (start - activation_start()).max(0.0);
    agent.vitals.set_lcp(Vital {
        target,
        resource,
        owner,
        parts: lcp_parts(&url, start, value),
        ..Vital::new(VitalName::Lcp, value)
    });
}

/// LCP's four sub-parts, as web-vitals' attribution computes them: time to
/// first byte, then until the LCP resource was requested, its load, and
/// until the element rendered. They add up to the LCP value (or to when the
/// resource finished, if the browser reports that later). Text (no
/// resource) has no load: the time after TTFB is all render delay.
fn lcp_parts(url: &str, rendered: f64, lcp: f64) -> Parts {
    let activation = activation_start();
    let navigation = entries_by_type("navigation").get(0);
    let ttfb = (number(&navigation, "responseStart") - activation).max(0.0);
    let resource = if url.is_empty() {
        JsValue::UNDEFINED
    } else {
        lcp_resource(url, rendered)
    };
    let mut request_start = ttfb;
    let mut response_end = ttfb;
    if resource.is_object() {
        let requested = match number(&resource, "requestStart") {
            0.0 => number(&resource, "startTime"),
            requested => requested,
        };
        request_start = (requested - activation).max(ttfb);
        response_end = (number(&resource, "responseEnd") - activation).max(request_start);
    }
    let render = lcp.max(response_end);
    Pairs(vec![
        ("ttfb".into(), ttfb),
        ("load_delay".into(), request_start - ttfb),
        ("load_duration".into(), response_end - request_start),
        ("render_delay".into(), render - response_end),
    ])
}

fn on_layout_shift(agent: &mut Agent, shift: JsValue) {
    if get(&shift, "hadRecentInput").as_bool() == Some(true) {
        return;
    }
    // The shift's target, as web-vitals picks it: the first source that is an element, else the first.
    let sources = get(&shift, "sources")
        .dyn_into::<Array>()
        .unwrap_or_default();
    let mut node = get(&sources.get(0), "node");
    for source in sources.iter() {
        let source_node = get(&source, "node");
        if number(&source_node, "nodeType") == 1.0 {
            node = source_node;
            break;
        }
    }
    // The shift is the app's that caused it, not the app's that moved most.
    let owner = owner_of(agent, &shift_cause(&sources));
    let mut target = selector(&node);
    truncate(&mut target, MAX_TEXT_BYTES);
    let shell = agent.apps.shell().to_owned();
    agent.vitals.add_layout_shift(
        &shell,
        &owner,
        number(&shift, "startTime"),
        number(&shift, "value"),
        &target,
    );
}

fn on_event_timing(agent: &mut Agent, timing: JsValue) {
    let id = number(&timing, "interactionId");
    // Only an interaction's entries are attributed; the others count for their frame alone.
    let (mut target, owner) = if id > 0.0 {
        let node = get(&timing, "target");
        (selector(&node), owner_of(agent, &node))
    } else {
        Default::default()
    };
    truncate(&mut target, MAX_TEXT_BYTES);
    let entry = InteractionEntry {
        id,
        start: number(&timing, "startTime"),
        processing_start: number(&timing, "processingStart"),
        processing_end: number(&timing, "processingEnd"),
        duration: number(&timing, "duration"),
        name: string(&timing, "name").unwrap_or_default(),
        target,
    };
    let shell = agent.apps.shell().to_owned();
    agent.vitals.add_event(&shell, &owner, &entry);
}

fn on_resource(agent: &mut Agent, resource: JsValue) {
    keep_resource(&resource);
    record_resource(agent, &resource, 0.0);
}

// The LCP image's request, as web-vitals finds it: the last one of its URL
// made before the LCP rendered (a URL may be requested more than once), from
// the last 50 resources observed (the page's buffer stops at 250 entries),
// else from that buffer.
#[wasm_bindgen(inline_js = r#"
const recent = [];
export function keep_resource(entry) {
  recent.push(entry);
  if (recent.length > 50) recent.shift();
}
export function lcp_resource(url, rendered) {
  const requested = (e) => e.name === url && (e.requestStart || e.startTime) <= rendered;
  return recent.findLast(requested) || performance.getEntriesByType('resource').findLast(requested);
}
"#)]
extern "C" {
    fn keep_resource(entry: &JsValue);
    fn lcp_resource(url: &str, rendered: f64) -> JsValue;
}

/// Observes the resources of another window (a framework's sandbox iframe,
/// whose timeline the page's observers do not see), dated on the page's clock.
pub fn observe_resources_of(window: &JsValue) {
    let offset =
        number(&get(window, "performance"), "timeOrigin") - number(&performance(), "timeOrigin");
    let on_entries = callback(move |list: JsValue| {
        let entries: Array = call(&list, "getEntries", &JsValue::UNDEFINED)
            .dyn_into()
            .unwrap_or_default();
        with_agent(|agent| {
            for entry in entries.iter() {
                record_resource(agent, &entry, offset);
            }
        });
    });
    observe_buffered("resource", None, &on_entries, window);
}

/// A resource entry, `offset` ms after the page's time origin its window's is.
fn record_resource(agent: &mut Agent, resource: &JsValue, offset: f64) {
    let url = string(resource, "name").unwrap_or_default();
    if agent.is_own_request(&url) {
        return;
    }
    let transfer_size = number(resource, "transferSize");
    let body = Resource {
        url: agent.scrub(&url),
        initiator: string(resource, "initiatorType").unwrap_or_default(),
        duration: number(resource, "duration"),
        transfer_size: transfer_size as u64,
        // Nothing over the network, yet a body: the browser's cache served it.
        // (Cross-origin resources without Timing-Allow-Origin report 0 for both.)
        cache_hit: transfer_size == 0.0 && number(resource, "decodedBodySize") > 0.0,
    };
    agent.observe_resource(number(resource, "startTime") + offset, body);
}

/// The app owning a DOM node (an LCP element, a shift source, an event
/// target), else the shell.
fn owner_of(agent: &Agent, node: &JsValue) -> String {
    owner_of_node(node).unwrap_or_else(|| agent.apps.shell().to_owned())
}
