//! The per-app metrics alert rules watch, computed in ClickHouse over a
//! sliding window ending now, so every server computes the same numbers.
//! Definitions (docs/ALERTING.md):
//!
//! - `error_rate`: views of the app with ≥ 1 counted error (uncaught,
//!   rejected, handled, or a `fatal`/`error` message: `COUNTED_ERROR`) ÷
//!   views of the app (a view of the app is a page view that registered it);
//! - `api_error_rate`: failed API calls ÷ calls, from the apps' per-view
//!   summaries (`api_summaries`); no value without calls;
//! - `availability`: 1 − failed loads ÷ attempted loads, where an attempt is
//!   a view that registered the app and a failure is a view where the app
//!   reported `appFailed` or one of its scripts failed to load;
//! - `probe_availability`: successful health probes ÷ probes;
//! - `response_time`: health-probe latency (ms);
//! - vitals: the chosen aggregation of the app's values;
//! - custom: the chosen aggregation of a metric apps push (`pushMetric`).
//!
//! Regression rules measure the same per app and version ([`measure_versions`]).

use std::collections::HashMap;
use std::time::Duration;

use clickhouse::Client;

use super::lifecycle::Measurement;
use crate::model::rule::{Aggregation, Metric};
use crate::store::conditions::{
    API_ERROR_RATE, APP_FAILED, COUNTED_ERROR, SCRIPT_NOT_LOADED, VIEW_OF_APP,
};
use crate::store::StoreError;

/// Measurements by app for one metric and aggregation.
pub type ByApp = HashMap<String, Measurement>;

/// Measurements by app and version (`app_version`), for regression rules.
pub type ByVersion = HashMap<(String, String), Measurement>;

/// What a measurement is grouped by.
#[derive(Debug, Clone, Copy)]
enum Per {
    App,
    Version,
    /// Per app and minute: the points a [`Summary`] is made of.
    Minute,
}

impl Per {
    /// The keys as read from a table.
    fn keys(self) -> &'static str {
        match self {
            Per::App => "app",
            Per::Version => "app, app_version",
            Per::Minute => "app, toStartOfMinute(at) AS minute",
        }
    }

    /// The keys by name: to group by, join on, and read from a subquery.
    fn names(self) -> &'static str {
        match self {
            Per::Minute => "app, minute",
            per => per.keys(),
        }
    }
}

pub async fn measure(
    client: &Client,
    metric: Metric,
    custom: Option<&str>,
    aggregation: Aggregation,
    window: Duration,
) -> Result<ByApp, StoreError> {
    let mut query = client.query(&sql(metric, aggregation, window, Per::App));
    if metric == Metric::Custom {
        query = query.bind(custom.unwrap_or_default());
    }
    let rows: Vec<(String, f64, u64)> = query.fetch_all().await?;
    Ok(rows
        .into_iter()
        .map(|(app, value, samples)| (app, Measurement { value, samples }))
        .collect())
}

/// A built-in metric per app and version (see [`Metric::per_version`]).
pub async fn measure_versions(
    client: &Client,
    metric: Metric,
    aggregation: Aggregation,
    window: Duration,
) -> Result<ByVersion, StoreError> {
    let query = client.query(&sql(metric, aggregation, window, Per::Version));
    let rows: Vec<(String, String, f64, u64)> = query.fetch_all().await?;
    Ok(rows
        .into_iter()
        .map(|(app, version, value, samples)| ((app, version), Measurement { value, samples }))
        .collect())
}

