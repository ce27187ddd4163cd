//! What one notification says: the [`Message`]s of its alerts (one alone,
//! or a route's group) and, for a group, the labels its members share.
//! A lone alert reads as it always has; a group is titled by its counts
//! and labels and lists its members.

use crate::model::rule::Severity;
use crate::notify::message::Message;

pub struct Notification<'a> {
    /// At least one.
    pub messages: Vec<Message<'a>>,
    /// The group's `group_by` values; `None` for an alert notified alone.
    pub group: Option<Group>,
}

/// A route's group, as receivers are told of it.
pub struct Group {
    pub labels: Vec<(String, String)>,
    /// Identifies the group (Alertmanager's `groupKey`; PagerDuty's dedup key).
    pub key: String,
    /// How often the group is re-sent while it fires.
    pub repeat_interval: std::time::Duration,
}

/// How many members a rich layout lists before saying how many more.
pub const LISTED: usize = 20;

impl<'a> Notification<'a> {
    pub fn alone(message: Message<'a>) -> Self {
        Self {
            messages: vec![message],
            group: None,
        }
    }

    /// The one message, unless this is a group of several.
    pub fn single(&self) -> Option<&Message<'a>> {
        match self.messages.as_slice() {
            [message] => Some(message),
            _ => None,
        }
    }

    /// Every member resolved.
    pub fn is_resolved(&self) -> bool {
        self.messages.iter().all(Message::is_resolved)
    }

    /// `firing` or `resolved`, as Alertmanager says it.
    pub fn status(&self) -> &'static str {
        crate::notify::message::status_word(self.is_resolved())
    }

    /// A lone alert's FIRING, STILL FIRING or RESOLVED; a group's FIRING or RESOLVED.
    pub fn status_label(&self) -> &'static str {
        match self.single() {
            Some(message) => message.status_label(),
            None if self.is_resolved() => "RESOLVED",
            None => "FIRING",
        }
    }

    /// The dashboard: a lone alert's app page, or the overview for a group.
    pub fn link(&self) -> &str {
        let link = &self.messages[0].link;
        match self.single() {
            Some(_) => link,
            None => link.split("#/app/").next().unwrap_or(link),
        }
    }

    /// The worst severity still firing (of all, once all resolved).
    pub fn severity(&self) -> Severity {
        let firing = self.messages.iter().filter(|m| !m.is_resolved());
        firing
            .map(Message::severity)
            .max()
            .or_else(|| self.messages.iter().map(Message::severity).max())
            .unwrap_or(Severity::Info)
    }

    fn counts(&self) -> (usize, usize) {
        let resolved = self.messages.iter().filter(|m| m.is_resolved()).count();
        (self.messages.len() - resolved, resolved)
    }

    /// A lone alert's title, or `[FIRING:9, RESOLVED:1] critical:
    /// alertname=error-rate (10 alerts)`.
    pub fn title(&self) -> String {
        if let Some(message) = self.single() {
            return message.title();
        }
        let (firing, resolved) = self.counts();
        let counts = match (firing, resolved) {
            (0, resolved) => format!("RESOLVED:{resolved}"),
            (firing, 0) => format!("FIRING:{firing}"),
            (firing, resolved) => format!("FIRING:{firing}, RESOLVED:{resolved}"),
        };
        let labels: Vec<String> = self
            .group
            .iter()
            .flat_map(|g| &g.labels)
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let labels = if labels.is_empty() {
            "alerts".to_owned()
        } else {
            labels.join(" ")
        };
        format!(
            "[{counts}] {}: {labels} ({} alerts)",
            self.severity().as_str(),
            self.messages.len()
        )
    }

    /// The whole notification as plain text: a lone alert's text, or the
    /// group's title and one paragraph per member.
    pub fn text(&self) -> String {
        if let Some(message) = self.single() {
            return message.text();
        }
        let mut text = self.title();
        for message in &self.messages {
            text.push_str("\n\n");
            text.push_str(&message.text());
        }
        text
    }

    /// One line per member (at most [`LISTED`], then how many more),
    /// each made by `line`.
    pub fn listed(&self, line: impl Fn(&Message<'a>) -> String) -> Vec<String> {
        let mut lines: Vec<String> = self.messages.iter().take(LISTED).map(line).collect();
        if self.messages.len() > LISTED {
            lines.push(format!("… and {} more", self.messages.len() - LISTED));
        }
        lines
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::alert::{Alert, Notice};
    use crate::notify::message::tests::{alert, rule};

    /// Ten alerts of one rule, on apps app0…app9; app9 resolved.
    pub fn ten_alerts() -> Vec<(Alert, Notice)> {
        (0..10)
            .map(|index| {
                let alert = Alert {
                    app: format!("app{index}"),
                    fingerprint: format!("fp{index}"),
                    ..alert()
                };
                let notice = if index == 9 {
                    Notice::Resolved
                } else {
                    Notice::Firing
                };
                (alert, notice)
            })
            .collect()
    }

    pub fn group<'a>(
        alerts: &'a [(Alert, Notice)],
        rule: &'a crate::model::rule::Rule,
    ) -> Notification<'a> {
        Notification {
            messages: alerts
                .iter()
                .map(|(alert, notice)| Message::new(alert, *notice, rule, "https://c"))
                .collect(),
            group: Some(Group {
                labels: vec![("alertname".into(), "cart-availability".into())],
                key: "{}/0:{alertname=\"cart-availability\"}".into(),
                repeat_interval: std::time::Duration::from_secs(3600),
            }),
        }
    }

    #[test]
    fn a_group_is_titled_by_its_counts_and_labels_and_lists_everyone() {
        let (alerts, rule) = (ten_alerts(), rule());
        let group = group(&alerts, &rule);
        assert_eq!(
            group.title(),
            "[FIRING:9, RESOLVED:1] critical: alertname=cart-availability (10 alerts)"
        );
        let text = group.text();
        for index in 0..10 {
            assert!(text.contains(&format!("App: app{index}\n")), "{text}");
        }
        assert!(
            text.contains("[RESOLVED] critical: cart-availability on app9"),
            "{text}"
        );
        assert_eq!(group.status(), "firing");
        let lone = Notification::alone(Message::new(
            &alerts[0].0,
            Notice::Firing,
            &rule,
            "https://c",
        ));
        assert_eq!(lone.title(), "[FIRING] critical: cart-availability on app0");
    }
}
