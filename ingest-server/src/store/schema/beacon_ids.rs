//! Migration 9: the `beacon_ids` table (see `store::beacon_ids`). Ids matter
//! for minutes only; a day's partition drops whole a day later.

use super::{create_table, Layout, TableSpec};

const COLUMNS: &[(&str, &str)] = &[
    ("received_at", "DateTime64(3)"),
    ("key", "String"),
    ("id", "String"),
];

pub(super) fn create_beacon_ids(layout: &Layout, database: &str) -> Vec<String> {
    let spec = TableSpec {
        name: "beacon_ids",
        columns: COLUMNS.to_vec(),
        engine: "MergeTree",
        partition_by: Some("toDate(received_at)"),
        order_by: "(key, id)",
        // Written with the beacons' rows and their token.
        deduplicated: true,
        shard_by: "cityHash64(id)",
    };
    let mut statements = create_table(layout, database, &spec);
    statements.push(format!(
        "ALTER TABLE {}{} MODIFY TTL toDateTime(received_at) + INTERVAL 1 DAY",
        layout.storage_table(spec.name),
        layout.on_cluster()
    ));
    statements
}
