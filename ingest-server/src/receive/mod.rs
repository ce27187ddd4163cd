//! Receive: the beacon endpoint, from request to acknowledgement.
//!
//! In order: key and origin ([`access`]), rate limits ([`rate_limit`]), body
//! size, decompression ([`decode`]), validation, enrichment, the record and
//! its cost (`limits.max_stored_bytes`, then the stored-byte rate limits),
//! and the write-ahead log. The 202 is sent only once the beacon is on disk.
//! `navigator.sendBeacon` posts `text/plain` (no CORS preflight); other
//! clients may post `application/json`, which browsers preflight: CORS
//! answers a preflight only for origins the key allows.

pub mod access;
pub mod beacon_ids;
pub mod decode;
mod error;
pub mod rate_limit;

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::now_millis;
use crate::extract::Query;
use crate::metrics::{
    ACK_SECONDS, BEACONS_ACCEPTED, BEACONS_DUPLICATE, BEACON_STORED_BYTES, EVENTS_ACCEPTED,
};
use crate::record;
use crate::validate::validate;
use crate::{enrich, noise, AppState};
use access::{Denied, RequestOrigin};
use beacon_ids::Appended;
pub use error::BeaconError;

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let access = state.access.clone();
    let allowed = move |origin: &HeaderValue, request: &Parts| {
        let key = request.uri.query().and_then(key_from_query);
        access
            .check(key.as_deref(), RequestOrigin::of(origin))
            .is_ok()
    };
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(allowed))
        .allow_credentials(true)
        .allow_methods([Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::CONTENT_ENCODING])
        // The agent reads it to back off after a 429 or 503 on its fetch path.
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(86_400));
    // Its 405 is set here, inside the layers (the router-wide one would be
    // outside them), so that CORS still answers preflights.
    let (schemas, paths, beacon) = routes!(receive_beacon);
    let beacon = beacon.fallback(wrong_method);
    OpenApiRouter::new()
        .routes((schemas, paths, beacon))
        .layer(axum::middleware::from_fn(error::count_rejections))
        .layer(DefaultBodyLimit::max(state.settings.limits.max_body_bytes))
        .layer(cors)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BeaconParams {
    /// The project's ingest key.
    key: Option<String>,
    /// Content encoding, for clients that cannot set the header (sendBeacon).
    encoding: Option<String>,
    /// When this attempt was sent (epoch ms), if not when the body says: a
    /// body the agent retries still carries its first attempt's `sent_at`,
    /// and events are dated by the time between them and their sending.
    sent_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    /// Events stored from the beacon.
    pub accepted: usize,
}

/// Takes one beacon (README.md, "Endpoints", and the canopy-wire crate
/// describe the body); 202 once it is on disk.
#[utoipa::path(post, path = "/v1/beacon", tag = "beacons", params(BeaconParams),
    request_body(content((String = "text/plain"), (String = "application/json")),
        description = "A beacon: JSON (the wire format of the canopy-wire crate), possibly \
            compressed (`Content-Encoding` or `?encoding=`: gzip, deflate)"),
    security(("ingest_key" = [])),
    responses((status = ACCEPTED, body = Acknowledged), error::BeaconErrors))]
async fn receive_beacon(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(params): Query<BeaconParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Acknowledged>), BeaconError> {
    let started = Instant::now();
    let key = params.key.as_deref();
    let origin = RequestOrigin::of_headers(&headers);
    state
        .access
        .check(key, origin)
        .map_err(|denied| match (denied, origin) {
            (Denied::UnknownKey, _) => BeaconError::UnknownKey,
            (Denied::OriginNotAllowed, RequestOrigin::Sent(origin)) => {
                BeaconError::OriginNotAllowed(origin.to_owned())
            }
            _ => BeaconError::InvalidOrigin,
        })?;
    let ip = client_ip(
        &headers,
        peer,
        state.settings.rate_limits.trust_forwarded_for,
    );
    state
        .rate_limiter
        .check(key.unwrap_or_default(), ip)
        .map_err(BeaconError::RateLimited)?;

    check_content_type(&headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => BeaconError::BodyTooLarge {
            limit: state.settings.limits.max_body_bytes,
        },
        _ => BeaconError::BodyUnreadable(rejection.body_text()),
    })?;
    let encoding = decode::encoding(params.encoding.as_deref(), &headers)?;
    let json = decode::decompress(
        &body,
        encoding,
        state.settings.limits.max_decompressed_bytes,
    )?;
    let mut beacon = validate(&json)?;
    noise::filter(&mut beacon, &state.settings.ignore);
    if let Some(sent_at) = params.sent_at.as_deref() {
        beacon.sent_at = epoch_ms(sent_at)?;
    }
    let events = beacon.events.len();

    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let key = key.unwrap_or_default();
    let now = now_millis();
    let accepted = enrich::enrich(beacon, user_agent, now);
    let record = record::encode_within(&accepted, key, state.settings.limits.max_stored_bytes)?;
    state
        .rate_limiter
        .check_stored_bytes(key, ip, record.len())
        .map_err(BeaconError::RateLimited)?;
    metrics::histogram!(BEACON_STORED_BYTES).record(record.len() as f64);
    let id = accepted.beacon.id.as_deref();
    match (state.beacon_ids)
        .append_once(&state.spool, key, id, record, now)
        .await?
    {
        // Answered as the first time, so the client stops retrying.
        Appended::Duplicate => metrics::counter!(BEACONS_DUPLICATE).increment(1),
        Appended::New => {
            metrics::counter!(BEACONS_ACCEPTED).increment(1);
            metrics::counter!(EVENTS_ACCEPTED).increment(events as u64);
        }
    }
    metrics::histogram!(ACK_SECONDS).record(started.elapsed().as_secs_f64());
    Ok((
        StatusCode::ACCEPTED,
        Json(Acknowledged { accepted: events }),
    ))
}

/// `?sent_at=`: epoch milliseconds, as the body's `sent_at`.
fn epoch_ms(text: &str) -> Result<f64, BeaconError> {
    text.parse::<f64>()
        .ok()
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .ok_or_else(|| {
            BeaconError::BadRequest(format!("sent_at must be epoch milliseconds, got {text:?}"))
        })
}

fn key_from_query(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find_map(|(name, value)| (name == "key").then_some(value))
}

/// The peer address, or the first `X-Forwarded-For` hop behind a trusted proxy.
fn client_ip(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = || {
        let value = headers.get("x-forwarded-for")?.to_str().ok()?;
        value.split(',').next()?.trim().parse().ok()
    };
    if trust_forwarded_for {
        forwarded().unwrap_or(peer.ip())
    } else {
        peer.ip()
    }
}

/// Beacons are JSON, whatever the label: sendBeacon can only say text/plain.
fn check_content_type(headers: &HeaderMap) -> Result<(), BeaconError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let content_type = value.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or("").trim();
    match essence {
        "text/plain" | "application/json" | "" => Ok(()),
        _ => Err(BeaconError::UnsupportedMediaType(essence.to_owned())),
    }
}

/// The beacon path asked with another method than POST: a refused beacon.
async fn wrong_method(method: Method) -> BeaconError {
    BeaconError::MethodNotAllowed(method.to_string())
}
