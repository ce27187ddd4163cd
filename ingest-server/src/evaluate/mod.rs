//! Evaluate: every `alerting.interval`, measure each rule's metric per app in
//! ClickHouse, advance each alert's lifecycle, apply inhibition, dependency
//! causes and silences, store what changed, and hand notices to notify.
//!
//! State is read back from ClickHouse at every tick, so acknowledgements and
//! manual resolves made through any server's API take effect, and a restarted
//! evaluator carries on where it stopped. Several evaluators may share a
//! ClickHouse: only the holder of the evaluator lease ([`leadership`])
//! evaluates and notifies; on taking over it first sends the notices its
//! predecessor decided but did not settle (the outbox, `alert_notices`).

pub mod leadership;
pub mod lease;
pub mod lifecycle;
pub mod measure;
pub mod notice;
pub mod regression;

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::clock::now_millis;
use crate::config::AlertingConfig;
use crate::model::alert::{Alert, Dispatch, Millis, Notice};
use crate::model::labels::Labels;
use crate::model::rule::{default_rules, Aggregation, Metric, Rule};
use crate::model::silence::silenced_by;
use crate::model::REGISTRATION_HORIZON;
use crate::store::alerting::Registration;
use crate::store::lease::Unsettled;
use crate::store::{Store, StoreError};
use leadership::Leadership;
use lifecycle::{advance, suppress, Judgement, Measurement};
use measure::{ByApp, ByVersion};
use notice::notice_to_send;

/// A rule in force, and where it came from.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RuleInForce {
    #[serde(flatten)]
    pub rule: Rule,
    /// `config`, `default`, or `browser` (declared by the app in registerApp).
    pub source: &'static str,
}

/// A rule an app declared from the browser, and whether the server applies it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeclaredRule {
    pub app: String,
    pub applied: bool,
    /// The rule as declared, or why it could not be read.
    pub rule: Result<Rule, String>,
}

/// The configured rules, the defaults, and the browser-declared rules of the
/// apps the configuration trusts (each limited to its own app).
pub fn rules_in_force(
    config: &AlertingConfig,
    registrations: &[Registration],
) -> (Vec<RuleInForce>, Vec<DeclaredRule>) {
    let channels: Vec<String> = config.channels.iter().map(|c| c.name.clone()).collect();
    let mut in_force: Vec<RuleInForce> = config
        .rules
        .iter()
        .map(|rule| RuleInForce {
            rule: rule.clone(),
            source: "config",
        })
        .collect();
    if config.default_rules {
        let defaults = default_rules(&config.default_channels);
        let configured = |name: &str| config.rules.iter().any(|r| r.name == name);
        in_force.extend(
            defaults
                .into_iter()
                .filter(|r| !configured(&r.name))
                .map(|rule| RuleInForce {
                    rule,
                    source: "default",
                }),
        );
    }
    let mut declared = Vec::new();
    for registration in registrations
        .iter()
        .filter(|r| !r.declared_rules.is_empty())
    {
        let trusted = config.browser_rules_for.contains(&registration.app);
        for rule in parse_declared(&registration.declared_rules, &registration.app, &channels) {
            if let (true, Ok(rule)) = (trusted, &rule) {
                in_force.push(RuleInForce {
                    rule: rule.clone(),
                    source: "browser",
                });
            }
            declared.push(DeclaredRule {
                app: registration.app.clone(),
                applied: trusted && rule.is_ok(),
                rule,
            });
        }
    }
    (in_force, declared)
}

/// Reads an app's declared rules (a JSON array), each renamed into the app's
/// namespace and limited to the app.
fn parse_declared(json: &str, app: &str, channels: &[String]) -> Vec<Result<Rule, String>> {
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(json) else {
        return vec![Err("declared rules are not a JSON array".into())];
    };
    values
        .into_iter()
        .map(|value| {
            let mut rule: Rule = serde_json::from_value(value).map_err(|e| e.to_string())?;
            rule.name = format!("{app}/{}", rule.name);
            rule.app = app.to_owned();
            rule.check(channels)?;
            Ok(rule)
        })
        .collect()
}

/// How old an unsettled notice may be and still be sent by a new holder.
const UNSETTLED_HORIZON: Duration = Duration::from_secs(3600);

pub struct Evaluator {
    store: Arc<Store>,
    /// Where notices go (notify's service); dropped when evaluation stops,
    /// which tells notify to finish.
    notices: mpsc::Sender<Dispatch>,
    config: AlertingConfig,
    leadership: Leadership,
    /// The lease term whose predecessor's unsettled notices have been sent.
    taken_over: Mutex<Option<u64>>,
}

