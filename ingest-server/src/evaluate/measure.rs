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
}

impl Per {
    fn keys(self) -> &'static str {
        match self {
            Per::App => "app",
            Per::Version => "app, app_version",
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
/// keys, the value, the samples. A custom metric's name is bound.
fn sql(metric: Metric, aggregation: Aggregation, window: Duration, per: Per) -> String {
    let seconds = window.as_secs().max(1);
    let since = format!("at >= now64(3) - INTERVAL {seconds} SECOND");
    let keys = per.keys();
    let views = format!(
        "(SELECT {keys}, uniqExact(view_id) AS n FROM app_events WHERE {since} AND {VIEW_OF_APP} GROUP BY {keys}) AS v"
    );
    match metric {
        Metric::ErrorRate => format!(
            "SELECT {keys}, if(v.n = 0, 0, least(1, e.n / v.n)), v.n FROM {views} \
             LEFT JOIN (SELECT {keys}, uniqExact(view_id) AS n FROM errors WHERE {since} \
                        AND {COUNTED_ERROR} GROUP BY {keys}) AS e USING ({keys})"
        ),
        Metric::ApiErrorRate => format!(
            "SELECT {keys}, assumeNotNull({API_ERROR_RATE}), toUInt64(sum(calls)) FROM api_summaries \
             WHERE {since} GROUP BY {keys} HAVING sum(calls) > 0"
        ),
        Metric::Availability => format!(
            "SELECT {keys}, if(v.n = 0, 1, greatest(0, 1 - f.n / v.n)), v.n FROM {views} \
             LEFT JOIN (SELECT {keys}, uniqExact(view_id) AS n FROM ( \
                 SELECT {keys}, view_id FROM app_events WHERE {since} AND {APP_FAILED} \
                 UNION ALL \
                 SELECT {keys}, view_id FROM errors WHERE {since} AND {SCRIPT_NOT_LOADED} \
             ) GROUP BY {keys}) AS f USING ({keys})"
        ),
        Metric::ProbeAvailability => {
            format!("SELECT {keys}, avg(ok), count() FROM probes WHERE {since} GROUP BY {keys}")
        }
        Metric::ResponseTime => format!(
            "SELECT {keys}, {}, count() FROM probes WHERE {since} GROUP BY {keys}",
            aggregate(aggregation, "latency_ms")
        ),
        Metric::Custom => format!(
            "SELECT {keys}, {}, count() FROM custom_metrics WHERE {since} AND name = ? GROUP BY {keys}",
            aggregate(aggregation, "value")
        ),
        vital => format!(
            "SELECT {keys}, {}, count() FROM vitals WHERE {since} AND name = '{}' GROUP BY {keys}",
            aggregate(aggregation, "value"),
            vital.as_str()
        ),
    }
}

/// Every custom metric of every app over `window`: (app, name, avg, p95, count).
pub async fn custom_summary(
    client: &Client,
    window: Duration,
) -> Result<Vec<(String, String, f64, f64, u64)>, StoreError> {
    let sql = "SELECT app, name, avg(value), toFloat64(quantile(0.95)(value)), count() FROM custom_metrics \
               WHERE at >= now64(3) - INTERVAL ? SECOND GROUP BY app, name ORDER BY app, name";
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
