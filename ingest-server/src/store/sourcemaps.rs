//! The `sourcemaps` table (migration 11): uploaded maps, read back newest
//! first (a re-upload of a file is a newer row until ClickHouse merges them).

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// One uploaded map, as stored.
#[derive(Debug, Row, Serialize)]
pub struct SourcemapRow<'a> {
    pub app: &'a str,
    pub version: &'a str,
    pub file: &'a str,
    pub map: &'a str,
    pub bytes: u64,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    pub uploaded_at: time::OffsetDateTime,
}

/// A file of a version that has a map, and when it was last uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct UploadedFile {
    pub file: String,
    /// Epoch milliseconds: tells a replaced map from the one it replaced.
    pub uploaded_at: i64,
}

/// What an upload of `file` to `version` would change, from [`Store::upload_counts`].
#[derive(Debug, Row, Deserialize)]
pub struct UploadCounts {
    /// Files of the version with maps.
    pub files: u64,
    /// Whether this file already has one (a re-upload adds no file).
    pub has_file: bool,
    /// Versions of the app with maps.
    pub versions: u64,
    /// Whether this version already has maps (its upload adds no version).
    pub has_version: bool,
}

impl Store {
    /// Stores one map; returns once ClickHouse has it.
    pub async fn insert_sourcemap(&self, row: &SourcemapRow<'_>) -> Result<(), StoreError> {
        let mut insert = self
            .client()
            .insert::<SourcemapRow<'_>>("sourcemaps")
            .await?
            .with_setting("async_insert", "0");
        insert.write(row).await?;
        insert.end().await?;
        Ok(())
    }

    /// How many files and versions `app` has maps for, and whether `version`
    /// and its `file` are among them.
    pub async fn upload_counts(
        &self,
        app: &str,
        version: &str,
        file: &str,
    ) -> Result<UploadCounts, StoreError> {
        let sql = "SELECT uniqExactIf(file, version = ?) AS files, \
                   countIf(version = ? AND file = ?) > 0 AS has_file, \
                   uniqExact(version) AS versions, countIf(version = ?) > 0 AS has_version \
                   FROM sourcemaps WHERE app = ?";
        let query = self
            .client()
            .query(sql)
            .bind(version)
            .bind(version)
            .bind(file);
        Ok(query.bind(version).bind(app).fetch_one().await?)
    }

    /// The files of `app` `version` that have maps.
    pub async fn uploaded_files(
        &self,
        app: &str,
        version: &str,
    ) -> Result<Vec<UploadedFile>, StoreError> {
        let sql = "SELECT file, toUnixTimestamp64Milli(max(uploaded_at)) AS uploaded_at \
                   FROM sourcemaps WHERE app = ? AND version = ? GROUP BY file ORDER BY file";
        let query = self.client().query(sql).bind(app).bind(version);
        Ok(query.fetch_all().await?)
    }

    /// The newest map of one file, if it has one.
    pub async fn sourcemap(
        &self,
        app: &str,
        version: &str,
        file: &str,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT map FROM sourcemaps WHERE app = ? AND version = ? AND file = ? \
                   ORDER BY uploaded_at DESC LIMIT 1";
        let query = self.client().query(sql).bind(app).bind(version).bind(file);
        Ok(query.fetch_optional().await?)
    }
}
