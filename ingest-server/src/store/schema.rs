//! The ClickHouse schema: versioned, idempotent migrations applied at
//! startup, for a single node or a cluster.
//!
//! Tables are described once ([`TableSpec`]) and their DDL is rendered for
//! the [`Layout`]: on one node a `MergeTree` table; on a cluster a table
//! `<name>_local` on every node (`ReplicatedMergeTree`, `ON CLUSTER`; or
//! `MergeTree`, run on each node) behind a `Distributed` table `<name>`
//! sharded by the spec's `shard_by` ([`ONE_SHARD`] for small shared
//! tables), so queries and inserts use the same names either way. A table
//! added through [`create_table`] needs nothing more for a cluster. Statements are safe to run twice (`IF NOT EXISTS`), so
//! servers starting together cannot break each other; applied versions are
//! recorded in `schema_migrations`.

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::StoreError;

mod beacon_ids;
mod detail;
mod handled;
mod health;
mod hourly;
mod lease;
mod rollups;
mod silences;
mod sourcemaps;
pub use health::{RELEASE_TABLE, RELEASE_VITALS_TABLE};
pub use rollups::{
    fingerprint_sql, rollup_retention_statements, top_frame_sql, Grain, PAGE_PATH_SQL, QUANTILES,
};
pub use sourcemaps::ERROR_GROUPS_TABLE;

/// Columns every event table starts with (see ARCHITECTURE.md).
const COMMON_COLUMNS: &[(&str, &str)] = &[
    ("received_at", "DateTime64(3)"),
    ("at", "DateTime64(3)"),
    ("app", "LowCardinality(String)"),
    ("app_version", "LowCardinality(String)"),
    ("session_id", "String"),
    ("view_id", "String"),
    ("page_url", "String"),
    ("browser", "LowCardinality(String)"),
    ("browser_version", "LowCardinality(String)"),
    ("os", "LowCardinality(String)"),
    ("device", "LowCardinality(String)"),
];

/// Each event table and the columns of its own.
pub const EVENT_TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "vitals",
        &[("name", "LowCardinality(String)"), ("value", "Float64")],
    ),
    (
        "navigations",
        &[
            ("nav_type", "LowCardinality(String)"),
            ("dns", "Float64"),
            ("tcp", "Float64"),
            ("tls", "Float64"),
            ("ttfb", "Float64"),
            ("download", "Float64"),
            ("dom_parse", "Float64"),
            ("dom_ready", "Float64"),
            ("load", "Float64"),
            ("transfer_size", "UInt64"),
        ],
    ),
    (
        "resources",
        &[
            ("url", "String"),
            ("initiator", "LowCardinality(String)"),
            ("duration", "Float64"),
            ("transfer_size", "UInt64"),
        ],
    ),
    (
        "errors",
        &[
            ("source", "LowCardinality(String)"),
            ("error_type", "LowCardinality(String)"),
            ("message", "String"),
            ("stack", "String"),
            ("url", "String"),
            ("line", "UInt32"),
            ("column", "UInt32"),
        ],
    ),
    (
        "app_events",
        &[("phase", "LowCardinality(String)"), ("detail", "String")],
    ),
];

/// Recent insert tokens a table remembers, so a retried batch is stored once.
const DEDUPLICATION_WINDOW: u32 = 1_000;

/// Where the tables live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    SingleNode,
    /// A production cluster with Keeper (`clickhouse.replicated = true`):
    /// `ReplicatedMergeTree` tables, every statement run once `ON CLUSTER`.
    Cluster(String),
    /// Shards without replication or Keeper (`clickhouse.replicated =
    /// false`): `MergeTree` tables, every statement run on each node
    /// ([`migrate`] per node), as ClickHouse refuses `ON CLUSTER` without Keeper.
    Sharded(String),
}

impl Layout {
    fn on_cluster(&self) -> String {
        match self {
            Layout::Cluster(cluster) => format!(" ON CLUSTER `{cluster}`"),
            Layout::SingleNode | Layout::Sharded(_) => String::new(),
        }
    }

    /// The cluster's name, if the tables are spread over one.
    fn cluster(&self) -> Option<&str> {
        match self {
            Layout::SingleNode => None,
            Layout::Cluster(cluster) | Layout::Sharded(cluster) => Some(cluster),
        }
    }

    /// Whether each node gets the DDL itself (no `ON CLUSTER`).
    pub fn migrates_each_node(&self) -> bool {
        matches!(self, Layout::Sharded(_))
    }

    /// The table that holds the data (what TTLs touch).
    fn storage_table(&self, name: &str) -> String {
        match self.cluster() {
            None => name.to_owned(),
            Some(_) => format!("{name}_local"),
        }
    }

