//! The alert lifecycle, as a pure function of a rule, the alert so far, a
//! measurement and the time: inactive → pending → firing → resolved.
//!
//! - pending: breached, waiting out the rule's `for`; a pending alert whose
//!   breach ends is dropped without a word;
//! - firing: notified; repeated every `repeat_interval` unless acknowledged;
//! - resolved: recovered past the resolve threshold (hysteresis), notified;
//! - manually resolved: silenced until the measurement recovers, so a still
//!   breached rule does not fire again at once;
//! - fewer samples than `min_samples`: no verdict, nothing changes.
//!
//! A threshold rule judges a measurement ([`step`]); a regression rule
//! judges two versions (`regression::judge`); both advance alike ([`advance`]).
//!
//! Inhibition and dependency causes span alerts: see [`suppress`].

use std::collections::HashMap;

use crate::clock::Millis;
use crate::model::alert::{Alert, Notice, Status, VersionComparison};
use crate::model::rule::{Rule, Severity};

/// What a rule measured for an app.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    pub value: f64,
    pub samples: u64,
}

/// A rule's verdict on an app at one step: the value and threshold the
/// alert shows, and whether the value is breached or recovered.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub value: f64,
    pub threshold: f64,
    pub breached: bool,
    pub recovered: bool,
    /// A regression rule's versions.
    pub versions: Option<VersionComparison>,
}

impl Judgement {
    /// A threshold rule's verdict; none on too few samples.
    pub fn of_threshold(rule: &Rule, measured: Measurement) -> Option<Self> {
        (measured.samples >= rule.min_samples && measured.value.is_finite()).then(|| Judgement {
            value: measured.value,
            threshold: rule.threshold.unwrap_or_default(),
            breached: rule.is_breached(measured.value),
            recovered: rule.is_recovered(measured.value),
            versions: None,
        })
    }
}

/// The outcome of one evaluation of one rule for one app.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The alert after this step (None: inactive, nothing to keep).
    pub alert: Option<Alert>,
    /// Whether the alert changed and must be stored.
    pub changed: bool,
    pub notice: Option<Notice>,
}

