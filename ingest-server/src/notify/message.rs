//! What a notice says, whatever the channel: which app and rule, the metric's
//! value against the threshold in its own unit, since when, a link to the
//! app's dashboard page, and the rule's description and runbook. Each channel
//! lays these out in its receiver's format.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::model::alert::{Alert, Millis, Notice};
use crate::model::rule::{Metric, Operator, Rule, Severity};

/// One notice about one alert, ready to be laid out.
pub struct Message<'a> {
    pub alert: &'a Alert,
    pub notice: Notice,
    pub rule: &'a Rule,
    /// The app's page on the dashboard.
    pub link: String,
}

impl<'a> Message<'a> {
    /// `public_url` is where people reach this server (`alerting.public_url`).
    pub fn new(alert: &'a Alert, notice: Notice, rule: &'a Rule, public_url: &str) -> Self {
        let link = format!(
            "{}/dashboard#/app/{}",
            public_url.trim_end_matches('/'),
            url::form_urlencoded::byte_serialize(alert.app.as_bytes()).collect::<String>()
        );
        Self {
            alert,
            notice,
            rule,
            link,
        }
    }

    pub fn is_resolved(&self) -> bool {
        self.notice == Notice::Resolved
    }

    /// `firing` or `resolved`, as Alertmanager says it.
    pub fn status(&self) -> &'static str {
        status_word(self.is_resolved())
    }

    /// FIRING, STILL FIRING (a repeat) or RESOLVED.
    pub fn status_label(&self) -> &'static str {
        match self.notice {
            Notice::Firing => "FIRING",
            Notice::Repeat => "STILL FIRING",
            Notice::Resolved => "RESOLVED",
        }
    }

    pub fn severity(&self) -> Severity {
        self.alert.severity
    }

    /// `[FIRING] critical: cart-availability on cart`: a subject line.
    pub fn title(&self) -> String {
        format!(
            "[{}] {}: {} on {}",
            self.status_label(),
            self.alert.severity.as_str(),
            self.alert.rule,
            self.alert.app
        )
    }

    /// `availability = 50.0 % (threshold: < 90.0 %)`; a regression names
    /// both versions: `error_rate = 8.00 % on 1.1.0 vs 1.00 % on 1.0.0
    /// (threshold: ≥ 2.00 %)`.
    pub fn measurement(&self) -> String {
        let symbol = match self.rule.operator {
            Some(operator) => operator_symbol(operator),
            None if self.rule.metric.lower_is_worse() => "≤",
            None => "≥",
        };
        let (metric, value) = (&self.alert.metric, self.value(self.alert.value));
        let threshold = format!("threshold: {symbol} {}", self.value(self.alert.threshold));
        match &self.alert.versions {
            None => format!("{metric} = {value} ({threshold})"),
            Some(versions) => format!(
                "{metric} = {value} on {} vs {} on {} ({threshold})",
                versions.newest,
                self.value(versions.previous_value),
                versions.previous
            ),
        }
    }

    /// `title — measurement`: the alert in one line.
    pub fn summary(&self) -> String {
        format!("{} — {}", self.title(), self.measurement())
    }

    /// When it began, and when it ended if it did.
    pub fn since(&self) -> String {
        let started = self.started_at();
        match (self.is_resolved(), self.alert.resolved_at) {
            (true, Some(resolved)) => format!(
                "resolved at {}, firing since {}",
                human_time(resolved),
                human_time(started)
            ),
            _ => format!("firing since {}", human_time(started)),
        }
    }

    /// When the alert began firing (or its breach began, if it never fired).
    pub fn started_at(&self) -> Millis {
        self.alert.firing_since.unwrap_or(self.alert.pending_since)
    }

    /// The end of a resolved alert.
    pub fn ended_at(&self) -> Option<Millis> {
        self.is_resolved()
            .then(|| self.alert.resolved_at.unwrap_or(self.alert.updated_at))
    }

    pub fn description(&self) -> Option<&str> {
        self.rule.description.as_deref()
    }

    pub fn runbook(&self) -> Option<&str> {
        self.rule.runbook_url.as_deref()
    }

    /// The whole message as plain text (email, and the fallback of rich formats).
    pub fn text(&self) -> String {
        let mut lines = vec![
            self.title(),
            String::new(),
            format!("App: {}", self.alert.app),
            format!("Rule: {}", self.alert.rule),
            self.measurement(),
            capitalized(&self.since()),
        ];
        if let Some(description) = self.description() {
            lines.push(description.to_owned());
        }
        if let Some(runbook) = self.runbook() {
            lines.push(format!("Runbook: {runbook}"));
        }
        lines.push(format!("Dashboard: {}", self.link));
        lines.join("\n")
    }

    /// A value in the metric's unit: ratios in percent, times in ms.
    fn value(&self, value: f64) -> String {
        match self.rule.metric {
            Metric::ErrorRate
            | Metric::ApiErrorRate
            | Metric::Availability
            | Metric::ProbeAvailability => {
                format!("{:.2} %", value * 100.0)
            }
            Metric::ResponseTime | Metric::Lcp | Metric::Inp | Metric::Fcp | Metric::Ttfb => {
                format!("{value:.0} ms")
            }
            Metric::Cls => format!("{value:.3}"),
            Metric::Custom => format!("{value}"),
        }
    }
}

