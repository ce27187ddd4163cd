//! Error hooks: uncaught errors, unhandled rejections, and failed loads of
//! scripts, styles and images (seen in the capture phase of `error`).

use canopy_wire::limits::{truncate, MAX_STACK_BYTES, MAX_TEXT_BYTES};
use canopy_wire::{ErrorReport, ErrorSource, EventBody};
use wasm_bindgen::prelude::*;
use web_sys::{Element, ErrorEvent, PromiseRejectionEvent, Window};

use super::{callback, get, number, string};
use crate::agent::{scrub_url, with_agent};

pub fn install(window: &Window) {
    listen(window, "error", on_error);
    listen(window, "unhandledrejection", on_rejection);
}

fn listen(window: &Window, event_type: &str, handle: fn(JsValue) -> Option<(String, ErrorReport)>) {
    let on_event = callback(move |event| {
        let Some((script_url, report)) = handle(event) else { return };
        with_agent(|agent| {
            let app = agent.apps.owner_of_error(&script_url, &report.stack).to_owned();
            agent.record_error(&app, agent.now(), EventBody::Error(report));
        });
    });
    // Capture phase: load errors of elements do not bubble to the window.
    let _ = window.add_event_listener_with_callback_and_bool(event_type, &on_event, true);
}

fn on_error(event: JsValue) -> Option<(String, ErrorReport)> {
    if event.has_type::<ErrorEvent>() {
        let thrown = get(&event, "error");
        let report = report(
            ErrorSource::Error,
            string(&thrown, "name").unwrap_or_else(|| "Error".to_owned()),
            // The thrown error's own message; the event's adds "Uncaught ".
            string(&thrown, "message").or_else(|| string(&event, "message")).unwrap_or_default(),
            string(&thrown, "stack").unwrap_or_default(),
            string(&event, "filename").unwrap_or_default(),
            number(&event, "lineno") as u32,
            number(&event, "colno") as u32,
        );
        return Some((report.url.clone(), report));
    }
    // Not an ErrorEvent: an element failed to load its resource.
    let element = get(&event, "target").dyn_into::<Element>().ok()?;
    let url = string(&element, "src").or_else(|| string(&element, "href")).unwrap_or_default();
    // tagName is ASCII-uppercased in HTML documents; undo just that (no Unicode tables).
    let tag = string(&element, "tagName").unwrap_or_default().to_ascii_lowercase();
    let message = ["failed to load ", &tag, " ", crate::agent::scrub_url(&url)].concat();
    let report = report(ErrorSource::ResourceLoad, tag, message, String::new(), url.clone(), 0, 0);
    Some((url, report))
}

fn on_rejection(event: JsValue) -> Option<(String, ErrorReport)> {
    if !event.has_type::<PromiseRejectionEvent>() {
        return None;
    }
    let reason = get(&event, "reason");
    let stack = string(&reason, "stack").unwrap_or_default();
    let (error_type, message) = match string(&reason, "message") {
        Some(message) => (string(&reason, "name").unwrap_or_else(|| "Error".to_owned()), message),
        // A rejection with a non-Error reason: keep what it says.
        None => ("UnhandledRejection".to_owned(), describe(&reason)),
    };
    Some((String::new(), report(ErrorSource::Rejection, error_type, message, stack, String::new(), 0, 0)))
}

fn report(
    source: ErrorSource,
    mut error_type: String,
    mut message: String,
    mut stack: String,
    url: String,
    line: u32,
    column: u32,
) -> ErrorReport {
    let mut url = scrub_url(&url).to_owned();
    truncate(&mut error_type, MAX_TEXT_BYTES);
    truncate(&mut message, MAX_TEXT_BYTES);
    truncate(&mut url, MAX_TEXT_BYTES);
    truncate(&mut stack, MAX_STACK_BYTES);
    ErrorReport { source, error_type, message, stack, url, line, column }
}

/// `String(value)` for primitives, JSON for plain objects; never throws.
fn describe(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    if value.is_object() {
        if let Some(json) = js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()) {
            return json;
        }
    }
    crate::js::string_of(value).unwrap_or_default()
}
