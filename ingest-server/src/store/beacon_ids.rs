//! The `beacon_ids` table: the id of every stored beacon that came with one,
//! scoped by its ingest key. The drain writes these rows (`record`'s
//! `BeaconIdRow`) in the same batch, with the same deduplication token, as
//! the beacon's own rows, so an id is in ClickHouse exactly when its beacon is. A starting server reads the
//! recent ones back: its log no longer holds the beacons it stored, and a
//! retry of one must still be recognised (see `receive::beacon_ids`).

use clickhouse::Row;
use serde::Deserialize;

use super::{Store, StoreError};

/// A stored beacon's id as read back.
#[derive(Debug, Row, Deserialize)]
pub struct StoredBeaconId {
    pub key: String,
    pub id: String,
    pub received_at_ms: i64,
}

impl Store {
    /// The ids of beacons received since `since_ms` (epoch ms), oldest
    /// first: at most the newest `limit`.
    pub async fn beacon_ids_since(
        &self,
        since_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredBeaconId>, StoreError> {
        let ids = self
            .client
            .query(
                "SELECT key, id, received_at_ms FROM (\
                   SELECT key, id, toUnixTimestamp64Milli(received_at) AS received_at_ms \
                   FROM beacon_ids WHERE received_at >= fromUnixTimestamp64Milli(?) \
                   ORDER BY received_at DESC LIMIT ?) ORDER BY received_at_ms",
            )
            .bind(since_ms)
            .bind(limit as u64)
            .fetch_all()
            .await?;
        Ok(ids)
    }
}
