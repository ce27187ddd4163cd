//! Migration 13: silences (docs/ALERTING.md, "Silences").
//!
//! - `silences`: one row per version of a silence (created, then maybe
//!   expired), a `ReplacingMergeTree` by `updated_at` keyed by `id`, read
//!   with `FINAL`, so every server and evaluator sees the newest version;
//! - `silenced_by` on `alerts` and `alert_history`: the ids of the silences
//!   muting an alert at its last evaluation (`AlertRow` lists it last).

use super::{add_columns, create_table, Layout, TableSpec, ONE_SHARD};

const SILENCE_COLUMNS: &[(&str, &str)] = &[
    ("id", "String"),
    ("matchers", "Array(String)"),
    ("starts_at", "DateTime64(3)"),
    ("ends_at", "DateTime64(3)"),
    ("created_by", "String"),
    ("comment", "String"),
    ("updated_at", "DateTime64(3)"),
];

pub(super) fn create_silences(layout: &Layout, database: &str) -> Vec<String> {
    let silences = TableSpec {
        name: "silences",
        columns: SILENCE_COLUMNS.to_vec(),
        engine: "ReplacingMergeTree(updated_at)",
        partition_by: None,
        order_by: "id",
        deduplicated: false,
        shard_by: ONE_SHARD,
    };
    let mut statements = create_table(layout, database, &silences);
    for table in ["alerts", "alert_history"] {
        statements.extend(add_columns(
            layout,
            table,
            &[("silenced_by", "Array(String)")],
        ));
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silences_render_for_both_layouts() {
        let single = create_silences(&Layout::SingleNode, "canopy");
        assert!(single[0].starts_with("CREATE TABLE IF NOT EXISTS silences ("));
        assert!(single[0].ends_with("ENGINE = ReplacingMergeTree(updated_at)\nORDER BY id"));
        assert_eq!(
            single[2],
            "ALTER TABLE alert_history ADD COLUMN IF NOT EXISTS `silenced_by` Array(String)"
        );
        let cluster = create_silences(&Layout::Cluster("c".into()), "canopy");
        assert!(cluster[0].contains(
            "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/silences_local', '{replica}', updated_at)"
        ));
        assert!(cluster[1].contains("ENGINE = Distributed(`c`, `canopy`, silences_local, 0)"));
        assert_eq!(
            cluster.len(),
            6,
            "silences twice, and both tables of each alert table"
        );
    }
}
