//! Rollups (migration 5): per-app, per-minute aggregates kept by
//! materialized views, so dashboards over days read thousands of rows
//! instead of millions, and outlive raw events (`rollup_retention_days`).
//!
//! Each rollup is an `AggregatingMergeTree` whose sort key is every grouping
//! column: rows with the same key are merged by combining their states.
//! Several views may feed one table (availability failures come from
//! `app_events` and from `errors`); a view fills only its own columns and the
//! others keep empty states, which merge as nothing.
//!
//! The SELECT of each view is also its backfill, so a database that already
//! holds events gets rollups for them (single node only: on a cluster each
//! node's local tables would have to be backfilled on that node).

use super::health::release_rollups;
use super::hourly::hourly_rollups;
use super::sourcemaps;
use super::{create_table, Layout, TableSpec};
use crate::store::conditions::{
    APP_FAILED, COUNTED_ERROR, COUNTED_ERROR_BEFORE_LEVELS, SCRIPT_NOT_LOADED, VIEW_OF_APP,
};

/// How a raw stack's top frame is found (Chrome `at …`, Firefox/Safari
/// `fn@url`): the first such line.
const STACK_TOP_FRAME_SQL: &str =
    "arrayFirst(l -> (startsWith(l, 'at ') OR position(l, '@') > 0), \
     arrayMap(l -> trimBoth(l), splitByChar('\\n', stack)))";

/// The agent's top parsed frame, written as Chrome writes a stack line
/// (`at fn (file:line:column)`, or `at file:line:column` without a name), so
/// an error whose stack Chrome wrote keeps its fingerprint when parsed frames arrive.
const PARSED_TOP_FRAME_SQL: &str = "concat('at ', \
     if(frames.function[1] = '', '', concat(frames.function[1], ' (')), \
     frames.file[1], ':', toString(frames.line[1]), ':', toString(frames.column[1]), \
     if(frames.function[1] = '', '', ')'))";

/// How error rows are counted and their top frame found. Migration 5 saw one
/// row per occurrence and raw stacks only; migration 6 added `count` (the
/// agent sends a repeated error once, then only its count) and parsed
/// `frames`, and recreates the views that count errors. Rows from before it
/// (`count` 1, no frames) give the same figures either way. Migration 10
/// added `level` and counts handled errors and serious messages too
/// ([`COUNTED_ERROR`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrorRows {
    OnePerOccurrence,
    Counted,
    CountedByLevel,
}

impl ErrorRows {
    /// The occurrences one row stands for.
    fn occurrences(self) -> &'static str {
        match self {
            ErrorRows::OnePerOccurrence => "1",
            ErrorRows::Counted | ErrorRows::CountedByLevel => "count",
        }
    }

    /// The rows the error rate counts.
    fn counted(self) -> &'static str {
        match self {
            ErrorRows::OnePerOccurrence | ErrorRows::Counted => COUNTED_ERROR_BEFORE_LEVELS,
            ErrorRows::CountedByLevel => COUNTED_ERROR,
        }
    }

    fn top_frame(self) -> String {
        match self {
            ErrorRows::OnePerOccurrence => STACK_TOP_FRAME_SQL.to_owned(),
            ErrorRows::Counted | ErrorRows::CountedByLevel => {
                format!("if(empty(frames.file), {STACK_TOP_FRAME_SQL}, {PARSED_TOP_FRAME_SQL})")
            }
        }
    }

    fn fingerprint(self) -> String {
        format!("lower(hex(cityHash64(message, {})))", self.top_frame())
    }
}

/// An error's top frame: the top parsed frame, else the stack's first frame
/// line. Shared with the raw-table queries that must agree with the rollups.
pub fn top_frame_sql() -> String {
    ErrorRows::Counted.top_frame()
}

/// An error's fingerprint: message and top frame.
pub fn fingerprint_sql() -> String {
    ErrorRows::Counted.fingerprint()
}

/// The page path a URL's row is grouped by (the URL is already scrubbed of
/// query and fragment by the agent; `path` also drops the origin).
pub const PAGE_PATH_SQL: &str = "path(page_url)";

