//! Who may read and change through the API, as extractors: a handler that
//! takes [`ReadAccess`] or [`AdminAccess`] runs only for a request allowed to.
//!
//! - reads are open while `alerting.read_token` is empty; otherwise they
//!   need `Authorization: Bearer` with the read token or the admin token;
//! - changes are refused (403 `forbidden`) while `alerting.admin_token` is
//!   empty; otherwise they need the admin token (401 `unauthorized`).
//!
//! - source map uploads ([`UploadAccess`]) need `sourcemaps.upload_token`,
//!   and are refused (403) while it is unset.
//!
//! Tokens are compared in constant time, so timing tells nothing of them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use subtle::ConstantTimeEq;

use super::sourcemaps::UploadError;
use super::ApiError;
use crate::AppState;

/// The request may read: the read token, the admin token, or no read token set.
pub struct ReadAccess;

/// The request may change alerts: it carries the admin token.
pub struct AdminAccess;

/// The request may upload source maps: it carries `sourcemaps.upload_token`
/// (uploads are refused, 403, while it is unset).
pub struct UploadAccess;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Whether `sent` is `token`; an empty `token` is never matched.
fn matches(sent: &str, token: &str) -> bool {
    !token.is_empty() && bool::from(sent.as_bytes().ct_eq(token.as_bytes()))
}

impl FromRequestParts<AppState> for ReadAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let alerting = &state.settings.alerting;
        if alerting.read_token.is_empty() {
            return Ok(Self);
        }
        match bearer(&parts.headers) {
            Some(sent)
                if matches(sent, &alerting.read_token) || matches(sent, &alerting.admin_token) =>
            {
                Ok(Self)
            }
            _ => Err(ApiError::Unauthorized),
        }
    }
}

impl FromRequestParts<AppState> for AdminAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let admin = &state.settings.alerting.admin_token;
        if admin.is_empty() {
            return Err(ApiError::Forbidden(
                "alert changes are disabled: set alerting.admin_token",
            ));
        }
        match bearer(&parts.headers) {
            Some(sent) if matches(sent, admin) => Ok(Self),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

impl FromRequestParts<AppState> for UploadAccess {
    type Rejection = UploadError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UploadError> {
        let Some(token) = &state.settings.sourcemaps.upload_token else {
            return Err(UploadError::Disabled);
        };
        match bearer(&parts.headers) {
            Some(sent) if matches(sent, token.expose()) => Ok(Self),
            _ => Err(UploadError::Unauthorized),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_exactly_and_never_when_unset() {
        assert!(matches("s3cret", "s3cret"));
        assert!(!matches("s3cre", "s3cret"));
        assert!(!matches("s3cret!", "s3cret"));
        assert!(!matches("", ""));
    }
}
