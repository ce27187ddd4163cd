//! `GET /api/dashboard/apps/{app}/versions`: an app's versions side by side,
//! from the release rollups (migration 12), over whole hours.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;

use super::answers::{Adoption, VersionHealth, VersionVitals, Versions};
use super::range::{bucket, AppRange};
use super::{ratio, scope};
use crate::serve::openapi::AppReadErrors;
use crate::serve::ApiError;
use crate::store::schema::Grain;
use crate::AppState;

/// One app's versions, newest first seen first: views, error rate,
/// availability, API error rate, vitals' p75 and views over time.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/versions", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Versions), AppReadErrors))]
pub(super) async fn versions(
    State(state): State<AppState>,
    AppRange { app, range, params }: AppRange,
) -> Result<Json<Versions>, ApiError> {
    let range = range.widened(Grain::Hour);
    let hour = Grain::Hour.seconds();
    let bucket = bucket(&params, range)?.div_ceil(hour) * hour;
    let mut vitals: HashMap<String, VersionVitals> = HashMap::new();
    for row in state.store.version_vitals(&app, range).await? {
        let entry = vitals.entry(row.version).or_default();
        if let Some(p75) = entry.vital(&row.name) {
            *p75 = Some(row.p75);
        }
    }
    let mut adoption: HashMap<String, Vec<Adoption>> = HashMap::new();
    for row in state.store.version_adoption(&app, range, bucket).await? {
        adoption.entry(row.version).or_default().push(Adoption {
            at: row.t,
            views: row.views,
        });
    }
    let versions = state
        .store
        .version_totals(&app, range)
        .await?
        .into_iter()
        .map(|row| VersionHealth {
            // Definitions as in docs/ALERTING.md (and the overview).
            error_rate: ratio(row.error_views, row.views).map(|r| r.min(1.0)),
            availability: ratio(row.failed_views, row.views).map(|f| (1.0 - f).max(0.0)),
            api_error_rate: ratio(row.api_failures, row.api_calls),
            vitals: vitals.remove(&row.version).unwrap_or_default(),
            adoption: adoption.remove(&row.version).unwrap_or_default(),
            version: row.version,
            first_seen: row.first_seen,
            last_seen: row.last_seen,
            views: row.views,
            errors: row.errors,
            api_calls: row.api_calls,
            api_failures: row.api_failures,
        })
        .collect();
    Ok(Json(Versions {
        scope: scope(app, range),
        bucket,
        versions,
    }))
}
