//! The JSON API: apps with their current metrics, alerts with filters and
//! stats, acknowledge / resolve, and the rules in force. Reads may require
//! `alerting.read_token`; mutations always require `alerting.admin_token`
//! (and are disabled while it is empty). SQL parameters are bound, never
//! spliced.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::now_millis;
use crate::error::ApiError;
use crate::evaluate::lifecycle::{acknowledge, resolve_manually};
use crate::evaluate::measure::{custom_summary, measure};
use crate::evaluate::rules_in_force;
use crate::extract::{Path, Query};
use crate::model::alert::{Alert, Status};
use crate::model::rule::Metric;
use crate::model::REGISTRATION_HORIZON;
use crate::store::alerting::AlertFilter;
use crate::AppState;

const DEFAULT_WINDOW: Duration = Duration::from_secs(300);
const MAX_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/apps", get(apps))
        .route("/api/apps/{name}/metrics", get(app_metrics))
        .route("/api/alerts", get(alerts))
        .route("/api/alerts/stats", get(alert_stats))
        .route("/api/alerts/{id}/ack", post(ack))
        .route("/api/alerts/{id}/resolve", post(resolve))
        .route("/api/rules", get(rules))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

pub(crate) fn require_read(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let alerting = &state.settings.alerting;
    if alerting.read_token.is_empty() {
        return Ok(());
    }
    match bearer(headers) {
        Some(token)
            if token == alerting.read_token
                || (!alerting.admin_token.is_empty() && token == alerting.admin_token) =>
        {
            Ok(())
        }
        _ => Err(ApiError::Unauthorized),
    }
}

fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let admin = &state.settings.alerting.admin_token;
    if admin.is_empty() {
        return Err(ApiError::Forbidden(
            "alert changes are disabled: set alerting.admin_token",
        ));
    }
    match bearer(headers) {
        Some(token) if token == admin => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

#[derive(Debug, Deserialize)]
struct WindowParam {
    window: Option<String>,
}

fn window(param: &WindowParam) -> Result<Duration, ApiError> {
    let Some(text) = &param.window else {
        return Ok(DEFAULT_WINDOW);
    };
    let window = humantime::parse_duration(text)
        .map_err(|e| ApiError::BadRequest(format!("window: {e} (use e.g. 5m, 1h, 7d)")))?;
    if window < Duration::from_secs(10) || window > MAX_WINDOW {
        return Err(ApiError::BadRequest(
            "window: must be between 10s and 30d".into(),
        ));
    }
    Ok(window)
}

/// Every metric for every app over `window`: app → metric → {value, samples}.
async fn metrics_by_app(
    state: &AppState,
    window: Duration,
) -> Result<BTreeMap<String, BTreeMap<&'static str, Value>>, ApiError> {
    let mut by_app: BTreeMap<String, BTreeMap<&'static str, Value>> = BTreeMap::new();
    for metric in Metric::ALL {
        let measured = measure(
            state.store.client(),
            metric,
            None,
            metric.aggregations()[0],
            window,
        )
        .await?;
        for (app, m) in measured {
            by_app.entry(app).or_default().insert(
                metric.as_str(),
                json!({ "value": m.value, "samples": m.samples }),
            );
        }
    }
    for (app, name, avg, p95, count) in custom_summary(state.store.client(), window).await? {
        let label: &'static str = "custom";
        let entry = by_app
            .entry(app)
            .or_default()
            .entry(label)
            .or_insert_with(|| json!({}));
        entry[name] = json!({ "avg": avg, "p95": p95, "samples": count });
    }
    Ok(by_app)
}

async fn apps(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(param): Query<WindowParam>,
) -> Result<Json<Value>, ApiError> {
    require_read(&state, &headers)?;
    let window = window(&param)?;
    let registrations = state.store.registrations(REGISTRATION_HORIZON).await?;
    let mut metrics = metrics_by_app(&state, window).await?;
    let apps: Vec<Value> = registrations
        .iter()
        .map(|r| {
            json!({
                "name": r.app, "version": r.version, "health_check": r.health_check,
                "dependencies": r.dependencies, "metrics": metrics.remove(&r.app).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Json(
        json!({ "window_seconds": window.as_secs(), "apps": apps }),
    ))
}

async fn app_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(param): Query<WindowParam>,
) -> Result<Json<Value>, ApiError> {
    require_read(&state, &headers)?;
    canopy_wire::limits::check_app_name(&name).map_err(ApiError::BadRequest)?;
    let window = window(&param)?;
    let mut metrics = metrics_by_app(&state, window).await?;
    let app_metrics = metrics
        .remove(&name)
        .ok_or(ApiError::NotFound("no data for this app in the window"))?;
    Ok(Json(
        json!({ "app": name, "window_seconds": window.as_secs(), "metrics": app_metrics }),
    ))
}

async fn alerts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<AlertFilter>,
) -> Result<Json<Value>, ApiError> {
    require_read(&state, &headers)?;
    let alerts = state.store.alerts(&filter).await?;
    Ok(Json(json!({ "alerts": alerts })))
}

#[derive(Debug, Default, Serialize)]
struct AlertStats {
    total: usize,
    active: usize,
    resolved: usize,
    by_severity: BTreeMap<&'static str, usize>,
    by_app: BTreeMap<String, usize>,
}

async fn alert_stats(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<AlertStats>, ApiError> {
    require_read(&state, &headers)?;
    let alerts = state.store.alerts(&AlertFilter::default()).await?;
    let mut stats = AlertStats {
        total: alerts.len(),
        ..AlertStats::default()
    };
    for alert in &alerts {
        if alert.status == Status::Resolved {
            stats.resolved += 1;
        } else {
            stats.active += 1;
        }
        *stats
            .by_severity
            .entry(alert.severity.as_str())
            .or_default() += 1;
        *stats.by_app.entry(alert.app.clone()).or_default() += 1;
    }
    Ok(Json(stats))
}

async fn change_alert(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    change: fn(&mut Alert, i64),
) -> Result<Json<Alert>, ApiError> {
    require_admin(state, headers)?;
    let mut alert = state
        .store
        .alert(id)
        .await?
        .ok_or(ApiError::NotFound("no alert with this id"))?;
    if alert.status == Status::Resolved {
        return Err(ApiError::Conflict("the alert is already resolved"));
    }
    change(&mut alert, now_millis());
    state.store.save_alerts(&[&alert]).await?;
    Ok(Json(alert))
}

async fn ack(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    change_alert(&state, &headers, &id, acknowledge).await
}

async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    change_alert(&state, &headers, &id, resolve_manually).await
}

async fn rules(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    require_read(&state, &headers)?;
    let registrations = state.store.registrations(REGISTRATION_HORIZON).await?;
    let (in_force, declared) = rules_in_force(&state.settings.alerting, &registrations);
    let declared: Vec<Value> = declared
        .into_iter()
        .map(|d| match d.rule {
            Ok(rule) => json!({ "app": d.app, "applied": d.applied, "rule": rule }),
            Err(problem) => json!({ "app": d.app, "applied": false, "problem": problem }),
        })
        .collect();
    Ok(Json(
        json!({ "rules": in_force, "declared_by_apps": declared }),
    ))
}
