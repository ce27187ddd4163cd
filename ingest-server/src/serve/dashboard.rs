//! The built-in dashboard's JSON API (`/api/dashboard/…`) and its static
//! files (`/dashboard`). Reads need the read token like the rest of the API;
//! ranges are Unix seconds, aligned outward to whole minutes (to whole hours
//! where the hourly rollups are read: the overview over more than 6 hours,
//! charts with buckets of whole hours) so that the rollups they read cover
//! exactly the raw events of the same range. Answers say which range that is.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Redirect;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::services::{ServeDir, ServeFile};

use super::api::require_read;
use crate::error::ApiError;
use crate::evaluate::rules_in_force;
use crate::extract::{Path, Query};
use crate::model::alert::Status;
use crate::model::rule::Metric;
use crate::model::REGISTRATION_HORIZON;
use crate::store::alerting::AlertFilter;
use crate::store::dashboard::{overview_grain, series_grain, Dimension, Range};
use crate::AppState;

const DEFAULT_SPAN: u32 = 24 * 3600;
/// Longest range: the default rollup retention and a bit.
const MAX_SPAN: u32 = 400 * 24 * 3600;
/// Chart points aimed for; buckets are the first of [`BUCKETS`] giving at most this many.
const TARGET_POINTS: u32 = 120;
const BUCKETS: [u32; 10] = [
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    7 * 86400,
];
const LIST_LIMIT: u32 = 20;
pub const VITALS: [&str; 5] = ["lcp", "inp", "cls", "fcp", "ttfb"];

pub fn routes(state: &AppState) -> Router<AppState> {
    let dir = &state.settings.dashboard.dir;
    // Unknown paths get the page itself: the front end routes by URL hash.
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    Router::new()
        .route("/api/dashboard/overview", get(overview))
        .route("/api/dashboard/apps/{app}/series", get(series))
        .route("/api/dashboard/apps/{app}/errors", get(errors))
        .route("/api/dashboard/apps/{app}/resources", get(resources))
        .route("/api/dashboard/apps/{app}/pages", get(pages))
        .route("/api/dashboard/apps/{app}/browsers", get(browsers))
        .route("/api/dashboard/apps/{app}/probes", get(probes))
        .route("/api/dashboard/apps/{app}/long-frames", get(long_frames))
        .route(
            "/dashboard",
            get(|| async { Redirect::permanent("/dashboard/") }),
        )
        .nest_service("/dashboard/", files)
}

#[derive(Debug, Default, Deserialize)]
pub struct RangeParams {
    /// Unix seconds; default: `to` − 24 h.
    from: Option<u32>,
    /// Unix seconds; default: now.
    to: Option<u32>,
    /// Seconds per chart bucket (a multiple of 60); default: chosen from the span.
    bucket: Option<u32>,
}

fn now_secs() -> u32 {
    (crate::clock::now_millis() / 1000) as u32
}

/// What every per-app dashboard request starts with: read access, a valid
/// app name, and the range.
pub struct AppRange {
    app: String,
    range: Range,
    params: RangeParams,
}

impl FromRequestParts<AppState> for AppRange {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        require_read(state, &parts.headers)?;
        let Path(app) = Path::<String>::from_request_parts(parts, state).await?;
        check_app(&app)?;
        let Query(params) = Query::<RangeParams>::from_request_parts(parts, state).await?;
        let range = range(&params)?;
        Ok(Self { app, range, params })
    }
}

/// The request's range, widened to whole minutes.
pub fn range(params: &RangeParams) -> Result<Range, ApiError> {
    let to = params.to.unwrap_or_else(now_secs);
    let from = params.from.unwrap_or(to.saturating_sub(DEFAULT_SPAN));
    if from >= to {
        return Err(ApiError::BadRequest("from: must be before to".into()));
    }
    if to - from > MAX_SPAN {
        return Err(ApiError::BadRequest(
            "from, to: the range may span at most 400 days".into(),
        ));
    }
    Ok(Range {
        from: from / 60 * 60,
        to: to.div_ceil(60) * 60,
    })
}

