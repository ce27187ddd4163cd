//! Reading alerts: the list (filtered, by time too), their counts, and each
//! app's health from its firing alerts (the rule: [`crate::model::health`]).
//! Counts come from ClickHouse over every alert matching, never from a page
//! of rows.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ReadAccess;
use super::openapi::ReadErrors;
use super::ApiError;
use crate::extract::Query;
use crate::model::alert::{Alert, Status};
use crate::model::health::{page_health, Firing, HealthStatus};
use crate::model::rule::Severity;
use crate::model::REGISTRATION_HORIZON;
use crate::store::alert_reads::{AlertCount, AlertFilter};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(alerts))
        .routes(routes!(alert_stats))
        .routes(routes!(app_health))
}

#[derive(Debug, Serialize, ToSchema)]
struct Alerts {
    /// Newest first, at most 500.
    alerts: Vec<Alert>,
}

/// The filter as asked, checked: a valid app name, `from` before `to`.
fn checked(filter: AlertFilter) -> Result<AlertFilter, ApiError> {
    if let Some(app) = &filter.app {
        canopy_wire::limits::check_app_name(app).map_err(ApiError::BadRequest)?;
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from >= to {
            return Err(ApiError::BadRequest("from: must be before to".into()));
        }
    }
    Ok(filter)
}

/// The newest alerts matching the filters, newest first. With `from` / `to`,
/// the alerts open at some time in `[from, to)`.
#[utoipa::path(get, path = "/api/alerts", tag = "alerts", params(AlertFilter),
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = Alerts), ReadErrors))]
async fn alerts(
    State(state): State<AppState>,
    _: ReadAccess,
    Query(filter): Query<AlertFilter>,
) -> Result<Json<Alerts>, ApiError> {
    let alerts = state.store.alerts(&checked(filter)?).await?;
    Ok(Json(Alerts { alerts }))
}

/// Counts of every alert matching the filters. Active: pending or firing.
#[derive(Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct AlertStats {
    pub total: u64,
    pub active: u64,
    pub pending: u64,
    pub firing: u64,
    pub resolved: u64,
    pub by_severity: BTreeMap<String, u64>,
    pub by_app: BTreeMap<String, u64>,
    /// Pending or firing alerts by severity.
    pub active_by_severity: BTreeMap<String, u64>,
    /// Pending or firing alerts by app: the dashboard's badges.
    pub active_by_app: BTreeMap<String, u64>,
}

impl AlertStats {
    pub fn of(counts: &[AlertCount]) -> Self {
        let mut stats = Self::default();
        for count in counts {
            let n = count.alerts;
            stats.total += n;
            match Status::named(&count.status) {
                Some(Status::Pending) => stats.pending += n,
                Some(Status::Firing) => stats.firing += n,
                Some(Status::Resolved) => stats.resolved += n,
                None => {}
            }
            *stats.by_severity.entry(count.severity.clone()).or_default() += n;
            *stats.by_app.entry(count.app.clone()).or_default() += n;
            if count.status != Status::Resolved.as_str() {
                stats.active += n;
                *stats.active_by_app.entry(count.app.clone()).or_default() += n;
                let severity = count.severity.clone();
                *stats.active_by_severity.entry(severity).or_default() += n;
            }
        }
        stats
    }
}

/// Counts of every alert matching the filters (all alerts without any),
/// computed by ClickHouse: by status, severity and app.
#[utoipa::path(get, path = "/api/alerts/stats", tag = "alerts", params(AlertFilter),
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = AlertStats), ReadErrors))]
async fn alert_stats(
    State(state): State<AppState>,
    _: ReadAccess,
    Query(filter): Query<AlertFilter>,
) -> Result<Json<AlertStats>, ApiError> {
    let counts = state.store.alert_counts(&checked(filter)?).await?;
    Ok(Json(AlertStats::of(&counts)))
}

/// Each app's firing alerts by severity, from counts of firing alerts.
pub fn firing_by_app(counts: &[AlertCount]) -> BTreeMap<String, Firing> {
    let mut by_app: BTreeMap<String, Firing> = BTreeMap::new();
    let firing = counts
        .iter()
        .filter(|c| c.status == Status::Firing.as_str());
    for count in firing {
        if let Some(severity) = Severity::named(&count.severity) {
            by_app
                .entry(count.app.clone())
                .or_default()
                .add(severity, count.alerts);
        }
    }
    by_app
}

