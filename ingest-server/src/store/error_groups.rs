//! Error groups by app version (`rollup_error_groups_minute`, migration 11),
//! for grouping on resolved frames: the caller reads each version's minified
//! groups ([`Store::group_parts`]), resolves their top frames, and reads the
//! figures again merged by the group each part resolved to. A part is named
//! by its [`part_key`]; uniq states merge in ClickHouse, so views and
//! sessions of merged parts stay exact.

use clickhouse::query::Query;
use clickhouse::Row;
use serde::Deserialize;

use super::conditions::COUNTED_ERROR;
use super::dashboard::{ErrorGroup, Range, AT_RANGE, MINUTE_RANGE};
use super::schema::{fingerprint_sql, ERROR_GROUPS_TABLE as TABLE};
use super::{Store, StoreError};

/// Most parts (minified groups of one version) resolved for one answer.
/// Bound parameters are written into the SQL text: 2,000 renamed parts (two
/// strings of about 25 bytes each) stay well inside ClickHouse's 256 KiB
/// `max_query_size`.
pub const MAX_PARTS: u32 = 2_000;

/// A part's key in SQL: fingerprints are hex, so the first `:` ends them.
const PART_KEY_SQL: &str = "concat(fingerprint, ':', app_version)";

/// The key of the part of `fingerprint` in `version`, as [`PART_KEY_SQL`].
pub fn part_key(fingerprint: &str, version: &str) -> String {
    format!("{fingerprint}:{version}")
}

/// One version's minified error group, from [`Store::group_parts`].
#[derive(Debug, Row, Deserialize)]
pub struct GroupPart {
    pub fingerprint: String,
    pub app_version: String,
    pub message: String,
    pub top_frame: String,
    pub count: u64,
}

/// A group's totals, from [`Store::group_totals`].
#[derive(Debug, Row, Deserialize)]
pub struct GroupTotals {
    pub message: String,
    pub count: u64,
    pub views: u64,
    pub sessions: u64,
    /// Epoch milliseconds.
    pub first_seen: i64,
    pub last_seen: i64,
}

/// Occurrences per bucket or per key.
#[derive(Debug, Row, Deserialize)]
pub struct Bucket {
    pub t: u32,
    pub count: u64,
}

#[derive(Debug, Row, Deserialize)]
pub struct Keyed {
    pub key: String,
    pub count: u64,
}

/// The newest raw error of a group, from [`Store::group_sample`].
#[derive(Debug, Row, Deserialize)]
pub struct Sample {
    pub app_version: String,
    pub error_type: String,
    pub source: String,
    pub functions: Vec<String>,
    pub files: Vec<String>,
    pub lines: Vec<u32>,
    pub columns: Vec<u32>,
}

/// What a group breaks down by.
#[derive(Debug, Clone, Copy)]
pub enum GroupDimension {
    Version,
    Browser,
}

/// The parts of a group: rows whose part key is in the bound array.
fn in_parts() -> String {
    format!("has(CAST(? AS Array(String)), {PART_KEY_SQL})")
}

impl Store {
    /// One app's minified groups per version, most occurrences first.
    pub async fn group_parts(&self, app: &str, range: Range) -> Result<Vec<GroupPart>, StoreError> {
        let sql = format!(
            "SELECT fingerprint, app_version, any(message) AS message, any(top_frame) AS top_frame, \
             sum(count) AS count FROM {TABLE} WHERE app = ? AND {MINUTE_RANGE} \
             GROUP BY fingerprint, app_version ORDER BY count DESC, fingerprint, app_version LIMIT ?"
        );
        Self::rows(self.over(&sql, app, range).bind(MAX_PARTS)).await
    }

