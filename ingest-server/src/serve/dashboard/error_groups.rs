//! Error groups on resolved frames: the list (`…/errors`) and one group
//! (`…/errors/{fingerprint}`). Each version's minified groups are read from
//! `rollup_error_groups_minute`, their top frames resolved through that
//! version's maps, and parts whose message and resolved top frame agree are
//! one group (two builds of the same code); a part nothing resolves keeps its
//! minified fingerprint. Figures are then read again, merged by group.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::answers::Errors;
use super::range::{bucket, range, AppRange, RangeParams};
use super::{scope, LIST_LIMIT};
use crate::extract::{Path, Query};
use crate::serve::openapi::AppReadErrors;
use crate::serve::{ApiError, ReadAccess};
use crate::store::dashboard::{ErrorGroup, Range};
use crate::store::error_groups::{part_key, GroupDimension, GroupPart, Sample};
use crate::symbolicate::{resolved_fingerprint, FrameAt, Resolved, VersionMaps};
use crate::AppState;

/// A group of the list, with its top frame resolved when a map covers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorGroupEntry {
    #[serde(flatten)]
    pub group: ErrorGroup,
    /// The top frame's original position (no context here; see the group).
    pub resolved_top_frame: Option<Resolved>,
}

/// One frame of the newest sample's stack, top first.
#[derive(Debug, Serialize, ToSchema)]
pub struct StackFrame {
    pub function: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Null when no map of the sample's version covers it.
    pub resolved: Option<Resolved>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeCount {
    /// Bucket start, Unix seconds.
    pub at: u32,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionCount {
    pub version: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrowserCount {
    pub browser: String,
    pub count: u64,
}

/// One error group over the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorGroupDetail {
    pub fingerprint: String,
    pub app: String,
    pub message: String,
    /// Of the newest sample still kept (empty without one).
    pub error_type: String,
    pub source: String,
    /// Epoch milliseconds.
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: u64,
    pub views: u64,
    pub sessions: u64,
    /// The newest sample's parsed stack (the group's top frame only when no
    /// raw sample is kept any more, or it has no parsed frames).
    pub frames: Vec<StackFrame>,
    /// Seconds per `over_time` bucket.
    pub bucket: u32,
    pub over_time: Vec<TimeCount>,
    /// Most occurrences first.
    pub by_version: Vec<VersionCount>,
    pub by_browser: Vec<BrowserCount>,
}

/// A version's minified group, and what its top frame resolved to.
struct Part {
    key: String,
    group: String,
    version: String,
    top_frame: String,
    resolved: Option<Resolved>,
}

/// The maps of each version named, one query each.
async fn maps_of<'a>(
    state: &AppState,
    app: &str,
    versions: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, VersionMaps>, ApiError> {
    let mut maps = HashMap::new();
    for version in versions {
        if !maps.contains_key(version) {
            let found = state.symbols.version(app, version).await?;
            maps.insert(version.to_owned(), found);
        }
    }
    Ok(maps)
}

/// Each part's group: its resolved id when its top frame resolves.
async fn resolve_parts(
    state: &AppState,
    app: &str,
    parts: Vec<GroupPart>,
) -> Result<Vec<Part>, ApiError> {
    let maps = maps_of(state, app, parts.iter().map(|p| p.app_version.as_str())).await?;
    let mut named = Vec::with_capacity(parts.len());
    for part in parts {
        let version_maps = &maps[&part.app_version];
        let resolved = match FrameAt::parse(&part.top_frame) {
            Some(frame) if !version_maps.is_empty() => {
                state.symbols.resolve(version_maps, &frame).await?
            }
            _ => None,
        };
        let group = resolved.as_ref().map_or_else(
            || part.fingerprint.clone(),
            |top| resolved_fingerprint(&part.message, top),
        );
        named.push(Part {
            key: part_key(&part.fingerprint, &part.app_version),
            group,
            version: part.app_version,
            top_frame: part.top_frame,
            resolved,
        });
    }
    Ok(named)
}

async fn parts_in(state: &AppState, app: &str, range: Range) -> Result<Vec<Part>, ApiError> {
    let parts = state.store.group_parts(app, range).await?;
    resolve_parts(state, app, parts).await
}

/// One app's errors grouped on resolved frames (message + top frame), most
/// frequent first; `fingerprint` is the group's id.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/errors", tag = "dashboard",
    params(AppRange),
    security(("read_token" = []), ("admin_token" = []), ()), responses((status = OK, body = Errors), AppReadErrors))]
pub(super) async fn errors(
    State(state): State<AppState>,
    AppRange { app, range, .. }: AppRange,
) -> Result<Json<Errors>, ApiError> {
    let parts = parts_in(&state, &app, range).await?;
    let renamed: (Vec<String>, Vec<String>) = parts
        .iter()
        .filter(|part| part.resolved.is_some())
        .map(|part| (part.key.clone(), part.group.clone()))
        .unzip();
    let mut tops: BTreeMap<String, Resolved> = BTreeMap::new();
    for part in parts {
        if let Some(resolved) = part.resolved {
            tops.entry(part.group).or_insert(Resolved {
                context: None,
                ..resolved
            });
        }
    }
    let groups = state
        .store
        .merged_groups(&app, range, renamed, LIST_LIMIT)
        .await?;
    let errors = groups
        .into_iter()
        .map(|group| ErrorGroupEntry {
            resolved_top_frame: tops.get(&group.fingerprint).cloned(),
            group,
        })
        .collect();
    Ok(Json(Errors {
        scope: scope(app, range),
        errors,
    }))
}