/// Every app's firing alerts, counted by ClickHouse.
pub async fn firing_alerts(state: &AppState) -> Result<BTreeMap<String, Firing>, ApiError> {
    let filter = AlertFilter::with_status(Status::Firing);
    Ok(firing_by_app(&state.store.alert_counts(&filter).await?))
}

/// One app's health and the firing alerts it comes from.
#[derive(Debug, Serialize, ToSchema)]
struct AppHealth {
    app: String,
    status: HealthStatus,
    firing: Firing,
}

/// The page's health (its worst app's) and each app's.
#[derive(Debug, Serialize, ToSchema)]
struct HealthOfApps {
    status: HealthStatus,
    apps: Vec<AppHealth>,
}

/// Each app's health from its firing alerts: `unhealthy` with a critical
/// one, `degraded` with a warning one, else `healthy`; the page's is its
/// worst app's. Apps: those registered in the last 24 hours and those with
/// firing alerts.
#[utoipa::path(get, path = "/api/health/apps", tag = "alerts",
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = HealthOfApps), ReadErrors))]
async fn app_health(
    State(state): State<AppState>,
    _: ReadAccess,
) -> Result<Json<HealthOfApps>, ApiError> {
    let mut firing = firing_alerts(&state).await?;
    for registration in state.store.registrations(REGISTRATION_HORIZON).await? {
        firing.entry(registration.app).or_default();
    }
    let apps: Vec<AppHealth> = firing
        .into_iter()
        .map(|(app, firing)| AppHealth {
            app,
            status: firing.health(),
            firing,
        })
        .collect();
    Ok(Json(HealthOfApps {
        status: page_health(apps.iter().map(|a| a.status)),
        apps,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(app: &str, severity: &str, status: &str, alerts: u64) -> AlertCount {
        AlertCount {
            app: app.into(),
            severity: severity.into(),
            status: status.into(),
            alerts,
        }
    }

    #[test]
    fn stats_add_up_the_counts_clickhouse_made() {
        let counts = [
            count("cart", "critical", "firing", 2),
            count("cart", "warning", "resolved", 5),
            count("catalog", "warning", "pending", 1),
            count("catalog", "info", "firing", 3),
        ];
        let stats = AlertStats::of(&counts);
        assert_eq!(
            (stats.total, stats.active, stats.pending, stats.firing),
            (11, 6, 1, 5)
        );
        assert_eq!(stats.resolved, 5);
        assert_eq!(stats.by_app["cart"], 7);
        assert_eq!(stats.active_by_app["cart"], 2);
        assert_eq!(stats.active_by_app["catalog"], 4);
        assert_eq!(stats.by_severity["warning"], 6);
        assert_eq!(stats.active_by_severity["warning"], 1);
        assert!(!stats.active_by_severity.contains_key("resolved"));
    }

    #[test]
    fn health_reads_only_firing_alerts() {
        let counts = [
            count("cart", "critical", "pending", 1),
            count("cart", "critical", "resolved", 4),
            count("cart", "warning", "firing", 1),
            count("catalog", "critical", "firing", 1),
            count("shell", "info", "firing", 2),
        ];
        let by_app = firing_by_app(&counts);
        assert_eq!(by_app["cart"].health(), HealthStatus::Degraded);
        assert_eq!(by_app["catalog"].health(), HealthStatus::Unhealthy);
        assert_eq!(by_app["shell"].health(), HealthStatus::Healthy);
        assert_eq!(by_app["shell"].info, 2);
    }

    #[test]
    fn filters_are_checked() {
        let range = |from, to| AlertFilter {
            from: Some(from),
            to: Some(to),
            ..AlertFilter::default()
        };
        assert!(checked(range(10, 20)).is_ok());
        assert!(checked(range(20, 20)).is_err());
        let bad_app = AlertFilter {
            app: Some("no spaces".into()),
            ..AlertFilter::default()
        };
        assert!(checked(bad_app).is_err());
    }
}
