use super::*;

#[test]
fn migrations_are_ordered() {
    assert!(MIGRATIONS
        .windows(2)
        .all(|pair| pair[0].version < pair[1].version));
}

#[test]
fn alerting_tables_render_for_both_layouts() {
    let single = create_alerting_tables(&Layout::SingleNode, "canopy");
    assert!(single[0].starts_with("CREATE TABLE IF NOT EXISTS alerts ("));
    assert!(
        single[0].ends_with("ENGINE = ReplacingMergeTree(updated_at)\nORDER BY id"),
        "{}",
        single[0]
    );
    assert!(single
        .last()
        .unwrap()
        .starts_with("ALTER TABLE app_events ADD COLUMN IF NOT EXISTS health_check"));
    let cluster = create_alerting_tables(&Layout::Cluster("rum".into()), "canopy");
    assert!(cluster[0].contains(
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/alerts_local', '{replica}', updated_at)"
    ), "{}", cluster[0]);
    let alters: Vec<_> = cluster.iter().filter(|s| s.starts_with("ALTER")).collect();
    assert_eq!(
        alters.len(),
        2,
        "both the local and the Distributed table get the columns"
    );
}

#[test]
fn vital_attribution_reaches_every_table_holding_vitals() {
    let single = add_vital_attribution(&Layout::SingleNode, "canopy");
    assert_eq!(single.len(), 1);
    assert!(single[0].starts_with(
        "ALTER TABLE vitals ADD COLUMN IF NOT EXISTS `rating` LowCardinality(String), "
    ));
    assert!(
        single[0].ends_with("ADD COLUMN IF NOT EXISTS `restored` Bool"),
        "{}",
        single[0]
    );
    let cluster = add_vital_attribution(&Layout::Cluster("rum".into()), "canopy");
    assert_eq!(cluster.len(), 2);
    assert!(cluster[0].starts_with("ALTER TABLE vitals_local ON CLUSTER `rum` ADD COLUMN"));
    assert!(cluster[1].starts_with("ALTER TABLE vitals ON CLUSTER `rum` ADD COLUMN"));
}

#[test]
fn single_node_ddl_is_plain_merge_tree() {
    let statements = create_event_tables(&Layout::SingleNode, "canopy");
    assert_eq!(statements.len(), EVENT_TABLES.len());
    let vitals = &statements[0];
    assert!(
        vitals.starts_with("CREATE TABLE IF NOT EXISTS vitals ("),
        "{vitals}"
    );
    assert!(vitals.contains("ENGINE = MergeTree\nPARTITION BY toDate(at) ORDER BY (app, at)"));
    assert!(vitals.contains("`app` LowCardinality(String)") && vitals.contains("`value` Float64"));
    assert!(!vitals.contains("ON CLUSTER"));
}

#[test]
fn cluster_ddl_is_replicated_behind_distributed() {
    let layout = Layout::Cluster("rum".into());
    let statements = create_event_tables(&layout, "canopy");
    assert_eq!(statements.len(), 2 * EVENT_TABLES.len());
    assert!(statements[0].starts_with("CREATE TABLE IF NOT EXISTS vitals_local ON CLUSTER `rum` ("));
    assert!(statements[0]
        .contains("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/vitals_local', '{replica}')"));
    assert_eq!(
        statements[1],
        "CREATE TABLE IF NOT EXISTS vitals ON CLUSTER `rum` AS vitals_local \
         ENGINE = Distributed(`rum`, `canopy`, vitals_local, cityHash64(session_id))"
    );
    let ttl = retention_statements(&layout, 30);
    assert!(ttl[0].starts_with(
        "ALTER TABLE vitals_local ON CLUSTER `rum` MODIFY TTL toDateTime(at) + INTERVAL 30 DAY"
    ));
}

#[test]
fn sharded_ddl_is_merge_tree_on_each_node_behind_distributed() {
    let layout = Layout::Sharded("rum".into());
    let statements = create_event_tables(&layout, "canopy");
    assert!(
        statements[0].starts_with("CREATE TABLE IF NOT EXISTS vitals_local (")
            && statements[0].contains("ENGINE = MergeTree\nPARTITION BY toDate(at)"),
        "{}",
        statements[0]
    );
    assert_eq!(
        statements[1],
        "CREATE TABLE IF NOT EXISTS vitals AS vitals_local \
         ENGINE = Distributed(`rum`, `canopy`, vitals_local, cityHash64(session_id))"
    );
    let all = all_statements(&layout, "canopy");
    assert!(!all
        .iter()
        .any(|s| s.contains("ON CLUSTER") || s.contains("Replicated")));
    assert!(
        all.iter().any(|s| s.contains(
            "CREATE TABLE IF NOT EXISTS alerts AS alerts_local ENGINE = Distributed(`rum`, `canopy`, alerts_local, 0)"
        )),
        "alert state lives on one shard"
    );
    assert!(layout.migrates_each_node() && !Layout::Cluster("rum".into()).migrates_each_node());
}
