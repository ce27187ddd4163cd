//! PagerDuty's Events API v2: `trigger` (firing and repeats) and `resolve`,
//! deduplicated by the alert's fingerprint, so one rule and app is one
//! incident however often it is repeated.

use serde_json::{json, Value};

use super::super::message::{rfc3339, Message};
use crate::model::rule::Severity;

/// The Events API refuses longer summaries.
const SUMMARY_MAX: usize = 1024;

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

pub fn payload(message: &Message, routing_key: &str) -> Value {
    let alert = message.alert;
    if message.is_resolved() {
        return json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.fingerprint});
    }
    let summary: String = format!("{} — {}", message.title(), message.measurement())
        .chars()
        .take(SUMMARY_MAX)
        .collect();
    let mut links =
        vec![json!({"href": message.link, "text": format!("Canopy dashboard: {}", alert.app)})];
    if let Some(runbook) = message.runbook() {
        links.push(json!({"href": runbook, "text": "Runbook"}));
    }
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.fingerprint,
        "payload": {
            "summary": summary,
            "source": format!("canopy/{}", alert.app),
            "severity": severity(alert.severity),
            "timestamp": rfc3339(message.started_at()),
            "component": alert.app,
            "group": alert.rule,
            "class": alert.metric,
            "custom_details": {
                "measurement": message.measurement(),
                "since": message.since(),
                "description": message.description(),
                "alert_id": alert.id,
            },
        },
        "client": "Canopy",
        "client_url": message.link,
        "links": links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};

    #[test]
    fn trigger_and_resolve_share_the_fingerprint() {
        let (alert, rule) = (alert(), rule());
        let trigger = payload(
            &Message::new(&alert, Notice::Firing, &rule, "https://c"),
            "KEY",
        );
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["dedup_key"], "fp");
        assert_eq!(trigger["payload"]["severity"], "critical");
        assert_eq!(trigger["payload"]["component"], "cart");
        assert_eq!(trigger["links"][1]["href"], "https://runbooks.example/cart");
        let resolve = payload(
            &Message::new(&alert, Notice::Resolved, &rule, "https://c"),
            "KEY",
        );
        assert_eq!(
            resolve,
            json!({"routing_key": "KEY", "event_action": "resolve", "dedup_key": "fp"})
        );
    }
}
