//! The dashboard's reads. Everything but probes and long frames reads the
//! rollups: the per-app totals, vitals and charts over ranges longer than a
//! few hours the hourly ones (migration 7), the rest the per-minute ones
//! (migration 5). The caller aligns the range to the grain read, so rollups
//! and raw rows cover the same events. Every value from a request is bound
//! (`?`), never spliced. Each query has its row type; the ones the API
//! answers with as they are also describe themselves for /openapi.json.

use clickhouse::query::Query;
use clickhouse::{Row, RowOwned, RowRead};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{Grain, QUANTILES};
use super::{Store, StoreError};

/// A half-open range `[from, to)` in Unix seconds, aligned to whole minutes
/// (or hours, when read from the hourly rollups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: u32,
    pub to: u32,
}

impl Range {
    /// Widened outward to whole `grain`s, so the rollups at that grain cover
    /// exactly the raw events of the range.
    pub fn widened(self, grain: Grain) -> Range {
        let size = grain.seconds();
        Range {
            from: self.from / size * size,
            to: self.to.div_ceil(size) * size,
        }
    }
}

/// Per app, from [`Store::app_totals`].
#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct AppTotals {
    pub app: String,
    pub views: u64,
    pub error_views: u64,
    pub failed_views: u64,
    pub errors: u64,
}

/// Per app, from [`Store::muted_errors`].
#[derive(Debug, Row, Deserialize)]
pub struct MutedErrors {
    pub app: String,
    pub muted_errors: u64,
}

/// One vital's samples and [p50, p75, p95] for a `key`: an app
/// ([`Store::vital_totals`]), a page or browser ([`Store::vitals_by`]).
#[derive(Debug, Clone, PartialEq, Row, Deserialize)]
pub struct VitalQuantiles {
    pub key: String,
    pub name: String,
    pub samples: u64,
    pub q: Vec<f64>,
}

/// One bucket of an app's views, from [`Store::app_series`].
#[derive(Debug, Row, Deserialize)]
pub struct AppBucket {
    pub t: u32,
    pub views: u64,
    pub error_views: u64,
    pub errors: u64,
}

/// One bucket of one vital, from [`Store::vital_series`].
#[derive(Debug, Row, Deserialize)]
pub struct VitalBucket {
    pub t: u32,
    pub name: String,
    pub q: Vec<f64>,
}

/// Errors of one fingerprint (message + top frame), from [`Store::top_errors`].
#[derive(Debug, Row, Serialize, Deserialize, ToSchema)]
pub struct ErrorGroup {
    pub fingerprint: String,
    pub message: String,
    pub top_frame: String,
    /// Occurrences.
    pub count: u64,
    /// Views with at least one.
    pub views: u64,
    /// Epoch milliseconds.
    pub first_seen: i64,
    /// Epoch milliseconds.
    pub last_seen: i64,
}

/// One resource's loads, from [`Store::slowest_resources`].
#[derive(Debug, Row, Deserialize)]
pub struct ResourceLoads {
    pub url: String,
    pub initiator: String,
    pub samples: u64,
    pub bytes: u64,
    /// Duration (ms) [p50, p75, p95].
    pub q: Vec<f64>,
}

/// One bucket of health probes, from [`Store::probe_series`].
#[derive(Debug, Row, Serialize, Deserialize, ToSchema)]
pub struct ProbeBucket {
    /// Bucket start, Unix seconds.
    pub t: u32,
    pub probes: u64,
    /// Share of probes that succeeded, 0–1.
    pub ok: f64,
    /// Mean latency, ms.
    pub avg: f64,
    /// p95 latency, ms.
    pub p95: f64,
}

/// One bucket of long animation frames, from [`Store::long_frame_series`].
#[derive(Debug, Row, Serialize, Deserialize, ToSchema)]
pub struct LongFrameBucket {
    /// Bucket start, Unix seconds.
    pub t: u32,
    pub frames: u64,
    /// Input blocked, ms.
    pub blocking: f64,
    /// p95 frame duration, ms.
    pub p95: f64,
}

