//! Alert rules: what to watch, and when it counts as a breach.
//!
//! Rules come from the server configuration. Rules an app declares from the
//! browser are untrusted: they are recorded, and applied only for apps the
//! configuration lists in `alerting.browser_rules_for`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a rule measures, per app over its window (see docs/ALERTING.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Views with ≥ 1 uncaught error or rejection ÷ views.
    ErrorRate,
    /// Failed API calls (fetch/XHR) ÷ calls; no value without calls.
    ApiErrorRate,
    /// Successful app loads ÷ attempted loads.
    Availability,
    /// Successful health probes ÷ probes.
    ProbeAvailability,
    /// Health-probe latency in ms.
    ResponseTime,
    Lcp,
    Inp,
    Cls,
    Fcp,
    Ttfb,
    /// A metric apps push with `pushMetric`, named by the rule's `custom_metric`.
    Custom,
}

impl Metric {
    /// The built-in metrics (custom ones are named by rules).
    pub const ALL: [Metric; 10] = [
        Metric::ErrorRate,
        Metric::ApiErrorRate,
        Metric::Availability,
        Metric::ProbeAvailability,
        Metric::ResponseTime,
        Metric::Lcp,
        Metric::Inp,
        Metric::Cls,
        Metric::Fcp,
        Metric::Ttfb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::ErrorRate => "error_rate",
            Metric::ApiErrorRate => "api_error_rate",
            Metric::Availability => "availability",
            Metric::ProbeAvailability => "probe_availability",
            Metric::ResponseTime => "response_time",
            Metric::Lcp => "lcp",
            Metric::Inp => "inp",
            Metric::Cls => "cls",
            Metric::Fcp => "fcp",
            Metric::Ttfb => "ttfb",
            Metric::Custom => "custom",
        }
    }

    /// The aggregations that make sense for this metric; the first is the default.
    pub fn aggregations(self) -> &'static [Aggregation] {
        match self {
            Metric::ErrorRate
            | Metric::ApiErrorRate
            | Metric::Availability
            | Metric::ProbeAvailability => &[Aggregation::Ratio],
            Metric::ResponseTime => &[
                Aggregation::Avg,
                Aggregation::P95,
                Aggregation::P75,
                Aggregation::Max,
            ],
            Metric::Custom => &[
                Aggregation::Avg,
                Aggregation::Sum,
                Aggregation::Min,
                Aggregation::Max,
                Aggregation::Count,
                Aggregation::P75,
                Aggregation::P95,
            ],
            _ => &[
                Aggregation::P75,
                Aggregation::P95,
                Aggregation::Avg,
                Aggregation::Max,
            ],
        }
    }

    /// Whether a lower value is the worse one (shares of successes).
    pub fn lower_is_worse(self) -> bool {
        matches!(self, Metric::Availability | Metric::ProbeAvailability)
    }

    /// Whether the metric is measured per app version (what a regression
    /// rule compares): probes are per app, custom metrics named by rules.
    pub fn per_version(self) -> bool {
        !matches!(
            self,
            Metric::ProbeAvailability | Metric::ResponseTime | Metric::Custom
        )
    }
}

/// What a regression rule compares (docs/ALERTING.md, "Regressions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// The app's newest version (by first seen) with the one seen before it.
    PreviousVersion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Ratio,
    Avg,
    Sum,
    Min,
    Max,
    Count,
    P75,
    P95,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
}

impl Operator {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Operator::Gt => value > threshold,
            Operator::Gte => value >= threshold,
            Operator::Lt => value < threshold,
            Operator::Lte => value <= threshold,
            Operator::Eq => value == threshold,
            Operator::Ne => value != threshold,
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];

    /// The severity named `name` (as [`Severity::as_str`] writes it).
    pub fn named(name: &str) -> Option<Severity> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// `app = "all"` applies the rule to every app.
