//! Silences, as Alertmanager has them: label matchers and a time window.
//! While a silence is active, every alert whose labels match all its
//! matchers is evaluated, stored and shown as usual, marked `silenced_by`
//! it, and not notified. Its state follows from the clock: pending before
//! `starts_at`, active until `ends_at`, expired after. Expiring one ends it
//! now and keeps the record.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::Millis;
use crate::model::labels::Labels;
use crate::model::matcher::Matcher;

/// Limits of one silence, declared once (checked on creation, told in errors).
pub const MAX_MATCHERS: usize = 16;
pub const MAX_COMMENT_CHARS: usize = 1000;
pub const MAX_AUTHOR_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SilenceState {
    Pending,
    Active,
    Expired,
}

impl SilenceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Pending => "pending",
            SilenceState::Active => "active",
            SilenceState::Expired => "expired",
        }
    }
}

/// A silence as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Silence {
    /// A UUID.
    pub id: String,
    /// Every one must match an alert's labels for the silence to mute it,
    /// e.g. `app="cart"`, `severity=~"warning|info"`.
    #[schema(value_type = Vec<String>)]
    pub matchers: Vec<Matcher>,
    /// Unix milliseconds.
    pub starts_at: Millis,
    /// Unix milliseconds; set to the time of expiry when expired by hand.
    pub ends_at: Millis,
    /// Who made it.
    pub created_by: String,
    pub comment: String,
    /// Unix milliseconds of this version (creation or expiry).
    pub updated_at: Millis,
}

impl Silence {
    pub fn state(&self, now: Millis) -> SilenceState {
        if now >= self.ends_at {
            SilenceState::Expired
        } else if now < self.starts_at {
            SilenceState::Pending
        } else {
            SilenceState::Active
        }
    }

    /// Whether the silence mutes an alert with these labels at `now`.
    pub fn mutes(&self, labels: &Labels, now: Millis) -> bool {
        self.state(now) == SilenceState::Active && self.matchers.iter().all(|m| m.matches(labels))
    }

    /// Ends the silence at `now` (a pending one ends before it starts).
    /// Returns false if it had already ended.
    pub fn expire(&mut self, now: Millis) -> bool {
        if self.state(now) == SilenceState::Expired {
            return false;
        }
        self.starts_at = self.starts_at.min(now);
        self.ends_at = now;
        self.updated_at = now;
        true
    }
}

/// The ids of the silences that mute an alert with these labels at `now`.
pub fn silenced_by(silences: &[Silence], labels: &Labels, now: Millis) -> Vec<String> {
    silences
        .iter()
        .filter(|silence| silence.mutes(labels, now))
        .map(|silence| silence.id.clone())
        .collect()
}

/// A silence as asked for: `ends_at` or `duration` (one of them).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    /// Alertmanager's matcher syntax: `name="value"`, `!=`, `=~` (anchored
    /// regex), `!~`, on `app`, `rule` (or `alertname`), `severity`, `metric`
    /// and rules' custom labels.
    pub matchers: Vec<String>,
    /// Unix milliseconds; now if left out or past.
    pub starts_at: Option<Millis>,
    /// Unix milliseconds.
    pub ends_at: Option<Millis>,
    /// From the start, e.g. `30m`, `2h`, `1d`.
    pub duration: Option<String>,
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

