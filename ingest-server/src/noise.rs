//! Noise control on receipt, after validation: errors the browser muted
//! are marked so, and errors an ignore rule matches are dropped (counted in
//! `canopy_errors_ignored_total`); the beacon's other events are kept.

use canopy_wire::{Beacon, ErrorSource, EventBody};

use crate::metrics::ERRORS_IGNORED;
use crate::model::ignore::IgnoreRule;

/// What a browser reports for a cross-origin script's error it hides.
const MUTED_MESSAGES: [&str; 2] = ["Script error.", "Script error"];

/// Marks muted errors and drops ignored ones; returns how many were dropped.
pub fn filter(beacon: &mut Beacon, rules: &[IgnoreRule]) -> u64 {
    let before = beacon.events.len();
    beacon.events.retain_mut(|event| {
        let EventBody::Error(report) = &mut event.body else {
            return true;
        };
        // Sent as an ordinary error by a client that does not tell them
        // apart: it says neither what nor where, so it is counted, never grouped.
        if report.source == ErrorSource::Error
            && MUTED_MESSAGES.contains(&report.message.trim())
            && report.stack.is_empty()
            && report.frames.is_empty()
        {
            report.source = ErrorSource::Muted;
        }
        let files = report.frames.iter().map(|frame| frame.file.as_str());
        !rules
            .iter()
            .any(|rule| rule.matches(&event.app, &report.message, &report.url, files.clone()))
    });
    let ignored = (before - beacon.events.len()) as u64;
    if ignored > 0 {
        metrics::counter!(ERRORS_IGNORED).increment(ignored);
    }
    ignored
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn beacon(events: serde_json::Value) -> Beacon {
        serde_json::from_value(json!({
            "schema": 1, "session_id": "s", "view_id": "v", "page_url": "http://x/", "sent_at": 1.0,
            "apps": [], "events": events,
        }))
        .unwrap()
    }

    fn error(app: &str, message: &str, url: &str) -> serde_json::Value {
        json!({"app": app, "at": 1.0, "kind": "error", "source": "error", "error_type": "Error",
               "message": message, "url": url})
    }

    #[test]
    fn ignored_errors_go_and_everything_else_stays() {
        let rules = [
            toml::from_str("script_url = \"^chrome-extension://\"").unwrap(),
            toml::from_str("app = \"cart\"\nmessage = \"^ResizeObserver\"").unwrap(),
        ];
        let mut beacon = beacon(json!([
            error("cart", "boom", "chrome-extension://x/a.js"),
            error("cart", "ResizeObserver loop limit exceeded", "https://x/a.js"),
            error("catalog", "ResizeObserver loop limit exceeded", "https://x/a.js"),
            error("cart", "boom", "https://x/a.js"),
            {"app": "cart", "at": 1.0, "kind": "vital", "name": "lcp", "value": 1.0},
        ]));
        assert_eq!(filter(&mut beacon, &rules), 2);
        let kept: Vec<_> = beacon
            .events
            .iter()
            .map(|e| match &e.body {
                EventBody::Error(r) => format!("{} {}", e.app, r.message),
                _ => "vital".to_owned(),
            })
            .collect();
        assert_eq!(
            kept,
            [
                "catalog ResizeObserver loop limit exceeded",
                "cart boom",
                "vital"
            ]
        );
    }

    #[test]
    fn script_error_without_a_stack_is_muted() {
        let mut with_stack = error("cart", "Script error.", "");
        with_stack["stack"] = json!("at f (https://x/a.js:1:1)");
        let mut beacon = beacon(json!([error("cart", "Script error.", ""), with_stack]));
        assert_eq!(filter(&mut beacon, &[]), 0);
        let sources: Vec<_> = beacon
            .events
            .iter()
            .map(|e| match &e.body {
                EventBody::Error(r) => r.source,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(sources, [ErrorSource::Muted, ErrorSource::Error]);
    }
}
