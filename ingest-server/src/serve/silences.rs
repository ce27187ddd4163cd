//! Silences over the API: create and expire with the admin token, list with
//! the read token (the model and its rules: [`crate::model::silence`]).

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, IntoResponses, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{AdminAccess, ReadAccess};
use super::openapi::{AdminErrors, ReadErrors};
use super::ApiError;
use crate::clock::now_millis;
use crate::error::ErrorBody;
use crate::extract::{Path, Query};
use crate::model::silence::{NewSilence, Silence, SilenceState};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_silence, list_silences))
        .routes(routes!(expire_silence))
}

/// A silence and its state now.
#[derive(Debug, Serialize, ToSchema)]
struct SilenceView {
    #[serde(flatten)]
    silence: Silence,
    state: SilenceState,
}

impl SilenceView {
    fn at(silence: Silence, now: i64) -> Self {
        let state = silence.state(now);
        Self { silence, state }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct Silences {
    /// Newest start first, at most 1000.
    silences: Vec<SilenceView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SilenceFilter {
    /// Only silences in this state now.
    state: Option<SilenceState>,
}

/// Errors of creating a silence.
#[derive(IntoResponses)]
#[allow(dead_code)] // documents responses; never built
enum CreateErrors {
    /// The silence is not valid: no or bad matchers, too many, a bad time,
    /// no author, too long a comment (`bad_request`, the message says which).
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Missing or wrong admin token (`unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Changes are disabled: `alerting.admin_token` is empty (`forbidden`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// ClickHouse cannot answer (`storage_unavailable`); see `Retry-After`.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorBody),
}

/// Creates a silence: from `starts_at` (now if left out) to `ends_at` or for
/// `duration`, alerts matching every matcher are shown as silenced and not
/// notified. Takes effect at the evaluator's next tick.
#[utoipa::path(post, path = "/api/silences", tag = "alerts",
    request_body = NewSilence,
    security(("admin_token" = [])),
    responses((status = CREATED, description = "The silence as stored, with its id", body = SilenceView), CreateErrors))]
async fn create_silence(
    State(state): State<AppState>,
    _: AdminAccess,
    body: Result<Json<NewSilence>, JsonRejection>,
) -> Result<(StatusCode, Json<SilenceView>), ApiError> {
    let Json(asked) = body.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let now = now_millis();
    let silence = asked
        .check(uuid::Uuid::new_v4().to_string(), now)
        .map_err(ApiError::BadRequest)?;
    state.store.save_silence(&silence).await?;
    tracing::info!(id = %silence.id, created_by = %silence.created_by, "silence created");
    Ok((StatusCode::CREATED, Json(SilenceView::at(silence, now))))
}

/// The silences, newest start first; with `state`, only those in it.
#[utoipa::path(get, path = "/api/silences", tag = "alerts", params(SilenceFilter),
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = Silences), ReadErrors))]
async fn list_silences(
    State(state): State<AppState>,
    _: ReadAccess,
    Query(filter): Query<SilenceFilter>,
) -> Result<Json<Silences>, ApiError> {
    let now = now_millis();
    // Pending and active ones end after now: ClickHouse leaves the rest out.
    let ending_after = filter.state.filter(|s| *s != SilenceState::Expired);
    let stored = state.store.silences(ending_after.map(|_| now)).await?;
    let silences = stored
        .into_iter()
        .map(|silence| SilenceView::at(silence, now))
        .filter(|view| filter.state.is_none_or(|s| s == view.state))
        .collect();
    Ok(Json(Silences { silences }))
}

/// Expires a silence now, as Alertmanager does: its end becomes now and
/// the record stays (listed as expired). Alerts it muted are notified again
/// from the evaluator's next tick.
#[utoipa::path(delete, path = "/api/silences/{id}", tag = "alerts",
    params(("id" = String, Path, description = "Silence id (a UUID)")),
    security(("admin_token" = [])),
    responses((status = OK, description = "The silence as expired", body = SilenceView), AdminErrors))]
async fn expire_silence(
    State(state): State<AppState>,
    _: AdminAccess,
    Path(id): Path<String>,
) -> Result<Json<SilenceView>, ApiError> {
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| ApiError::BadRequest(format!("{id:?} is not a silence id (a UUID)")))?
        .to_string();
    let mut silence = state
        .store
        .silence(&id)
        .await?
        .ok_or(ApiError::NotFound("no silence with this id"))?;
    let now = now_millis();
    if !silence.expire(now) {
        return Err(ApiError::Conflict("the silence has already expired"));
    }
    state.store.save_silence(&silence).await?;
    tracing::info!(id = %silence.id, "silence expired");
    Ok(Json(SilenceView::at(silence, now)))
}
