//! The OpenAPI 3.1 document of the whole HTTP surface, served at
//! `GET /openapi.json`. Routes are registered with utoipa-axum's
//! `OpenApiRouter`, so the document is made from the same handlers, types
//! and paths the router serves; what is here is what no handler says: the
//! title, the security schemes, and the error answers shared by many routes.

use axum::http::Method;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr, Schema};
use utoipa::{IntoResponses, Modify, OpenApi};

use super::ApiError;
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Canopy ingest server",
        description = "Beacons in; health, metrics, alerts and dashboard data out. Every error \
            answer is the JSON body `ErrorBody` with a stable `error` code; an unknown path is a \
            404 `not_found`, a known path with another method a 405 `method_not_allowed`. The \
            dashboard page and its static files (`/dashboard/…`) are a web page, not API, and \
            are left out."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody)),
    tags(
        (name = "beacons", description = "What the agent sends"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
        (name = "alerts", description = "Apps, their metrics, alerts and rules"),
        (name = "dashboard", description = "What the built-in dashboard reads"),
        (name = "sourcemaps", description = "Source maps uploaded by builds, for symbolication"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "read_token",
            bearer("`alerting.read_token`; reads are open while it is empty"),
        );
        components.add_security_scheme(
            "admin_token",
            bearer("`alerting.admin_token`: changes alerts, and reads too; changes are refused (403) while it is empty"),
        );
        components.add_security_scheme(
            "upload_token",
            bearer("`sourcemaps.upload_token`: uploads source maps; refused (403) while unset"),
        );
        components.add_security_scheme(
            "ingest_key",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "key",
                "A project's ingest key (`projects[].key`)",
            ))),
        );
    }
}

/// Finishes the document once the routes have added their schemas.
///
/// `Rule` refuses unknown fields when read from configuration, so its schema
/// says `additionalProperties: false`; but an answer's `RuleInForce` is a
/// rule with `source` added (`allOf`), which that would refuse. Answers never
/// carry unknown fields anyway: the restriction is lifted.
pub fn finish(document: &mut Document) {
    let rule = document
        .components
        .as_mut()
        .and_then(|components| components.schemas.get_mut("Rule"));
    if let Some(RefOr::T(Schema::Object(rule))) = rule {
        rule.additional_properties = None;
    }
}

/// Errors of a read from the API or dashboard.
#[derive(IntoResponses)]
#[allow(dead_code)] // documents responses; never built
pub enum ReadErrors {
    /// A malformed parameter (`bad_request`, `invalid_query`).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// A read token is set and the request lacks it (`unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// ClickHouse cannot answer (`storage_unavailable`); see `Retry-After`.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorBody),
}

/// Errors of a read of one app: those of [`ReadErrors`], and its absence.
#[derive(IntoResponses)]
#[allow(dead_code)] // documents responses; never built
pub enum AppReadErrors {
    /// A malformed parameter or app name (`bad_request`, `invalid_query`).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// A read token is set and the request lacks it (`unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// No data for this app (`not_found`; only where the route says so).
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// ClickHouse cannot answer (`storage_unavailable`); see `Retry-After`.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorBody),
}

/// Errors of a change to an alert or a silence.
#[derive(IntoResponses)]
#[allow(dead_code)] // documents responses; never built
pub enum AdminErrors {
    /// A malformed id (`bad_request`).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Missing or wrong admin token (`unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Changes are disabled: `alerting.admin_token` is empty (`forbidden`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No alert (or silence) with this id (`not_found`).
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The alert is already resolved, or the silence expired (`conflict`).
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// ClickHouse cannot answer (`storage_unavailable`); see `Retry-After`.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorBody),
}

/// The answer to a path no route has.
pub async fn no_route() -> ApiError {
    ApiError::NotFound("no such endpoint; see /openapi.json")
}

/// The answer to a known path asked with a method it does not take.
pub async fn wrong_method(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}
