//! Errors a request can end in, and the JSON responses they become.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::store::StoreError;
use crate::validate::ValidateError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    BodyUnreadable(String),
    #[error("content type {0:?} is not accepted; send text/plain or application/json")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Invalid(#[from] ValidateError),
    #[error("storage is unavailable, retry later")]
    Store(#[from] StoreError),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyUnreadable(_) | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short, stable name clients and metrics can match on.
    fn code(&self) -> &'static str {
        match self {
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::BodyUnreadable(_) => "body_unreadable",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Invalid(invalid) => invalid.code(),
            ApiError::Store(_) => "storage_unavailable",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Store(cause) = &self {
            tracing::error!(error = %cause, "beacon not stored");
        }
        let body = Json(json!({ "error": self.code(), "message": self.to_string() }));
        match status {
            StatusCode::SERVICE_UNAVAILABLE => (status, [(header::RETRY_AFTER, "5")], body).into_response(),
            _ => (status, body).into_response(),
        }
    }
}