/// The chart bucket for `range`: the one asked for (whole minutes), else the
/// smallest giving at most [`TARGET_POINTS`] points.
pub fn bucket(params: &RangeParams, range: Range) -> Result<u32, ApiError> {
    if let Some(bucket) = params.bucket {
        if bucket < 60 || bucket % 60 != 0 {
            return Err(ApiError::BadRequest(
                "bucket: must be a positive multiple of 60 seconds".into(),
            ));
        }
        return Ok(bucket);
    }
    let span = range.to - range.from;
    Ok(BUCKETS
        .into_iter()
        .find(|b| span / b <= TARGET_POINTS)
        .unwrap_or(BUCKETS[BUCKETS.len() - 1]))
}

/// The p75's rating, by the thresholds the wire crate defines once.
pub fn rating(vital: &str, p75: f64) -> &'static str {
    let known = canopy_wire::VitalName::ALL
        .into_iter()
        .find(|v| v.as_str() == vital);
    known.map_or("unknown", |v| v.rating(p75).as_str())
}

fn ratio(part: &Value, whole: &Value) -> Option<f64> {
    let whole = whole.as_f64().filter(|w| *w > 0.0)?;
    Some(part.as_f64().unwrap_or(0.0) / whole)
}

/// A vital row's (samples, p50, p75, p95) as JSON, with the p75's rating.
fn vital_summary(name: &str, row: &Value) -> Value {
    let q = &row["q"];
    json!({
        "samples": row["samples"], "p50": q[0], "p75": q[1], "p95": q[2],
        "rating": q[1].as_f64().map_or("unknown", |p75| rating(name, p75)),
    })
}

fn check_app(app: &str) -> Result<(), ApiError> {
    canopy_wire::limits::check_app_name(app).map_err(ApiError::BadRequest)
}

/// Per app: views, availability, error rate, muted cross-origin errors,
/// vitals (p50/p75/p95 with the p75's rating) and active alerts.
async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<RangeParams>,
) -> Result<Json<Value>, ApiError> {
    require_read(&state, &headers)?;
    let (grain, range) = overview_grain(range(&params)?);
    let mut apps: BTreeMap<String, Value> = BTreeMap::new();
    for row in state.store.app_totals(range, grain).await? {
        let app = row["app"].as_str().unwrap_or_default().to_owned();
        // Definitions as in docs/ALERTING.md (and evaluate/measure.rs).
        let availability =
            ratio(&row["failed_views"], &row["views"]).map_or(1.0, |f| (1.0 - f).max(0.0));
        let error_rate = ratio(&row["error_views"], &row["views"]).map_or(0.0, |r| r.min(1.0));
        apps.insert(app.clone(), json!({
            "app": app, "views": row["views"], "errors": row["errors"], "error_views": row["error_views"],
            "failed_views": row["failed_views"], "availability": availability, "error_rate": error_rate,
            "muted_errors": 0, "vitals": {}, "active_alerts": 0,
        }));
    }
    for row in state.store.muted_errors(range).await? {
        let app = row["app"].as_str().unwrap_or_default();
        let entry = apps.entry(app.to_owned()).or_insert_with(|| empty_app(app));
        entry["muted_errors"] = row["muted_errors"].clone();
    }
    for row in state.store.vital_totals(range, grain).await? {
        let (app, name) = (
            row["app"].as_str().unwrap_or_default(),
            row["name"].as_str().unwrap_or_default(),
        );
        let entry = apps.entry(app.to_owned()).or_insert_with(|| empty_app(app));
        entry["vitals"][name] = vital_summary(name, &row);
    }
    for alert in state.store.alerts(&AlertFilter::default()).await? {
        if alert.status != Status::Resolved {
            let entry = apps
                .entry(alert.app.clone())
                .or_insert_with(|| empty_app(&alert.app));
            entry["active_alerts"] = json!(entry["active_alerts"].as_u64().unwrap_or(0) + 1);
        }
    }
    Ok(Json(
        json!({ "from": range.from, "to": range.to, "apps": apps.into_values().collect::<Vec<_>>() }),
    ))
}

