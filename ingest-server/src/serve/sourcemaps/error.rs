//! Why a source map upload is refused. Nothing is stored on any refusal.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{respond, ErrorBody, Refuse, RETRY_AFTER_UNAVAILABLE};
use crate::extract::InputRejection;
use crate::store::StoreError;
use crate::symbolicate::MapError;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("missing or wrong bearer token (sourcemaps.upload_token)")]
    Unauthorized,
    #[error("source map uploads are disabled: set sourcemaps.upload_token")]
    Disabled,
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Input(#[from] InputRejection),
    #[error("could not read the request body: {0}")]
    BodyUnreadable(String),
    #[error("the map is larger than sourcemaps.max_map_bytes ({limit} bytes)")]
    TooLarge { limit: usize },
    #[error(transparent)]
    InvalidMap(#[from] MapError),
    #[error(
        "this version already has maps for {limit} files (sourcemaps.max_files_per_version); \
         re-uploading one of them replaces it"
    )]
    TooManyFiles { limit: u32 },
    #[error(
        "this app already has maps for {limit} versions (sourcemaps.max_versions_per_app); \
         raise it, or delete old versions' rows from the sourcemaps table"
    )]
    TooManyVersions { limit: u32 },
    #[error("ClickHouse cannot answer; retry later")]
    Store(#[from] StoreError),
}

impl Refuse for UploadError {
    fn status(&self) -> StatusCode {
        match self {
            UploadError::Unauthorized => StatusCode::UNAUTHORIZED,
            UploadError::Disabled => StatusCode::FORBIDDEN,
            UploadError::BadRequest(_)
            | UploadError::BodyUnreadable(_)
            | UploadError::InvalidMap(_) => StatusCode::BAD_REQUEST,
            UploadError::Input(rejection) => rejection.status(),
            UploadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::TooManyFiles { .. } | UploadError::TooManyVersions { .. } => {
                StatusCode::CONFLICT
            }
            UploadError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            UploadError::Unauthorized => "unauthorized",
            UploadError::Disabled => "forbidden",
            UploadError::BadRequest(_) => "bad_request",
            UploadError::Input(rejection) => rejection.code(),
            UploadError::BodyUnreadable(_) => "body_unreadable",
            UploadError::TooLarge { .. } => "map_too_large",
            UploadError::InvalidMap(_) => "invalid_map",
            UploadError::TooManyFiles { .. } => "too_many_files",
            UploadError::TooManyVersions { .. } => "too_many_versions",
            UploadError::Store(_) => "storage_unavailable",
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        matches!(self, UploadError::Store(_)).then_some(RETRY_AFTER_UNAVAILABLE)
    }
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        respond(self)
    }
}

/// How an upload is refused, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documents responses; never built
pub enum UploadErrors {
    /// A bad `app`, `version` or `file` (`bad_request`, `invalid_query`), a
    /// body that is not a usable source map (`invalid_map`), or unreadable
    /// (`body_unreadable`).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Missing or wrong upload token (`unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Uploads are disabled: `sourcemaps.upload_token` is unset (`forbidden`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// A count limit is reached (`too_many_files`, `too_many_versions`).
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// Larger than `sourcemaps.max_map_bytes` (`map_too_large`).
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// ClickHouse cannot answer (`storage_unavailable`); see `Retry-After`.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorBody),
}