/// The quantiles every rollup keeps, in this order.
pub const QUANTILES: &str = "0.5, 0.75, 0.95";

/// How finely a rollup buckets time: per minute (migration 5) or per hour
/// (migration 7, for ranges over days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Minute,
    Hour,
}

impl Grain {
    /// The rollup's time column, also the grain's name.
    pub fn column(self) -> &'static str {
        match self {
            Grain::Minute => "minute",
            Grain::Hour => "hour",
        }
    }

    pub fn seconds(self) -> u32 {
        match self {
            Grain::Minute => 60,
            Grain::Hour => 3600,
        }
    }

    /// The per-app rollup at this grain (views, errors, failures).
    pub fn app_table(self) -> &'static str {
        match self {
            Grain::Minute => "rollup_app_minute",
            Grain::Hour => "rollup_app_hour",
        }
    }

    /// The vitals rollup at this grain, and the function merging its
    /// quantile states: reservoir samples per minute (keyed by page path and
    /// browser too), t-digests per hour (per app and vital only).
    pub fn vitals_table(self) -> (&'static str, &'static str) {
        match self {
            Grain::Minute => ("rollup_vitals_minute", "quantilesMerge"),
            Grain::Hour => ("rollup_vitals_hour", "quantilesTDigestMerge"),
        }
    }

    /// An event time truncated to the grain, as the rollup's time column.
    pub(super) fn bucket_of_at(self) -> String {
        let truncate = match self {
            Grain::Minute => "toStartOfMinute",
            Grain::Hour => "toStartOfHour",
        };
        format!("{truncate}(at) AS {}", self.column())
    }
}

pub(super) struct Rollup {
    pub(super) table: &'static str,
    pub(super) grain: Grain,
    pub(super) columns: Vec<(&'static str, &'static str)>,
    pub(super) order_by: String,
}

pub(super) const UNIQ: &str = "AggregateFunction(uniq, String)";
const QUANTILE_STATE: &str = "AggregateFunction(quantiles(0.5, 0.75, 0.95), Float64)";
pub(super) const SUM: &str = "SimpleAggregateFunction(sum, UInt64)";

/// The per-app rollup at `grain` (`rollup_app_minute`, `rollup_app_hour`):
/// views, views with a counted error, views where the app failed to load
/// (docs/ALERTING.md), and counted errors, as `errors` says.
/// The hourly table is sorted by time first: the overview reads every app
/// over a range, and per-app reads of an hour's few rows cost little more.
pub(super) fn app_rollup(grain: Grain, errors: ErrorRows) -> (Rollup, Vec<FeedSql>) {
    let table = grain.app_table();
    let order_by = match grain {
        Grain::Minute => "(app, minute)",
        Grain::Hour => "(hour, app)",
    };
    let time = grain.column();
    (
        Rollup {
            table,
            grain,
            columns: [("app", "LowCardinality(String)"), (time, "DateTime")]
                .into_iter()
                .chain(ACTIVITY_COLUMNS.iter().copied())
                .collect(),
            order_by: order_by.to_owned(),
        },
        activity_feeds(table, "app", grain, errors, ""),
    )
}

/// What a view of an app amounts to, as the per-app and per-release rollups
/// keep it.
pub(super) const ACTIVITY_COLUMNS: &[(&str, &str)] = &[
    ("views", UNIQ),
    ("error_views", UNIQ),
    ("failed_views", UNIQ),
    ("errors", SUM),
];

