//! Error hooks: uncaught errors, unhandled rejections, and failed loads of
//! scripts, styles and images (seen in the capture phase of `error`).
//!
//! A micro-frontend's chunk that fails to load (a `<script>` or stylesheet
//! under its asset prefix, or a dynamic `import()` of one) means the app is
//! not there for the user: besides the error, it is reported as a failed
//! load of that app, which availability counts.

use canopy_wire::limits::{truncate, MAX_STACK_BYTES, MAX_TEXT_BYTES};
use canopy_wire::{concat, ErrorReport, ErrorSource};
use wasm_bindgen::prelude::*;
use web_sys::EventTarget;

use super::{callback, get, number, string};
use crate::agent::{with_agent, Agent};
use crate::text::find;

/// What browsers report instead of a cross-origin script's error, unless the
/// script was loaded with `crossorigin` and served with CORS headers.
const MUTED: &str = "Script error.";

/// What a hook read from the event: the report with its URL not yet
/// scrubbed and its stack not yet parsed, and whether the failed resource was
/// a script or stylesheet (perhaps an app's chunk).
type Caught = (ErrorReport, bool);

/// Reads one kind of event into what was caught, if anything.
type Reader = fn(JsValue) -> Option<Caught>;

/// Listens to `target`: the page's window, or where a framework runs an
/// app's code (a sandbox iframe's window, a shadow root, whose failed
/// resources reach no window), then with `app` owning what happens there.
/// Events are read by name, never by `instanceof`: a sandbox iframe's
/// events and elements are of that iframe's realm.
pub fn listen(target: &EventTarget, app: Option<String>) {
    let readers: [(&str, Reader); 2] = [("error", on_error), ("unhandledrejection", on_rejection)];
    for (event_type, read) in readers {
        let app = app.clone();
        let on_event = callback(move |event| {
            let Some(caught) = read(event) else { return };
            with_agent(|agent| {
                let now = agent.now();
                record(agent, caught, now, app.as_deref());
            });
        });
        // Capture phase: load errors of elements do not bubble to the window.
        let _ = target.add_event_listener_with_callback_and_bool(event_type, &on_event, true);
    }
}

/// Records `error` and `unhandledrejection` events the page dispatched
/// before these hooks were installed (the hub kept them while the wasm
/// loaded: an app that fails as it boots fails then), each as its hook
/// would have, dated when it happened.
pub fn replay(events: &JsValue) {
    for event in js_sys::Array::from(events).iter() {
        let at = number(&event, "timeStamp");
        let caught = if string(&event, "type").as_deref() == Some("unhandledrejection") {
            on_rejection(event)
        } else {
            on_error(event)
        };
        if let Some(caught) = caught {
            with_agent(|agent| record(agent, caught, at, None));
        }
    }
}

fn record(agent: &mut Agent, (mut report, chunk): Caught, at: f64, app: Option<&str>) {
    // A failed dynamic import has no stack of the app's: its chunk's URL names the app.
    let failed_chunk = if chunk {
        Some(agent.scrub(&report.url))
    } else {
        chunk_in_message(&report.message).map(|url| agent.scrub(url))
    };
    finish(agent, &mut report);
    agent.record_caught(at, failed_chunk, report, true, app);
}

/// Readies a report to leave the page: its stack parsed into frames, every
/// URL scrubbed, its text cut to the limits.
pub fn finish(agent: &Agent, report: &mut ErrorReport) {
    let mut frames = crate::stack::parse(&report.stack);
    for frame in &mut frames {
        frame.file = agent.scrub(&frame.file);
    }
    report.url = agent.scrub(&report.url);
    report.frames = frames;
    truncate(&mut report.error_type, MAX_TEXT_BYTES);
    truncate(&mut report.message, MAX_TEXT_BYTES);
    truncate(&mut report.stack, MAX_STACK_BYTES);
}

