//! Migration 11: uploaded source maps, and error groups per app version.
//!
//! - `sourcemaps`: one row per uploaded map, `ReplacingMergeTree(uploaded_at)`
//!   keyed by app, version and file, so a re-upload replaces the file (reads
//!   take the newest row, merged or not). Shared by every server, durable.
//! - `rollup_error_groups_minute`: the error groups of `rollup_errors_minute`
//!   split further by app version and browser, with sessions too. Grouping on
//!   resolved frames happens when read: a minified fingerprint of one version
//!   resolves through that version's maps, so the version must be kept.
//!   Backfilled (single node, as migration 5) from the raw errors still
//!   kept, and before them from `rollup_errors_minute` (kept longer), whose
//!   groups have no version, browser or sessions: they keep their minified
//!   fingerprints, as before, with `app_version` and `browser` empty.

use super::rollups::{create_backfilled_rollup, top_frame_sql, FeedSql, Grain, Rollup};
use super::rollups::{fingerprint_sql, SUM, UNIQ};
use super::{create_table, Layout, TableSpec};
use crate::store::conditions::COUNTED_ERROR;

/// The rollup of error groups by version; its name for queries.
pub const ERROR_GROUPS_TABLE: &str = "rollup_error_groups_minute";

const SOURCEMAP_COLUMNS: &[(&str, &str)] = &[
    ("app", "LowCardinality(String)"),
    ("version", "String"),
    ("file", "String"),
    ("map", "String"),
    ("bytes", "UInt64"),
    ("uploaded_at", "DateTime64(3)"),
];

/// The minutes `rollup_errors_minute` has from before the oldest raw error
/// (positional, like migration 7's: merged states must not be aliased by
/// the names of the columns they merge).
const GROUPS_FROM_OLDER_MINUTES: &str = "INSERT INTO rollup_error_groups_minute \
     (app, minute, fingerprint, app_version, browser, message, top_frame, count, views, first_seen, last_seen) \
     SELECT app, minute, fingerprint, '', '', any(message), any(top_frame), sum(count), \
     uniqMergeState(views), min(first_seen), max(last_seen) FROM rollup_errors_minute \
     WHERE minute < (SELECT if(count() = 0, now(), toStartOfMinute(min(at))) FROM errors) \
     GROUP BY app, minute, fingerprint";

fn error_groups() -> (Rollup, Vec<FeedSql>) {
    let grain = Grain::Minute;
    let (top_frame, fingerprint) = (top_frame_sql(), fingerprint_sql());
    (
        Rollup {
            table: ERROR_GROUPS_TABLE,
            grain,
            columns: vec![
                ("app", "LowCardinality(String)"),
                ("minute", "DateTime"),
                ("fingerprint", "String"),
                ("app_version", "LowCardinality(String)"),
                ("browser", "LowCardinality(String)"),
                ("message", "SimpleAggregateFunction(any, String)"),
                ("top_frame", "SimpleAggregateFunction(any, String)"),
                ("count", SUM),
                ("views", UNIQ),
                ("sessions", UNIQ),
                ("first_seen", "SimpleAggregateFunction(min, DateTime64(3))"),
                ("last_seen", "SimpleAggregateFunction(max, DateTime64(3))"),
            ],
            order_by: "(app, minute, fingerprint, app_version, browser)".into(),
        },
        // As `rollup_errors_minute_mv`: the fingerprint is computed in an
        // inner SELECT, so `any(message) AS message` does not shadow it.
        vec![FeedSql::new(
            format!("{ERROR_GROUPS_TABLE}_mv"),
            "errors",
            format!(
                "app, {}, fp AS fingerprint, app_version, browser, any(msg) AS message, \
                 any(frame) AS top_frame, toUInt64(sum(n)) AS count, uniqState(view_id) AS views, \
                 uniqState(session_id) AS sessions, min(at) AS first_seen, max(at) AS last_seen",
                grain.bucket_of_at()
            ),
            COUNTED_ERROR,
            "app, minute, fingerprint, app_version, browser".into(),
        )
        .inner(format!(
            "app, at, app_version, browser, view_id, session_id, count AS n, message AS msg, \
             {top_frame} AS frame, {fingerprint} AS fp"
        ))],
    )
}

pub(super) fn create_sourcemaps(layout: &Layout, database: &str) -> Vec<String> {
    let spec = TableSpec {
        name: "sourcemaps",
        columns: SOURCEMAP_COLUMNS.to_vec(),
        engine: "ReplacingMergeTree(uploaded_at)",
        partition_by: None,
        order_by: "(app, version, file)",
        deduplicated: false,
        // A file's uploads on one shard, so they replace each other there.
        shard_by: "cityHash64(app, version, file)",
    };
    let mut statements = create_table(layout, database, &spec);
    let (rollup, feeds) = error_groups();
    statements.extend(create_backfilled_rollup(layout, database, &rollup, &feeds));
    if *layout == Layout::SingleNode {
        statements.push(GROUPS_FROM_OLDER_MINUTES.to_owned());
    }
    statements
}

/// This migration's rollup, for the retention every start applies.
pub(super) fn rollups() -> Vec<(Rollup, Vec<FeedSql>)> {
    vec![error_groups()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sourcemaps_and_error_groups_render_for_both_layouts() {
        let single = create_sourcemaps(&Layout::SingleNode, "canopy");
        assert!(single[0].starts_with("CREATE TABLE IF NOT EXISTS sourcemaps ("));
        assert!(
            single[0].ends_with(
                "ENGINE = ReplacingMergeTree(uploaded_at)\nORDER BY (app, version, file)"
            ),
            "{}",
            single[0]
        );
        assert!(single.iter().any(|s| s
            .starts_with("CREATE TABLE IF NOT EXISTS rollup_error_groups_minute (")
            && s.contains("ORDER BY (app, minute, fingerprint, app_version, browser)")));
        assert!(single.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_error_groups_minute_mv TO rollup_error_groups_minute AS SELECT"
        ) && s.contains("uniqState(session_id) AS sessions")));
        assert!(single.iter().any(|s| s.starts_with(
            "INSERT INTO rollup_error_groups_minute (app, minute, fingerprint, app_version, browser, message, top_frame, count, views, sessions, first_seen, last_seen) SELECT"
        ) && s.contains("FROM errors WHERE")), "backfilled from the raw errors");
        assert_eq!(
            single.last(),
            Some(&GROUPS_FROM_OLDER_MINUTES.to_owned()),
            "and the older minutes"
        );

        let cluster = create_sourcemaps(&Layout::Cluster("rum".into()), "canopy");
        assert!(cluster[0].contains(
            "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/sourcemaps_local', '{replica}', uploaded_at)"
        ), "{}", cluster[0]);
        assert!(cluster.contains(&"CREATE TABLE IF NOT EXISTS sourcemaps ON CLUSTER `rum` AS sourcemaps_local \
             ENGINE = Distributed(`rum`, `canopy`, sourcemaps_local, cityHash64(app, version, file))".to_owned()));
        assert!(cluster.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_error_groups_minute_mv ON CLUSTER `rum` TO rollup_error_groups_minute_local AS SELECT"
        ) && s.contains("FROM errors_local")));
        assert!(
            !cluster.iter().any(|s| s.starts_with("INSERT")),
            "no backfill on a cluster"
        );
    }
}