/// The views filling [`ACTIVITY_COLUMNS`] of `table`, grouped by `keys` and
/// the grain's time column; `also` is added to each SELECT (`, …`: columns
/// every feed must fill, or a feed's default would merge in).
pub(super) fn activity_feeds(
    table: &str,
    keys: &str,
    grain: Grain,
    errors: ErrorRows,
    also: &str,
) -> Vec<FeedSql> {
    let (occurrences, counted) = (errors.occurrences(), errors.counted());
    let (time, bucket) = (grain.column(), grain.bucket_of_at());
    let group_by = format!("{keys}, {time}");
    let feed = |suffix: &str, source, select: String, filter| {
        FeedSql::new(
            format!("{table}_{suffix}"),
            source,
            format!("{keys}, {bucket}, {select}{also}"),
            filter,
            group_by.clone(),
        )
    };
    vec![
        feed(
            "views",
            "app_events",
            "uniqState(view_id) AS views".into(),
            VIEW_OF_APP,
        ),
        feed(
            "failed",
            "app_events",
            "uniqState(view_id) AS failed_views".into(),
            APP_FAILED,
        ),
        feed(
            "errors",
            "errors",
            format!(
                "uniqStateIf(view_id, {counted}) AS error_views, \
             uniqStateIf(view_id, {SCRIPT_NOT_LOADED}) AS failed_views, \
             toUInt64(sumIf({occurrences}, {counted})) AS errors"
            ),
            "1",
        ),
    ]
}

/// Migration 5's rollups and the views feeding each, counting errors as
/// `errors` says. SELECT lists name their columns so a view fills only those.
fn rollups(errors: ErrorRows) -> Vec<(Rollup, Vec<FeedSql>)> {
    let occurrences = errors.occurrences();
    let top_frame = errors.top_frame();
    let fingerprint = errors.fingerprint();
    let page_path = PAGE_PATH_SQL;
    vec![
        app_rollup(Grain::Minute, errors),
        (
            Rollup {
                table: "rollup_vitals_minute",
                grain: Grain::Minute,
                columns: vec![
                    ("app", "LowCardinality(String)"),
                    ("name", "LowCardinality(String)"),
                    ("minute", "DateTime"),
                    ("page_path", "String"),
                    ("browser", "LowCardinality(String)"),
                    ("samples", SUM),
                    ("quantiles", QUANTILE_STATE),
                ],
                order_by: "(app, name, minute, page_path, browser)".into(),
            },
            vec![FeedSql::new("rollup_vitals_minute_mv".into(), "vitals",
                format!("app, name, toStartOfMinute(at) AS minute, {page_path} AS page_path, browser, \
                         count() AS samples, quantilesState({QUANTILES})(value) AS quantiles"),
                "1", "app, name, minute, page_path, browser".into())],
        ),
        (
            Rollup {
                table: "rollup_errors_minute",
                grain: Grain::Minute,
                columns: vec![
                    ("app", "LowCardinality(String)"),
                    ("minute", "DateTime"),
                    ("fingerprint", "String"),
                    ("message", "SimpleAggregateFunction(any, String)"),
                    ("top_frame", "SimpleAggregateFunction(any, String)"),
                    ("count", SUM),
                    ("views", UNIQ),
                    ("first_seen", "SimpleAggregateFunction(min, DateTime64(3))"),
                    ("last_seen", "SimpleAggregateFunction(max, DateTime64(3))"),
                ],
                order_by: "(app, minute, fingerprint)".into(),
            },
            // The fingerprint is computed in an inner SELECT: an outer
            // `any(message) AS message` would shadow the column it hashes.
            vec![FeedSql::new("rollup_errors_minute_mv".into(), "errors",
                "app, toStartOfMinute(at) AS minute, fp AS fingerprint, any(msg) AS message, any(frame) AS top_frame, \
                 toUInt64(sum(n)) AS count, uniqState(view_id) AS views, min(at) AS first_seen, max(at) AS last_seen".into(),
                errors.counted(), "app, minute, fingerprint".into())
                .inner(format!("app, at, view_id, message AS msg, {occurrences} AS n, {top_frame} AS frame, {fingerprint} AS fp"))],
        ),
        (
            Rollup {
                table: "rollup_resources_minute",
                grain: Grain::Minute,
                columns: vec![
                    ("app", "LowCardinality(String)"),
                    ("minute", "DateTime"),
                    ("url", "String"),
                    ("initiator", "LowCardinality(String)"),
                    ("samples", SUM),
                    ("bytes", SUM),
                    ("quantiles", QUANTILE_STATE),
                ],
                order_by: "(app, minute, url, initiator)".into(),
            },
            vec![FeedSql::new("rollup_resources_minute_mv".into(), "resources",
                format!("app, toStartOfMinute(at) AS minute, url, initiator, count() AS samples, \
                         sum(transfer_size) AS bytes, quantilesState({QUANTILES})(duration) AS quantiles"),
                "1", "app, minute, url, initiator".into())],
        ),
    ]
}

