//! Prometheus Alertmanager's client API (`POST /api/v2/alerts`): a list of
//! alerts with labels, annotations, startsAt, endsAt and generatorURL. The
//! labels and annotations are shared with the webhook body.

use serde_json::{json, Map, Value};

use super::super::message::{rfc3339, Message};
use super::super::notification::Notification;
use crate::model::labels::Labels;

/// Identifies the alert in Alertmanager (its identity is the label set):
/// `alertname`, `app`, `severity`, `metric`, `source` and the rule's
/// custom labels.
pub fn labels(message: &Message) -> Value {
    let labels = Labels::of(message.alert, message.rule).0;
    Value::Object(
        labels
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

pub fn annotations(message: &Message) -> Value {
    let alert = message.alert;
    let mut annotations = Map::new();
    let mut put = |key: &str, value: String| {
        annotations.insert(key.to_owned(), Value::String(value));
    };
    put("summary", message.summary());
    put("value", alert.value.to_string());
    put("threshold", alert.threshold.to_string());
    put("alert_id", alert.id.clone());
    // Annotations, not labels: the label set is the alert's identity, which
    // stays the same when a newer version takes over the comparison.
    if let Some(versions) = &alert.versions {
        put("newest_version", versions.newest.clone());
        put("previous_version", versions.previous.clone());
        put("previous_value", versions.previous_value.to_string());
    }
    put("dashboard", message.link.clone());
    put(
        "repeat",
        (message.notice == crate::model::alert::Notice::Repeat).to_string(),
    );
    if let Some(description) = message.description() {
        put("description", description.to_owned());
    }
    if let Some(runbook) = message.runbook() {
        put("runbook_url", runbook.to_owned());
    }
    Value::Object(annotations)
}

/// When Alertmanager should consider the alert over. A firing alert is
/// re-sent at every repeat (its rule's, or its group's when a route's
/// `repeat_interval` is longer), so it is announced to last two repeat
/// intervals; if Canopy stops repeating it (acknowledged, or Canopy gone),
/// Alertmanager resolves it after that, as it would for a silent Prometheus.
pub fn ends_at(message: &Message, group_repeat: Option<std::time::Duration>) -> String {
    let repeat = group_repeat.map_or(message.rule.repeat_interval, |group| {
        group.max(message.rule.repeat_interval)
    });
    let end = message
        .ended_at()
        .unwrap_or_else(|| message.alert.updated_at + 2 * repeat.as_millis() as i64);
    rfc3339(end)
}

/// The body of `POST {url}/api/v2/alerts`: every alert of the notification.
pub fn payload(notification: &Notification) -> Value {
    let alert = |message: &Message| {
        json!({
            "labels": labels(message),
            "annotations": annotations(message),
            "startsAt": rfc3339(message.started_at()),
            "endsAt": ends_at(message, notification.group.as_ref().map(|g| g.repeat_interval)),
            "generatorURL": message.link,
        })
    };
    Value::Array(notification.messages.iter().map(alert).collect())
}

/// Where the alerts go, below Alertmanager's base URL.
pub fn endpoint(base: &str) -> String {
    format!("{}/api/v2/alerts", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};

    #[test]
    fn firing_lasts_two_repeats_and_resolved_ends_when_it_did() {
        let (alert, rule) = (alert(), rule());
        let firing = payload(&Notification::alone(Message::new(
            &alert,
            Notice::Firing,
            &rule,
            "https://c.example",
        )));
        let first = &firing[0];
        assert_eq!(first["labels"]["alertname"], "cart-availability");
        assert_eq!(first["startsAt"], "2027-01-15T08:01:00Z");
        // updated_at + 2 h (repeat_interval defaults to 1 h)
        assert_eq!(first["endsAt"], "2027-01-15T10:10:00Z");
        assert_eq!(
            first["generatorURL"],
            "https://c.example/dashboard#/app/cart"
        );
        assert_eq!(
            first["annotations"]["runbook_url"],
            "https://runbooks.example/cart"
        );
        let resolved = payload(&Notification::alone(Message::new(
            &alert,
            Notice::Resolved,
            &rule,
            "https://c.example",
        )));
        assert_eq!(resolved[0]["endsAt"], "2027-01-15T08:10:00Z");
        assert_eq!(endpoint("http://am:9093/"), "http://am:9093/api/v2/alerts");
    }

    #[test]
    fn a_group_is_every_alert_with_its_custom_labels() {
        let alerts = crate::notify::notification::tests::ten_alerts();
        let rule = crate::model::rule::Rule {
            labels: [("team".to_owned(), "checkout".to_owned())].into(),
            ..rule()
        };
        let body = payload(&crate::notify::notification::tests::group(&alerts, &rule));
        let apps: Vec<&str> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["labels"]["app"].as_str().unwrap())
            .collect();
        assert_eq!(apps, (0..10).map(|i| format!("app{i}")).collect::<Vec<_>>());
        assert_eq!(body[0]["labels"]["team"], "checkout");
        assert_eq!(body[0]["endsAt"], "2027-01-15T10:10:00Z");
        assert_eq!(
            body[9]["endsAt"], "2027-01-15T08:10:00Z",
            "the resolved one ends"
        );
        let mut slow = crate::notify::notification::tests::group(&alerts, &rule);
        slow.group.as_mut().unwrap().repeat_interval = std::time::Duration::from_secs(4 * 3600);
        assert_eq!(
            payload(&slow)[0]["endsAt"],
            "2027-01-15T16:10:00Z",
            "two of the group's repeats, longer than the rule's"
        );
    }
}
