//! Serve: health, readiness, metrics, the JSON API ([`api`]; alert lists,
//! counts and app health in [`alerts`]; [`silences`]), the built-in
//! dashboard ([`dashboard`]), and the OpenAPI document of it all
//! ([`openapi`]). Access to the API is checked by extractors ([`ReadAccess`],
//! [`AdminAccess`]); its errors are [`ApiError`].

mod alerts;
pub mod api;
mod auth;
pub mod dashboard;
mod error;
mod evaluator;
pub mod openapi;
mod silences;
pub mod sourcemaps;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::{AdminAccess, ReadAccess, UploadAccess};
pub use error::ApiError;

use crate::metrics::SPOOL_BYTES;
use crate::AppState;

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .merge(api::routes())
        .merge(alerts::routes())
        .merge(evaluator::routes())
        .merge(silences::routes())
        .merge(dashboard::routes(state))
        .merge(sourcemaps::routes(state))
}

#[derive(Debug, Serialize, ToSchema)]
struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = OK, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Debug, Serialize, ToSchema)]
struct Readiness {
    /// `ready` or `unavailable`.
    status: &'static str,
    /// `ok`, or why ClickHouse does not answer.
    clickhouse: String,
    /// `ok`, or `at its disk quota`.
    spool: &'static str,
    spool_bytes: u64,
}

/// Ready to take beacons: ClickHouse answers and the log is within its quota.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = OK, description = "Ready", body = Readiness),
    (status = SERVICE_UNAVAILABLE, description = "Not ready: ClickHouse or the log", body = Readiness)))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let clickhouse = state.store.ping().await.map_err(|error| error.to_string());
    let spool_ok = state.spool.within_quota();
    let ready = clickhouse.is_ok() && spool_ok;
    let body = Readiness {
        status: if ready { "ready" } else { "unavailable" },
        clickhouse: clickhouse.err().unwrap_or_else(|| "ok".into()),
        spool: if spool_ok { "ok" } else { "at its disk quota" },
        spool_bytes: state.spool.disk_bytes(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus metrics, in its text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = OK, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    metrics::gauge!(SPOOL_BYTES).set(state.spool.disk_bytes() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::handle().render(),
    )
}

/// The document made from the routes, added by [`crate::router`] once they
/// are all registered.
pub type Document = Arc<utoipa::openapi::OpenApi>;

/// This API, as an OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses(
    (status = OK, description = "An OpenAPI 3.1 document", body = Object, content_type = "application/json")))]
async fn openapi_json(Extension(document): Extension<Document>) -> Response {
    Json(document.as_ref()).into_response()
}