fn empty_app(app: &str) -> Value {
    json!({ "app": app, "views": 0, "errors": 0, "error_views": 0, "failed_views": 0, "muted_errors": 0,
            "availability": null, "error_rate": null, "vitals": {}, "active_alerts": 0 })
}

/// Columns for a chart: bucket starts, views, error rate, each vital's p75,
/// and the alert thresholds in force for this app's metrics.
async fn series(
    State(state): State<AppState>,
    AppRange { app, range, params }: AppRange,
) -> Result<Json<Value>, ApiError> {
    let bucket = bucket(&params, range)?;
    let (grain, range) = series_grain(range, bucket);
    let times: Vec<u32> = (range.from / bucket * bucket..range.to)
        .step_by(bucket as usize)
        .collect();
    let index = |t: &Value| {
        t.as_u64()
            .and_then(|t| times.binary_search(&(t as u32)).ok())
    };
    let mut columns: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for name in ["views", "errors", "error_rate"].into_iter().chain(VITALS) {
        columns.insert(name, vec![Value::Null; times.len()]);
    }
    for row in state.store.app_series(&app, range, bucket, grain).await? {
        let Some(i) = index(&row["t"]) else { continue };
        columns.get_mut("views").unwrap()[i] = row["views"].clone();
        columns.get_mut("errors").unwrap()[i] = row["errors"].clone();
        columns.get_mut("error_rate").unwrap()[i] =
            json!(ratio(&row["error_views"], &row["views"]).map(|r| r.min(1.0)));
    }
    for row in state.store.vital_series(&app, range, bucket, grain).await? {
        let (Some(i), Some(column)) = (
            index(&row["t"]),
            row["name"].as_str().and_then(|n| columns.get_mut(n)),
        ) else {
            continue;
        };
        column[i] = row["q"][1].clone();
    }
    Ok(Json(json!({
        "app": app, "from": range.from, "to": range.to, "bucket": bucket, "t": times,
        "series": columns, "thresholds": app_thresholds(&state, &app).await?,
    })))
}

/// Rules in force for `app` (or all apps) on charted metrics.
async fn app_thresholds(state: &AppState, app: &str) -> Result<Vec<Value>, ApiError> {
    let registrations = state.store.registrations(REGISTRATION_HORIZON).await?;
    let (in_force, _) = rules_in_force(&state.settings.alerting, &registrations);
    Ok(in_force
        .into_iter()
        .filter(|r| (r.rule.app == "all" || r.rule.app == app) && charted(r.rule.metric))
        .map(|r| json!({ "rule": r.rule.name, "metric": r.rule.metric.as_str(), "threshold": r.rule.threshold,
                         "severity": r.rule.severity.as_str() }))
        .collect())
}

fn charted(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::ErrorRate | Metric::Lcp | Metric::Inp | Metric::Cls | Metric::Fcp | Metric::Ttfb
    )
}

