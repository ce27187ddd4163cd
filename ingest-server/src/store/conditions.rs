//! What counts as what, in SQL: the row conditions the rollups, the alert
//! metrics and the dashboard share, written once so their numbers agree.

/// An `app_events` row of a view that registered the app: a view of the app.
pub const VIEW_OF_APP: &str = "phase = 'registered'";
/// An `app_events` row of a view where the app reported it failed (`appFailed`).
pub const APP_FAILED: &str = "phase = 'failed'";
/// An `errors` row the error rate counts: an uncaught error or rejection, an
/// error the app caught and reported (`captureError`), or a message it
/// reported at level `fatal` or `error` (`captureMessage`). Parenthesised,
/// so `… AND {COUNTED_ERROR}` keeps the conditions before it.
pub const COUNTED_ERROR: &str =
    "(source IN ('error', 'rejection', 'handled') OR (source = 'message' AND level IN ('fatal', 'error')))";
/// What [`COUNTED_ERROR`] was before migration 10 added `level` (and the
/// agent `handled` and `message` reports): the condition of the rollup views
/// migrations 5 to 7 create, which run before `level` exists.
pub const COUNTED_ERROR_BEFORE_LEVELS: &str = "source IN ('error', 'rejection')";
/// An `errors` row of a script of the app that did not load: a failed load.
pub const SCRIPT_NOT_LOADED: &str = "source = 'resource_load' AND error_type = 'script'";
/// The share of an app's finished API calls that failed, over `api_summaries`
/// rows: NULL when there were no calls. (A query using it must not alias
/// anything `calls` or `failed`: ClickHouse would read the alias.)
pub const API_ERROR_RATE: &str = "sum(failed) / nullIf(sum(calls), 0)";
