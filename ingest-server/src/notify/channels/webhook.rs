//! The generic webhook: the body Alertmanager's own webhook receiver sends
//! (version 4: status, receiver, group labels, alerts), so tools written for
//! Alertmanager's webhooks take Canopy's notices unchanged.

use serde_json::{json, Value};

use super::super::message::{rfc3339, Message, ZERO_TIME};
use super::alertmanager::{annotations, labels};

pub fn payload(message: &Message, receiver: &str) -> Value {
    let alert = message.alert;
    let labels = labels(message);
    let ends_at = message
        .ended_at()
        .map_or_else(|| ZERO_TIME.to_owned(), rfc3339);
    json!({
        "version": "4",
        "receiver": receiver,
        "status": message.status(),
        "groupKey": format!("{{}}:{{alertname=\"{}\", app=\"{}\"}}", alert.rule, alert.app),
        "groupLabels": { "alertname": alert.rule, "app": alert.app },
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": message.link,
        "alerts": [{
            "status": message.status(),
            "labels": labels,
            "annotations": annotations(message),
            "startsAt": rfc3339(message.started_at()),
            "endsAt": ends_at,
            "generatorURL": message.link,
            "fingerprint": alert.fingerprint,
        }],
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
            &Message::new(&alert, Notice::Firing, &rule, "http://c"),
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
            &Message::new(&alert, Notice::Resolved, &rule, "http://c"),
            "ops",
        );
        assert_eq!(resolved["alerts"][0]["endsAt"], "2027-01-15T08:10:00Z");
    }
}
