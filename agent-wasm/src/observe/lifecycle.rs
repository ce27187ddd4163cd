//! Page lifecycle hooks: when to finalise vitals and send, and what a
//! back/forward-cache restore starts.
//!
//! Hidden is the last moment a page is reliably alive (mobile browsers may
//! discard it without unload), so vitals are reported and the queue flushed
//! on `visibilitychange` → hidden and on `pagehide`; an interval sends the
//! rest while the page is open. A `pageshow` with `persisted` is a page
//! restored from the back/forward cache: a new view, measured afresh.

use canopy_wire::{Vital, VitalName};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{EventTarget, Window};

use super::{call, call2, callback, get, number, once, performance, string};
use crate::agent::with_agent;

pub fn install(window: &Window, flush_interval_ms: u32) {
    let document = get(window, "document");
    if document.is_object() {
        let hidden_document = document.clone();
        on(
            document.unchecked_ref(),
            move |event| {
                if string(&hidden_document, "visibilityState").as_deref() == Some("hidden") {
                    let at = number(&event, "timeStamp");
                    with_agent(|agent| {
                        agent.vitals.first_hidden = agent.vitals.first_hidden.min(at)
                    });
                    finish_view();
                }
            },
            "visibilitychange",
        );
    }
    on(window, |_| finish_view(), "pagehide");
    let restored = window.clone();
    on(
        window,
        move |event| {
            if get(&event, "persisted").as_bool() == Some(true) {
                restore(&restored, number(&event, "timeStamp"));
            }
        },
        "pageshow",
    );
    let flush = callback(|_| {
        with_agent(|agent| agent.flush());
    });
    // At most i32::MAX ms (~25 days): the browser's own limit for timers.
    let interval = flush_interval_ms.min(i32::MAX as u32);
    call2(window, "setInterval", &flush, &interval.into());
}

fn finish_view() {
    // Entries the browser has not delivered yet still count (web-vitals takes them too).
    super::performance::take_records(None);
    super::performance::finalize_lcp();
    let interactions = interaction_count();
    with_agent(|agent| {
        super::performance::report_navigation(agent);
        agent.report_vitals(interactions);
        agent.report_resources();
        agent.flush();
    });
}

/// `performance.interactionCount`, where the browser has it.
pub(super) fn interaction_count() -> Option<f64> {
    get(&performance(), "interactionCount").as_f64()
}

/// A restore from the back/forward cache at `restored_at` (ms since the time
/// origin): a new view whose TTFB is 0, and whose FCP and LCP are the time
/// to the second frame after the restore (as web-vitals measures them).
fn restore(window: &Window, restored_at: f64) {
    let hidden = string(&get(window, "document"), "visibilityState").as_deref() == Some("hidden");
    let interactions = interaction_count().unwrap_or(0.0);
    with_agent(|agent| {
        agent.start_view(None);
        agent
            .vitals
            .restart(true, if hidden { 0.0 } else { f64::INFINITY }, interactions);
        let shell = agent.apps.shell().to_owned();
        agent.record_vital(&shell, agent.now(), Vital::new(VitalName::Ttfb, 0.0));
    });
    let next = window.clone();
    next_frame(
        window,
        Box::new(move || {
            next_frame(
                &next,
                Box::new(move || {
                    with_agent(|agent| {
                        let now = agent.now();
                        let value = (now - restored_at).max(0.0);
                        let shell = agent.apps.shell().to_owned();
                        agent.vitals.painted = true;
                        agent.record_vital(&shell, now, Vital::new(VitalName::Fcp, value));
                        agent.vitals.set_lcp(Vital::new(VitalName::Lcp, value));
                    });
                }),
            )
        }),
    );
}

/// Runs `then` before the next frame (`requestAnimationFrame`). Boxed: one
/// copy of the glue for both frames.
fn next_frame(window: &Window, then: Box<dyn FnOnce()>) {
    let _ = call(
        window,
        "requestAnimationFrame",
        &once(move |_| then()).into(),
    );
}

fn on(target: &EventTarget, handle: impl Fn(JsValue) + 'static, event_type: &str) {
    // The same binding (with `capture`) as the error hooks: one import fewer.
    let _ = target.add_event_listener_with_callback_and_bool(event_type, &callback(handle), false);
}