/// One view's SQL (owned, since some lists are built from shared snippets).
pub(super) struct FeedSql {
    view: String,
    source: &'static str,
    select: String,
    filter: &'static str,
    group_by: String,
    /// Columns computed per row before grouping, when the SELECT needs them.
    inner: Option<String>,
}

impl FeedSql {
    pub(super) fn new(
        view: String,
        source: &'static str,
        select: String,
        filter: &'static str,
        group_by: String,
    ) -> Self {
        Self {
            view,
            source,
            select,
            filter,
            group_by,
            inner: None,
        }
    }

    pub(super) fn inner(self, columns: String) -> Self {
        Self {
            inner: Some(columns),
            ..self
        }
    }

    pub(super) fn query(&self, source_table: &str) -> String {
        match &self.inner {
            None => format!(
                "SELECT {} FROM {source_table} WHERE {} GROUP BY {}",
                self.select, self.filter, self.group_by
            ),
            Some(inner) => format!(
                "SELECT {} FROM (SELECT {inner} FROM {source_table} WHERE {}) GROUP BY {}",
                self.select, self.filter, self.group_by
            ),
        }
    }
}

/// `CREATE MATERIALIZED VIEW` for one feed of the rollup `table`. On a
/// cluster each node's view reads its local source and writes its local rollup.
fn create_view(layout: &Layout, table: &str, feed: &FeedSql) -> String {
    format!(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS {}{} TO {} AS {}",
        feed.view,
        layout.on_cluster(),
        layout.storage_table(table),
        feed.query(&layout.storage_table(feed.source))
    )
}

/// The views reading `errors` again, counting as `errors` says: migration 6
/// (summing `count`, fingerprinting by the top parsed frame; the minute
/// rollups, the only ones then) and migration 10 (handled errors and
/// serious messages; the hourly rollup too). The rollups keep their rows: on
/// rows from before, the new views compute the same. A view is dropped and
/// created again, so rows inserted by another server in between (well under
/// a second) reach no rollup.
pub(super) fn recount_errors(layout: &Layout, errors: ErrorRows) -> Vec<String> {
    let mut rollups = rollups(errors);
    if errors == ErrorRows::CountedByLevel {
        rollups.push(app_rollup(Grain::Hour, errors));
    }
    let mut statements = Vec::new();
    for (rollup, feeds) in rollups {
        for feed in feeds.iter().filter(|feed| feed.source == "errors") {
            statements.push(format!(
                "DROP VIEW IF EXISTS {}{}",
                feed.view,
                layout.on_cluster()
            ));
            statements.push(create_view(layout, rollup.table, feed));
        }
    }
    statements
}

/// A rollup's table and the views that feed it.
pub(super) fn create_rollup(
    layout: &Layout,
    database: &str,
    rollup: &Rollup,
    feeds: &[FeedSql],
) -> Vec<String> {
    let partition_by = format!("toYYYYMM({})", rollup.grain.column());
    let spec = TableSpec {
        name: rollup.table,
        columns: rollup.columns.clone(),
        engine: "AggregatingMergeTree",
        // Months, not days: 395 days of daily partitions would be too many parts.
        partition_by: Some(&partition_by),
        order_by: &rollup.order_by,
        deduplicated: false,
        shard_by: "cityHash64(app)",
    };
    let mut statements = create_table(layout, database, &spec);
    statements.extend(
        feeds
            .iter()
            .map(|feed| create_view(layout, rollup.table, feed)),
    );
    statements
}

/// The backfill of a rollup from the raw rows its views read (single node
/// only). Rows inserted while the migration runs (a second or so) may be
/// counted by both the view and this backfill; on a fresh database both are
/// empty.
pub(super) fn backfill_from_raw(table: &str, feed: &FeedSql) -> String {
    format!(
        "INSERT INTO {table} ({}) {}",
        column_names(&feed.select),
        feed.query(feed.source)
    )
}