async fn errors(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Value>, ApiError> {
    let rows = state.store.top_errors(&app, range, LIST_LIMIT).await?;
    Ok(Json(
        json!({ "app": app, "from": range.from, "to": range.to, "errors": rows }),
    ))
}

async fn resources(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Value>, ApiError> {
    let rows: Vec<Value> = state
        .store
        .slowest_resources(&app, range, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|r| json!({ "url": r["url"], "initiator": r["initiator"], "samples": r["samples"], "bytes": r["bytes"],
                         "p50": r["q"][0], "p75": r["q"][1], "p95": r["q"][2] }))
        .collect();
    Ok(Json(
        json!({ "app": app, "from": range.from, "to": range.to, "resources": rows }),
    ))
}

/// Vitals by `dimension`: one entry per key with each vital's summary,
/// ordered worst LCP p75 first (then key).
async fn breakdown(
    state: &AppState,
    app: &str,
    range: Range,
    dimension: Dimension,
) -> Result<Vec<Value>, ApiError> {
    let mut by_key: BTreeMap<String, Value> = BTreeMap::new();
    for row in state.store.vitals_by(app, range, dimension).await? {
        let (key, name) = (
            row["key"].as_str().unwrap_or_default(),
            row["name"].as_str().unwrap_or_default(),
        );
        let entry = by_key
            .entry(key.to_owned())
            .or_insert_with(|| json!({ "key": key, "vitals": {} }));
        entry["vitals"][name] = vital_summary(name, &row);
    }
    let mut rows: Vec<Value> = by_key.into_values().collect();
    let lcp = |v: &Value| {
        v["vitals"]["lcp"]["p75"]
            .as_f64()
            .unwrap_or(f64::NEG_INFINITY)
    };
    rows.sort_by(|a, b| lcp(b).total_cmp(&lcp(a)));
    Ok(rows)
}

async fn pages(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Value>, ApiError> {
    let mut rows = breakdown(&state, &app, range, Dimension::Page).await?;
    rows.truncate(LIST_LIMIT as usize);
    Ok(Json(
        json!({ "app": app, "from": range.from, "to": range.to, "pages": rows }),
    ))
}

async fn browsers(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Value>, ApiError> {
    let rows = breakdown(&state, &app, range, Dimension::Browser).await?;
    Ok(Json(
        json!({ "app": app, "from": range.from, "to": range.to, "browsers": rows }),
    ))
}

async fn probes(
    State(state): State<AppState>,
    AppRange { app, range, params }: AppRange,
) -> Result<Json<Value>, ApiError> {
    let bucket = bucket(&params, range)?;
    let rows = state.store.probe_series(&app, range, bucket).await?;
    Ok(Json(
        json!({ "app": app, "from": range.from, "to": range.to, "bucket": bucket, "probes": rows }),
    ))
}

/// Long animation frames per bucket, and the scripts that ran longest in them.
async fn long_frames(
    State(state): State<AppState>,
    AppRange { app, range, params }: AppRange,
) -> Result<Json<Value>, ApiError> {
    let bucket = bucket(&params, range)?;
    let frames = state.store.long_frame_series(&app, range, bucket).await?;
    let scripts = state
        .store
        .long_frame_scripts(&app, range, LIST_LIMIT)
        .await?;
    Ok(Json(json!({
        "app": app, "from": range.from, "to": range.to, "bucket": bucket,
        "frames": frames, "scripts": scripts,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_widen_to_whole_minutes_and_buckets_fit_the_span() {
        let params = RangeParams {
            from: Some(90),
            to: Some(3601),
            bucket: None,
        };
        let r = range(&params).unwrap();
        assert_eq!(r, Range { from: 60, to: 3660 });
        assert_eq!(bucket(&params, r).unwrap(), 60);
        let day = RangeParams {
            from: Some(0),
            to: Some(86400),
            bucket: None,
        };
        assert_eq!(bucket(&day, range(&day).unwrap()).unwrap(), 900);
        assert!(range(&RangeParams {
            from: Some(10),
            to: Some(10),
            bucket: None
        })
        .is_err());
        assert!(bucket(
            &RangeParams {
                bucket: Some(90),
                ..RangeParams::default()
            },
            r
        )
        .is_err());
    }

    #[test]
    fn ratings_follow_web_vitals_thresholds() {
        assert_eq!(rating("lcp", 2500.0), "good");
        assert_eq!(rating("lcp", 2501.0), "needs-improvement");
        assert_eq!(rating("cls", 0.3), "poor");
        assert_eq!(rating("inp", 150.0), "good");
    }
}
