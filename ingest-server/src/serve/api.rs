//! The JSON API: apps with their current metrics (one app's with summaries),
//! acknowledge / resolve, and the rules in force (alert lists, counts and
//! health: [`super::alerts`]). Reads may require
//! `alerting.read_token` ([`ReadAccess`]); mutations always require
//! `alerting.admin_token` ([`AdminAccess`]; disabled while it is empty). SQL
//! parameters are bound, never spliced.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{AdminAccess, ReadAccess};
use super::openapi::{AdminErrors, AppReadErrors, ReadErrors};
use super::ApiError;
use crate::clock::now_millis;
use crate::evaluate::lifecycle::{acknowledge, resolve_manually};
use crate::evaluate::measure::{custom_summary, measure, summarize};
use crate::evaluate::{rules_in_force, RuleInForce};
use crate::extract::{Path, Query};
use crate::model::alert::{Alert, Status};
use crate::model::rule::{Metric, Rule};
use crate::model::REGISTRATION_HORIZON;
use crate::AppState;

const DEFAULT_WINDOW: Duration = Duration::from_secs(300);
const MAX_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(apps))
        .routes(routes!(app_metrics))
        .routes(routes!(ack))
        .routes(routes!(resolve))
        .routes(routes!(rules))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WindowParam {
    /// How far back to measure, e.g. `5m`, `1h`, `7d` (10s to 30d); default 5m.
    window: Option<String>,
}

/// A built-in metric over the window: its value as a rule measures it, and
/// (for one app's metrics) its summary.
#[derive(Debug, Serialize, ToSchema)]
struct Measured {
    value: f64,
    samples: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<MetricSummary>,
}

/// The metric measured per minute of the window as a rule measures it:
/// the newest minute's value, the mean, least and greatest of the minutes,
/// and how many minutes had data.
#[derive(Debug, Serialize, ToSchema)]
struct MetricSummary {
    current: f64,
    avg: f64,
    min: f64,
    max: f64,
    count: u64,
}

/// A metric the app pushes with `pushMetric`, over the window, from its
/// values: the newest, their mean, p95, least, greatest and count.
#[derive(Debug, Serialize, ToSchema)]
struct CustomSummary {
    current: f64,
    avg: f64,
    p95: f64,
    min: f64,
    max: f64,
    count: u64,
    /// The same as `count` (kept for older readers).
    samples: u64,
}

/// An app's metrics by name (`error_rate`, `lcp`, …; only those with data),
/// and its custom metrics by name under `custom`.
#[derive(Debug, Default, Serialize, ToSchema)]
struct AppMetrics {
    #[serde(flatten)]
    measured: BTreeMap<&'static str, Measured>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    custom: BTreeMap<String, CustomSummary>,
}

/// A registered app: what it declared at its latest registration.
#[derive(Debug, Serialize, ToSchema)]
struct AppEntry {
    name: String,
    version: String,
    health_check: String,
    dependencies: Vec<String>,
    metrics: AppMetrics,
}

#[derive(Debug, Serialize, ToSchema)]
struct Apps {
    window_seconds: u64,
    apps: Vec<AppEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
struct OneAppMetrics {
    app: String,
    window_seconds: u64,
    metrics: AppMetrics,
}

/// A rule an app declared from the browser: applied only for apps in
/// `alerting.browser_rules_for`; `problem` says why one cannot be read.
#[derive(Debug, Serialize, ToSchema)]
struct Declared {
    app: String,
    applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<Rule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Rules {
    rules: Vec<RuleInForce>,
    declared_by_apps: Vec<Declared>,
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

/// Every metric for every app over `window`, with summaries if `summarized`.
async fn metrics_by_app(
    state: &AppState,
    window: Duration,
    summarized: bool,
) -> Result<BTreeMap<String, AppMetrics>, ApiError> {
    let client = state.store.client();
    let mut by_app: BTreeMap<String, AppMetrics> = BTreeMap::new();
    for metric in Metric::ALL {
        let aggregation = metric.aggregations()[0];
        let mut summaries = match summarized {
            true => summarize(client, metric, aggregation, window).await?,
            false => Default::default(),
        };
        for (app, m) in measure(client, metric, None, aggregation, window).await? {
            let summary = summaries.remove(&app).map(|s| MetricSummary {
                current: s.current,
                avg: s.avg,
                min: s.min,
                max: s.max,
                count: s.count,
            });
            let measured = Measured {
                value: m.value,
                samples: m.samples,
                summary,
            };
            let metrics = &mut by_app.entry(app).or_default().measured;
            metrics.insert(metric.as_str(), measured);
        }
    }
    for m in custom_summary(client, window).await? {
        let summary = CustomSummary {
            current: m.current,
            avg: m.avg,
            p95: m.p95,
            min: m.min,
            max: m.max,
            count: m.count,
            samples: m.count,
        };
        by_app
            .entry(m.app)
            .or_default()
            .custom
            .insert(m.name, summary);
    }
    Ok(by_app)
}

/// The apps registered in the last 24 hours, with their metrics over `window`.
#[utoipa::path(get, path = "/api/apps", tag = "alerts", params(WindowParam),
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = Apps), ReadErrors))]
async fn apps(
    State(state): State<AppState>,
    _: ReadAccess,
    Query(param): Query<WindowParam>,
) -> Result<Json<Apps>, ApiError> {
    let window = window(&param)?;
    let registrations = state.store.registrations(REGISTRATION_HORIZON).await?;
    let mut metrics = metrics_by_app(&state, window, false).await?;
    let apps = registrations
        .into_iter()
        .map(|r| AppEntry {
            metrics: metrics.remove(&r.app).unwrap_or_default(),
            name: r.app,
            version: r.version,
            health_check: r.health_check,
            dependencies: r.dependencies,
        })
        .collect();
    Ok(Json(Apps {
        window_seconds: window.as_secs(),
        apps,
    }))
}

