//! Page lifecycle hooks: when to finalise vitals and send.
//!
//! Hidden is the last moment a page is reliably alive (mobile browsers may
//! discard it without unload), so vitals are reported and the queue flushed
//! on `visibilitychange` → hidden and on `pagehide`; an interval sends the
//! rest while the page is open.

use web_sys::{EventTarget, Window};

use super::{callback, string};
use crate::agent::with_agent;

pub fn install(window: &Window, flush_interval_ms: u32) {
    if let Some(document) = window.document() {
        let hidden_document = document.clone();
        on(&document, "visibilitychange", move || {
            if string(&hidden_document, "visibilityState").as_deref() == Some("hidden") {
                finish_view();
            }
        });
    }
    on(window, "pagehide", finish_view);
    let flush = callback(|_| {
        with_agent(|agent| agent.flush());
    });
    // At most i32::MAX ms (~25 days): the browser's own limit for timers.
    let interval = flush_interval_ms.min(i32::MAX as u32) as i32;
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(&flush, interval);
}

fn finish_view() {
    with_agent(|agent| {
        agent.report_vitals();
        agent.flush();
    });
}

fn on(target: &EventTarget, event_type: &str, handle: impl Fn() + 'static) {
    // The same binding (with `capture`) as the error hooks: one import fewer.
    let _ = target.add_event_listener_with_callback_and_bool(event_type, &callback(move |_| handle()), false);
}
