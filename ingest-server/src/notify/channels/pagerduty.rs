//! PagerDuty's Events API v2: `trigger` (firing and repeats) and `resolve`,
//! deduplicated by the alert's fingerprint, so one rule and app is one
//! incident however often it is repeated.

use serde_json::{json, Value};

use super::super::message::{rfc3339, Message};
use super::super::notification::Notification;
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

/// An alert notified alone is an incident keyed by its fingerprint; a
/// route's group one keyed
/// by its group key, triggered while a member fires (its details list
/// them), resolved once none does.
pub fn payload(notification: &Notification, routing_key: &str) -> Value {
    let Some(group) = &notification.group else {
        return alone(&notification.messages[0], routing_key);
    };
    let dedup_key = format!("canopy/{}", group.key);
    if notification.is_resolved() {
        return json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key});
    }
    let summary: String = notification.title().chars().take(SUMMARY_MAX).collect();
    let alerts: Vec<String> = notification.listed(Message::summary);
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": summary,
            "source": "canopy",
            "severity": severity(notification.severity()),
            "custom_details": {"alerts": alerts, "group": group.key},
        },
        "client": "Canopy",
        "client_url": notification.link(),
    })
}

fn alone(message: &Message, routing_key: &str) -> Value {
    let alert = message.alert;
    if message.is_resolved() {
        return json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.fingerprint});
    }
    let summary: String = message.summary().chars().take(SUMMARY_MAX).collect();
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
            &Notification::alone(Message::new(&alert, Notice::Firing, &rule, "https://c")),
            "KEY",
        );
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["dedup_key"], "fp");
        assert_eq!(trigger["payload"]["severity"], "critical");
        assert_eq!(trigger["payload"]["component"], "cart");
        assert_eq!(trigger["links"][1]["href"], "https://runbooks.example/cart");
        let resolve = payload(
            &Notification::alone(Message::new(&alert, Notice::Resolved, &rule, "https://c")),
            "KEY",
        );
        assert_eq!(
            resolve,
            json!({"routing_key": "KEY", "event_action": "resolve", "dedup_key": "fp"})
        );
    }

    #[test]
    fn a_group_is_one_incident_listing_its_alerts() {
        use crate::notify::notification::tests::{group, ten_alerts};
        let (mut alerts, rule) = (ten_alerts(), rule());
        let trigger = payload(&group(&alerts, &rule), "KEY");
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(
            trigger["dedup_key"],
            "canopy/{}/0:{alertname=\"cart-availability\"}"
        );
        let listed = trigger["payload"]["custom_details"]["alerts"]
            .as_array()
            .unwrap();
        assert_eq!(listed.len(), 10);
        assert!(listed[3].as_str().unwrap().contains("on app3"));
        alerts
            .iter_mut()
            .for_each(|(_, notice)| *notice = Notice::Resolved);
        let resolve = payload(&group(&alerts, &rule), "KEY");
        assert_eq!(
            (resolve["event_action"].as_str(), &resolve["dedup_key"]),
            (Some("resolve"), &trigger["dedup_key"])
        );
    }
}
