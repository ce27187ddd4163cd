//! Alerts as they are stored, shown and notified: the model evaluate
//! produces and store, notify and serve read.

use serde::{Deserialize, Serialize};

pub use crate::clock::Millis;
use crate::model::rule::{Rule, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Firing,
    Resolved,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Firing => "firing",
            Status::Resolved => "resolved",
        }
    }

    pub const ALL: [Status; 3] = [Status::Pending, Status::Firing, Status::Resolved];

    /// The status named `name` (as [`Status::as_str`] writes it).
    pub fn named(name: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One alert: a rule breached by one app, from pending until resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: String,
    /// Same for every alert of a rule and app: what deduplicates them.
    pub fingerprint: String,
    pub rule: String,
    pub app: String,
    pub metric: String,
    pub severity: Severity,
    pub status: Status,
    pub value: f64,
    pub threshold: f64,
    pub pending_since: Millis,
    pub firing_since: Option<Millis>,
    pub resolved_at: Option<Millis>,
    pub acknowledged: bool,
    /// Resolved by hand while still breached: no new alert until it recovers.
    pub silenced: bool,
    pub last_notified: Option<Millis>,
    /// A firing dependency this alert is blamed on (not notified separately).
    pub caused_by: Option<String>,
    /// Suppressed by a firing critical alert of the same app.
    pub inhibited: bool,
    /// The active silences muting it at its last evaluation (their ids):
    /// shown, not notified. Not to be confused with `silenced`.
    #[serde(default)]
    pub silenced_by: Vec<String>,
    pub updated_at: Millis,
    /// A regression rule's alert: the versions compared (`value` is the
    /// newest version's).
    pub versions: Option<VersionComparison>,
}

/// The two versions a regression rule compared, as of the alert's last step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionComparison {
    /// The app's newest version (by first seen): the one judged.
    pub newest: String,
    /// The version seen before it.
    pub previous: String,
    /// The metric's value on `previous`.
    pub previous_value: f64,
}

impl Alert {
    pub fn is_active(&self) -> bool {
        self.status != Status::Resolved || self.silenced
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    Firing,
    Repeat,
    Resolved,
}

impl Notice {
    pub const ALL: [Notice; 3] = [Notice::Firing, Notice::Repeat, Notice::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Firing => "firing",
            Notice::Repeat => "repeat",
            Notice::Resolved => "resolved",
        }
    }

    /// The notice named `name` (as [`Notice::as_str`] writes it).
    pub fn named(name: &str) -> Option<Notice> {
        Self::ALL.into_iter().find(|n| n.as_str() == name)
    }
}

/// Which decided notice: what the outbox (`alert_notices`) is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoticeKey {
    pub alert_id: String,
    pub notice: Notice,
    pub decided_at: Millis,
}

/// What evaluate hands to notify: a notice about an alert, for the channels
/// of the rule that raised it.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub alert: Alert,
    pub notice: Notice,
    pub rule: Rule,
    /// The evaluator lease term it was decided (or taken over) under: notify
    /// sends it only while this process still holds that term.
    pub term: u64,
    /// When it was decided: with the alert and notice, its outbox key.
    pub decided_at: Millis,
}

impl Dispatch {
    pub fn key(&self) -> NoticeKey {
        NoticeKey {
            alert_id: self.alert.id.clone(),
            notice: self.notice,
            decided_at: self.decided_at,
        }
    }
}
