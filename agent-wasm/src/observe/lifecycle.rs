//! Page lifecycle hooks: when to finalise vitals and send.
//!
//! Hidden is the last moment a page is reliably alive (mobile browsers may
//! discard it without unload), so vitals are reported and the queue flushed
//! on `visibilitychange` → hidden and on `pagehide`; an interval sends the
//! rest while the page is open.

use gloo_timers::callback::Interval;
use wasm_bindgen::prelude::*;
use web_sys::{Event, VisibilityState, Window};

use crate::agent::with_agent;

pub fn install(window: &Window, flush_interval_ms: u32) {
    if let Some(document) = window.document() {
        let hidden_document = document.clone();
        on(&document, "visibilitychange", move || {
            if hidden_document.visibility_state() == VisibilityState::Hidden {
                finish_view();
            }
        });
    }
    on(window, "pagehide", finish_view);
    Interval::new(flush_interval_ms, || {
        with_agent(|agent| agent.flush());
    })
    .forget();
}

fn finish_view() {
    with_agent(|agent| {
        agent.report_vitals();
        agent.flush();
    });
}

fn on(target: &web_sys::EventTarget, event_type: &str, handle: impl Fn() + 'static) {
    let callback = Closure::<dyn FnMut(Event)>::new(move |_: Event| handle());
    if target.add_event_listener_with_callback(event_type, callback.as_ref().unchecked_ref()).is_ok() {
        callback.forget();
    }
}
