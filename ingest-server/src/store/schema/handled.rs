//! Migration 10: handled errors and API calls (issue 16).
//!
//! `errors` gains each report's `level` and `attrs` (what `captureError` and
//! `captureMessage` send); rows from before read as `error` with no
//! attributes. Two event tables hold what the agent sees of `fetch` and
//! `XMLHttpRequest`: each failed call, and per app and view the calls that
//! finished. The views counting errors are recreated to count handled
//! errors and `fatal`/`error` messages too (`conditions::COUNTED_ERROR`).

use super::detail::APP_ATTRS;
use super::rollups::{recount_errors, ErrorRows};
use super::{add_columns, create_tables_of_events, Layout};

const ERROR_COLUMNS: &[(&str, &str)] = &[
    ("level", "LowCardinality(String) DEFAULT 'error'"),
    ("attrs", "Map(LowCardinality(String), String)"),
];

/// The event tables this migration creates.
pub(super) const API_TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "api_summaries",
        &[
            ("calls", "UInt32"),
            ("failed", "UInt32"),
            ("duration", "Float64"),
            APP_ATTRS,
        ],
    ),
    (
        "api_failures",
        &[
            ("method", "LowCardinality(String)"),
            ("url", "String"),
            ("status", "UInt16"),
            ("duration", "Float64"),
            ("message", "String"),
            ("trace_id", "String"),
            APP_ATTRS,
        ],
    ),
];

pub(super) fn add_handled_errors_and_api_calls(layout: &Layout, database: &str) -> Vec<String> {
    let mut statements = add_columns(layout, "errors", ERROR_COLUMNS);
    statements.extend(create_tables_of_events(layout, database, API_TABLES));
    statements.extend(recount_errors(layout, ErrorRows::CountedByLevel));
    statements
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conditions::COUNTED_ERROR;

    #[test]
    fn handled_errors_and_api_calls_render_for_both_layouts() {
        let single = add_handled_errors_and_api_calls(&Layout::SingleNode, "canopy");
        assert_eq!(
            single[0],
            "ALTER TABLE errors ADD COLUMN IF NOT EXISTS `level` LowCardinality(String) DEFAULT 'error', \
             ADD COLUMN IF NOT EXISTS `attrs` Map(LowCardinality(String), String)"
        );
        let failures = single
            .iter()
            .find(|s| s.starts_with("CREATE TABLE IF NOT EXISTS api_failures ("))
            .expect("api_failures created");
        assert!(failures.contains("`session_id` String") && failures.contains("`status` UInt16"));
        let counted = format!("sumIf(count, {COUNTED_ERROR})");
        for view in ["rollup_app_minute_errors", "rollup_app_hour_errors"] {
            let drop = format!("DROP VIEW IF EXISTS {view}");
            let at = single.iter().position(|s| *s == drop).expect(view);
            assert!(single[at + 1].contains(&counted), "{}", single[at + 1]);
        }
        assert!(single
            .iter()
            .any(|s| s == "DROP VIEW IF EXISTS rollup_errors_minute_mv"));

        let cluster = add_handled_errors_and_api_calls(&Layout::Cluster("rum".into()), "canopy");
        assert!(cluster[0].starts_with("ALTER TABLE errors_local ON CLUSTER `rum` ADD COLUMN"));
        assert!(cluster.iter().any(|s| {
            s == "CREATE TABLE IF NOT EXISTS api_summaries ON CLUSTER `rum` AS api_summaries_local \
                ENGINE = Distributed(`rum`, `canopy`, api_summaries_local, cityHash64(session_id))"
        }));
    }
}