    /// Every table a column change must reach: the storage table, and on a
    /// cluster the Distributed table in front of it too.
    fn tables_holding(&self, name: &str) -> Vec<String> {
        match self.cluster() {
            None => vec![name.to_owned()],
            Some(_) => vec![format!("{name}_local"), name.to_owned()],
        }
    }
}

/// The sharding key of a small table shared by every server (alert state,
/// leases, silences): each row goes to the first shard, so a read through
/// the Distributed table sees a write at once, from any server, and a
/// `FINAL` or `argMax` over one key never spans shards.
pub(crate) const ONE_SHARD: &str = "0";

/// Alert state: the latest version of each alert (by `updated_at`).
const ALERT_COLUMNS: &[(&str, &str)] = &[
    ("id", "String"),
    ("fingerprint", "String"),
    ("rule", "LowCardinality(String)"),
    ("app", "LowCardinality(String)"),
    ("metric", "LowCardinality(String)"),
    ("severity", "LowCardinality(String)"),
    ("status", "LowCardinality(String)"),
    ("value", "Float64"),
    ("threshold", "Float64"),
    ("pending_since", "DateTime64(3)"),
    ("firing_since", "Nullable(DateTime64(3))"),
    ("resolved_at", "Nullable(DateTime64(3))"),
    ("acknowledged", "Bool"),
    ("silenced", "Bool"),
    ("last_notified", "Nullable(DateTime64(3))"),
    ("caused_by", "String"),
    ("inhibited", "Bool"),
    ("updated_at", "DateTime64(3)"),
];

const NOTIFICATION_COLUMNS: &[(&str, &str)] = &[
    ("at", "DateTime64(3)"),
    ("alert_id", "String"),
    ("rule", "LowCardinality(String)"),
    ("app", "LowCardinality(String)"),
    ("channel", "LowCardinality(String)"),
    ("notice", "LowCardinality(String)"),
    ("attempt", "UInt8"),
    ("ok", "Bool"),
    ("http_status", "UInt16"),
    ("error", "String"),
    ("latency_ms", "Float64"),
];

const PROBE_COLUMNS: &[(&str, &str)] = &[
    ("at", "DateTime64(3)"),
    ("app", "LowCardinality(String)"),
    ("url", "String"),
    ("ok", "UInt8"),
    ("status", "UInt16"),
    ("latency_ms", "Float64"),
    ("error", "String"),
];

/// One table as the DDL generator sees it.
struct TableSpec<'a> {
    name: &'a str,
    columns: Vec<(&'a str, &'a str)>,
    /// `MergeTree` or e.g. `ReplacingMergeTree(updated_at)`, without `Replicated`.
    engine: &'a str,
    partition_by: Option<&'a str>,
    order_by: &'a str,
    /// Rows are retried with a deduplication token (the event tables).
    deduplicated: bool,
    shard_by: &'a str,
}

fn event_table<'a>(name: &'a str, own: &'a [(&'a str, &'a str)]) -> TableSpec<'a> {
    TableSpec {
        name,
        columns: COMMON_COLUMNS.iter().chain(own).copied().collect(),
        engine: "MergeTree",
        partition_by: Some("toDate(at)"),
        order_by: "(app, at)",
        deduplicated: true,
        shard_by: "cityHash64(session_id)",
    }
}

struct Migration {
    version: u32,
    name: &'static str,
    statements: fn(&Layout, &str) -> Vec<String>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event tables",
        statements: create_event_tables,
    },
    Migration {
        version: 2,
        name: "alerting",
        statements: create_alerting_tables,
    },
    Migration {
        version: 3,
        name: "vital ratings and attribution",
        statements: add_vital_attribution,
    },
    Migration {
        version: 4,
        name: "custom metrics and events",
        statements: create_custom_tables,
    },
    Migration {
        version: 5,
        name: "rollups",
        statements: rollups::create_rollups,
    },
    Migration {
        version: 6,
        name: "vital parts, long frames, stack frames, error counts, app attributes",
        statements: detail::add_detail,
    },
    Migration {
        version: 7,
        name: "hourly rollups",
        statements: hourly::create_hourly_rollups,
    },
    Migration {
        version: 8,
        name: "delivery outcomes",
        statements: add_delivery_outcome,
    },
    Migration {
        version: 9,
        name: "beacon ids",
        statements: beacon_ids::create_beacon_ids,
    },
    Migration {
        version: 10,
        name: "handled errors and API calls",
        statements: handled::add_handled_errors_and_api_calls,
    },
    Migration {
        version: 11,
        name: "source maps and error groups by version",
        statements: sourcemaps::create_sourcemaps,
    },
    Migration {
        version: 12,
        name: "release health",
        statements: health::create_release_rollups,
    },
    Migration {
        version: 13,
        name: "silences",
        statements: silences::create_silences,
    },
    Migration {
        version: 14,
        name: "evaluator lease and notice outbox",
        statements: lease::create_ha_tables,
    },
];