impl Evaluator {
    pub fn new(
        store: Arc<Store>,
        notices: mpsc::Sender<Dispatch>,
        config: AlertingConfig,
        leadership: Leadership,
    ) -> Self {
        Self {
            store,
            notices,
            config,
            leadership,
            taken_over: Mutex::new(None),
        }
    }

    /// Evaluates every interval while holding the lease, and at once on
    /// taking it over.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(self.config.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lease = self.leadership.clone();
        loop {
            let woken_by_lease = tokio::select! {
                _ = ticks.tick() => false,
                true = lease.changed() => true,
                _ = stop.wait_for(|stopping| *stopping) => return,
            };
            let Some(term) = self.leadership.term() else {
                continue;
            };
            if woken_by_lease && *self.taken_over.lock().unwrap() == Some(term) {
                continue; // a renewal, not a takeover
            }
            if let Err(error) = self.tick(now_millis(), term).await {
                tracing::warn!(%error, "alert evaluation failed; will try again");
            }
        }
    }

    /// One evaluation of every rule for every app, under lease `term`.
    pub async fn tick(&self, now: Millis, term: u64) -> Result<(), StoreError> {
        let registrations = self.store.registrations(REGISTRATION_HORIZON).await?;
        let (rules, _) = rules_in_force(&self.config, &registrations);
        let is_new_term = *self.taken_over.lock().unwrap() != Some(term);
        if is_new_term {
            let unsettled = self.store.unsettled_notices(UNSETTLED_HORIZON).await?;
            if !unsettled.is_empty() {
                tracing::info!(
                    term,
                    notices = unsettled.len(),
                    "taking over unsettled notices"
                );
            }
            for dispatch in taken_over(unsettled, &rules, term) {
                self.hand_over(dispatch).await;
            }
            *self.taken_over.lock().unwrap() = Some(term);
        }
        // Read at every tick: a silence's start and end take effect at the
        // first tick past them, whichever server made or expired it.
        let silences = self.store.silences_in_force(now).await?;
        let mut active: HashMap<(String, String), Alert> = self
            .store
            .active_alerts()
            .await?
            .into_iter()
            .map(|a| ((a.rule.clone(), a.app.clone()), a))
            .collect();
        // A new holder whose clock is behind its predecessor's still writes
        // newer versions (`alerts` keeps the highest `updated_at`).
        let now = active
            .values()
            .map(|a| a.updated_at + 1)
            .fold(now, Millis::max);

        let mut measured = Measured::default();
        let mut outcomes: Vec<Outcome> = Vec::new();
        // A disabled rule is not evaluated: its alerts stay as they are.
        for RuleInForce { rule, .. } in rules.iter().filter(|r| r.rule.enabled) {
            let judged = self.judge(rule, &mut measured).await?;
            let mut apps: Vec<String> = judged
                .keys()
                .filter(|app| rule.applies_to(app))
                .cloned()
                .collect();
            // Apps with an alert but no verdict this time still get a step (nothing changes).
            apps.extend(
                active
                    .keys()
                    .filter(|(r, app)| *r == rule.name && !judged.contains_key(app))
                    .map(|(_, app)| app.clone()),
            );
            for app in apps {
                let current = active.remove(&(rule.name.clone(), app.clone()));
                let verdict = judged.get(&app).cloned();
                let step = advance(rule, &app, current.as_ref(), verdict, now);
                if let Some(alert) = step.alert {
                    let previously_notified = current.and_then(|c| c.last_notified);
                    outcomes.push(Outcome {
                        alert,
                        changed: step.changed,
                        notice: step.notice,
                        rule,
                        previously_notified,
                    });
                }
            }
        }

        // Inhibition and causes are judged across every alert in play.
        let dependencies: HashMap<String, Vec<String>> = registrations
            .iter()
            .map(|r| (r.app.clone(), r.dependencies.clone()))
            .collect();
        let mut alerts: Vec<Alert> = outcomes
            .iter()
            .map(|outcome| outcome.alert.clone())
            .collect();
        suppress(&mut alerts, &dependencies);

        let mut to_save = Vec::new();
        let mut to_send = Vec::new();
        for (outcome, mut alert) in outcomes.into_iter().zip(alerts) {
            alert.silenced_by = silenced_by(&silences, &Labels::of(&alert, outcome.rule), now);
            let changed = outcome.changed
                || alert.inhibited != outcome.alert.inhibited
                || alert.caused_by != outcome.alert.caused_by
                || alert.silenced_by != outcome.alert.silenced_by;
            let was_silenced = !outcome.alert.silenced_by.is_empty();
            let previously_notified = outcome.previously_notified;
            if let Some(notice) = notice_to_send(
                &mut alert,
                outcome.notice,
                previously_notified,
                was_silenced,
            ) {
                to_send.push((alert.clone(), notice, outcome.rule));
            }
            if changed {
                to_save.push(alert);
            }
        }
        if self.leadership.term() != Some(term) {
            tracing::warn!(
                term,
                "lost the evaluator lease while evaluating; nothing stored"
            );
            return Ok(());
        }
        let dispatches: Vec<Dispatch> = to_send
            .into_iter()
            .map(|(alert, notice, rule)| Dispatch {
                alert,
                notice,
                rule: rule.clone(),
                term,
                decided_at: now,
            })
            .collect();
        // Recorded in the outbox, then stored, then sent: a holder dying
        // anywhere in between leaves the notice unsettled for the next one.
        self.store
            .record_notices(&dispatches.iter().collect::<Vec<_>>())
            .await?;
        self.store
            .save_alerts(&to_save.iter().collect::<Vec<_>>())
            .await?;
        for dispatch in dispatches {
            let alert = &dispatch.alert;
            if alert.silenced_by.is_empty() {
                tracing::info!(alert = %alert.id, rule = %alert.rule, app = %alert.app, notice = ?dispatch.notice, value = alert.value, "alert notice");
            }
            self.hand_over(dispatch).await;
        }
        Ok(())
    }

    async fn hand_over(&self, dispatch: Dispatch) {
        if self.notices.send(dispatch).await.is_err() {
            tracing::warn!("the notifier has stopped; notice not sent");
        }
    }
}

