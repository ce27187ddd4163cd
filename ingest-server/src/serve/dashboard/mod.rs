//! The built-in dashboard's JSON API (`/api/dashboard/…`) and its static
//! files (`/dashboard`). Reads need the read token like the rest of the API;
//! ranges ([`range`]) are Unix seconds, aligned outward to whole minutes (to
//! whole hours where the hourly rollups are read: the overview over more
//! than 6 hours, charts with buckets of whole hours) so that the rollups they
//! read cover exactly the raw events of the same range. Answers say which
//! range that is.

pub mod answers;
pub mod error_groups;
pub mod range;
mod versions;

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Redirect;
use axum::routing::get;
use axum::Json;
use tower_http::services::{ServeDir, ServeFile};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::alerts::{firing_by_app, AlertStats};
use super::openapi::{AppReadErrors, ReadErrors};
use super::{ApiError, ReadAccess};
use crate::evaluate::rules_in_force;
use crate::extract::Query;
use crate::model::health::page_health;
use crate::model::rule::Metric;
use crate::model::REGISTRATION_HORIZON;
use crate::store::alert_reads::AlertFilter;
use crate::store::dashboard::{overview_grain, series_grain, Dimension, Range, VitalQuantiles};
use crate::AppState;
use answers::{
    AppOverview, BreakdownEntry, Browsers, LongFrames, Overview, Pages, Probes, Resource,
    Resources, Scope, Series, SeriesColumns, Threshold, VitalSummary,
};
use range::{bucket, AppRange, RangeParams};

const LIST_LIMIT: u32 = 20;

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let dir = &state.settings.dashboard.dir;
    // Unknown paths get the page itself: the front end routes by URL hash.
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(series))
        .routes(routes!(error_groups::errors))
        .routes(routes!(error_groups::error_group))
        .routes(routes!(resources))
        .routes(routes!(pages))
        .routes(routes!(browsers))
        .routes(routes!(probes))
        .routes(routes!(long_frames))
        .routes(routes!(versions::versions))
        // The page and its files are not part of the API document.
        .route(
            "/dashboard",
            get(|| async { Redirect::permanent("/dashboard/") }),
        )
        .nest_service("/dashboard/", files)
}

/// The p75's rating, by the thresholds the wire crate defines once.
pub fn rating(vital: &str, p75: f64) -> &'static str {
    let known = canopy_wire::VitalName::ALL
        .into_iter()
        .find(|v| v.as_str() == vital);
    known.map_or("unknown", |v| v.rating(p75).as_str())
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A vital row's samples and quantiles, with the p75's rating.
fn vital_summary(row: &VitalQuantiles) -> VitalSummary {
    let q = |i: usize| row.q.get(i).copied();
    VitalSummary {
        samples: row.samples,
        p50: q(0),
        p75: q(1),
        p95: q(2),
        rating: q(1).map_or("unknown", |p75| rating(&row.name, p75)),
    }
}

fn scope(app: String, range: Range) -> Scope {
    Scope {
        app,
        from: range.from,
        to: range.to,
    }
}