/// One error group: its resolved stack with source context (from the newest
/// raw sample), occurrences over time, by version and by browser, views,
/// sessions, first and last seen.
#[utoipa::path(get, path = "/api/dashboard/apps/{app}/errors/{fingerprint}", tag = "dashboard",
    params(("app" = String, Path, description = "App name"),
        ("fingerprint" = String, Path, description = "The group's id, as the error list gives it"),
        RangeParams),
    security(("read_token" = []), ("admin_token" = []), ()),
    responses((status = OK, body = ErrorGroupDetail), AppReadErrors))]
pub(super) async fn error_group(
    State(state): State<AppState>,
    _: ReadAccess,
    Path((app, fingerprint)): Path<(String, String)>,
    Query(params): Query<RangeParams>,
) -> Result<Json<ErrorGroupDetail>, ApiError> {
    canopy_wire::limits::check_app_name(&app).map_err(ApiError::BadRequest)?;
    let range = range(&params)?;
    let bucket = bucket(&params, range)?;
    let parts: Vec<Part> = parts_in(&state, &app, range)
        .await?
        .into_iter()
        .filter(|part| part.group == fingerprint)
        .collect();
    let Some(first) = parts.first() else {
        return Err(ApiError::NotFound(
            "no error group with this fingerprint in this range",
        ));
    };
    let keys: Vec<String> = parts.iter().map(|part| part.key.clone()).collect();
    let store = &state.store;
    let totals = store.group_totals(&app, range, &keys).await?;
    let sample = store.group_sample(&app, range, &keys).await?;
    let frames = match &sample {
        Some(sample) if !sample.files.is_empty() => sample_frames(&state, &app, sample).await?,
        _ => top_frame_only(&state, &app, first).await?,
    };
    let (error_type, source) = sample.map(|s| (s.error_type, s.source)).unwrap_or_default();
    let over_time = store.group_series(&app, range, &keys, bucket).await?;
    let by_version = store
        .group_by(&app, range, &keys, GroupDimension::Version)
        .await?;
    let by_browser = store
        .group_by(&app, range, &keys, GroupDimension::Browser)
        .await?;
    Ok(Json(ErrorGroupDetail {
        fingerprint,
        app,
        message: totals.message,
        error_type,
        source,
        first_seen: totals.first_seen,
        last_seen: totals.last_seen,
        count: totals.count,
        views: totals.views,
        sessions: totals.sessions,
        frames,
        bucket,
        over_time: over_time
            .into_iter()
            .map(|b| TimeCount {
                at: b.t,
                count: b.count,
            })
            .collect(),
        by_version: by_version
            .into_iter()
            .map(|k| VersionCount {
                version: k.key,
                count: k.count,
            })
            .collect(),
        by_browser: by_browser
            .into_iter()
            .map(|k| BrowserCount {
                browser: k.key,
                count: k.count,
            })
            .collect(),
    }))
}

/// The sample's parsed frames, each resolved through its version's maps.
async fn sample_frames(
    state: &AppState,
    app: &str,
    sample: &Sample,
) -> Result<Vec<StackFrame>, ApiError> {
    let maps = state.symbols.version(app, &sample.app_version).await?;
    let mut frames = Vec::with_capacity(sample.files.len());
    for (i, file) in sample.files.iter().enumerate() {
        let frame = FrameAt {
            function: sample.functions.get(i).map_or("", String::as_str),
            file,
            line: sample.lines.get(i).copied().unwrap_or(0),
            column: sample.columns.get(i).copied().unwrap_or(0),
        };
        frames.push(stack_frame(state, &maps, &frame).await?);
    }
    Ok(frames)
}

/// Without a raw sample: the group's top frame, as the rollup keeps it.
async fn top_frame_only(
    state: &AppState,
    app: &str,
    part: &Part,
) -> Result<Vec<StackFrame>, ApiError> {
    let Some(frame) = FrameAt::parse(&part.top_frame) else {
        return Ok(Vec::new());
    };
    let maps = state.symbols.version(app, &part.version).await?;
    Ok(vec![stack_frame(state, &maps, &frame).await?])
}

async fn stack_frame(
    state: &AppState,
    maps: &VersionMaps,
    frame: &FrameAt<'_>,
) -> Result<StackFrame, ApiError> {
    let resolved = if maps.is_empty() {
        None
    } else {
        state.symbols.resolve(maps, frame).await?
    };
    Ok(StackFrame {
        function: frame.function.to_owned(),
        file: frame.file.to_owned(),
        line: frame.line,
        column: frame.column,
        resolved,
    })
}
