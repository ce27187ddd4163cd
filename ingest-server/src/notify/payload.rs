//! What a notification says, in the two formats receivers understand:
//! Alertmanager's webhook payload (status, labels, annotations, startsAt,
//! endsAt, fingerprint) and a Slack incoming-webhook message.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::evaluate::lifecycle::{Alert, Millis, Notice};

/// Alertmanager's "not ended" timestamp.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn rfc3339(ms: Millis) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ZERO_TIME.to_owned())
}

fn status(notice: Notice) -> &'static str {
    match notice {
        Notice::Firing | Notice::Repeat => "firing",
        Notice::Resolved => "resolved",
    }
}

pub fn summary(alert: &Alert, notice: Notice) -> String {
    format!(
        "[{}] {} {} on {}: {} = {:.4} (threshold {})",
        status(notice).to_uppercase(),
        alert.severity.as_str(),
        alert.rule,
        alert.app,
        alert.metric,
        alert.value,
        alert.threshold
    )
}

pub fn alertmanager(alert: &Alert, notice: Notice, receiver: &str) -> Value {
    let labels = json!({
        "alertname": alert.rule, "app": alert.app, "severity": alert.severity.as_str(), "metric": alert.metric,
    });
    let ends_at = match notice {
        Notice::Resolved => rfc3339(alert.resolved_at.unwrap_or(alert.updated_at)),
        _ => ZERO_TIME.to_owned(),
    };
    json!({
        "version": "4",
        "receiver": receiver,
        "status": status(notice),
        "groupKey": format!("{{}}:{{alertname=\"{}\", app=\"{}\"}}", alert.rule, alert.app),
        "groupLabels": { "alertname": alert.rule, "app": alert.app },
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "",
        "alerts": [{
            "status": status(notice),
            "labels": labels,
            "annotations": {
                "summary": summary(alert, notice),
                "value": alert.value.to_string(),
                "threshold": alert.threshold.to_string(),
                "alert_id": alert.id,
                "repeat": (notice == Notice::Repeat).to_string(),
            },
            "startsAt": rfc3339(alert.firing_since.unwrap_or(alert.pending_since)),
            "endsAt": ends_at,
            "generatorURL": "",
            "fingerprint": alert.fingerprint,
        }],
    })
}

pub fn slack(alert: &Alert, notice: Notice) -> Value {
    let icon = if notice == Notice::Resolved {
        ":white_check_mark:"
    } else {
        ":red_circle:"
    };
    json!({ "text": format!("{icon} {}", summary(alert, notice)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::lifecycle::Status;
    use crate::evaluate::rules::Severity;

    fn alert() -> Alert {
        Alert {
            id: "fp-1".into(),
            fingerprint: "fp".into(),
            rule: "errors".into(),
            app: "cart".into(),
            metric: "error_rate".into(),
            severity: Severity::Critical,
            status: Status::Resolved,
            value: 0.01,
            threshold: 0.05,
            pending_since: 1_800_000_000_000,
            firing_since: Some(1_800_000_060_000),
            resolved_at: Some(1_800_000_600_000),
            acknowledged: false,
            silenced: false,
            last_notified: None,
            caused_by: None,
            inhibited: false,
            updated_at: 1_800_000_600_000,
        }
    }

    #[test]
    fn alertmanager_payload_has_its_fields() {
        let firing = alertmanager(&alert(), Notice::Firing, "ops");
        assert_eq!(firing["status"], "firing");
        let first = &firing["alerts"][0];
        assert_eq!(first["labels"]["alertname"], "errors");
        assert_eq!(first["labels"]["severity"], "critical");
        assert_eq!(first["startsAt"], "2027-01-15T08:01:00Z");
        assert_eq!(first["endsAt"], ZERO_TIME);
        assert_eq!(first["fingerprint"], "fp");
        let resolved = alertmanager(&alert(), Notice::Resolved, "ops");
        assert_eq!(resolved["alerts"][0]["endsAt"], "2027-01-15T08:10:00Z");
    }

    #[test]
    fn slack_text_says_what_happened() {
        let text = slack(&alert(), Notice::Resolved)["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.contains("[RESOLVED] critical errors on cart"),
            "{text}"
        );
    }
}