fn on_error(event: JsValue) -> Option<Caught> {
    let element = get(&event, "target");
    if number(&element, "nodeType") != 1.0 {
        return error_event(&event);
    }
    // An element failed to load its resource.
    let url = string(&element, "src")
        .or_else(|| string(&element, "href"))
        .unwrap_or_default();
    // tagName is ASCII-uppercased in HTML documents; undo just that (no Unicode tables).
    let tag = string(&element, "tagName")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let message = concat(&[
        "failed to load ",
        &tag,
        " ",
        crate::privacy::scrub_url(&url, &[]).as_str(),
    ]);
    let chunk = tag == "script" || tag == "link";
    let mut report = ErrorReport::new(ErrorSource::ResourceLoad, tag, message);
    report.url = url;
    Some((report, chunk))
}

/// An uncaught error (an `ErrorEvent`: one with a `message`).
fn error_event(event: &JsValue) -> Option<Caught> {
    let message = string(event, "message")?;
    let thrown = get(event, "error");
    let muted = message == MUTED
        && thrown.is_null()
        && string(event, "filename").unwrap_or_default().is_empty();
    if muted {
        let report = ErrorReport::new(ErrorSource::Muted, "Script error".into(), MUTED.into());
        return Some((report, false));
    }
    let mut report = ErrorReport::new(
        ErrorSource::Error,
        string(&thrown, "name").unwrap_or_else(|| "Error".to_owned()),
        // The thrown error's own message; the event's adds "Uncaught ".
        string(&thrown, "message").unwrap_or(message),
    );
    report.stack = string(&thrown, "stack").unwrap_or_default();
    report.url = string(event, "filename").unwrap_or_default();
    report.line = number(event, "lineno") as u32;
    report.column = number(event, "colno") as u32;
    Some((report, false))
}

fn on_rejection(event: JsValue) -> Option<Caught> {
    let reason = get(&event, "reason");
    let (error_type, message) = match string(&reason, "message") {
        Some(message) => (
            string(&reason, "name").unwrap_or_else(|| "Error".to_owned()),
            message,
        ),
        // A rejection with a non-Error reason: keep what it says.
        None => ("UnhandledRejection".to_owned(), describe(&reason)),
    };
    let mut report = ErrorReport::new(ErrorSource::Rejection, error_type, message);
    report.stack = string(&reason, "stack").unwrap_or_default();
    Some((report, false))
}

/// The chunk URL in the message of a failed dynamic `import()` (Chrome:
/// "Failed to fetch dynamically imported module: URL", Firefox: "error
/// loading dynamically imported module: URL") or of webpack's
/// `ChunkLoadError` ("Loading chunk 7 failed. (error: URL)").
fn chunk_in_message(message: &str) -> Option<&str> {
    let is_chunk = [
        "dynamically imported module",
        "Loading chunk",
        "Loading CSS chunk",
    ]
    .iter()
    .any(|phrase| find(message, phrase).is_some());
    if !is_chunk {
        return None;
    }
    let start = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| find(message, scheme))
        .min()?;
    let url = message.get(start..)?;
    let end = url
        .bytes()
        .position(|byte| byte == b')' || byte.is_ascii_whitespace())
        .unwrap_or(url.len());
    url.get(..end)
}

/// `String(value)` for primitives, JSON for plain objects; never throws.
fn describe(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    if value.is_object() {
        if let Some(json) = js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
        {
            return json;
        }
    }
    crate::js::string_of(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::chunk_in_message;

    #[test]
    fn failed_dynamic_imports_name_their_chunk() {
        let chrome =
            "Failed to fetch dynamically imported module: https://cdn.example/cart/chunk-7.js";
        assert_eq!(
            chunk_in_message(chrome),
            Some("https://cdn.example/cart/chunk-7.js")
        );
        let firefox = "error loading dynamically imported module: http://127.0.0.1:9/cart/c.js";
        assert_eq!(
            chunk_in_message(firefox),
            Some("http://127.0.0.1:9/cart/c.js")
        );
        let webpack = "Loading chunk 7 failed.\n(error: https://cdn.example/cart/7.js)";
        assert_eq!(
            chunk_in_message(webpack),
            Some("https://cdn.example/cart/7.js")
        );
        assert_eq!(
            chunk_in_message("fetch failed: https://api.example/x"),
            None
        );
        assert_eq!(chunk_in_message("Loading chunk 7 failed."), None);
    }
}
