//! Release health reads: one app's versions from the release rollups
//! (migration 12), for the dashboard's versions page and the regression
//! rules. Ranges are whole hours (the rollups' grain); values are bound.

use clickhouse::Row;
use serde::Deserialize;

use super::dashboard::Range;
use super::schema::{RELEASE_TABLE, RELEASE_VITALS_TABLE};
use super::{Store, StoreError};

/// One version's totals over a range, from [`Store::version_totals`].
#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct VersionTotals {
    pub version: String,
    /// When the version was first and last seen at all (epoch ms), not only
    /// within the range.
    pub first_seen: i64,
    pub last_seen: i64,
    pub views: u64,
    pub error_views: u64,
    pub failed_views: u64,
    pub errors: u64,
    pub api_calls: u64,
    pub api_failures: u64,
}

/// One version's p75 of one vital, from [`Store::version_vitals`].
#[derive(Debug, Clone, PartialEq, Row, Deserialize)]
pub struct VersionVital {
    pub version: String,
    pub name: String,
    pub p75: f64,
}

/// One version's views in one bucket, from [`Store::version_adoption`].
#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct VersionViews {
    pub version: String,
    /// Bucket start, Unix seconds.
    pub t: u32,
    pub views: u64,
}

/// An app's version and when it was first seen, from [`Store::first_seen_versions`].
#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct FirstSeen {
    pub app: String,
    pub version: String,
    /// Epoch ms.
    pub first_seen: i64,
}

/// The range on the release rollups' hours.
const HOUR_RANGE: &str = "hour >= toDateTime(?) AND hour < toDateTime(?)";

impl Store {
    /// One app's versions seen within `range`, newest first seen first.
    pub async fn version_totals(
        &self,
        app: &str,
        range: Range,
    ) -> Result<Vec<VersionTotals>, StoreError> {
        // First and last seen over the version's whole history: the app's
        // few rows per version and hour, read in key order.
        let sql = format!(
            "SELECT version, toUnixTimestamp64Milli(seen.first_at) AS first_seen, \
             toUnixTimestamp64Milli(seen.last_at) AS last_seen, views, error_views, failed_views, errors, \
             api_calls, api_failures FROM ( \
               SELECT app_version AS version, uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, \
               uniqMerge(failed_views) AS failed_views, sum(errors) AS errors, sum(api_calls) AS api_calls, \
               sum(api_failures) AS api_failures \
               FROM {RELEASE_TABLE} WHERE app = ? AND {HOUR_RANGE} GROUP BY version \
             ) AS totals INNER JOIN ( \
               SELECT app_version AS version, min(first_seen) AS first_at, max(last_seen) AS last_at \
               FROM {RELEASE_TABLE} WHERE app = ? GROUP BY version \
             ) AS seen USING version \
             ORDER BY first_seen DESC, version"
        );
        let query = self
            .client()
            .query(&sql)
            .bind(app)
            .bind(range.from)
            .bind(range.to)
            .bind(app);
        Ok(query.fetch_all().await?)
    }

    /// One app's p75 of each vital per version within `range`.
    pub async fn version_vitals(
        &self,
        app: &str,
        range: Range,
    ) -> Result<Vec<VersionVital>, StoreError> {
        // A t-digest gives Float32: read by its shortest decimal form.
        let sql = format!(
            "SELECT app_version AS version, name, \
             toFloat64(toString(quantilesTDigestMerge(0.75)(quantiles)[1])) AS p75 \
             FROM {RELEASE_VITALS_TABLE} WHERE app = ? AND {HOUR_RANGE} \
             GROUP BY version, name ORDER BY version, name"
        );
        let query = self
            .client()
            .query(&sql)
            .bind(app)
            .bind(range.from)
            .bind(range.to);
        Ok(query.fetch_all().await?)
    }

    /// One app's views per version and bucket of `bucket` seconds (whole hours).
    pub async fn version_adoption(
        &self,
        app: &str,
        range: Range,
        bucket: u32,
    ) -> Result<Vec<VersionViews>, StoreError> {
        let sql = format!(
            "SELECT app_version AS version, toUInt32(intDiv(toUInt32(hour), ?) * ?) AS t, \
             uniqMerge(views) AS views FROM {RELEASE_TABLE} WHERE app = ? AND {HOUR_RANGE} \
             GROUP BY version, t ORDER BY version, t"
        );
        let query = self
            .client()
            .query(&sql)
            .bind(bucket)
            .bind(bucket)
            .bind(app)
            .bind(range.from)
            .bind(range.to);
        Ok(query.fetch_all().await?)
    }

    /// Every app's two versions seen first most recently (newest first), of
    /// versions with a name: what a regression rule compares.
    pub async fn newest_versions(&self) -> Result<Vec<FirstSeen>, StoreError> {
        let sql = format!(
            "SELECT app, app_version AS version, toUnixTimestamp64Milli(min(first_seen)) AS first_seen \
             FROM {RELEASE_TABLE} WHERE app_version != '' GROUP BY app, version \
             ORDER BY app, first_seen DESC, version DESC LIMIT 2 BY app"
        );
        Ok(self.client().query(&sql).fetch_all().await?)
    }
}
