//! `canopy-ingest sourcemaps upload`: posts every `*.map` of a build's
//! output directory to `POST /v1/sourcemaps`, each for the minified file it
//! is named after, relative to the directory.

use std::path::{Path, PathBuf};

use crate::config::UploadArgs;
use crate::tls::{Tls, TlsError};

/// Why an upload run stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("no *.map files under {0}")]
    NoMaps(PathBuf),
    #[error("{file}: the server refused it ({status} {code}): {message}")]
    Refused {
        file: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("cannot make an HTTP client: {0}")]
    Client(#[from] TlsError),
    #[error("{file}: cannot reach {server}: {message}")]
    Unreachable {
        file: String,
        server: String,
        message: String,
    },
}

/// The map files under `dir`, in path order, each with the minified file it
/// is for (its relative path without `.map`, `/`-separated).
pub fn maps_in(dir: &Path) -> Result<Vec<(PathBuf, String)>, UploadError> {
    let read_error = |path: &Path, message: String| UploadError::Read {
        path: path.to_owned(),
        message,
    };
    let mut maps = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|error| read_error(dir, error.to_string()))?;
        let path = entry.path();
        let Some(file) = path
            .strip_prefix(dir)
            .ok()
            .and_then(|relative| relative.to_str())
            .and_then(|relative| relative.strip_suffix(".map"))
        else {
            continue;
        };
        if entry.file_type().is_file() {
            let segments: Vec<&str> = file.split(std::path::MAIN_SEPARATOR).collect();
            maps.push((path.to_owned(), segments.join("/")));
        }
    }
    if maps.is_empty() {
        return Err(UploadError::NoMaps(dir.to_owned()));
    }
    Ok(maps)
}

/// Uploads every map under `args.dir`, printing a line per file through
/// `say`; stops at the first refusal. Returns the files and bytes uploaded.
pub async fn upload(
    args: &UploadArgs,
    mut say: impl FnMut(&str),
) -> Result<(usize, u64), UploadError> {
    // HTTPS servers verified against Mozilla's roots, as the server's own clients.
    let http = Tls::load(None).and_then(|tls| Ok(tls.http().build()?))?;
    let endpoint = format!("{}/v1/sourcemaps", args.server.trim_end_matches('/'));
    let (mut files, mut bytes) = (0, 0);
    for (path, file) in maps_in(&args.dir)? {
        let body = std::fs::read(&path).map_err(|error| UploadError::Read {
            path: path.clone(),
            message: error.to_string(),
        })?;
        let size = body.len() as u64;
        let unreachable = |message: String| UploadError::Unreachable {
            file: file.clone(),
            server: args.server.clone(),
            message,
        };
        let response = http
            .post(&endpoint)
            .query(&[
                ("app", &args.app),
                ("version", &args.app_version),
                ("file", &file),
            ])
            .bearer_auth(&args.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| unreachable(crate::tls::describe_request_error(error)))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            let (code, message) = match serde_json::from_str::<RefusalBody>(&text) {
                Ok(body) => (body.error, body.message),
                Err(_) => (String::new(), text),
            };
            return Err(UploadError::Refused {
                file,
                status: status.as_u16(),
                code,
                message,
            });
        }
        say(&format!("uploaded {file} ({size} bytes)"));
        files += 1;
        bytes += size;
    }
    Ok((files, bytes))
}

/// The server's error body (`crate::error::ErrorBody`), as read back.
#[derive(serde::Deserialize)]
struct RefusalBody {
    error: String,
    message: String,
}