/// Per app: views, availability, error rate, muted cross-origin errors,
/// vitals (p50/p75/p95 with the p75's rating), active alerts and health (as
/// `/api/health/apps` judges it); and the page's health, its worst app's.
#[utoipa::path(get, path = "/api/dashboard/overview", tag = "dashboard", params(RangeParams),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Overview), ReadErrors))]
async fn overview(
    State(state): State<AppState>,
    _: ReadAccess,
    Query(params): Query<RangeParams>,
) -> Result<Json<Overview>, ApiError> {
    let (grain, range) = overview_grain(range::range(&params)?);
    let mut apps: BTreeMap<String, AppOverview> = BTreeMap::new();
    for row in state.store.app_totals(range, grain).await? {
        // Definitions as in docs/ALERTING.md (and evaluate/measure.rs).
        let availability = ratio(row.failed_views, row.views).map_or(1.0, |f| (1.0 - f).max(0.0));
        let error_rate = ratio(row.error_views, row.views).map_or(0.0, |r| r.min(1.0));
        let entry = AppOverview {
            views: row.views,
            errors: row.errors,
            error_views: row.error_views,
            failed_views: row.failed_views,
            availability: Some(availability),
            error_rate: Some(error_rate),
            ..AppOverview::empty(&row.app)
        };
        apps.insert(row.app, entry);
    }
    for row in state.store.muted_errors(range).await? {
        entry(&mut apps, &row.app).muted_errors = row.muted_errors;
    }
    for row in state.store.vital_totals(range, grain).await? {
        let summary = vital_summary(&row);
        entry(&mut apps, &row.key).vitals.insert(row.name, summary);
    }
    // Alerts as they are now, whatever the range: counted by ClickHouse.
    let counts = state.store.alert_counts(&AlertFilter::default()).await?;
    for (app, active) in AlertStats::of(&counts).active_by_app {
        entry(&mut apps, &app).active_alerts = active;
    }
    for (app, firing) in firing_by_app(&counts) {
        entry(&mut apps, &app).health = firing.health();
    }
    Ok(Json(Overview {
        from: range.from,
        to: range.to,
        health: page_health(apps.values().map(|a| a.health)),
        apps: apps.into_values().collect(),
    }))
}

/// The overview entry of `app`, made empty if it has none yet.
fn entry<'a>(apps: &'a mut BTreeMap<String, AppOverview>, app: &str) -> &'a mut AppOverview {
    apps.entry(app.to_owned())
        .or_insert_with(|| AppOverview::empty(app))
}

/// Columns for a chart: bucket starts, views, error rate, each vital's p75,
/// and the alert thresholds in force for this app's metrics.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/series", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Series), AppReadErrors))]
async fn series(
    State(state): State<AppState>,
    AppRange { app, range, params }: AppRange,
) -> Result<Json<Series>, ApiError> {
    let bucket = bucket(&params, range)?;
    let (grain, range) = series_grain(range, bucket);
    let times: Vec<u32> = (range.from / bucket * bucket..range.to)
        .step_by(bucket as usize)
        .collect();
    let index = |t: u32| times.binary_search(&t).ok();
    let mut columns = SeriesColumns::empty(times.len());
    for row in state.store.app_series(&app, range, bucket, grain).await? {
        let Some(i) = index(row.t) else { continue };
        columns.views[i] = Some(row.views);
        columns.errors[i] = Some(row.errors);
        columns.error_rate[i] = ratio(row.error_views, row.views).map(|r| r.min(1.0));
    }
    for row in state.store.vital_series(&app, range, bucket, grain).await? {
        let (Some(i), Some(column)) = (index(row.t), columns.vital(&row.name)) else {
            continue;
        };
        column[i] = row.q.get(1).copied();
    }
    let thresholds = app_thresholds(&state, &app).await?;
    Ok(Json(Series {
        scope: scope(app, range),
        bucket,
        t: times,
        series: columns,
        thresholds,
    }))
}

/// Rules in force for `app` (or all apps) on charted metrics.
async fn app_thresholds(state: &AppState, app: &str) -> Result<Vec<Threshold>, ApiError> {
    let registrations = state.store.registrations(REGISTRATION_HORIZON).await?;
    let (in_force, _) = rules_in_force(&state.settings.alerting, &registrations);
    Ok(in_force
        .into_iter()
        .filter(|r| (r.rule.app == "all" || r.rule.app == app) && charted(r.rule.metric))
        // Regression rules have no fixed line to draw.
        .filter_map(|r| {
            Some(Threshold {
                metric: r.rule.metric.as_str(),
                threshold: r.rule.threshold?,
                severity: r.rule.severity.as_str(),
                rule: r.rule.name,
            })
        })
        .collect())
}

