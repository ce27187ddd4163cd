//! Migration 12: release health, per app and version (`app_version`) per
//! hour, for the dashboard's versions side by side and the regression rules
//! (docs/ALERTING.md, "Regressions").
//!
//! - `rollup_release_hour`: the per-app rollup's views, error views, failed
//!   views and errors, API calls and failures (from `api_summaries`), and
//!   when the version was first and last seen;
//! - `rollup_release_vitals_hour`: each vital's t-digest quantile states.
//!
//! Hourly, not per minute: a release lives for days or weeks, its page reads
//! it over that span (the adoption chart per hour or coarser) and the
//! regression rules only need each version's first sighting, which is kept
//! to the millisecond (`first_seen`) whatever the grain. A minute grain would
//! hold up to 60 times the rows for no reading that needs them. Sorted by
//! app and version first: every read is one app's versions.
//!
//! Every view fills `first_seen` and `last_seen` (a view that left them out
//! would merge its default, 1970, into `min`). Views embedding
//! `COUNTED_ERROR` must be recreated whenever it changes, like migration 6
//! did for the per-app rollups. Backfilled from the raw rows on a single node,
//! like migration 5.

use super::hourly::vitals_hour_by;
use super::rollups::{
    activity_feeds, create_backfilled_rollup, ErrorRows, FeedSql, Grain, Rollup, ACTIVITY_COLUMNS,
    SUM,
};
use super::{add_columns, Layout};

pub const RELEASE_TABLE: &str = "rollup_release_hour";
pub const RELEASE_VITALS_TABLE: &str = "rollup_release_vitals_hour";

/// Filled by every view of [`RELEASE_TABLE`].
const SEEN: &str = ", min(at) AS first_seen, max(at) AS last_seen";

fn release_hour() -> (Rollup, Vec<FeedSql>) {
    let grain = Grain::Hour;
    let keys = "app, app_version";
    let mut feeds = activity_feeds(RELEASE_TABLE, keys, grain, ErrorRows::CountedByLevel, SEEN);
    feeds.push(FeedSql::new(
        format!("{RELEASE_TABLE}_api"),
        "api_summaries",
        format!(
            "{keys}, {}, toUInt64(sum(calls)) AS api_calls, toUInt64(sum(failed)) AS api_failures{SEEN}",
            grain.bucket_of_at()
        ),
        "1",
        format!("{keys}, hour"),
    ));
    let columns = [
        ("app", "LowCardinality(String)"),
        ("app_version", "LowCardinality(String)"),
        ("hour", "DateTime"),
    ]
    .into_iter()
    .chain(ACTIVITY_COLUMNS.iter().copied())
    .chain([
        ("api_calls", SUM),
        ("api_failures", SUM),
        ("first_seen", "SimpleAggregateFunction(min, DateTime64(3))"),
        ("last_seen", "SimpleAggregateFunction(max, DateTime64(3))"),
    ])
    .collect();
    (
        Rollup {
            table: RELEASE_TABLE,
            grain,
            columns,
            order_by: "(app, app_version, hour)".into(),
        },
        feeds,
    )
}

/// The release rollups and the views feeding each.
pub(super) fn release_rollups() -> Vec<(Rollup, Vec<FeedSql>)> {
    vec![
        release_hour(),
        vitals_hour_by(
            RELEASE_VITALS_TABLE,
            &["app", "app_version"],
            "(app, app_version, name, hour)",
        ),
    ]
}

/// What a regression rule's alert compared (`AlertRow` lists them last).
const ALERT_VERSION_COLUMNS: &[(&str, &str)] = &[
    ("newest_version", "String"),
    ("previous_version", "String"),
    ("previous_value", "Float64"),
];

/// Migration 12: the tables, their views, (single node) the backfill, and
/// the versions a regression alert names.
pub(super) fn create_release_rollups(layout: &Layout, database: &str) -> Vec<String> {
    let mut statements: Vec<String> = ["alerts", "alert_history"]
        .into_iter()
        .flat_map(|table| add_columns(layout, table, ALERT_VERSION_COLUMNS))
        .collect();
    for (rollup, feeds) in release_rollups() {
        statements.extend(create_backfilled_rollup(layout, database, &rollup, &feeds));
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_rollups_render_for_both_layouts() {
        let single = create_release_rollups(&Layout::SingleNode, "canopy");
        assert!(single[1].starts_with(
            "ALTER TABLE alert_history ADD COLUMN IF NOT EXISTS `newest_version` String"
        ));
        assert!(
            single[2].starts_with("CREATE TABLE IF NOT EXISTS rollup_release_hour ("),
            "{}",
            single[2]
        );
        assert!(single[2].ends_with(
            "ENGINE = AggregatingMergeTree\nPARTITION BY toYYYYMM(hour) ORDER BY (app, app_version, hour)"
        ));
        let views: Vec<_> = single
            .iter()
            .filter(|s| s.starts_with("CREATE MATERIALIZED VIEW"))
            .collect();
        assert_eq!(views.len(), 5, "views, failed, errors, api, vitals");
        assert!(
            views[..4].iter().all(|v| v.contains(SEEN)),
            "every view of the release table fills first and last seen"
        );
        assert!(single.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_release_hour_api TO rollup_release_hour AS SELECT app, app_version, toStartOfHour(at) AS hour, toUInt64(sum(calls)) AS api_calls"
        ) && s.contains("FROM api_summaries WHERE 1 GROUP BY app, app_version, hour")));
        assert!(single.iter().any(|s| s.starts_with(
            "INSERT INTO rollup_release_hour (app, app_version, hour, error_views, failed_views, errors, first_seen, last_seen) SELECT"
        )));
        assert!(single.iter().any(|s| s.starts_with(
            "INSERT INTO rollup_release_vitals_hour (app, app_version, name, hour, samples, quantiles) SELECT"
        )));

        let cluster = create_release_rollups(&Layout::Cluster("rum".into()), "canopy");
        assert!(cluster[4].contains(
            "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_release_hour_local'"
        ));
        assert!(cluster.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_release_hour_api ON CLUSTER `rum` TO rollup_release_hour_local AS SELECT"
        ) && s.contains("FROM api_summaries_local")));
        assert!(
            !cluster.iter().any(|s| s.starts_with("INSERT")),
            "no backfill on a cluster"
        );
    }
}
