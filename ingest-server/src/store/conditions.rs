//! What counts as what, in SQL: the row conditions the rollups, the alert
//! metrics and the dashboard share, written once so their numbers agree.

/// An `app_events` row of a view that registered the app: a view of the app.
pub const VIEW_OF_APP: &str = "phase = 'registered'";
/// An `app_events` row of a view where the app reported it failed (`appFailed`).
pub const APP_FAILED: &str = "phase = 'failed'";
/// An `errors` row the error rate counts: an uncaught error or rejection.
pub const COUNTED_ERROR: &str = "source IN ('error', 'rejection')";
/// An `errors` row of a script of the app that did not load: a failed load.
pub const SCRIPT_NOT_LOADED: &str = "source = 'resource_load' AND error_type = 'script'";
