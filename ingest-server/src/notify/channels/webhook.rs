//! The generic webhook: the body Alertmanager's own webhook receiver sends
//! (version 4: status, receiver, group labels, alerts), so tools written for
//! Alertmanager's webhooks take Canopy's notices unchanged.

use serde_json::{json, Map, Value};

use super::super::message::{rfc3339, Message, ZERO_TIME};
use super::super::notification::Notification;
use super::alertmanager::{annotations, labels};

/// The labels every alert of the notification has, with the same value.
fn common_labels(notification: &Notification) -> Value {
    let mut all = notification.messages.iter().map(labels);
    let mut common: Map<String, Value> = match all.next() {
        Some(Value::Object(first)) => first,
        _ => Map::new(),
    };
    for other in all {
        common.retain(|name, value| other.get(name) == Some(value));
    }
    Value::Object(common)
}

pub fn payload(notification: &Notification, receiver: &str) -> Value {
    let first = notification.messages[0].alert;
    let (group_key, group_labels) = match &notification.group {
        Some(group) => {
            let labels: Map<String, Value> = group
                .labels
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                .collect();
            (group.key.clone(), Value::Object(labels))
        }
        None => (
            format!(
                "{{}}:{{alertname=\"{}\", app=\"{}\"}}",
                first.rule, first.app
            ),
            json!({ "alertname": first.rule, "app": first.app }),
        ),
    };
    let alert = |message: &Message| {
        let ends_at = message
            .ended_at()
            .map_or_else(|| ZERO_TIME.to_owned(), rfc3339);
        json!({
            "status": message.status(),
            "labels": labels(message),
            "annotations": annotations(message),
            "startsAt": rfc3339(message.started_at()),
            "endsAt": ends_at,
            "generatorURL": message.link,
            "fingerprint": message.alert.fingerprint,
        })
    };
    json!({
        "version": "4",
        "receiver": receiver,
        "status": notification.status(),
        "groupKey": group_key,
        "groupLabels": group_labels,
        "commonLabels": common_labels(notification),
        "commonAnnotations": {},
        "externalURL": notification.link(),
        "alerts": notification.messages.iter().map(alert).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};

    #[test]
    fn alertmanager_webhook_shape() {
        let (alert, rule) = (alert(), rule());
        let firing = payload(
            &Notification::alone(Message::new(&alert, Notice::Firing, &rule, "http://c")),
            "ops",
        );
        assert_eq!(
            (firing["status"].as_str(), firing["receiver"].as_str()),
            (Some("firing"), Some("ops"))
        );
        let first = &firing["alerts"][0];
        assert_eq!(first["labels"]["severity"], "critical");
        assert_eq!(first["startsAt"], "2027-01-15T08:01:00Z");
        assert_eq!(first["endsAt"], ZERO_TIME);
        assert_eq!(first["fingerprint"], "fp");
        assert_eq!(
            first["annotations"]["description"],
            "Cart fails to load: checkout is down."
        );
        let resolved = payload(
            &Notification::alone(Message::new(&alert, Notice::Resolved, &rule, "http://c")),
            "ops",
        );
        assert_eq!(resolved["alerts"][0]["endsAt"], "2027-01-15T08:10:00Z");
        assert_eq!(
            firing["groupLabels"],
            json!({"alertname": "cart-availability", "app": "cart"})
        );
    }

    #[test]
    fn a_group_is_one_body_listing_its_alerts() {
        let (alerts, rule) = (crate::notify::notification::tests::ten_alerts(), rule());
        let body = payload(
            &crate::notify::notification::tests::group(&alerts, &rule),
            "ops",
        );
        assert_eq!(body["status"], "firing");
        assert_eq!(
            body["groupLabels"],
            json!({"alertname": "cart-availability"})
        );
        assert_eq!(body["groupKey"], "{}/0:{alertname=\"cart-availability\"}");
        assert_eq!(body["alerts"].as_array().unwrap().len(), 10);
        assert_eq!(body["alerts"][9]["status"], "resolved");
        assert_eq!(body["commonLabels"]["alertname"], "cart-availability");
        assert!(body["commonLabels"].get("app").is_none(), "apps differ");
        assert_eq!(body["externalURL"], "https://c/dashboard");
    }
}
