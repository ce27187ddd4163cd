//! `POST /v1/sourcemaps?app=&version=&file=`: one source map, uploaded by a
//! build (`canopy-ingest sourcemaps upload`). The map is checked and parsed
//! before anything is stored; a re-upload of the same file replaces it.

mod error;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::UploadAccess;
use crate::clock::{now_millis, time_from_millis};
use crate::extract::Query;
use crate::store::sourcemaps::SourcemapRow;
use crate::symbolicate;
use crate::AppState;
pub use error::UploadError;

/// Longest uploaded file path.
const MAX_FILE_BYTES: usize = 1024;

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(
            state.settings.sourcemaps.max_map_bytes,
        ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadParams {
    /// The app, as it registers (`registerApp({ name })`).
    app: String,
    /// The app version the map belongs to, as it registers (1 to 64 characters).
    version: String,
    /// The minified file's path relative to the build's output directory
    /// (`assets/cart.3f2a.js`), matched against the end of stack frames' URLs.
    file: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    pub app: String,
    pub version: String,
    pub file: String,
    pub bytes: u64,
    /// Whether a map of this file was there before (and is now replaced).
    pub replaced: bool,
}

/// Stores one source map (JSON, revision 3; an index map with its sections
/// inline is accepted) for an app version's minified file.
#[utoipa::path(post, path = "/v1/sourcemaps", tag = "sourcemaps", params(UploadParams),
    request_body(content = Object, content_type = "application/json",
        description = "A source map (revision 3)"),
    security(("upload_token" = [])),
    responses((status = CREATED, body = Uploaded), error::UploadErrors))]
async fn upload(
    State(state): State<AppState>,
    _: UploadAccess,
    Query(params): Query<UploadParams>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Uploaded>), UploadError> {
    let limits = &state.settings.sourcemaps;
    canopy_wire::limits::check_app_name(&params.app).map_err(UploadError::BadRequest)?;
    check_version(&params.version)?;
    check_file(&params.file)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => UploadError::TooLarge {
            limit: limits.max_map_bytes,
        },
        _ => UploadError::BodyUnreadable(rejection.body_text()),
    })?;
    let checked = body.clone();
    tokio::task::spawn_blocking(move || symbolicate::parse(&checked).map(drop))
        .await
        .map_err(|error| UploadError::BodyUnreadable(error.to_string()))??;
    let map = std::str::from_utf8(&body)
        .map_err(|error| UploadError::BodyUnreadable(error.to_string()))?;

    let (app, version, file) = (&params.app, &params.version, &params.file);
    let counts = state.store.upload_counts(app, version, file).await?;
    if !counts.has_version && counts.versions >= u64::from(limits.max_versions_per_app) {
        return Err(UploadError::TooManyVersions {
            limit: limits.max_versions_per_app,
        });
    }
    if !counts.has_file && counts.files >= u64::from(limits.max_files_per_version) {
        return Err(UploadError::TooManyFiles {
            limit: limits.max_files_per_version,
        });
    }
    let bytes = body.len() as u64;
    let uploaded_at = time_from_millis(now_millis());
    state
        .store
        .insert_sourcemap(&SourcemapRow {
            app,
            version,
            file,
            map,
            bytes,
            uploaded_at,
        })
        .await?;
    tracing::info!(%app, %version, %file, bytes, "source map uploaded");
    Ok((
        StatusCode::CREATED,
        Json(Uploaded {
            replaced: counts.has_file,
            app: params.app,
            version: params.version,
            file: params.file,
            bytes,
        }),
    ))
}

fn bad(message: String) -> UploadError {
    UploadError::BadRequest(message)
}

/// Versions are free text to the agent, cut to 64 bytes when stored.
fn check_version(version: &str) -> Result<(), UploadError> {
    let max = canopy_wire::limits::MAX_APP_NAME_BYTES;
    if version.is_empty() || version.len() > max || version.chars().any(char::is_control) {
        return Err(bad(format!(
            "version must be 1 to {max} bytes without control characters, got {version:?}"
        )));
    }
    Ok(())
}

/// A relative path of plain segments, naming the minified file.
fn check_file(file: &str) -> Result<(), UploadError> {
    let problem = if file.is_empty() || file.len() > MAX_FILE_BYTES {
        Some(format!("must be 1 to {MAX_FILE_BYTES} bytes"))
    } else if file.chars().any(|c| c.is_control() || c == '\\') {
        Some("may hold no control characters or backslashes".to_owned())
    } else if file
        .split('/')
        .any(|segment| matches!(segment, "" | "." | ".."))
    {
        Some("must be a relative path (no leading '/', empty, '.' or '..' segments)".to_owned())
    } else if file.ends_with(".map") {
        Some("names the minified file the map is for (without .map)".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(bad(format!("file {problem}, got {file:?}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_relative_paths_of_minified_files() {
        assert!(check_file("assets/cart.3f2a.js").is_ok());
        assert!(check_file("cart.js").is_ok());
        for bad in [
            "",
            "/assets/cart.js",
            "assets//cart.js",
            "../cart.js",
            "a/./b.js",
            "cart.js.map",
            "a\\b.js",
        ] {
            assert!(check_file(bad).is_err(), "{bad:?}");
        }
        assert!(check_version("1.4.1").is_ok());
        assert!(check_version("").is_err());
        assert!(check_version(&"9".repeat(65)).is_err());
        assert!(check_version("1.0\n").is_err());
    }
}