pub fn fingerprint(rule: &str, app: &str) -> String {
    // FNV-1a: stable across processes and versions, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in rule.bytes().chain([0]).chain(app.bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Advances the alert of a threshold rule for `app` given a measurement at `now`.
pub fn step(
    rule: &Rule,
    app: &str,
    current: Option<&Alert>,
    measured: Option<Measurement>,
    now: Millis,
) -> Step {
    let judged = measured.and_then(|m| Judgement::of_threshold(rule, m));
    advance(rule, app, current, judged, now)
}

/// Advances the alert of `rule` for `app` given its verdict at `now`
/// (none: no verdict, nothing changes).
pub fn advance(
    rule: &Rule,
    app: &str,
    current: Option<&Alert>,
    judged: Option<Judgement>,
    now: Millis,
) -> Step {
    let Some(judged) = judged else {
        return Step {
            alert: current.cloned(),
            changed: false,
            notice: None,
        };
    };
    let (breached, recovered) = (judged.breached, judged.recovered);
    let for_ms = rule.for_duration.as_millis() as Millis;
    let repeat_ms = rule.repeat_interval.as_millis() as Millis;

    match current.filter(|alert| alert.is_active()) {
        None if breached => {
            let mut alert = new_alert(rule, app, judged, now);
            let notice = (for_ms == 0).then(|| fire(&mut alert, now));
            Step {
                alert: Some(alert),
                changed: true,
                notice,
            }
        }
        None => Step {
            alert: current.cloned(),
            changed: false,
            notice: None,
        },
        Some(alert) => {
            let mut next = alert.clone();
            next.value = judged.value;
            next.threshold = judged.threshold;
            next.versions = judged.versions;
            next.updated_at = now;
            match alert.status {
                Status::Pending if breached => {
                    let notice =
                        (now - alert.pending_since >= for_ms).then(|| fire(&mut next, now));
                    Step {
                        alert: Some(next),
                        changed: true,
                        notice,
                    }
                }
                // The breach ended before `for` ran out: never fired, nothing to say.
                Status::Pending => Step {
                    alert: None,
                    changed: true,
                    notice: None,
                },
                Status::Firing if recovered => {
                    next.status = Status::Resolved;
                    next.resolved_at = Some(now);
                    Step {
                        alert: Some(next),
                        changed: true,
                        notice: Some(Notice::Resolved),
                    }
                }
                Status::Firing => {
                    let due = alert.last_notified.is_none_or(|at| now - at >= repeat_ms);
                    let notice = (due && !alert.acknowledged).then(|| {
                        next.last_notified = Some(now);
                        Notice::Repeat
                    });
                    Step {
                        alert: Some(next),
                        changed: true,
                        notice,
                    }
                }
                Status::Resolved if recovered => {
                    next.silenced = false;
                    Step {
                        alert: Some(next),
                        changed: true,
                        notice: None,
                    }
                }
                Status::Resolved => Step {
                    alert: Some(next),
                    changed: true,
                    notice: None,
                },
            }
        }
    }
}

fn new_alert(rule: &Rule, app: &str, judged: Judgement, now: Millis) -> Alert {
    let fingerprint = fingerprint(&rule.name, app);
    Alert {
        id: format!("{fingerprint}-{now}"),
        fingerprint,
        rule: rule.name.clone(),
        app: app.to_owned(),
        metric: rule.metric_label(),
        severity: rule.severity,
        status: Status::Pending,
        value: judged.value,
        threshold: judged.threshold,
        pending_since: now,
        firing_since: None,
        resolved_at: None,
        acknowledged: false,
        silenced: false,
        last_notified: None,
        caused_by: None,
        inhibited: false,
        silenced_by: Vec::new(),
        updated_at: now,
        versions: judged.versions,
    }
}

fn fire(alert: &mut Alert, now: Millis) -> Notice {
    alert.status = Status::Firing;
    alert.firing_since = Some(now);
    alert.last_notified = Some(now);
    Notice::Firing
}

/// Stops repeats; the alert keeps firing until it recovers.
pub fn acknowledge(alert: &mut Alert, now: Millis) {
    alert.acknowledged = true;
    alert.updated_at = now;
}

/// Resolves by hand and silences until the measurement recovers.
pub fn resolve_manually(alert: &mut Alert, now: Millis) {
    alert.status = Status::Resolved;
    alert.resolved_at = Some(now);
    alert.silenced = true;
    alert.updated_at = now;
}

/// Marks which firing alerts are not to be notified on their own: warnings
/// (and infos) of an app that has a firing critical alert are inhibited, and
/// an alert of an app whose declared dependency has a firing alert is
/// caused by that dependency.
pub fn suppress(alerts: &mut [Alert], dependencies: &HashMap<String, Vec<String>>) {
    let firing = |alert: &Alert| alert.status == Status::Firing;
    let critical_apps: Vec<String> = alerts
        .iter()
        .filter(|a| firing(a) && a.severity == Severity::Critical)
        .map(|a| a.app.clone())
        .collect();
    let firing_apps: Vec<String> = alerts
        .iter()
        .filter(|a| firing(a))
        .map(|a| a.app.clone())
        .collect();
    for alert in alerts.iter_mut() {
        alert.inhibited = alert.severity < Severity::Critical && critical_apps.contains(&alert.app);
        alert.caused_by = dependencies
            .get(&alert.app)
            .and_then(|deps| {
                deps.iter()
                    .find(|dep| **dep != alert.app && firing_apps.contains(dep))
            })
            .cloned();
    }
}

/// Whether a notice about this alert goes out.
pub fn is_notified(alert: &Alert) -> bool {
    !alert.inhibited && alert.caused_by.is_none()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::rule::{Metric, Operator};

    pub(crate) const MINUTE: Millis = 60_000;

    pub(crate) fn rule() -> Rule {
        Rule {
            name: "errors".into(),
            app: "all".into(),
            metric: Metric::ErrorRate,
            custom_metric: None,
            aggregation: None,
            operator: Some(Operator::Gt),
            threshold: Some(0.05),
            compare: None,
            ratio: None,
            floor: None,
            window: Duration::from_secs(300),
            for_duration: Duration::from_secs(120),
            min_samples: 20,
            resolve_threshold: Some(0.03),
            severity: Severity::Critical,
            repeat_interval: Duration::from_secs(3600),
            channels: vec![],
            description: None,
            runbook_url: None,
            labels: Default::default(),
            enabled: true,
        }
    }

    pub(crate) fn measure(value: f64) -> Option<Measurement> {
        Some(Measurement {
            value,
            samples: 100,
        })
    }

    /// Runs a sequence of (minute, value) through `step`, returning the notices.
    fn run(
        rule: &Rule,
        values: &[(i64, Option<Measurement>)],
    ) -> (Option<Alert>, Vec<(i64, Notice)>) {
        let mut alert = None;
        let mut notices = Vec::new();
        for (minute, measured) in values {
            let step = step(rule, "cart", alert.as_ref(), *measured, minute * MINUTE);
            if let Some(notice) = step.notice {
                notices.push((*minute, notice));
            }
            alert = step.alert;
        }
        (alert, notices)
    }

    #[test]
    fn pending_waits_for_the_for_duration_then_fires_once() {
        let (alert, notices) = run(
            &rule(),
            &[
                (0, measure(0.1)),
                (1, measure(0.1)),
                (2, measure(0.1)),
                (3, measure(0.1)),
            ],
        );
        assert_eq!(notices, vec![(2, Notice::Firing)]);
        let alert = alert.unwrap();
        assert_eq!(
            (alert.status, alert.pending_since, alert.firing_since),
            (Status::Firing, 0, Some(2 * MINUTE))
        );
    }

    #[test]
    fn a_short_breach_is_dropped_silently() {
        let (alert, notices) = run(&rule(), &[(0, measure(0.1)), (1, measure(0.01))]);
        assert_eq!((alert, notices), (None, vec![]));
    }

    #[test]
    fn zero_for_fires_at_once() {
        let rule = Rule {
            for_duration: Duration::ZERO,
            ..rule()
        };
        assert_eq!(
            run(&rule, &[(0, measure(0.1))]).1,
            vec![(0, Notice::Firing)]
        );
    }

    #[test]
    fn hysteresis_keeps_it_firing_between_the_lines() {
        let (alert, notices) = run(
            &rule(),
            &[
                (0, measure(0.1)),
                (2, measure(0.1)),
                (3, measure(0.04)),
                (4, measure(0.03)),
            ],
        );
        assert_eq!(notices, vec![(2, Notice::Firing), (4, Notice::Resolved)]);
        assert_eq!(alert.unwrap().resolved_at, Some(4 * MINUTE));
    }

    #[test]
    fn too_few_samples_give_no_verdict() {
        let few = Some(Measurement {
            value: 0.9,
            samples: 5,
        });
        let (alert, notices) = run(&rule(), &[(0, few), (5, few)]);
        assert_eq!((alert, notices), (None, vec![]));
        // …and do not resolve a firing alert either.
        let (alert, notices) = run(
            &rule(),
            &[
                (0, measure(0.1)),
                (2, measure(0.1)),
                (
                    3,
                    Some(Measurement {
                        value: 0.0,
                        samples: 1,
                    }),
                ),
            ],
        );
        assert_eq!(notices.len(), 1);
        assert_eq!(alert.unwrap().status, Status::Firing);
    }

    #[test]
    fn repeats_follow_the_interval_until_acknowledged() {
        let rule = Rule {
            repeat_interval: Duration::from_secs(600),
            ..rule()
        };
        let values: Vec<_> = (0..=25).map(|m| (m, measure(0.2))).collect();
        let (_, notices) = run(&rule, &values);
        assert_eq!(
            notices,
            vec![
                (2, Notice::Firing),
                (12, Notice::Repeat),
                (22, Notice::Repeat)
            ]
        );

        let mut alert = run(&rule, &values[..13]).0.unwrap();
        acknowledge(&mut alert, 13 * MINUTE);
        let step_after_ack = step(&rule, "cart", Some(&alert), measure(0.2), 30 * MINUTE);
        assert_eq!(step_after_ack.notice, None);
        assert_eq!(
            step_after_ack.alert.as_ref().unwrap().status,
            Status::Firing
        );
        let resolved = step(
            &rule,
            "cart",
            step_after_ack.alert.as_ref(),
            measure(0.0),
            31 * MINUTE,
        );
        assert_eq!(
            resolved.notice,
            Some(Notice::Resolved),
            "acknowledged alerts still resolve"
        );
    }

    #[test]
    fn manual_resolve_silences_until_recovery() {
        let mut alert = run(&rule(), &[(0, measure(0.1)), (2, measure(0.1))])
            .0
            .unwrap();
        resolve_manually(&mut alert, 3 * MINUTE);
        let still_breached = step(&rule(), "cart", Some(&alert), measure(0.2), 4 * MINUTE);
        assert_eq!(still_breached.notice, None);
        let kept = still_breached.alert.unwrap();
        assert!(kept.silenced && kept.status == Status::Resolved);
        let recovered = step(&rule(), "cart", Some(&kept), measure(0.0), 5 * MINUTE)
            .alert
            .unwrap();
        assert!(!recovered.silenced && !recovered.is_active());
        let again = step(&rule(), "cart", Some(&recovered), measure(0.2), 6 * MINUTE)
            .alert
            .unwrap();
        assert_eq!(again.status, Status::Pending);
        assert_ne!(again.id, kept.id, "a new breach is a new alert");
        assert_eq!(again.fingerprint, kept.fingerprint);
    }

    #[test]
    fn criticals_inhibit_warnings_and_dependencies_take_the_blame() {
        let firing = |app: &str, severity| {
            let rule = Rule {
                severity,
                for_duration: Duration::ZERO,
                ..rule()
            };
            step(&rule, app, None, measure(0.5), 0).alert.unwrap()
        };
        let mut alerts = vec![
            firing("cart", Severity::Critical),
            firing("cart", Severity::Warning),
            firing("checkout", Severity::Critical),
            firing("catalog", Severity::Warning),
        ];
        let dependencies = HashMap::from([("checkout".to_owned(), vec!["cart".to_owned()])]);
        suppress(&mut alerts, &dependencies);
        let notified: Vec<_> = alerts.iter().map(is_notified).collect();
        assert_eq!(notified, [true, false, false, true]);
        assert!(alerts[1].inhibited);
        assert_eq!(alerts[2].caused_by.as_deref(), Some("cart"));
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        assert_eq!(fingerprint("errors", "cart"), fingerprint("errors", "cart"));
        assert_ne!(
            fingerprint("errors", "cart"),
            fingerprint("errors", "catalog")
        );
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
    }
}