/// Each delivery attempt's outcome: delivered, retrying or failed (given up).
fn add_delivery_outcome(layout: &Layout, _database: &str) -> Vec<String> {
    layout
        .tables_holding("notifications")
        .into_iter()
        .map(|table| {
            format!(
                "ALTER TABLE {table}{} ADD COLUMN IF NOT EXISTS outcome LowCardinality(String)",
                layout.on_cluster()
            )
        })
        .collect()
}

/// What a vital carries besides its value (issue 3): its rating, the element
/// or resource behind it, the interaction's event type, the app whose DOM
/// caused a page-level value, and whether it was measured after a
/// back/forward-cache restore. `VitalRow` lists them in this order.
const VITAL_ATTRIBUTION_COLUMNS: &[(&str, &str)] = &[
    ("rating", "LowCardinality(String)"),
    ("target", "String"),
    ("resource", "String"),
    ("event_type", "LowCardinality(String)"),
    ("owner", "LowCardinality(String)"),
    ("restored", "Bool"),
];

fn add_vital_attribution(layout: &Layout, _database: &str) -> Vec<String> {
    add_columns(layout, "vitals", VITAL_ATTRIBUTION_COLUMNS)
}

/// `ALTER TABLE … ADD COLUMN IF NOT EXISTS` for every table holding `table`.
fn add_columns(layout: &Layout, table: &str, columns: &[(&str, &str)]) -> Vec<String> {
    let columns: Vec<String> = columns
        .iter()
        .map(|(column, kind)| format!("ADD COLUMN IF NOT EXISTS `{column}` {kind}"))
        .collect();
    layout
        .tables_holding(table)
        .into_iter()
        .map(|table| {
            format!(
                "ALTER TABLE {table}{} {}",
                layout.on_cluster(),
                columns.join(", ")
            )
        })
        .collect()
}

/// What apps push themselves: `pushMetric` and `pushEvent`.
const CUSTOM_TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "custom_metrics",
        &[
            ("name", "LowCardinality(String)"),
            ("value", "Float64"),
            ("attrs", "Map(String, String)"),
        ],
    ),
    (
        "custom_events",
        &[
            ("name", "LowCardinality(String)"),
            ("attrs", "Map(String, String)"),
        ],
    ),
];

fn create_custom_tables(layout: &Layout, database: &str) -> Vec<String> {
    create_tables_of_events(layout, database, CUSTOM_TABLES)
}

fn create_event_tables(layout: &Layout, database: &str) -> Vec<String> {
    create_tables_of_events(layout, database, EVENT_TABLES)
}

/// `CREATE TABLE` for event tables, each with the common columns and its own.
fn create_tables_of_events(
    layout: &Layout,
    database: &str,
    tables: &[(&str, &[(&str, &str)])],
) -> Vec<String> {
    tables
        .iter()
        .flat_map(|(name, own)| create_table(layout, database, &event_table(name, own)))
        .collect()
}

fn create_alerting_tables(layout: &Layout, database: &str) -> Vec<String> {
    let log = |name, columns: &'static [(&'static str, &'static str)]| TableSpec {
        name,
        columns: columns.to_vec(),
        engine: "MergeTree",
        partition_by: Some("toDate(at)"),
        order_by: "(app, at)",
        deduplicated: false,
        shard_by: ONE_SHARD,
    };
    let alert_table = |name, engine, partition_by, order_by| TableSpec {
        name,
        columns: ALERT_COLUMNS.to_vec(),
        engine,
        partition_by,
        order_by,
        deduplicated: false,
        shard_by: ONE_SHARD,
    };
    let specs = [
        alert_table("alerts", "ReplacingMergeTree(updated_at)", None, "id"),
        alert_table(
            "alert_history",
            "MergeTree",
            Some("toDate(updated_at)"),
            "(app, updated_at)",
        ),
        log("notifications", NOTIFICATION_COLUMNS),
        log("probes", PROBE_COLUMNS),
    ];
    let mut statements: Vec<String> = specs
        .iter()
        .flat_map(|spec| create_table(layout, database, spec))
        .collect();
    // What an app declared when it registered: its health check, the apps it
    // depends on, and the alert rules it asks for (applied only if allowed).
    for table in layout.tables_holding("app_events") {
        statements.push(format!(
            "ALTER TABLE {table}{} ADD COLUMN IF NOT EXISTS health_check String, \
             ADD COLUMN IF NOT EXISTS dependencies Array(String), ADD COLUMN IF NOT EXISTS declared_rules String",
            layout.on_cluster()
        ));
    }
    statements
}

