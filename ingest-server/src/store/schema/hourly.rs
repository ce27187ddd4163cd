//! Migration 7: hourly rollups for the dashboard's ranges over days.
//!
//! The per-minute rollups sum up too little where traffic spreads thin:
//! `rollup_vitals_minute`, keyed by page path and browser as well, holds
//! about one vital a row, so over 7 days the overview merged two million
//! quantile states and answered slower than from the raw vitals
//! (docs/PERFORMANCE.md, "Dashboard queries"). These keep per app (and
//! vital) per hour what the overview and the charts over days need:
//!
//! - `rollup_app_hour`: the same `uniq` states of view ids as
//!   `rollup_app_minute`, so its counts equal the raw rows' exactly;
//! - `rollup_vitals_hour`: t-digest quantile states, a few hundred centroids
//!   however many values an hour has. The minute rollup's reservoir states
//!   keep every value up to 8,192, which at an hour's traffic is nearly all
//!   of them, so merging them per hour would save little.
//!
//! Both are sorted by time first: the overview reads every app over a range.
//!
//! Backfill (single node, like migration 5): `rollup_app_hour` from
//! `rollup_app_minute`, so it gets the minute rollup's whole history (`uniq`
//! states merge exactly); `rollup_vitals_hour` from the raw vitals, as far
//! back as they are kept (a t-digest cannot be made from reservoir samples).

use super::rollups::{
    app_rollup, backfill_from_raw, create_rollup, ErrorRows, FeedSql, Grain, Rollup, QUANTILES, SUM,
};
use super::Layout;

const TDIGEST_STATE: &str = "AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95), Float64)";

/// `rollup_app_hour` from `rollup_app_minute`'s states (positional: the
/// merged states must not be aliased by the names of the columns they merge).
const APP_HOUR_FROM_MINUTES: &str =
    "INSERT INTO rollup_app_hour (app, hour, views, error_views, failed_views, errors) \
     SELECT app, toStartOfHour(minute), uniqMergeState(views), uniqMergeState(error_views), \
     uniqMergeState(failed_views), sum(errors) FROM rollup_app_minute GROUP BY app, toStartOfHour(minute)";

/// Per app, vital and hour: samples and the quantiles' t-digest.
fn vitals_hour() -> (Rollup, Vec<FeedSql>) {
    let (table, _) = Grain::Hour.vitals_table();
    vitals_hour_by(table, &["app"], "(hour, app, name)")
}

/// Samples and the quantiles' t-digest of each vital per hour and `keys`,
/// in `table` sorted by `order_by`.
pub(super) fn vitals_hour_by(
    table: &'static str,
    keys: &[&'static str],
    order_by: &str,
) -> (Rollup, Vec<FeedSql>) {
    let grain = Grain::Hour;
    let key_columns = keys.iter().map(|key| (*key, "LowCardinality(String)"));
    let keys = keys.join(", ");
    (
        Rollup {
            table,
            grain,
            columns: key_columns
                .chain([
                    ("name", "LowCardinality(String)"),
                    ("hour", "DateTime"),
                    ("samples", SUM),
                    ("quantiles", TDIGEST_STATE),
                ])
                .collect(),
            order_by: order_by.into(),
        },
        vec![FeedSql::new(
            format!("{table}_mv"),
            "vitals",
            format!(
                "{keys}, name, {}, count() AS samples, quantilesTDigestState({QUANTILES})(value) AS quantiles",
                grain.bucket_of_at()
            ),
            "1",
            format!("{keys}, name, hour"),
        )],
    )
}

/// The hourly rollups and the views feeding each.
pub(super) fn hourly_rollups() -> Vec<(Rollup, Vec<FeedSql>)> {
    vec![app_rollup(Grain::Hour, ErrorRows::Counted), vitals_hour()]
}

/// Migration 7: the hourly rollup tables, their views, and the backfill.
pub(super) fn create_hourly_rollups(layout: &Layout, database: &str) -> Vec<String> {
    let mut statements: Vec<String> = hourly_rollups()
        .iter()
        .flat_map(|(rollup, feeds)| create_rollup(layout, database, rollup, feeds))
        .collect();
    if *layout == Layout::SingleNode {
        statements.push(APP_HOUR_FROM_MINUTES.to_owned());
        let (vitals, feeds) = vitals_hour();
        statements.extend(
            feeds
                .iter()
                .map(|feed| backfill_from_raw(vitals.table, feed)),
        );
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_rollups_render_for_both_layouts() {
        let single = create_hourly_rollups(&Layout::SingleNode, "canopy");
        assert!(
            single[0].starts_with("CREATE TABLE IF NOT EXISTS rollup_app_hour ("),
            "{}",
            single[0]
        );
        assert!(
            single[0].ends_with(
                "ENGINE = AggregatingMergeTree\nPARTITION BY toYYYYMM(hour) ORDER BY (hour, app)"
            ),
            "{}",
            single[0]
        );
        assert!(single.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_app_hour_views TO rollup_app_hour AS SELECT app, toStartOfHour(at) AS hour, uniqState(view_id)"
        )));
        assert!(single.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_app_hour_errors TO rollup_app_hour AS SELECT"
        ) && s.contains("sumIf(count, source IN ('error', 'rejection'))")), "errors counted by `count`");
        assert!(single.iter().any(|s| s.contains(
            "`quantiles` AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95), Float64)"
        )));
        assert!(single.contains(&APP_HOUR_FROM_MINUTES.to_owned()));
        assert!(single.iter().any(|s| s.starts_with(
            "INSERT INTO rollup_vitals_hour (app, name, hour, samples, quantiles) SELECT"
        ) && s.contains("FROM vitals WHERE")));

        let cluster = create_hourly_rollups(&Layout::Cluster("rum".into()), "canopy");
        assert!(cluster[0].contains("ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_app_hour_local'"));
        assert!(cluster.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_vitals_hour_mv ON CLUSTER `rum` TO rollup_vitals_hour_local AS SELECT"
        ) && s.contains("FROM vitals_local")));
        assert!(
            !cluster.iter().any(|s| s.starts_with("INSERT")),
            "no backfill on a cluster"
        );
    }
}