/// A script that ran in long frames, from [`Store::long_frame_scripts`].
#[derive(Debug, Row, Serialize, Deserialize, ToSchema)]
pub struct LongFrameScript {
    pub url: String,
    pub invoker: String,
    pub function: String,
    pub frames: u64,
    /// Total time it ran, ms.
    pub duration: f64,
}

/// Ranges longer than this read the hourly rollups, widened to whole hours
/// (at most an hour more than asked for; the answer says which range it
/// covers). Shorter ones keep minute precision: an hour more would matter.
pub const HOURLY_OVER_SECONDS: u32 = 6 * 3600;

/// The grain the overview reads `range` at, and the range aligned to it.
pub fn overview_grain(range: Range) -> (Grain, Range) {
    let grain = if range.to - range.from > HOURLY_OVER_SECONDS {
        Grain::Hour
    } else {
        Grain::Minute
    };
    (grain, range.widened(grain))
}

/// The grain charts with buckets of `bucket` seconds read: hours when every
/// bucket holds whole hours (buckets start at multiples of their size).
pub fn series_grain(range: Range, bucket: u32) -> (Grain, Range) {
    let grain = if bucket.is_multiple_of(Grain::Hour.seconds()) {
        Grain::Hour
    } else {
        Grain::Minute
    };
    (grain, range.widened(grain))
}

/// The range on a rollup's time column at `grain`.
fn time_range(grain: Grain) -> String {
    let time = grain.column();
    format!("{time} >= toDateTime(?) AND {time} < toDateTime(?)")
}

/// `merge` (a rollup's quantiles merge function) of its quantile states as
/// `q`: [p50, p75, p95] as Float64. t-digests give Float32: each is read by
/// its shortest decimal form (0.1, not 0.10000000149 as a plain cast gives).
fn merged_quantiles(merge: &str) -> String {
    format!("arrayMap(x -> toFloat64(toString(x)), {merge}({QUANTILES})(quantiles)) AS q")
}

/// The range on the per-minute rollups that have no hourly ones (breakdowns
/// by page and browser, errors, resources).
pub(super) const MINUTE_RANGE: &str = "minute >= toDateTime(?) AND minute < toDateTime(?)";
/// The same range on a raw table's event time.
pub(super) const AT_RANGE: &str = "at >= toDateTime(?) AND at < toDateTime(?)";
/// A raw table's event time, in whole seconds as the rollups' time columns.
const RAW_TIME: &str = "toDateTime(at)";

/// One app's `measures` per bucket of `table`'s `time` column, within
/// `range`, also grouped by `by` (a column, or `""`). Its parameters are
/// bound by [`Store::bucketed`].
fn series_sql(table: &str, time: &str, range: &str, measures: &str, by: &str) -> String {
    let by = if by.is_empty() {
        String::new()
    } else {
        format!(", {by}")
    };
    format!(
        "SELECT toUInt32(intDiv(toUInt32({time}), ?) * ?) AS t{by}, {measures} \
         FROM {table} WHERE app = ? AND {range} GROUP BY t{by} ORDER BY t{by}"
    )
}

impl Store {
    /// A per-bucket query over one app and range: binds the bucket (twice,
    /// for `intDiv(minute, ?) * ?`), the app and the range, in that order.
    fn bucketed(&self, sql: &str, bucket: u32, app: &str, range: Range) -> Query {
        self.client()
            .query(sql)
            .bind(bucket)
            .bind(bucket)
            .bind(app)
            .bind(range.from)
            .bind(range.to)
    }

    /// A list query over one app and range: binds the app, the range and the
    /// most rows to return, in that order.
    fn listed(&self, sql: &str, app: &str, range: Range, limit: u32) -> Query {
        self.client()
            .query(sql)
            .bind(app)
            .bind(range.from)
            .bind(range.to)
            .bind(limit)
    }

