//! Which evaluator holds the evaluator lease (docs/ALERTING.md, "HA
//! evaluation"): any server answers, from ClickHouse.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ReadAccess;
use super::openapi::ReadErrors;
use super::ApiError;
use crate::store::lease::LeaseRow;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(evaluator_lease))
}

#[derive(Debug, Serialize, ToSchema)]
struct EvaluatorLease {
    /// `held` (its holder notifies), `expired` (no evaluator renewed it:
    /// none notifies until another claims it) or `unclaimed` (no evaluator
    /// ever ran against this database).
    status: &'static str,
    /// The latest claim: holder, term, since, expiry and ClickHouse's clock.
    lease: Option<LeaseRow>,
}

/// The evaluator lease: who notifies, since when, until when unrenewed.
#[utoipa::path(get, path = "/api/health/evaluator", tag = "operations",
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = EvaluatorLease), ReadErrors))]
async fn evaluator_lease(
    State(state): State<AppState>,
    _: ReadAccess,
) -> Result<Json<EvaluatorLease>, ApiError> {
    let lease = state.store.read_lease().await?;
    let status = match &lease {
        None => "unclaimed",
        Some(lease) if lease.expires_at <= lease.now => "expired",
        Some(_) => "held",
    };
    Ok(Json(EvaluatorLease { status, lease }))
}
