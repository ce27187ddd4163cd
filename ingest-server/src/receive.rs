//! Receive: the beacon endpoint.
//!
//! `navigator.sendBeacon` posts strings as `text/plain` (no CORS preflight);
//! other clients may post `application/json`, which browsers preflight, so
//! CORS answers both.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use time::OffsetDateTime;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Limits;
use crate::error::ApiError;
use crate::validate::validate;
use crate::AppState;

pub fn routes(limits: &Limits) -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(86_400));
    Router::new()
        .route("/v1/beacon", post(receive_beacon))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(cors)
}

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub accepted: usize,
}

async fn receive_beacon(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    check_content_type(&headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge { limit: state.limits.max_body_bytes },
        _ => ApiError::BodyUnreadable(rejection.body_text()),
    })?;
    let beacon = validate(&body)?;
    let accepted = state.store.write(&beacon, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { accepted })))
}

/// Beacons are JSON, whatever the label: sendBeacon can only say text/plain.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else { return Ok(()) };
    let content_type = value.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or("").trim();
    match essence {
        "text/plain" | "application/json" | "" => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType(essence.to_owned())),
    }
}