    /// Runs `query`, one `R` per row.
    pub(super) async fn rows<R: RowOwned + RowRead>(query: Query) -> Result<Vec<R>, StoreError> {
        Ok(query.fetch_all::<R>().await?)
    }

    /// Per app: views, error views, failed views, errors, from the rollup at
    /// `grain` (`range` aligned to it).
    pub async fn app_totals(
        &self,
        range: Range,
        grain: Grain,
    ) -> Result<Vec<AppTotals>, StoreError> {
        let (table, range_sql) = (grain.app_table(), time_range(grain));
        let sql = format!(
            "SELECT app, uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, \
             uniqMerge(failed_views) AS failed_views, sum(errors) AS errors \
             FROM {table} WHERE {range_sql} GROUP BY app ORDER BY app"
        );
        Self::rows(self.client().query(&sql).bind(range.from).bind(range.to)).await
    }

    /// Per app: cross-origin errors the browser muted ("Script error."),
    /// counted from the raw errors (they are in no rollup: the error rollups
    /// hold groupable errors only, and these are few per view at most).
    pub async fn muted_errors(&self, range: Range) -> Result<Vec<MutedErrors>, StoreError> {
        let sql = format!(
            "SELECT app, toUInt64(sum(count)) AS muted_errors FROM errors \
             WHERE source = 'muted' AND {AT_RANGE} GROUP BY app ORDER BY app"
        );
        Self::rows(self.client().query(&sql).bind(range.from).bind(range.to)).await
    }

    /// Per app and vital: samples and [p50, p75, p95], from the rollup at `grain`.
    pub async fn vital_totals(
        &self,
        range: Range,
        grain: Grain,
    ) -> Result<Vec<VitalQuantiles>, StoreError> {
        let ((table, merge), range_sql) = (grain.vitals_table(), time_range(grain));
        let sql = format!(
            "SELECT app AS key, name, sum(samples) AS samples, {} \
             FROM {table} WHERE {range_sql} GROUP BY key, name ORDER BY key, name",
            merged_quantiles(merge)
        );
        Self::rows(self.client().query(&sql).bind(range.from).bind(range.to)).await
    }