impl NewSilence {
    /// The silence this asks for, made at `now` with `id`, or why it cannot be.
    pub fn check(self, id: String, now: Millis) -> Result<Silence, String> {
        if self.matchers.is_empty() {
            return Err("matchers: at least one is needed".into());
        }
        if self.matchers.len() > MAX_MATCHERS {
            return Err(format!("matchers: at most {MAX_MATCHERS}"));
        }
        let matchers = self
            .matchers
            .iter()
            .map(|text| text.parse::<Matcher>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|why| format!("matchers: {why}"))?;
        // As Alertmanager: a silence matching alerts without any label would mute everything.
        if matchers.iter().all(|m| m.matches(&Labels::default())) {
            return Err("matchers: at least one must not match an empty value".into());
        }
        let created_by = self.created_by.trim().to_owned();
        if created_by.is_empty() {
            return Err("created_by: say who makes the silence".into());
        }
        if created_by.chars().count() > MAX_AUTHOR_CHARS {
            return Err(format!("created_by: at most {MAX_AUTHOR_CHARS} characters"));
        }
        if self.comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(format!("comment: at most {MAX_COMMENT_CHARS} characters"));
        }
        let starts_at = self.starts_at.unwrap_or(now).max(now);
        let ends_at = match (self.ends_at, &self.duration) {
            (Some(ends_at), None) => ends_at,
            (None, Some(duration)) => {
                let duration = humantime::parse_duration(duration)
                    .map_err(|e| format!("duration: {e} (use e.g. 30m, 2h, 1d)"))?;
                let millis = Millis::try_from(duration.as_millis())
                    .map_err(|_| "duration: too long".to_owned())?;
                starts_at.saturating_add(millis)
            }
            _ => return Err("give either ends_at or duration".into()),
        };
        if ends_at <= now {
            return Err("ends_at: must be in the future".into());
        }
        if ends_at <= starts_at {
            return Err("ends_at: must be after starts_at".into());
        }
        Ok(Silence {
            id,
            matchers,
            starts_at,
            ends_at,
            created_by,
            comment: self.comment,
            updated_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Millis = 60_000;
    const NOW: Millis = 1_000 * MINUTE;

    fn asked(matchers: &[&str], duration: &str) -> NewSilence {
        NewSilence {
            matchers: matchers.iter().map(|m| (*m).to_owned()).collect(),
            starts_at: None,
            ends_at: None,
            duration: Some(duration.into()),
            created_by: "ann".into(),
            comment: "deploy".into(),
        }
    }

    fn silence(matchers: &[&str], duration: &str) -> Silence {
        asked(matchers, duration).check("s1".into(), NOW).unwrap()
    }

    fn why(new: NewSilence) -> String {
        new.check("s1".into(), NOW).unwrap_err()
    }

    #[test]
    fn state_follows_the_clock() {
        let mut new = asked(&["app=\"cart\""], "10m");
        new.starts_at = Some(NOW + 5 * MINUTE);
        let silence = new.check("s1".into(), NOW).unwrap();
        assert_eq!(silence.ends_at, NOW + 15 * MINUTE);
        assert_eq!(silence.state(NOW), SilenceState::Pending);
        assert_eq!(silence.state(NOW + 5 * MINUTE), SilenceState::Active);
        assert_eq!(silence.state(NOW + 15 * MINUTE - 1), SilenceState::Active);
        assert_eq!(silence.state(NOW + 15 * MINUTE), SilenceState::Expired);
    }

    #[test]
    fn mutes_only_while_active_and_when_every_matcher_matches() {
        let silence = silence(&["app=\"cart\"", "severity=~\"warning|info\""], "10m");
        let cart_warning = Labels::of_pairs(&[("app", "cart"), ("severity", "warning")]);
        let cart_critical = Labels::of_pairs(&[("app", "cart"), ("severity", "critical")]);
        let shop_warning = Labels::of_pairs(&[("app", "shop"), ("severity", "warning")]);
        assert!(silence.mutes(&cart_warning, NOW));
        assert!(!silence.mutes(&cart_critical, NOW));
        assert!(!silence.mutes(&shop_warning, NOW));
        assert!(!silence.mutes(&cart_warning, NOW + 10 * MINUTE), "expired");
        assert!(!silence.mutes(&cart_warning, NOW - 1), "not started");
        let other = Silence {
            id: "s2".into(),
            ..super::tests::silence(&["alertname=\"errors\""], "1h")
        };
        let errors = Labels::of_pairs(&[("alertname", "errors"), ("app", "cart")]);
        assert_eq!(
            silenced_by(&[silence.clone(), other.clone()], &errors, NOW),
            ["s2"]
        );
        let rule_label = super::tests::silence(&["rule=\"errors\""], "1h");
        assert!(rule_label.mutes(&errors, NOW), "rule is alertname");
    }

    #[test]
    fn expiring_ends_it_now_and_only_once() {
        let mut active = silence(&["app=\"cart\""], "1h");
        assert!(active.expire(NOW + MINUTE));
        assert_eq!(active.ends_at, NOW + MINUTE);
        assert_eq!(active.state(NOW + MINUTE), SilenceState::Expired);
        assert!(!active.expire(NOW + 2 * MINUTE), "already expired");
        assert_eq!(active.ends_at, NOW + MINUTE, "kept as it ended");

        let mut new = asked(&["app=\"cart\""], "1h");
        new.starts_at = Some(NOW + 30 * MINUTE);
        let mut pending = new.check("s1".into(), NOW).unwrap();
        assert!(pending.expire(NOW));
        assert_eq!((pending.starts_at, pending.ends_at), (NOW, NOW));
    }

    #[test]
    fn times_are_checked() {
        let mut past_start = asked(&["app=\"cart\""], "10m");
        past_start.starts_at = Some(NOW - 60 * MINUTE);
        let silence = past_start.check("s1".into(), NOW).unwrap();
        assert_eq!(silence.starts_at, NOW, "a past start is now");

        let ends = |ends_at: Millis, starts_at: Option<Millis>| NewSilence {
            ends_at: Some(ends_at),
            duration: None,
            starts_at,
            ..asked(&["app=\"cart\""], "")
        };
        assert_eq!(why(ends(NOW - 1, None)), "ends_at: must be in the future");
        let later = Some(NOW + 10 * MINUTE);
        assert_eq!(
            why(ends(NOW + 5 * MINUTE, later)),
            "ends_at: must be after starts_at"
        );
        assert!(ends(NOW + MINUTE, None).check("s".into(), NOW).is_ok());
        let both = NewSilence {
            ends_at: Some(NOW + MINUTE),
            ..asked(&["app=\"cart\""], "10m")
        };
        assert_eq!(why(both), "give either ends_at or duration");
        assert!(why(asked(&["app=\"cart\""], "soon")).starts_with("duration: "));
    }

    #[test]
    fn matchers_and_texts_are_checked() {
        assert_eq!(why(asked(&[], "1h")), "matchers: at least one is needed");
        let many: Vec<String> = (0..=MAX_MATCHERS).map(|i| format!("l{i}=\"x\"")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(why(asked(&many, "1h")), "matchers: at most 16");
        assert!(why(asked(&["app=~\"(\""], "1h")).contains("not a regular expression"));
        assert!(why(asked(&["app=~\".*\""], "1h")).contains("must not match an empty value"));
        let nobody = NewSilence {
            created_by: "  ".into(),
            ..asked(&["app=\"cart\""], "1h")
        };
        assert!(why(nobody).starts_with("created_by: "));
        let long = NewSilence {
            comment: "x".repeat(MAX_COMMENT_CHARS + 1),
            ..asked(&["app=\"cart\""], "1h")
        };
        assert_eq!(why(long), "comment: at most 1000 characters");
    }
}