/// The query measuring `metric` over `window` ending now, per `per`: the
/// keys, the value (`measured`), the samples (`samples`). A custom metric's
/// name is bound.
fn sql(metric: Metric, aggregation: Aggregation, window: Duration, per: Per) -> String {
    let seconds = window.as_secs().max(1);
    let since = format!("at >= now64(3) - INTERVAL {seconds} SECOND");
    let (keys, names) = (per.keys(), per.names());
    let views = format!(
        "(SELECT {keys}, uniqExact(view_id) AS n FROM app_events WHERE {since} AND {VIEW_OF_APP} GROUP BY {names}) AS v"
    );
    match metric {
        Metric::ErrorRate => format!(
            "SELECT {names}, if(v.n = 0, 0, least(1, e.n / v.n)) AS measured, v.n AS samples FROM {views} \
             LEFT JOIN (SELECT {keys}, uniqExact(view_id) AS n FROM errors WHERE {since} \
                        AND {COUNTED_ERROR} GROUP BY {names}) AS e USING ({names})"
        ),
        Metric::ApiErrorRate => format!(
            "SELECT {keys}, assumeNotNull({API_ERROR_RATE}) AS measured, toUInt64(sum(calls)) AS samples \
             FROM api_summaries WHERE {since} GROUP BY {names} HAVING sum(calls) > 0"
        ),
        Metric::Availability => format!(
            "SELECT {names}, if(v.n = 0, 1, greatest(0, 1 - f.n / v.n)) AS measured, v.n AS samples FROM {views} \
             LEFT JOIN (SELECT {names}, uniqExact(view_id) AS n FROM ( \
                 SELECT {keys}, view_id FROM app_events WHERE {since} AND {APP_FAILED} \
                 UNION ALL \
                 SELECT {keys}, view_id FROM errors WHERE {since} AND {SCRIPT_NOT_LOADED} \
             ) GROUP BY {names}) AS f USING ({names})"
        ),
        Metric::ProbeAvailability => format!(
            "SELECT {keys}, avg(ok) AS measured, count() AS samples FROM probes WHERE {since} GROUP BY {names}"
        ),
        Metric::ResponseTime => format!(
            "SELECT {keys}, {} AS measured, count() AS samples FROM probes WHERE {since} GROUP BY {names}",
            aggregate(aggregation, "latency_ms")
        ),
        Metric::Custom => format!(
            "SELECT {keys}, {} AS measured, count() AS samples FROM custom_metrics WHERE {since} AND name = ? \
             GROUP BY {names}",
            aggregate(aggregation, "value")
        ),
        vital => format!(
            "SELECT {keys}, {} AS measured, count() AS samples FROM vitals WHERE {since} AND name = '{}' \
             GROUP BY {names}",
            aggregate(aggregation, "value"),
            vital.as_str()
        ),
    }
}

/// A built-in metric over a window, as points: measured per minute as a rule
/// measures it over its window (docs/ALERTING.md, "Summaries").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The newest minute's value.
    pub current: f64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
    /// Minutes with data: the points `avg`, `min` and `max` are over.
    pub count: u64,
}

/// Summaries of a built-in metric by app over `window`, computed in ClickHouse.
pub async fn summarize(
    client: &Client,
    metric: Metric,
    aggregation: Aggregation,
    window: Duration,
) -> Result<HashMap<String, Summary>, StoreError> {
    let points = sql(metric, aggregation, window, Per::Minute);
    let sql = format!(
        "SELECT app, argMax(measured, minute), avg(measured), min(measured), max(measured), count() \
         FROM ({points}) GROUP BY app"
    );
    let rows: Vec<(String, f64, f64, f64, f64, u64)> = client.query(&sql).fetch_all().await?;
    Ok(rows
        .into_iter()
        .map(|(app, current, avg, min, max, count)| {
            let summary = Summary {
                current,
                avg,
                min,
                max,
                count,
            };
            (app, summary)
        })
        .collect())
}

/// A metric an app pushes (`pushMetric`), over a window: its values are
/// its points.
#[derive(Debug, Clone, clickhouse::Row, serde::Deserialize)]
pub struct CustomSummary {
    pub app: String,
    pub name: String,
    /// The newest value.
    pub current: f64,
    pub avg: f64,
    pub p95: f64,
    pub min: f64,
    pub max: f64,
    /// Values pushed in the window.
    pub count: u64,
}

/// Every custom metric of every app over `window`.
pub async fn custom_summary(
    client: &Client,
    window: Duration,
) -> Result<Vec<CustomSummary>, StoreError> {
    let sql = "SELECT app, name, argMax(value, at) AS current, avg(value) AS avg, \
               toFloat64(quantile(0.95)(value)) AS p95, min(value) AS min, max(value) AS max, count() AS count \
               FROM custom_metrics WHERE at >= now64(3) - INTERVAL ? SECOND GROUP BY app, name ORDER BY app, name";
    Ok(client
        .query(sql)
        .bind(window.as_secs().max(1))
        .fetch_all()
        .await?)
}

fn aggregate(aggregation: Aggregation, column: &str) -> String {
    match aggregation {
        Aggregation::Avg | Aggregation::Ratio => format!("toFloat64(avg({column}))"),
        Aggregation::Sum => format!("toFloat64(sum({column}))"),
        Aggregation::Min => format!("toFloat64(min({column}))"),
        Aggregation::Count => "toFloat64(count())".to_owned(),
        Aggregation::P75 => format!("toFloat64(quantile(0.75)({column}))"),
        Aggregation::P95 => format!("toFloat64(quantile(0.95)({column}))"),
        Aggregation::Max => format!("toFloat64(max({column}))"),
    }
}
