//! Serve: health, readiness, metrics, the JSON API ([`api`]) and the
//! built-in dashboard ([`dashboard`]).

pub mod api;
pub mod dashboard;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::metrics::SPOOL_BYTES;
use crate::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api::routes())
        .merge(dashboard::routes(state))
}

/// The process is up.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready to take beacons: ClickHouse answers and the log is within its quota.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let clickhouse = state.store.ping().await.map_err(|error| error.to_string());
    let spool_ok = state.spool.within_quota();
    let ready = clickhouse.is_ok() && spool_ok;
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "clickhouse": clickhouse.err().unwrap_or_else(|| "ok".into()),
        "spool": if spool_ok { "ok" } else { "at its disk quota" },
        "spool_bytes": state.spool.disk_bytes(),
    });
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    metrics::gauge!(SPOOL_BYTES).set(state.spool.disk_bytes() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::handle().render(),
    )
}
