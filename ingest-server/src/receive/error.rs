//! Why a beacon is refused, and the count of refusals by reason.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{
    respond, retry_after_secs, ErrorBody, Refusal, Refuse, RETRY_AFTER_UNAVAILABLE,
};
use crate::metrics::BEACONS_REJECTED;
use crate::receive::decode::DecodeError;
use crate::record::RecordError;
use crate::spool::SpoolError;
use crate::validate::ValidateError;

#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    #[error("unknown or missing ingest key (send it as ?key=)")]
    UnknownKey,
    #[error("origin {0:?} may not send with this key")]
    OriginNotAllowed(String),
    #[error("the Origin header must be one scheme://host[:port] in ASCII")]
    InvalidOrigin,
    #[error("too many beacons; retry after {} s", retry_after_secs(.0))]
    RateLimited(Duration),
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    BodyUnreadable(String),
    #[error(
        "this beacon would store {bytes} bytes, more than limits.max_stored_bytes ({budget}): \
         each event's row repeats the page URL and its app's attributes, so send fewer events \
         per beacon or fewer, shorter attributes"
    )]
    BeaconTooExpensive { bytes: usize, budget: usize },
    #[error("content type {0:?} is not accepted; send text/plain or application/json")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Invalid(#[from] ValidateError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} is not accepted here; beacons are POSTed")]
    MethodNotAllowed(String),
    #[error("the server is overloaded; retry later")]
    Overloaded(#[source] SpoolError),
    #[error("the server cannot write its log; retry later")]
    Unavailable(#[source] SpoolError),
}

impl From<SpoolError> for BeaconError {
    fn from(error: SpoolError) -> Self {
        match error {
            SpoolError::QueueFull | SpoolError::OverQuota => BeaconError::Overloaded(error),
            SpoolError::Closed | SpoolError::Io { .. } => BeaconError::Unavailable(error),
        }
    }
}

impl From<RecordError> for BeaconError {
    fn from(error: RecordError) -> Self {
        match error {
            RecordError::OverBudget { bytes, budget } => {
                BeaconError::BeaconTooExpensive { bytes, budget }
            }
            other => BeaconError::BodyUnreadable(other.to_string()),
        }
    }
}

impl Refuse for BeaconError {
    fn status(&self) -> StatusCode {
        match self {
            BeaconError::UnknownKey => StatusCode::UNAUTHORIZED,
            BeaconError::OriginNotAllowed(_) | BeaconError::InvalidOrigin => StatusCode::FORBIDDEN,
            BeaconError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            BeaconError::BodyTooLarge { .. }
            | BeaconError::BeaconTooExpensive { .. }
            | BeaconError::Decode(DecodeError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            BeaconError::BodyUnreadable(_)
            | BeaconError::Decode(_)
            | BeaconError::Invalid(_)
            | BeaconError::BadRequest(_) => StatusCode::BAD_REQUEST,
            BeaconError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BeaconError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            BeaconError::Overloaded(_) | BeaconError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    fn code(&self) -> &'static str {
        match self {
            BeaconError::UnknownKey => "unknown_key",
            BeaconError::OriginNotAllowed(_) => "origin_not_allowed",
            BeaconError::InvalidOrigin => "invalid_origin",
            BeaconError::RateLimited(_) => "rate_limited",
            BeaconError::BodyTooLarge { .. } => "body_too_large",
            BeaconError::BodyUnreadable(_) => "body_unreadable",
            BeaconError::BeaconTooExpensive { .. } => "beacon_too_expensive",
            BeaconError::UnsupportedMediaType(_) => "unsupported_media_type",
            BeaconError::Decode(DecodeError::TooLarge { .. }) => "decompressed_too_large",
            BeaconError::Decode(DecodeError::UnknownEncoding(_)) => "unknown_encoding",
            BeaconError::Decode(DecodeError::Corrupt { .. }) => "corrupt_encoding",
            BeaconError::Invalid(invalid) => invalid.code(),
            BeaconError::BadRequest(_) => "bad_request",
            BeaconError::MethodNotAllowed(_) => "method_not_allowed",
            BeaconError::Overloaded(SpoolError::OverQuota) => "spool_full",
            BeaconError::Overloaded(_) => "overloaded",
            BeaconError::Unavailable(_) => "unavailable",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            BeaconError::RateLimited(wait) => Some(*wait),
            BeaconError::Overloaded(_) | BeaconError::Unavailable(_) => {
                Some(RETRY_AFTER_UNAVAILABLE)
            }
            _ => None,
        }
    }
}

impl IntoResponse for BeaconError {
    fn into_response(self) -> Response {
        respond(self)
    }
}

/// How a beacon is refused, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documents responses; never built
pub enum BeaconErrors {
    /// Unreadable, undecodable or invalid: `body_unreadable`, `corrupt_encoding`,
    /// `unknown_encoding`, `malformed_json`, `invalid_beacon`, `invalid_field`,
    /// `too_deep`, `too_many_events`, `too_many_apps`, `invalid_beacon_id`, `unsupported_schema`,
    /// `bad_request` (`sent_at`), `invalid_query`.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Unknown or missing `?key=` (`unknown_key`).
    #[response(status = 401)]
    UnknownKey(ErrorBody),
    /// The Origin may not send with this key (`origin_not_allowed`, `invalid_origin`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// Another method than POST (`method_not_allowed`).
    #[response(status = 405)]
    MethodNotAllowed(ErrorBody),
    /// Too large, sent, decompressed or stored (`body_too_large`,
    /// `decompressed_too_large`, `beacon_too_expensive`).
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Neither text/plain nor application/json (`unsupported_media_type`).
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// Over a rate limit (`rate_limited`); see `Retry-After`.
    #[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    RateLimited(ErrorBody),
    /// The log is full or failing (`overloaded`, `spool_full`, `unavailable`); see `Retry-After`.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorBody),
}

/// Counts each refused beacon under its error code. A layer on the beacon
/// route rather than part of the error's response, so that every refusal of
/// a beacon is counted (its query string's too) and no other route's is.
pub async fn count_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if let Some(refusal) = response.extensions().get::<Refusal>() {
        metrics::counter!(BEACONS_REJECTED, "reason" => refusal.code).increment(1);
    }
    response
}
