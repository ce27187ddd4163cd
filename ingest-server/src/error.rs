//! Errors a request can end in, and the JSON responses they become.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::metrics::BEACONS_REJECTED;
use crate::receive::decode::DecodeError;
use crate::record::RecordError;
use crate::spool::SpoolError;
use crate::store::StoreError;
use crate::validate::ValidateError;

/// How long overloaded or unavailable storage asks clients to wait.
const RETRY_AFTER_UNAVAILABLE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
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
    #[error("the server is overloaded; retry later")]
    Overloaded(#[source] SpoolError),
    #[error("the server cannot write its log; retry later")]
    Unavailable(#[source] SpoolError),
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("bad query string: {0}")]
    InvalidQuery(String),
    #[error("ClickHouse cannot answer; retry later")]
    Store(#[from] StoreError),
}

impl From<SpoolError> for ApiError {
    fn from(error: SpoolError) -> Self {
        match error {
            SpoolError::QueueFull | SpoolError::OverQuota => ApiError::Overloaded(error),
            SpoolError::Closed | SpoolError::Io { .. } => ApiError::Unavailable(error),
        }
    }
}

impl From<RecordError> for ApiError {
    fn from(error: RecordError) -> Self {
        match error {
            RecordError::OverBudget { bytes, budget } => {
                ApiError::BeaconTooExpensive { bytes, budget }
            }
            other => ApiError::BodyUnreadable(other.to_string()),
        }
    }
}

fn retry_after_secs(wait: &Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::UnknownKey => StatusCode::UNAUTHORIZED,
            ApiError::OriginNotAllowed(_) | ApiError::InvalidOrigin => StatusCode::FORBIDDEN,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BodyTooLarge { .. }
            | ApiError::BeaconTooExpensive { .. }
            | ApiError::Decode(DecodeError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyUnreadable(_) | ApiError::Decode(_) | ApiError::Invalid(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Overloaded(_) | ApiError::Unavailable(_) | ApiError::Store(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) | ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// A short, stable name clients and metrics can match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::UnknownKey => "unknown_key",
            ApiError::OriginNotAllowed(_) => "origin_not_allowed",
            ApiError::InvalidOrigin => "invalid_origin",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::BodyUnreadable(_) => "body_unreadable",
            ApiError::BeaconTooExpensive { .. } => "beacon_too_expensive",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Decode(DecodeError::TooLarge { .. }) => "decompressed_too_large",
            ApiError::Decode(DecodeError::UnknownEncoding(_)) => "unknown_encoding",
            ApiError::Decode(DecodeError::Corrupt { .. }) => "corrupt_encoding",
            ApiError::Invalid(invalid) => invalid.code(),
            ApiError::Overloaded(SpoolError::OverQuota) => "spool_full",
            ApiError::Overloaded(_) => "overloaded",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::Store(_) => "storage_unavailable",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited(wait) => Some(*wait),
            ApiError::Overloaded(_) | ApiError::Unavailable(_) | ApiError::Store(_) => {
                Some(RETRY_AFTER_UNAVAILABLE)
            }
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        metrics::counter!(BEACONS_REJECTED, "reason" => self.code()).increment(1);
        match &self {
            ApiError::Unavailable(cause) | ApiError::Overloaded(cause) => {
                tracing::warn!(error = %cause, "beacon refused")
            }
            ApiError::Store(cause) => tracing::warn!(error = %cause, "API request failed"),
            _ => {}
        }
        let body = Json(json!({ "error": self.code(), "message": self.to_string() }));
        let mut response = (self.status(), body).into_response();
        if let Some(wait) = self.retry_after() {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(&wait).max(1)),
            );
        }
        response
    }
}