/// A rollup's table and views, and on a single node its backfill from the
/// raw rows its views read.
pub(super) fn create_backfilled_rollup(
    layout: &Layout,
    database: &str,
    rollup: &Rollup,
    feeds: &[FeedSql],
) -> Vec<String> {
    let mut statements = create_rollup(layout, database, rollup, feeds);
    if *layout == Layout::SingleNode {
        statements.extend(
            feeds
                .iter()
                .map(|feed| backfill_from_raw(rollup.table, feed)),
        );
    }
    statements
}

/// Migration 5: rollup tables, the views that feed them, and a backfill.
pub(super) fn create_rollups(layout: &Layout, database: &str) -> Vec<String> {
    rollups(ErrorRows::OnePerOccurrence)
        .iter()
        .flat_map(|(rollup, feeds)| create_backfilled_rollup(layout, database, rollup, feeds))
        .collect()
}

/// The output names of a SELECT list (`expr AS name` or a bare column).
fn column_names(select: &str) -> String {
    split_top_level(select)
        .iter()
        .map(|item| {
            item.rsplit_once(" AS ")
                .map_or(item.trim(), |(_, name)| name.trim())
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits on commas outside parentheses and quotes.
fn split_top_level(list: &str) -> Vec<String> {
    let (mut items, mut current, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for c in list.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
}

/// Rollup retention, applied at every start like the raw tables' TTL, to
/// the per-minute rollups and the hourly ones alike.
pub fn rollup_retention_statements(layout: &Layout, days: u32) -> Vec<String> {
    rollups(ErrorRows::Counted)
        .into_iter()
        .chain(hourly_rollups())
        .chain(sourcemaps::rollups())
        .chain(release_rollups())
        .map(|(rollup, _)| {
            format!(
                "ALTER TABLE {}{} MODIFY TTL {} + INTERVAL {days} DAY SETTINGS materialize_ttl_after_modify = 0",
                layout.storage_table(rollup.table),
                layout.on_cluster(),
                rollup.grain.column()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollups_render_for_both_layouts() {
        let single = create_rollups(&Layout::SingleNode, "canopy");
        assert!(
            single[0].starts_with("CREATE TABLE IF NOT EXISTS rollup_app_minute ("),
            "{}",
            single[0]
        );
        assert!(single[0].contains(
            "ENGINE = AggregatingMergeTree\nPARTITION BY toYYYYMM(minute) ORDER BY (app, minute)"
        ));
        assert!(single.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_app_minute_views TO rollup_app_minute AS SELECT app, "
        )));
        assert!(single
            .iter()
            .any(|s| s.starts_with("INSERT INTO rollup_app_minute (app, minute, views) SELECT")));

        let cluster = create_rollups(&Layout::Cluster("rum".into()), "canopy");
        assert!(cluster[0].contains("ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_app_minute_local'"));
        assert!(cluster.iter().any(|s| s.starts_with(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_vitals_minute_mv ON CLUSTER `rum` TO rollup_vitals_minute_local AS SELECT"
        ) && s.contains("FROM vitals_local")));
        assert!(
            !cluster.iter().any(|s| s.starts_with("INSERT")),
            "no backfill on a cluster"
        );
        let ttl = rollup_retention_statements(&Layout::Cluster("rum".into()), 395);
        assert!(ttl[0].starts_with("ALTER TABLE rollup_app_minute_local ON CLUSTER `rum` MODIFY TTL minute + INTERVAL 395 DAY"));
        assert!(
            ttl.iter().any(|s| s.starts_with(
                "ALTER TABLE rollup_vitals_hour_local ON CLUSTER `rum` MODIFY TTL hour + INTERVAL 395 DAY"
            )),
            "the hourly rollups are kept as long: {ttl:?}"
        );
    }

    #[test]
    fn select_lists_name_their_columns() {
        assert_eq!(
            column_names("app, f(a, 'x,y') AS b, count() AS c"),
            "app, b, c"
        );
    }
}
