//! Error hooks: uncaught errors, unhandled rejections, and failed loads of
//! scripts, styles and images (seen in the capture phase of `error`).

use canopy_wire::limits::{truncate, MAX_STACK_BYTES, MAX_TEXT_BYTES};
use canopy_wire::{ErrorReport, ErrorSource, EventBody};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{Element, ErrorEvent, Event, PromiseRejectionEvent, Window};

use crate::agent::with_agent;

pub fn install(window: &Window) {
    listen(window, "error", on_error);
    listen(window, "unhandledrejection", on_rejection);
}

fn listen(window: &Window, event_type: &str, handle: fn(Event) -> Option<(String, ErrorReport)>) {
    let callback = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let Some((script_url, report)) = handle(event) else { return };
        let now = web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0);
        with_agent(|agent| {
            let app = agent.apps.owner_of_error(&script_url, &report.stack).to_owned();
            agent.record_error(&app, now, EventBody::Error(report));
        });
    });
    // Capture phase: load errors of elements do not bubble to the window.
    if window.add_event_listener_with_callback_and_bool(event_type, callback.as_ref().unchecked_ref(), true).is_ok() {
        callback.forget();
    }
}

fn on_error(event: Event) -> Option<(String, ErrorReport)> {
    if let Some(error) = event.dyn_ref::<ErrorEvent>() {
        let thrown = error.error();
        let report = report(
            ErrorSource::Error,
            property(&thrown, "name").unwrap_or_else(|| "Error".to_owned()),
            // The thrown error's own message; the event's adds "Uncaught ".
            property(&thrown, "message").unwrap_or_else(|| error.message()),
            property(&thrown, "stack").unwrap_or_default(),
            error.filename(),
            error.lineno(),
            error.colno(),
        );
        return Some((report.url.clone(), report));
    }
    // Not an ErrorEvent: an element failed to load its resource.
    let element = event.target()?.dyn_into::<Element>().ok()?;
    let url = property(&element, "src").or_else(|| property(&element, "href")).unwrap_or_default();
    let tag = element.tag_name().to_lowercase();
    let message = format!("failed to load {tag} {url}");
    let report = report(ErrorSource::ResourceLoad, tag, message, String::new(), url.clone(), 0, 0);
    Some((url, report))
}

fn on_rejection(event: Event) -> Option<(String, ErrorReport)> {
    let reason = event.dyn_ref::<PromiseRejectionEvent>()?.reason();
    let stack = property(&reason, "stack").unwrap_or_default();
    let (error_type, message) = match property(&reason, "message") {
        Some(message) => (property(&reason, "name").unwrap_or_else(|| "Error".to_owned()), message),
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
    let mut url = crate::agent::scrub_url(&url).to_owned();
    truncate(&mut error_type, MAX_TEXT_BYTES);
    truncate(&mut message, MAX_TEXT_BYTES);
    truncate(&mut url, MAX_TEXT_BYTES);
    truncate(&mut stack, MAX_STACK_BYTES);
    ErrorReport { source, error_type, message, stack, url, line, column }
}

/// A string property of any JS value, if it has one.
fn property(value: &JsValue, key: &str) -> Option<String> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &key.into()).ok()?.as_string()
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
    format!("{value:?}")
}