/// One app's metrics over `window`, each with its summary (current, avg,
/// min, max, count of its per-minute values); 404 if it has no data in it.
#[utoipa::path(get, path = "/api/apps/{name}/metrics", tag = "alerts",
    params(("name" = String, Path, description = "App name"), WindowParam),
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = OneAppMetrics), AppReadErrors))]
async fn app_metrics(
    State(state): State<AppState>,
    _: ReadAccess,
    Path(name): Path<String>,
    Query(param): Query<WindowParam>,
) -> Result<Json<OneAppMetrics>, ApiError> {
    canopy_wire::limits::check_app_name(&name).map_err(ApiError::BadRequest)?;
    let window = window(&param)?;
    let mut metrics = metrics_by_app(&state, window, true).await?;
    let metrics = metrics
        .remove(&name)
        .ok_or(ApiError::NotFound("no data for this app in the window"))?;
    Ok(Json(OneAppMetrics {
        app: name,
        window_seconds: window.as_secs(),
        metrics,
    }))
}

async fn change_alert(
    state: &AppState,
    id: &str,
    change: fn(&mut Alert, i64),
) -> Result<Json<Alert>, ApiError> {
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

/// Acknowledges an alert: no more repeat notifications.
#[utoipa::path(post, path = "/api/alerts/{id}/ack", tag = "alerts",
    params(("id" = String, Path, description = "Alert id")),
    security(("admin_token" = [])),
    responses((status = OK, description = "The alert as changed", body = Alert), AdminErrors))]
async fn ack(
    State(state): State<AppState>,
    _: AdminAccess,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    change_alert(&state, &id, acknowledge).await
}

/// Resolves an alert by hand (silenced until its metric recovers).
#[utoipa::path(post, path = "/api/alerts/{id}/resolve", tag = "alerts",
    params(("id" = String, Path, description = "Alert id")),
    security(("admin_token" = [])),
    responses((status = OK, description = "The alert as changed", body = Alert), AdminErrors))]
async fn resolve(
    State(state): State<AppState>,
    _: AdminAccess,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    change_alert(&state, &id, resolve_manually).await
}

/// The rules in force (configured, default, and applied browser-declared
/// ones), and every rule apps declared.
#[utoipa::path(get, path = "/api/rules", tag = "alerts",
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = Rules), ReadErrors))]
async fn rules(State(state): State<AppState>, _: ReadAccess) -> Result<Json<Rules>, ApiError> {
    let registrations = state.store.registrations(REGISTRATION_HORIZON).await?;
    let (rules, declared) = rules_in_force(&state.settings.alerting, &registrations);
    let declared_by_apps = declared
        .into_iter()
        .map(|d| {
            let (rule, problem) = match d.rule {
                Ok(rule) => (Some(rule), None),
                Err(problem) => (None, Some(problem)),
            };
            Declared {
                app: d.app,
                applied: d.applied,
                rule,
                problem,
            }
        })
        .collect();
    Ok(Json(Rules {
        rules,
        declared_by_apps,
    }))
}
