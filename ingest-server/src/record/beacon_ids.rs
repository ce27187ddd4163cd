//! A `beacon_ids` row: the id of a stored beacon, scoped by its ingest key
//! (see `store::beacon_ids` and ARCHITECTURE.md, "Retried beacons").

use serde::Serialize;
use time::OffsetDateTime;

/// The table and its columns, in the order [`BeaconIdRow`] is encoded.
pub const BEACON_IDS_TABLE: (&str, &[&str]) = ("beacon_ids", &["received_at", "key", "id"]);

#[derive(Debug, Serialize)]
pub struct BeaconIdRow<'a> {
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    pub received_at: OffsetDateTime,
    pub key: &'a str,
    pub id: &'a str,
}
