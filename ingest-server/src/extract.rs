//! axum's `Query` and `Path` extractors, refusing with the JSON error body
//! every other refusal has (axum's own answer is plain text), for beacons
//! and the API alike.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::{respond, Refuse};

/// A query string or path parameter that does not deserialize.
#[derive(Debug, thiserror::Error)]
pub enum InputRejection {
    #[error("bad query string: {0}")]
    InvalidQuery(String),
    #[error("{0}")]
    InvalidPath(String),
}

impl Refuse for InputRejection {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn code(&self) -> &'static str {
        match self {
            InputRejection::InvalidQuery(_) => "invalid_query",
            InputRejection::InvalidPath(_) => "bad_request",
        }
    }
}

impl IntoResponse for InputRejection {
    fn into_response(self) -> Response {
        respond(self)
    }
}

/// The query string, deserialized; a repeated or mistyped parameter is a 400
/// `invalid_query`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = InputRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, InputRejection> {
        let axum::extract::Query(value) = axum::extract::Query::from_request_parts(parts, state)
            .await
            .map_err(|rejection| InputRejection::InvalidQuery(rejection.body_text()))?;
        Ok(Self(value))
    }
}

/// The path parameters, deserialized; a bad one is a 400 `bad_request`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = InputRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, InputRejection> {
        let axum::extract::Path(value) = axum::extract::Path::from_request_parts(parts, state)
            .await
            .map_err(|rejection| InputRejection::InvalidPath(rejection.body_text()))?;
        Ok(Self(value))
    }
}
