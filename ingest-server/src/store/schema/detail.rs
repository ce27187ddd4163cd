//! Migration 6: what the agent reports since issue 3. LCP sub-parts and INP
//! phases with the scripts behind a slow interaction, long animation frames,
//! per-view resource summaries and cache hits, parsed stack frames and repeat
//! counts of errors, each app's sample rate and attributes, and the events the
//! agent had to drop.
//!
//! Columns are added at the end of the existing tables (`IF NOT EXISTS`), so
//! rows from before read as their defaults: an error counts once, an app was
//! sampled at 1, no attributes. The error-counting rollup views are
//! recreated to sum `count` (see `rollups::recount_errors`).

use super::rollups::{recount_errors, ErrorRows};
use super::{add_columns, create_table, event_table, Layout, CUSTOM_TABLES, EVENT_TABLES};

/// The scripts that ran in a long animation frame, longest first.
const SCRIPTS: &str =
    "Nested(`url` String, `function` String, `invoker` String, `duration` Float64)";

/// A stack trace, parsed by the agent; top frame first.
const FRAMES: &str = "Nested(`function` String, `file` String, `line` UInt32, `column` UInt32)";

/// The attributes the event's app registered with (`registerApp({ attributes })`),
/// on every event table, last.
pub(super) const APP_ATTRS: (&str, &str) = ("app_attrs", "Map(LowCardinality(String), String)");

/// Columns added to tables that existed before; each also gets [`APP_ATTRS`].
const NEW_COLUMNS: &[(&str, &[(&str, &str)])] = &[
    (
        "vitals",
        &[
            // LCP: ttfb, load_delay, load_duration, render_delay; INP: input_delay, processing, presentation.
            ("parts", "Map(LowCardinality(String), Float64)"),
            ("scripts", SCRIPTS),
        ],
    ),
    ("resources", &[("cache_hit", "Bool")]),
    (
        "errors",
        &[("frames", FRAMES), ("count", "UInt32 DEFAULT 1")],
    ),
    ("app_events", &[("sample_rate", "Float64 DEFAULT 1")]),
];

/// The event tables this migration creates.
pub(super) const DETAIL_TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "resource_summaries",
        &[
            ("count", "UInt32"),
            ("transfer_size", "UInt64"),
            ("cache_hits", "UInt32"),
            ("duration", "Float64"),
            APP_ATTRS,
        ],
    ),
    (
        "long_frames",
        &[
            ("duration", "Float64"),
            ("blocking", "Float64"),
            ("scripts", SCRIPTS),
            APP_ATTRS,
        ],
    ),
    // A page-wide figure (the agent is one per page): `app` is empty.
    ("agent_drops", &[("dropped", "UInt64"), APP_ATTRS]),
];

pub(super) fn add_detail(layout: &Layout, database: &str) -> Vec<String> {
    let mut statements = Vec::new();
    for (table, _) in EVENT_TABLES.iter().chain(CUSTOM_TABLES) {
        let new = NEW_COLUMNS
            .iter()
            .find(|(name, _)| name == table)
            .map_or(&[][..], |(_, columns)| columns);
        let columns: Vec<_> = new.iter().copied().chain([APP_ATTRS]).collect();
        statements.extend(add_columns(layout, table, &columns));
    }
    for (name, own) in DETAIL_TABLES {
        statements.extend(create_table(layout, database, &event_table(name, own)));
    }
    statements.extend(recount_errors(layout, ErrorRows::Counted));
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_renders_for_both_layouts() {
        let single = add_detail(&Layout::SingleNode, "canopy");
        assert_eq!(
            single[0],
            "ALTER TABLE vitals ADD COLUMN IF NOT EXISTS `parts` Map(LowCardinality(String), Float64), \
             ADD COLUMN IF NOT EXISTS `scripts` Nested(`url` String, `function` String, `invoker` String, `duration` Float64), \
             ADD COLUMN IF NOT EXISTS `app_attrs` Map(LowCardinality(String), String)"
        );
        assert!(single.iter().any(|s| s.starts_with(
            "ALTER TABLE custom_events ADD COLUMN IF NOT EXISTS `app_attrs` Map(LowCardinality(String), String)"
        )));
        let long_frames = single
            .iter()
            .find(|s| s.starts_with("CREATE TABLE IF NOT EXISTS long_frames ("))
            .expect("long_frames created");
        assert!(
            long_frames.contains("`session_id` String")
                && long_frames.contains("`blocking` Float64")
        );
        assert!(
            long_frames.contains("ENGINE = MergeTree\nPARTITION BY toDate(at) ORDER BY (app, at)")
        );
        assert!(single
            .iter()
            .any(|s| s == "DROP VIEW IF EXISTS rollup_errors_minute_mv"));

        let cluster = add_detail(&Layout::Cluster("rum".into()), "canopy");
        assert!(cluster[0].starts_with("ALTER TABLE vitals_local ON CLUSTER `rum` ADD COLUMN"));
        assert!(cluster[1].starts_with("ALTER TABLE vitals ON CLUSTER `rum` ADD COLUMN"));
        assert!(cluster.iter().any(|s| s
            == "CREATE TABLE IF NOT EXISTS agent_drops ON CLUSTER `rum` AS agent_drops_local \
                ENGINE = Distributed(`rum`, `canopy`, agent_drops_local, cityHash64(session_id))"));
        assert!(cluster.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_errors_minute_mv ON CLUSTER `rum` TO rollup_errors_minute_local"
        ) && s.contains("FROM errors_local")));
    }
}