fn charted(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::ErrorRate | Metric::Lcp | Metric::Inp | Metric::Cls | Metric::Fcp | Metric::Ttfb
    )
}

/// One app's resources, slowest p75 first.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/resources", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Resources), AppReadErrors))]
async fn resources(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Resources>, ApiError> {
    let resources = state
        .store
        .slowest_resources(&app, range, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|r| Resource {
            p50: r.q.first().copied(),
            p75: r.q.get(1).copied(),
            p95: r.q.get(2).copied(),
            url: r.url,
            initiator: r.initiator,
            samples: r.samples,
            bytes: r.bytes,
        })
        .collect();
    Ok(Json(Resources {
        scope: scope(app, range),
        resources,
    }))
}

/// Vitals by `dimension`: one entry per key with each vital's summary,
/// ordered worst LCP p75 first (then key).
async fn breakdown(
    state: &AppState,
    app: &str,
    range: Range,
    dimension: Dimension,
) -> Result<Vec<BreakdownEntry>, ApiError> {
    let mut by_key: BTreeMap<String, BreakdownEntry> = BTreeMap::new();
    for row in state.store.vitals_by(app, range, dimension).await? {
        let summary = vital_summary(&row);
        by_key
            .entry(row.key.clone())
            .or_insert_with(|| BreakdownEntry {
                key: row.key,
                vitals: Default::default(),
            })
            .vitals
            .insert(row.name, summary);
    }
    let mut entries: Vec<BreakdownEntry> = by_key.into_values().collect();
    let lcp = |e: &BreakdownEntry| {
        e.vitals
            .get("lcp")
            .and_then(|v| v.p75)
            .unwrap_or(f64::NEG_INFINITY)
    };
    entries.sort_by(|a, b| lcp(b).total_cmp(&lcp(a)));
    Ok(entries)
}

/// One app's vitals by page path, worst LCP p75 first.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/pages", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Pages), AppReadErrors))]
async fn pages(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Pages>, ApiError> {
    let mut pages = breakdown(&state, &app, range, Dimension::Page).await?;
    pages.truncate(LIST_LIMIT as usize);
    Ok(Json(Pages {
        scope: scope(app, range),
        pages,
    }))
}

/// One app's vitals by browser, worst LCP p75 first.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/browsers", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Browsers), AppReadErrors))]
async fn browsers(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Browsers>, ApiError> {
    let browsers = breakdown(&state, &app, range, Dimension::Browser).await?;
    Ok(Json(Browsers {
        scope: scope(app, range),
        browsers,
    }))
}

/// One app's health probes per bucket.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/probes", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Probes), AppReadErrors))]
async fn probes(
    State(state): State<AppState>,
    AppRange { app, range, params }: AppRange,
) -> Result<Json<Probes>, ApiError> {
    let bucket = bucket(&params, range)?;
    let probes = state.store.probe_series(&app, range, bucket).await?;
    Ok(Json(Probes {
        scope: scope(app, range),
        bucket,
        probes,
    }))
}

/// Long animation frames per bucket, and the scripts that ran longest in them.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/long-frames", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = LongFrames), AppReadErrors))]
async fn long_frames(
    State(state): State<AppState>,
    AppRange { app, range, params }: AppRange,
) -> Result<Json<LongFrames>, ApiError> {
    let bucket = bucket(&params, range)?;
    let frames = state.store.long_frame_series(&app, range, bucket).await?;
    let scripts = state
        .store
        .long_frame_scripts(&app, range, LIST_LIMIT)
        .await?;
    Ok(Json(LongFrames {
        scope: scope(app, range),
        bucket,
        frames,
        scripts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_follow_web_vitals_thresholds() {
        assert_eq!(rating("lcp", 2500.0), "good");
        assert_eq!(rating("lcp", 2501.0), "needs-improvement");
        assert_eq!(rating("cls", 0.3), "poor");
        assert_eq!(rating("inp", 150.0), "good");
    }
}
