//! Migration 14: highly available evaluation (docs/ALERTING.md, "HA
//! evaluation").
//!
//! - `evaluator_lease`: every claim and renewal of the evaluator lease, with
//!   ClickHouse's own clock (`written_at`, and `expires_at` counted from it);
//!   read back as the highest term's first claim (see `store::lease`);
//! - `alert_notices`: each notice the lease holder decided, written before it
//!   is handed to notify, and again with `settled = 1` once its deliveries
//!   ended: what a new holder finds unsettled, it sends.
//!
//! Both matter for minutes to hours; a day's partition drops whole later.

use super::{create_table, Layout, TableSpec, ONE_SHARD};

const LEASE_COLUMNS: &[(&str, &str)] = &[
    ("term", "UInt64"),
    ("holder", "String"),
    ("expires_at", "DateTime64(3)"),
    ("written_at", "DateTime64(3)"),
];

const NOTICE_COLUMNS: &[(&str, &str)] = &[
    ("alert_id", "String"),
    ("notice", "LowCardinality(String)"),
    ("decided_at", "DateTime64(3)"),
    ("term", "UInt64"),
    ("rule", "String"),
    // The alert as decided (JSON): sent as it was, whatever happened since.
    ("alert", "String"),
    ("settled", "UInt8"),
];

pub(super) fn create_ha_tables(layout: &Layout, database: &str) -> Vec<String> {
    let specs = [
        (
            TableSpec {
                name: "evaluator_lease",
                columns: LEASE_COLUMNS.to_vec(),
                engine: "MergeTree",
                partition_by: Some("toDate(written_at)"),
                order_by: "(term, holder)",
                deduplicated: false,
                shard_by: ONE_SHARD,
            },
            "written_at",
        ),
        (
            TableSpec {
                name: "alert_notices",
                columns: NOTICE_COLUMNS.to_vec(),
                engine: "ReplacingMergeTree(settled)",
                partition_by: Some("toDate(decided_at)"),
                order_by: "(alert_id, notice, decided_at)",
                deduplicated: false,
                shard_by: ONE_SHARD,
            },
            "decided_at",
        ),
    ];
    specs
        .iter()
        .flat_map(|(spec, time)| {
            let mut statements = create_table(layout, database, spec);
            statements.push(format!(
                "ALTER TABLE {}{} MODIFY TTL toDateTime({time}) + INTERVAL 2 DAY",
                layout.storage_table(spec.name),
                layout.on_cluster()
            ));
            statements
        })
        .collect()
}