    /// One app's groups, each part counted under the group `renamed` gives
    /// it (part keys to group ids; a part not named keeps its fingerprint),
    /// most occurrences first.
    pub async fn merged_groups(
        &self,
        app: &str,
        range: Range,
        renamed: (Vec<String>, Vec<String>),
        limit: u32,
    ) -> Result<Vec<ErrorGroup>, StoreError> {
        let sql = format!(
            "SELECT grp AS fingerprint, any(msg) AS message, any(frame) AS top_frame, sum(n) AS count, \
             uniqMerge(v) AS views, toUnixTimestamp64Milli(min(first)) AS first_seen, \
             toUnixTimestamp64Milli(max(last)) AS last_seen FROM (\
             SELECT transform({PART_KEY_SQL}, CAST(? AS Array(String)), CAST(? AS Array(String)), fingerprint) AS grp, \
             message AS msg, top_frame AS frame, count AS n, views AS v, first_seen AS first, last_seen AS last \
             FROM {TABLE} WHERE app = ? AND {MINUTE_RANGE}) \
             GROUP BY grp ORDER BY count DESC, grp LIMIT ?"
        );
        let query = self.client().query(&sql).bind(renamed.0).bind(renamed.1);
        Self::rows(query.bind(app).bind(range.from).bind(range.to).bind(limit)).await
    }

    /// The totals of the group made of `parts`.
    pub async fn group_totals(
        &self,
        app: &str,
        range: Range,
        parts: &[String],
    ) -> Result<GroupTotals, StoreError> {
        let sql = format!(
            "SELECT any(message) AS message, sum(count) AS count, uniqMerge(views) AS views, \
             uniqMerge(sessions) AS sessions, toUnixTimestamp64Milli(min(first_seen)) AS first_seen, \
             toUnixTimestamp64Milli(max(last_seen)) AS last_seen \
             FROM {TABLE} WHERE app = ? AND {MINUTE_RANGE} AND {}",
            in_parts()
        );
        Ok(self.over(&sql, app, range).bind(parts).fetch_one().await?)
    }

    /// The group's occurrences per bucket of `bucket` seconds.
    pub async fn group_series(
        &self,
        app: &str,
        range: Range,
        parts: &[String],
        bucket: u32,
    ) -> Result<Vec<Bucket>, StoreError> {
        let sql = format!(
            "SELECT toUInt32(intDiv(toUInt32(minute), ?) * ?) AS t, sum(count) AS count \
             FROM {TABLE} WHERE app = ? AND {MINUTE_RANGE} AND {} GROUP BY t ORDER BY t",
            in_parts()
        );
        let query = self.client().query(&sql).bind(bucket).bind(bucket);
        Self::rows(query.bind(app).bind(range.from).bind(range.to).bind(parts)).await
    }

    /// The group's occurrences by version or browser, most first.
    pub async fn group_by(
        &self,
        app: &str,
        range: Range,
        parts: &[String],
        dimension: GroupDimension,
    ) -> Result<Vec<Keyed>, StoreError> {
        let column = match dimension {
            GroupDimension::Version => "app_version",
            GroupDimension::Browser => "browser",
        };
        let sql = format!(
            "SELECT {column} AS key, sum(count) AS count FROM {TABLE} \
             WHERE app = ? AND {MINUTE_RANGE} AND {} GROUP BY key ORDER BY count DESC, key",
            in_parts()
        );
        Self::rows(self.over(&sql, app, range).bind(parts)).await
    }

    /// The newest raw error of the group made of `parts` still kept, if any.
    pub async fn group_sample(
        &self,
        app: &str,
        range: Range,
        parts: &[String],
    ) -> Result<Option<Sample>, StoreError> {
        let sql = format!(
            "SELECT app_version, error_type, source, frames.function AS functions, \
             frames.file AS files, frames.line AS lines, frames.column AS columns \
             FROM errors WHERE app = ? AND {AT_RANGE} AND {COUNTED_ERROR} \
             AND has(CAST(? AS Array(String)), concat({}, ':', app_version)) \
             ORDER BY at DESC LIMIT 1",
            fingerprint_sql()
        );
        Ok(self
            .over(&sql, app, range)
            .bind(parts)
            .fetch_optional()
            .await?)
    }

    /// A query over one app and range: binds the app and the range.
    fn over(&self, sql: &str, app: &str, range: Range) -> Query {
        self.client()
            .query(sql)
            .bind(app)
            .bind(range.from)
            .bind(range.to)
    }
}