    /// One app's views, error views and errors per bucket of `bucket`
    /// seconds, from the rollup at `grain` (whole grains per bucket).
    pub async fn app_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
        grain: Grain,
    ) -> Result<Vec<AppBucket>, StoreError> {
        let measures = "uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, sum(errors) AS errors";
        let sql = series_sql(
            grain.app_table(),
            grain.column(),
            &time_range(grain),
            measures,
            "",
        );
        Self::rows(self.bucketed(&sql, bucket, app, range)).await
    }

    /// One app's vitals per bucket: t, name, samples, [p50, p75, p95], from
    /// the rollup at `grain`.
    pub async fn vital_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
        grain: Grain,
    ) -> Result<Vec<VitalBucket>, StoreError> {
        let (table, merge) = grain.vitals_table();
        let measures = merged_quantiles(merge);
        let sql = series_sql(table, grain.column(), &time_range(grain), &measures, "name");
        Self::rows(self.bucketed(&sql, bucket, app, range)).await
    }

    /// One app's vitals grouped by `dimension` (page path or browser).
    pub async fn vitals_by(
        &self,
        app: &str,
        range: Range,
        dimension: Dimension,
    ) -> Result<Vec<VitalQuantiles>, StoreError> {
        let column = dimension.column();
        let sql = format!(
            "SELECT {column} AS key, name, sum(samples) AS samples, {} \
             FROM rollup_vitals_minute WHERE app = ? AND {MINUTE_RANGE} GROUP BY key, name ORDER BY key, name",
            merged_quantiles("quantilesMerge")
        );
        Self::rows(
            self.client()
                .query(&sql)
                .bind(app)
                .bind(range.from)
                .bind(range.to),
        )
        .await
    }

    /// One app's errors grouped by fingerprint (message + top frame), most frequent first.
    pub async fn top_errors(
        &self,
        app: &str,
        range: Range,
        limit: u32,
    ) -> Result<Vec<ErrorGroup>, StoreError> {
        let sql = format!(
            "SELECT fingerprint, any(message) AS message, any(top_frame) AS top_frame, sum(count) AS count, \
             uniqMerge(views) AS views, toUnixTimestamp64Milli(min(first_seen)) AS first_seen, \
             toUnixTimestamp64Milli(max(last_seen)) AS last_seen \
             FROM rollup_errors_minute WHERE app = ? AND {MINUTE_RANGE} \
             GROUP BY fingerprint ORDER BY count DESC, fingerprint LIMIT ?"
        );
        Self::rows(self.listed(&sql, app, range, limit)).await
    }

    /// One app's resources, slowest p75 first.
    pub async fn slowest_resources(
        &self,
        app: &str,
        range: Range,
        limit: u32,
    ) -> Result<Vec<ResourceLoads>, StoreError> {
        let sql = format!(
            "SELECT url, initiator, sum(samples) AS samples, sum(bytes) AS bytes, \
             {} FROM rollup_resources_minute WHERE app = ? AND {MINUTE_RANGE} \
             GROUP BY url, initiator ORDER BY q[2] DESC, url LIMIT ?",
            merged_quantiles("quantilesMerge")
        );
        Self::rows(self.listed(&sql, app, range, limit)).await
    }

    /// One app's health probes per bucket (raw: probes are few).
    pub async fn probe_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
    ) -> Result<Vec<ProbeBucket>, StoreError> {
        let measures = "count() AS probes, avg(ok) AS ok, avg(latency_ms) AS avg, quantile(0.95)(latency_ms) AS p95";
        let sql = series_sql("probes", RAW_TIME, AT_RANGE, measures, "");
        Self::rows(self.bucketed(&sql, bucket, app, range)).await
    }

    /// One app's long animation frames per bucket: how many, the input they
    /// blocked (ms), and their p95 duration. Raw, like probes: no rollup yet.
    pub async fn long_frame_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
    ) -> Result<Vec<LongFrameBucket>, StoreError> {
        let measures =
            "count() AS frames, sum(blocking) AS blocking, quantile(0.95)(duration) AS p95";
        let sql = series_sql("long_frames", RAW_TIME, AT_RANGE, measures, "");
        Self::rows(self.bucketed(&sql, bucket, app, range)).await
    }

    /// The scripts that ran longest in one app's long frames, longest total first.
    pub async fn long_frame_scripts(
        &self,
        app: &str,
        range: Range,
        limit: u32,
    ) -> Result<Vec<LongFrameScript>, StoreError> {
        let sql = format!(
            "SELECT script.url AS url, script.invoker AS invoker, script.function AS function, \
             count() AS frames, sum(script.duration) AS duration \
             FROM long_frames ARRAY JOIN scripts AS script WHERE app = ? AND {AT_RANGE} \
             GROUP BY url, invoker, function ORDER BY duration DESC, url LIMIT ?"
        );
        Self::rows(self.listed(&sql, app, range, limit)).await
    }
}

/// What the vitals of one app can be broken down by.
#[derive(Debug, Clone, Copy)]
pub enum Dimension {
    Page,
    Browser,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::Page => "page_path",
            Dimension::Browser => "browser",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_over_six_hours_read_whole_hours() {
        let six_hours = Range {
            from: 7_260,
            to: 7_260 + HOURLY_OVER_SECONDS,
        };
        assert_eq!(overview_grain(six_hours), (Grain::Minute, six_hours));
        let day = Range {
            from: 7_260,
            to: 7_260 + 86_400,
        };
        assert_eq!(
            overview_grain(day),
            (
                Grain::Hour,
                Range {
                    from: 7_200,
                    to: 97_200
                }
            ),
            "widened outward, never narrowed"
        );
        assert_eq!(series_grain(day, 900).0, Grain::Minute);
        assert_eq!(
            series_grain(day, 3 * 3600),
            (
                Grain::Hour,
                Range {
                    from: 7_200,
                    to: 97_200
                }
            )
        );
    }
}