fn create_table(layout: &Layout, database: &str, spec: &TableSpec) -> Vec<String> {
    let columns: Vec<String> = spec
        .columns
        .iter()
        .map(|(column, kind)| format!("    `{column}` {kind}"))
        .collect();
    let storage = layout.storage_table(spec.name);
    let on_cluster = layout.on_cluster();
    let engine = match layout {
        Layout::SingleNode | Layout::Sharded(_) => spec.engine.to_owned(),
        Layout::Cluster(_) => {
            let (kind, args) = spec.engine.split_once('(').unwrap_or((spec.engine, ")"));
            let args = if args == ")" {
                ")".to_owned()
            } else {
                format!(", {args}")
            };
            format!("Replicated{kind}('/clickhouse/tables/{{shard}}/{{database}}/{storage}', '{{replica}}'{args}")
        }
    };
    let partition = spec
        .partition_by
        .map(|p| format!("PARTITION BY {p} "))
        .unwrap_or_default();
    let settings = if spec.deduplicated {
        format!("\nSETTINGS non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}")
    } else {
        String::new()
    };
    let mut statements = vec![format!(
        "CREATE TABLE IF NOT EXISTS {storage}{on_cluster} (\n{}\n) ENGINE = {engine}\n{partition}ORDER BY {}{settings}",
        columns.join(",\n"),
        spec.order_by
    )];
    if let Some(cluster) = layout.cluster() {
        statements.push(format!(
            "CREATE TABLE IF NOT EXISTS {}{on_cluster} AS {storage} \
             ENGINE = Distributed(`{cluster}`, `{database}`, {storage}, {})",
            spec.name, spec.shard_by
        ));
    }
    statements
}

/// Every event table, in the order the migrations create them.
fn event_tables(
) -> impl Iterator<Item = &'static (&'static str, &'static [(&'static str, &'static str)])> {
    EVENT_TABLES
        .iter()
        .chain(CUSTOM_TABLES)
        .chain(detail::DETAIL_TABLES)
        .chain(handled::API_TABLES)
}

/// Statements that set every event table's retention (run at each startup:
/// it comes from the configuration, not from a migration).
pub fn retention_statements(layout: &Layout, days: u32) -> Vec<String> {
    event_tables()
        .map(|(name, _)| {
            format!(
                "ALTER TABLE {}{} MODIFY TTL toDateTime(at) + INTERVAL {days} DAY \
                 SETTINGS materialize_ttl_after_modify = 0",
                layout.storage_table(name),
                layout.on_cluster()
            )
        })
        .collect()
}

/// Every migration's statements in order, then the retention ones: the
/// whole DDL of a layout (for checking it against a real engine).
pub fn all_statements(layout: &Layout, database: &str) -> Vec<String> {
    MIGRATIONS
        .iter()
        .flat_map(|migration| (migration.statements)(layout, database))
        .chain(retention_statements(layout, 30))
        .chain(rollup_retention_statements(layout, 395))
        .collect()
}

#[derive(Row, Serialize, Deserialize)]
struct AppliedMigration {
    version: u32,
    name: String,
}

/// Creates the database if needed and applies every migration not yet
/// applied. Returns the versions it applied.
pub async fn migrate(
    server: &Client,
    database: &str,
    layout: &Layout,
) -> Result<Vec<u32>, StoreError> {
    let on_cluster = layout.on_cluster();
    server
        .query(&format!(
            "CREATE DATABASE IF NOT EXISTS `{database}`{on_cluster}"
        ))
        .execute()
        .await?;
    let client = server.clone().with_database(database);
    client
        .query(&format!(
            "CREATE TABLE IF NOT EXISTS schema_migrations{on_cluster} (version UInt32, name String, \
             applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version"
        ))
        .execute()
        .await?;
    let applied: Vec<u32> = client
        .query("SELECT DISTINCT version FROM schema_migrations")
        .fetch_all()
        .await?;
    let mut newly_applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        for statement in (migration.statements)(layout, database) {
            client
                .query(&statement)
                .execute()
                .await
                .map_err(|source| StoreError::Migration {
                    version: migration.version,
                    name: migration.name,
                    source,
                })?;
        }
        let mut insert = client
            .insert::<AppliedMigration>("schema_migrations")
            .await?;
        insert
            .write(&AppliedMigration {
                version: migration.version,
                name: migration.name.to_owned(),
            })
            .await?;
        insert.end().await?;
        newly_applied.push(migration.version);
    }
    Ok(newly_applied)
}

#[cfg(test)]
mod tests;