/// What a previous holder decided and did not settle, to send as decided
/// under `term` (a notice whose rule is gone is left).
fn taken_over(unsettled: Vec<Unsettled>, rules: &[RuleInForce], term: u64) -> Vec<Dispatch> {
    unsettled
        .into_iter()
        .filter_map(|notice| {
            let in_force = rules.iter().find(|r| r.rule.name == notice.rule)?;
            Some(Dispatch {
                alert: notice.alert,
                notice: notice.notice,
                rule: in_force.rule.clone(),
                term,
                decided_at: notice.decided_at,
            })
        })
        .collect()
}

/// What one tick has measured so far, shared by the rules that need it.
#[derive(Default)]
struct Measured {
    by_app: HashMap<(Metric, Option<String>, Aggregation, Duration), ByApp>,
    by_version: HashMap<(Metric, Aggregation, Duration), ByVersion>,
    /// Each app's newest and previous version, newest first.
    newest: Option<HashMap<String, Vec<String>>>,
}

impl Evaluator {
    /// The rule's verdict per app (apps without one left out).
    async fn judge(
        &self,
        rule: &Rule,
        measured: &mut Measured,
    ) -> Result<HashMap<String, Judgement>, StoreError> {
        let client = self.store.client();
        let aggregation = rule.aggregation();
        if rule.compare.is_none() {
            let key = (
                rule.metric,
                rule.custom_metric.clone(),
                aggregation,
                rule.window,
            );
            if !measured.by_app.contains_key(&key) {
                let by_app =
                    measure::measure(client, key.0, key.1.as_deref(), aggregation, key.3).await?;
                measured.by_app.insert(key.clone(), by_app);
            }
            return Ok(measured.by_app[&key]
                .iter()
                .filter_map(|(app, m)| Some((app.clone(), Judgement::of_threshold(rule, *m)?)))
                .collect());
        }
        if measured.newest.is_none() {
            let mut newest: HashMap<String, Vec<String>> = HashMap::new();
            for row in self.store.newest_versions().await? {
                newest.entry(row.app).or_default().push(row.version);
            }
            measured.newest = Some(newest);
        }
        let key = (rule.metric, aggregation, rule.window);
        let by_version = match measured.by_version.entry(key) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => {
                let (metric, aggregation, window) = *new.key();
                new.insert(measure::measure_versions(client, metric, aggregation, window).await?)
            }
        };
        let version = |app: &str, name: &str| {
            by_version
                .get(&(app.to_owned(), name.to_owned()))
                .copied()
                .unwrap_or(Measurement {
                    value: f64::NAN,
                    samples: 0,
                })
        };
        Ok(measured
            .newest
            .iter()
            .flatten()
            .filter_map(|(app, versions)| {
                let [newest, previous] = versions.as_slice() else {
                    return None;
                };
                let judged = regression::judge(
                    rule,
                    regression::Version {
                        name: newest,
                        measured: version(app, newest),
                    },
                    regression::Version {
                        name: previous,
                        measured: version(app, previous),
                    },
                )?;
                Some((app.clone(), judged))
            })
            .collect())
    }
}

/// One alert after one step, before suppression.
struct Outcome<'a> {
    alert: Alert,
    changed: bool,
    notice: Option<Notice>,
    rule: &'a Rule,
    previously_notified: Option<Millis>,
}