/// Alertmanager's word for a status: `firing` or `resolved`.
pub fn status_word(resolved: bool) -> &'static str {
    if resolved {
        "resolved"
    } else {
        "firing"
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn operator_symbol(operator: Operator) -> &'static str {
    match operator {
        Operator::Gt => ">",
        Operator::Gte => "≥",
        Operator::Lt => "<",
        Operator::Lte => "≤",
        Operator::Eq => "=",
        Operator::Ne => "≠",
    }
}

fn time_of(ms: Millis) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// `2027-01-15 08:01:00 UTC`.
pub fn human_time(ms: Millis) -> String {
    time_of(ms)
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Alertmanager's "not ended" timestamp.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub fn rfc3339(ms: Millis) -> String {
    time_of(ms)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ZERO_TIME.to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::alert::Status;

    pub fn alert() -> Alert {
        Alert {
            id: "fp-1".into(),
            fingerprint: "fp".into(),
            rule: "cart-availability".into(),
            app: "cart".into(),
            metric: "availability".into(),
            severity: Severity::Critical,
            status: Status::Resolved,
            value: 0.5,
            threshold: 0.9,
            pending_since: 1_800_000_000_000,
            firing_since: Some(1_800_000_060_000),
            resolved_at: Some(1_800_000_600_000),
            acknowledged: false,
            silenced: false,
            last_notified: None,
            caused_by: None,
            inhibited: false,
            silenced_by: Vec::new(),
            updated_at: 1_800_000_600_000,
            versions: None,
        }
    }

    pub fn rule() -> Rule {
        toml::from_str(
            r#"
            name = "cart-availability"
            app = "cart"
            metric = "availability"
            operator = "lt"
            threshold = 0.9
            severity = "critical"
            description = "Cart fails to load: checkout is down."
            runbook_url = "https://runbooks.example/cart"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn says_what_where_how_bad_since_when_and_where_to_look() {
        let (alert, rule) = (alert(), rule());
        let firing = Message::new(&alert, Notice::Firing, &rule, "https://canopy.example/");
        assert_eq!(
            firing.title(),
            "[FIRING] critical: cart-availability on cart"
        );
        assert_eq!(
            firing.measurement(),
            "availability = 50.00 % (threshold: < 90.00 %)"
        );
        assert_eq!(firing.since(), "firing since 2027-01-15 08:01:00 UTC");
        assert_eq!(firing.link, "https://canopy.example/dashboard#/app/cart");
        let text = firing.text();
        assert!(text.contains("Cart fails to load"), "{text}");
        assert!(
            text.contains("Runbook: https://runbooks.example/cart"),
            "{text}"
        );

        let resolved = Message::new(&alert, Notice::Resolved, &rule, "https://canopy.example");
        assert_eq!(
            resolved.since(),
            "resolved at 2027-01-15 08:10:00 UTC, firing since 2027-01-15 08:01:00 UTC"
        );
        assert_eq!(resolved.ended_at(), Some(1_800_000_600_000));
        assert_eq!(firing.ended_at(), None);
    }

    #[test]
    fn a_regression_names_both_versions_and_values() {
        let rule: Rule = toml::from_str(
            "name = \"cart-regression\"\nmetric = \"error_rate\"\ncompare = \"previous_version\"\n\
             ratio = 2.0\nfloor = 0.02\nseverity = \"critical\"",
        )
        .unwrap();
        let alert = Alert {
            metric: "error_rate".into(),
            value: 0.08,
            threshold: 0.02,
            versions: Some(crate::model::alert::VersionComparison {
                newest: "1.1.0".into(),
                previous: "1.0.0".into(),
                previous_value: 0.01,
            }),
            ..alert()
        };
        let message = Message::new(&alert, Notice::Firing, &rule, "https://canopy.example");
        assert_eq!(
            message.measurement(),
            "error_rate = 8.00 % on 1.1.0 vs 1.00 % on 1.0.0 (threshold: ≥ 2.00 %)"
        );
        let annotations = crate::notify::channels::alertmanager::annotations(&message);
        assert_eq!(annotations["newest_version"], "1.1.0");
        assert_eq!(annotations["previous_version"], "1.0.0");
    }
}
