//! Error hooks: uncaught errors, unhandled rejections, and failed loads of
//! scripts, styles and images (seen in the capture phase of `error`). The
//! events are read by the text side (`npm-package/agent/errors.js`): what
//! was caught is text through and through.

use super::{Observation, Report, Tag};
use crate::browser::{Js, Word};
use crate::text::{App, Caught};

/// Listens to `target`: the page's window, or where a framework runs an
/// app's code (a sandbox iframe's window, a shadow root, whose failed
/// resources reach no window), then with `app` owning what happens there.
pub fn listen(target: &Js, app: Option<App>) {
    // The app rides in the tag, shifted past 0 (no app).
    let sandbox = app.map_or(0, |app| app + 1);
    // By reference, as in performance::start.
    for &(event_type, tag) in &[
        (Word::error, Tag::Error),
        (Word::unhandledrejection, Tag::Rejection),
    ] {
        // Capture phase: load errors of elements do not bubble to the window.
        target.listen(event_type, tag.with(sandbox), true);
    }
}

/// An `error` or `unhandledrejection` event, `at` ms after the time origin.
pub fn caught(event: &Js, at: f64, sandbox: u32, report: Report) {
    if let Some(caught) = Caught::read(event) {
        report(Observation::Error {
            at,
            caught,
            sandbox: sandbox.checked_sub(1),
        });
    }
}

/// Records `error` and `unhandledrejection` events the page dispatched
/// before these hooks were installed (the hub kept them while the wasm
/// loaded: an app that fails as it boots fails then), each as its hook
/// would have, dated when it happened.
pub fn replay(events: &Js, report: Report) {
    for event in events.items() {
        caught(&event, event.num(Word::timeStamp), 0, report);
    }
}