pub const ALL_APPS: &str = "all";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default = "all_apps")]
    pub app: String,
    pub metric: Metric,
    /// With `metric = "custom"`: the name apps push with `pushMetric`.
    #[serde(default)]
    pub custom_metric: Option<String>,
    #[serde(default)]
    pub aggregation: Option<Aggregation>,
    /// With a threshold: how the value compares with it (not with `compare`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Operator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Instead of a threshold: compare the app's newest version with the
    /// previous one, by `ratio` and `floor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Compare>,
    /// With `compare`: the newest version is this many times as bad as the
    /// previous one (availability: its failed share), at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// With `compare`: and at least this bad in absolute terms (availability:
    /// at most this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
    #[serde(default = "five_minutes", with = "humantime_serde")]
    #[schema(value_type = String, example = "5m")]
    pub window: Duration,
    /// How long a breach must last before the alert fires.
    #[serde(default, rename = "for", with = "humantime_serde")]
    #[schema(value_type = String, example = "2m")]
    pub for_duration: Duration,
    /// Fewer samples (views, loads, probes, API calls) than this, or with
    /// `compare` in either version: no verdict.
    #[serde(default = "default_min_samples")]
    pub min_samples: u64,
    /// The value must get past this (on the good side) to resolve; defaults to the threshold.
    #[serde(default)]
    pub resolve_threshold: Option<f64>,
    pub severity: Severity,
    #[serde(default = "one_hour", with = "humantime_serde")]
    #[schema(value_type = String, example = "1h")]
    pub repeat_interval: Duration,
    #[serde(default)]
    pub channels: Vec<String>,
    /// What the alert means and what to do first, shown in notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A link to the runbook, shown in notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook_url: Option<String>,
    /// Custom labels: matched by routes, shown in notifications.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `false`: the rule is not evaluated.
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn all_apps() -> String {
    ALL_APPS.to_owned()
}
fn five_minutes() -> Duration {
    Duration::from_secs(300)
}
fn enabled() -> bool {
    true
}
fn one_hour() -> Duration {
    Duration::from_secs(3600)
}
fn default_min_samples() -> u64 {
    10
}

impl Rule {
    pub fn aggregation(&self) -> Aggregation {
        self.aggregation.unwrap_or(self.metric.aggregations()[0])
    }

    /// What the rule watches, as alerts and notifications name it.
    pub fn metric_label(&self) -> String {
        match (&self.metric, &self.custom_metric) {
            (Metric::Custom, Some(name)) => ["custom:", name].concat(),
            (metric, _) => metric.as_str().to_owned(),
        }
    }

    pub fn applies_to(&self, app: &str) -> bool {
        self.app == ALL_APPS || self.app == app
    }

    /// Breached: the value is past the threshold (never, for a rule
    /// without one: `compare` rules judge versions instead).
    pub fn is_breached(&self, value: f64) -> bool {
        self.operator
            .zip(self.threshold)
            .is_some_and(|(operator, threshold)| operator.holds(value, threshold))
    }

    /// Recovered: the breach condition no longer holds against the resolve
    /// threshold, which lies on the good side of the threshold (hysteresis).
    pub fn is_recovered(&self, value: f64) -> bool {
        self.operator
            .zip(self.resolve_threshold.or(self.threshold))
            .is_none_or(|(operator, resolve)| !operator.holds(value, resolve))
    }

    /// `rule "name": field: why`.
    fn problem(&self, field: &str, why: impl std::fmt::Display) -> String {
        format!("rule {:?}: {field}: {why}", self.name)
    }

    /// A threshold rule: operator and threshold, a resolve threshold on the
    /// good side, nothing of `compare`'s.
    fn check_threshold(&self) -> Result<(), String> {
        let (Some(operator), Some(threshold)) = (self.operator, self.threshold) else {
            let field = if self.operator.is_none() {
                "operator"
            } else {
                "threshold"
            };
            return Err(self.problem(
                field,
                "is required (or compare = \"previous_version\" with ratio and floor)",
            ));
        };
        if let Some(field) = [("ratio", self.ratio), ("floor", self.floor)]
            .into_iter()
            .find_map(|(field, value)| value.map(|_| field))
        {
            return Err(self.problem(field, "applies only with compare = \"previous_version\""));
        }
        if !threshold.is_finite() {
            return Err(self.problem("threshold", "must be a number"));
        }
        if let Some(resolve) = self.resolve_threshold {
            let on_good_side = match operator {
                Operator::Gt | Operator::Gte => resolve <= threshold,
                Operator::Lt | Operator::Lte => resolve >= threshold,
                Operator::Eq | Operator::Ne => resolve == threshold,
            };
            if !resolve.is_finite() || !on_good_side {
                return Err(self.problem(
                    "resolve_threshold",
                    format!("{resolve} is not on the recovered side of {threshold}"),
                ));
            }
        }
        Ok(())
    }

