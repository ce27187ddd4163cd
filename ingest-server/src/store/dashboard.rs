//! The dashboard's reads. Everything but probes and long frames reads the
//! rollups: the per-app totals, vitals and charts over ranges longer than a
//! few hours the hourly ones (migration 7), the rest the per-minute ones
//! (migration 5). The caller aligns the range to the grain read, so rollups
//! and raw rows cover the same events. Every value from a request is bound
//! (`?`), never spliced.

use clickhouse::query::Query;
use serde_json::Value;

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

/// The range on the per-minute rollups that have no hourly ones (breakdowns
/// by page and browser, errors, resources).
const MINUTE_RANGE: &str = "minute >= toDateTime(?) AND minute < toDateTime(?)";
/// The same range on a raw table's event time.
const AT_RANGE: &str = "at >= toDateTime(?) AND at < toDateTime(?)";
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

    /// Runs `query` and returns its rows as JSON objects (the dashboard's
    /// answers are JSON anyway, so no row types to keep in step with SQL).
    async fn json_rows(&self, query: Query) -> Result<Vec<Value>, StoreError> {
        let bytes = query
            .with_setting("output_format_json_quote_64bit_integers", "0")
            .with_setting("output_format_json_quote_denormals", "0")
            .fetch_bytes("JSONEachRow")?
            .collect()
            .await?;
        bytes
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).map_err(StoreError::Decode))
            .collect()
    }

    /// Per app: views, error views, failed views, errors, from the rollup at
    /// `grain` (`range` aligned to it).
    pub async fn app_totals(&self, range: Range, grain: Grain) -> Result<Vec<Value>, StoreError> {
        let (table, range_sql) = (grain.app_table(), time_range(grain));
        let sql = format!(
            "SELECT app, uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, \
             uniqMerge(failed_views) AS failed_views, sum(errors) AS errors \
             FROM {table} WHERE {range_sql} GROUP BY app ORDER BY app"
        );
        self.json_rows(self.client().query(&sql).bind(range.from).bind(range.to))
            .await
    }

    /// Per app: cross-origin errors the browser muted ("Script error."),
    /// counted from the raw errors (they are in no rollup: the error rollups
    /// hold groupable errors only, and these are few per view at most).
    pub async fn muted_errors(&self, range: Range) -> Result<Vec<Value>, StoreError> {
        let sql = format!(
            "SELECT app, toUInt64(sum(count)) AS muted_errors FROM errors \
             WHERE source = 'muted' AND {AT_RANGE} GROUP BY app ORDER BY app"
        );
        self.json_rows(self.client().query(&sql).bind(range.from).bind(range.to))
            .await
    }

    /// Per app and vital: samples and [p50, p75, p95], from the rollup at `grain`.
    pub async fn vital_totals(&self, range: Range, grain: Grain) -> Result<Vec<Value>, StoreError> {
        let ((table, merge), range_sql) = (grain.vitals_table(), time_range(grain));
        let sql = format!(
            "SELECT app, name, sum(samples) AS samples, {merge}({QUANTILES})(quantiles) AS q \
             FROM {table} WHERE {range_sql} GROUP BY app, name ORDER BY app, name"
        );
        self.json_rows(self.client().query(&sql).bind(range.from).bind(range.to))
            .await
    }

    /// One app's views, error views and errors per bucket of `bucket`
    /// seconds, from the rollup at `grain` (whole grains per bucket).
    pub async fn app_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
        grain: Grain,
    ) -> Result<Vec<Value>, StoreError> {
        let measures = "uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, sum(errors) AS errors";
        let sql = series_sql(
            grain.app_table(),
            grain.column(),
            &time_range(grain),
            measures,
            "",
        );
        self.json_rows(self.bucketed(&sql, bucket, app, range))
            .await
    }

    /// One app's vitals per bucket: t, name, samples, [p50, p75, p95], from
    /// the rollup at `grain`.
    pub async fn vital_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
        grain: Grain,
    ) -> Result<Vec<Value>, StoreError> {
        let (table, merge) = grain.vitals_table();
        let measures = format!("sum(samples) AS samples, {merge}({QUANTILES})(quantiles) AS q");
        let sql = series_sql(table, grain.column(), &time_range(grain), &measures, "name");
        self.json_rows(self.bucketed(&sql, bucket, app, range))
            .await
    }

    /// One app's vitals grouped by `dimension` (page path or browser).
    pub async fn vitals_by(
        &self,
        app: &str,
        range: Range,
        dimension: Dimension,
    ) -> Result<Vec<Value>, StoreError> {
        let column = dimension.column();
        let sql = format!(
            "SELECT {column} AS key, name, sum(samples) AS samples, quantilesMerge({QUANTILES})(quantiles) AS q \
             FROM rollup_vitals_minute WHERE app = ? AND {MINUTE_RANGE} GROUP BY key, name ORDER BY key, name"
        );
        self.json_rows(
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
    ) -> Result<Vec<Value>, StoreError> {
        let sql = format!(
            "SELECT fingerprint, any(message) AS message, any(top_frame) AS top_frame, sum(count) AS count, \
             uniqMerge(views) AS views, toUnixTimestamp64Milli(min(first_seen)) AS first_seen, \
             toUnixTimestamp64Milli(max(last_seen)) AS last_seen \
             FROM rollup_errors_minute WHERE app = ? AND {MINUTE_RANGE} \
             GROUP BY fingerprint ORDER BY count DESC, fingerprint LIMIT ?"
        );
        self.json_rows(self.listed(&sql, app, range, limit)).await
    }

    /// One app's resources, slowest p75 first.
    pub async fn slowest_resources(
        &self,
        app: &str,
        range: Range,
        limit: u32,
    ) -> Result<Vec<Value>, StoreError> {
        let sql = format!(
            "SELECT url, initiator, sum(samples) AS samples, sum(bytes) AS bytes, \
             quantilesMerge({QUANTILES})(quantiles) AS q \
             FROM rollup_resources_minute WHERE app = ? AND {MINUTE_RANGE} \
             GROUP BY url, initiator ORDER BY q[2] DESC, url LIMIT ?"
        );
        self.json_rows(self.listed(&sql, app, range, limit)).await
    }

    /// One app's health probes per bucket (raw: probes are few).
    pub async fn probe_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
    ) -> Result<Vec<Value>, StoreError> {
        let measures = "count() AS probes, avg(ok) AS ok, avg(latency_ms) AS avg, quantile(0.95)(latency_ms) AS p95";
        let sql = series_sql("probes", RAW_TIME, AT_RANGE, measures, "");
        self.json_rows(self.bucketed(&sql, bucket, app, range))
            .await
    }

    /// One app's long animation frames per bucket: how many, the input they
    /// blocked (ms), and their p95 duration. Raw, like probes: no rollup yet.
    pub async fn long_frame_series(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
    ) -> Result<Vec<Value>, StoreError> {
        let measures =
            "count() AS frames, sum(blocking) AS blocking, quantile(0.95)(duration) AS p95";
        let sql = series_sql("long_frames", RAW_TIME, AT_RANGE, measures, "");
        self.json_rows(self.bucketed(&sql, bucket, app, range))
            .await
    }

    /// The scripts that ran longest in one app's long frames, longest total first.
    pub async fn long_frame_scripts(
        &self,
        app: &str,
        range: Range,
        limit: u32,
    ) -> Result<Vec<Value>, StoreError> {
        let sql = format!(
            "SELECT script.url AS url, script.invoker AS invoker, script.function AS function, \
             count() AS frames, sum(script.duration) AS duration \
             FROM long_frames ARRAY JOIN scripts AS script WHERE app = ? AND {AT_RANGE} \
             GROUP BY url, invoker, function ORDER BY duration DESC, url LIMIT ?"
        );
        self.json_rows(self.listed(&sql, app, range, limit)).await
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
