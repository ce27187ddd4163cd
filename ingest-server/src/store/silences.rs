//! Silences in ClickHouse (`silences`, migration 13): each change writes a
//! new version of the row, and reads take the newest (`FINAL`), so every
//! server and evaluator shares them and they survive restarts.

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::clock::{millis_of, time_from_millis, Millis};
use crate::model::silence::Silence;

#[derive(Debug, Row, Serialize, Deserialize)]
struct SilenceRow {
    id: String,
    matchers: Vec<String>,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    starts_at: OffsetDateTime,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    ends_at: OffsetDateTime,
    created_by: String,
    comment: String,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    updated_at: OffsetDateTime,
}

impl From<&Silence> for SilenceRow {
    fn from(silence: &Silence) -> Self {
        Self {
            id: silence.id.clone(),
            matchers: silence.matchers.iter().map(ToString::to_string).collect(),
            starts_at: time_from_millis(silence.starts_at),
            ends_at: time_from_millis(silence.ends_at),
            created_by: silence.created_by.clone(),
            comment: silence.comment.clone(),
            updated_at: time_from_millis(silence.updated_at),
        }
    }
}

impl SilenceRow {
    /// The silence, if its matchers still read (they were checked when made).
    fn into_silence(self) -> Option<Silence> {
        let matchers = self.matchers.iter().map(|m| m.parse()).collect();
        let matchers = match matchers {
            Ok(matchers) => matchers,
            Err(error) => {
                tracing::warn!(id = %self.id, %error, "a stored silence does not read; ignored");
                return None;
            }
        };
        Some(Silence {
            id: self.id,
            matchers,
            starts_at: millis_of(self.starts_at),
            ends_at: millis_of(self.ends_at),
            created_by: self.created_by,
            comment: self.comment,
            updated_at: millis_of(self.updated_at),
        })
    }
}

/// Silences a list shows at most, newest first.
const LISTED_SILENCES: u64 = 1000;

impl Store {
    /// Stores a silence (new, or a new version of one).
    pub async fn save_silence(&self, silence: &Silence) -> Result<(), StoreError> {
        let mut insert = self.client.insert::<SilenceRow>("silences").await?;
        insert.write(&SilenceRow::from(silence)).await?;
        insert.end().await?;
        Ok(())
    }

    pub async fn silence(&self, id: &str) -> Result<Option<Silence>, StoreError> {
        let row: Option<SilenceRow> = self
            .client
            .query("SELECT ?fields FROM silences FINAL WHERE id = ?")
            .bind(id)
            .fetch_optional()
            .await?;
        Ok(row.and_then(SilenceRow::into_silence))
    }

    /// The newest silences, by start, at most 1000; with `ending_after`,
    /// only those that end after it (pending or active then).
    pub async fn silences(&self, ending_after: Option<Millis>) -> Result<Vec<Silence>, StoreError> {
        self.silences_ending_after(ending_after.unwrap_or(0), LISTED_SILENCES)
            .await
    }

    /// Every silence pending or active at `now`, however many: what the
    /// evaluator applies.
    pub async fn silences_in_force(&self, now: Millis) -> Result<Vec<Silence>, StoreError> {
        self.silences_ending_after(now, u64::MAX).await
    }

    async fn silences_ending_after(
        &self,
        after: Millis,
        limit: u64,
    ) -> Result<Vec<Silence>, StoreError> {
        let rows: Vec<SilenceRow> = self
            .client
            .query(
                "SELECT ?fields FROM silences FINAL WHERE ends_at > fromUnixTimestamp64Milli(toInt64(?)) \
                 ORDER BY starts_at DESC, id LIMIT ?",
            )
            .bind(after)
            .bind(limit)
            .fetch_all()
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(SilenceRow::into_silence)
            .collect())
    }
}