    /// A regression rule: a metric measured per version, a ratio of at
    /// least 1, a floor within the metric's range, and no threshold.
    fn check_comparison(&self) -> Result<(), String> {
        let not_with_compare = "does not apply with compare: ratio and floor decide";
        if self.operator.is_some() {
            return Err(self.problem("operator", not_with_compare));
        }
        if self.threshold.is_some() {
            return Err(self.problem("threshold", not_with_compare));
        }
        if self.resolve_threshold.is_some() {
            return Err(self.problem("resolve_threshold", not_with_compare));
        }
        if !self.metric.per_version() {
            return Err(self.problem(
                "compare",
                format!("{} is not measured per version", self.metric.as_str()),
            ));
        }
        match self.ratio {
            None => return Err(self.problem("ratio", "is required with compare")),
            Some(ratio) if !(ratio.is_finite() && ratio >= 1.0) => {
                return Err(self.problem("ratio", format!("must be a number ≥ 1, got {ratio}")))
            }
            Some(_) => {}
        }
        let share = self.aggregation() == Aggregation::Ratio;
        match self.floor {
            Some(floor) if !(floor.is_finite() && floor >= 0.0) => {
                Err(self.problem("floor", format!("must be a number ≥ 0, got {floor}")))
            }
            Some(floor) if share && floor > 1.0 => Err(self.problem(
                "floor",
                format!(
                    "{} is a share from 0 to 1, got {floor}",
                    self.metric.as_str()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses a rule that cannot work, naming it and the field.
    pub fn check(&self, channels: &[String]) -> Result<(), String> {
        let problem = |field: &str, why: String| Err(self.problem(field, why));
        if self.name.is_empty() {
            return Err("a rule has an empty name".into());
        }
        if self.app != ALL_APPS {
            if let Err(why) = canopy_wire::limits::check_app_name(&self.app) {
                return problem("app", why);
            }
        }
        match (&self.metric, &self.custom_metric) {
            (Metric::Custom, Some(name)) => canopy_wire::limits::check_metric_name(name)
                .map_err(|why| format!("rule {:?}: custom_metric: {why}", self.name))?,
            (Metric::Custom, None) => {
                return problem(
                    "custom_metric",
                    "is required with metric = \"custom\"".into(),
                )
            }
            (_, Some(_)) => {
                return problem(
                    "custom_metric",
                    "applies only with metric = \"custom\"".into(),
                )
            }
            (_, None) => {}
        }
        if !self.metric.aggregations().contains(&self.aggregation()) {
            return problem(
                "aggregation",
                format!(
                    "{:?} does not apply to {}",
                    self.aggregation(),
                    self.metric.as_str()
                ),
            );
        }
        match self.compare {
            None => self.check_threshold()?,
            Some(_) => self.check_comparison()?,
        }
        if self.window < Duration::from_secs(10) {
            return problem("window", "must be at least 10s".into());
        }
        if self.repeat_interval < Duration::from_secs(60) {
            return problem("repeat_interval", "must be at least 1m".into());
        }
        if let Some(runbook) = &self.runbook_url {
            if !(runbook.starts_with("https://") || runbook.starts_with("http://")) {
                return problem(
                    "runbook_url",
                    format!("must be an http(s) URL, got {runbook:?}"),
                );
            }
        }
        crate::model::labels::check_custom(&self.labels).or_else(|why| problem("labels", why))?;
        if let Some(unknown) = self.channels.iter().find(|c| !channels.contains(c)) {
            return problem("channels", format!("no channel named {unknown:?}"));
        }
        Ok(())
    }
}

/// The product's default rules: error rate > 5 % critical, availability
/// < 99 % warning, probe response time avg > 3 s warning.
pub fn default_rules(channels: &[String]) -> Vec<Rule> {
    let rule =
        |name: &str, metric, operator, threshold, resolve, severity, description: &str| Rule {
            name: name.to_owned(),
            app: all_apps(),
            metric,
            custom_metric: None,
            aggregation: None,
            operator: Some(operator),
            threshold: Some(threshold),
            compare: None,
            ratio: None,
            floor: None,
            window: five_minutes(),
            for_duration: Duration::from_secs(60),
            min_samples: default_min_samples(),
            resolve_threshold: Some(resolve),
            severity,
            repeat_interval: one_hour(),
            channels: channels.to_vec(),
            description: Some(description.to_owned()),
            runbook_url: None,
            labels: BTreeMap::new(),
            enabled: true,
        };
    vec![
        rule(
            "error-rate",
            Metric::ErrorRate,
            Operator::Gt,
            0.05,
            0.04,
            Severity::Critical,
            "More than 5 % of the app's page views had an uncaught error: check its latest deploy and the errors on its dashboard page.",
        ),
        rule(
            "availability",
            Metric::Availability,
            Operator::Lt,
            0.99,
            0.995,
            Severity::Warning,
            "More than 1 % of the app's loads failed (its mount failed or its scripts did not load): check its CDN and latest deploy.",
        ),
        rule(
            "response-time",
            Metric::ResponseTime,
            Operator::Gt,
            3000.0,
            2500.0,
            Severity::Warning,
            "The app's health check answers in more than 3 s on average: check its backend.",
        ),
    ]
}

#[cfg(test)]
mod tests;
