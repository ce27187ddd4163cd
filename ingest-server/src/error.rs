//! What every refusal looks like on the wire, written once: the JSON body
//! `{ "error": code, "message": text }`, its status and `Retry-After`.
//!
//! Each endpoint family has its own error type ([`crate::receive::BeaconError`]
//! for beacons, [`crate::serve::ApiError`] for the API and dashboard, and the
//! extractors' [`crate::extract::InputRejection`]); each says its status, code
//! and wait through [`Refuse`], and [`respond`] makes the response. Turning an
//! error into a response does nothing else: the response carries a
//! [`Refusal`] extension for the layers that count and log refusals.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// How long overloaded or unavailable storage asks clients to wait.
pub const RETRY_AFTER_UNAVAILABLE: Duration = Duration::from_secs(5);

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A short, stable code to match on (e.g. `unknown_key`, `unauthorized`).
    pub error: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

/// An error that is answered with [`ErrorBody`].
pub trait Refuse: std::error::Error + Send + Sync + Sized + 'static {
    fn status(&self) -> StatusCode;
    /// A short, stable name clients and metrics can match on.
    fn code(&self) -> &'static str;
    /// How long the client should wait before retrying, if it should.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

/// The refused request's error, on its response for the layers after the
/// handler (the beacon route counts rejections by code; server faults are
/// logged with their cause). Never sent.
#[derive(Clone)]
pub struct Refusal {
    pub code: &'static str,
    pub error: Arc<dyn std::error::Error + Send + Sync>,
}

/// Whole seconds, rounded up.
pub fn retry_after_secs(wait: &Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The response for `error`: its status, the JSON body, `Retry-After` when it
/// has a wait (at least 1 s), and the [`Refusal`] extension.
pub fn respond<E: Refuse>(error: E) -> Response {
    let code = error.code();
    let body = Json(ErrorBody {
        error: code,
        message: error.to_string(),
    });
    let mut response = (error.status(), body).into_response();
    if let Some(wait) = error.retry_after() {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after_secs(&wait).max(1)),
        );
    }
    response.extensions_mut().insert(Refusal {
        code,
        error: Arc::new(error),
    });
    response
}

/// Logs refusals that are the server's fault (5xx) with their cause, which
/// the client is not told. A layer over the whole router.
pub async fn log_server_faults(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if response.status().is_server_error() {
        if let Some(refusal) = response.extensions().get::<Refusal>() {
            let error = crate::tls::describe(refusal.error.as_ref());
            tracing::warn!(%path, code = refusal.code, %error, "request refused");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("slow down")]
    struct Busy(Duration);

    impl Refuse for Busy {
        fn status(&self) -> StatusCode {
            StatusCode::TOO_MANY_REQUESTS
        }
        fn code(&self) -> &'static str {
            "busy"
        }
        fn retry_after(&self) -> Option<Duration> {
            Some(self.0)
        }
    }

    #[test]
    fn waits_round_up_to_whole_seconds_of_at_least_one() {
        let retry_after = |wait| respond(Busy(wait)).headers()[header::RETRY_AFTER].clone();
        assert_eq!(retry_after(Duration::from_millis(1500)), "2");
        assert_eq!(retry_after(Duration::ZERO), "1");
        let response = respond(Busy(Duration::from_secs(3)));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.extensions().get::<Refusal>().unwrap().code, "busy");
    }
}
