//! Filling the database: the synthetic inserts, timed (the rollups' views
//! run inside them), then every table merged as background merges would
//! leave it after a while, and what each table holds.

use std::time::{Duration, Instant};

use anyhow::Context;
use clickhouse::{Client, Row};
use serde::Deserialize;

use crate::synthetic::Plan;

/// Longest any one statement of the load may run, in seconds.
const STATEMENT_SECONDS: &str = "1800";

pub struct Loaded {
    /// Per raw table: rows inserted and how long the insert took.
    pub inserts: Vec<(&'static str, u64, Duration)>,
    pub insert_time: Duration,
    pub merge_time: Duration,
}

pub async fn load(client: &Client, plan: &Plan) -> anyhow::Result<Loaded> {
    let client = client
        .clone()
        .with_setting("max_execution_time", STATEMENT_SECONDS);
    let started = Instant::now();
    let mut inserts = Vec::new();
    for insert in plan.inserts() {
        eprintln!(
            "query-rollups: inserting {} rows into {}",
            insert.rows, insert.table
        );
        let table_started = Instant::now();
        client
            .query(&insert.sql)
            .execute()
            .await
            .with_context(|| format!("inserting synthetic rows into {}", insert.table))?;
        inserts.push((insert.table, insert.rows, table_started.elapsed()));
    }
    let insert_time = started.elapsed();
    eprintln!("query-rollups: merging every table (OPTIMIZE … FINAL)");
    let merge_started = Instant::now();
    let tables: Vec<String> = client
        .query(
            "SELECT DISTINCT table FROM system.parts WHERE database = currentDatabase() AND active",
        )
        .fetch_all()
        .await?;
    for table in tables {
        client
            .query(&format!("OPTIMIZE TABLE `{table}` FINAL"))
            .execute()
            .await
            .with_context(|| format!("merging {table}"))?;
    }
    Ok(Loaded {
        inserts,
        insert_time,
        merge_time: merge_started.elapsed(),
    })
}

/// What one table holds after the load.
#[derive(Debug, Deserialize, Row)]
pub struct TableSize {
    pub table: String,
    pub rows: u64,
    pub parts: u64,
    pub bytes_on_disk: u64,
    /// For a rollup: the tables whose inserts its materialized views read.
    pub sources: Vec<String>,
}

/// Raw tables first, then the rollups. A rollup's sources are found from
/// the views: each source table lists the views reading it, and each view's
/// DDL names its target (`… TO db.rollup_…`).
pub async fn table_sizes(client: &Client) -> anyhow::Result<Vec<TableSize>> {
    Ok(client
        .query(
            "SELECT p.table AS table, p.rows AS rows, p.parts AS parts, p.bytes_on_disk AS bytes_on_disk, \
             s.sources AS sources FROM ( \
               SELECT table, sum(rows) AS rows, count() AS parts, sum(bytes_on_disk) AS bytes_on_disk \
               FROM system.parts WHERE database = currentDatabase() AND active GROUP BY table \
             ) AS p LEFT JOIN ( \
               SELECT target AS table, arraySort(groupUniqArray(source)) AS sources FROM ( \
                 SELECT name AS source, arrayJoin(dependencies_table) AS view \
                 FROM system.tables WHERE database = currentDatabase() \
               ) AS d INNER JOIN ( \
                 SELECT name AS view, extract(create_table_query, ' TO [^.]+[.]([a-z_]+)') AS target \
                 FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' \
               ) AS v USING view GROUP BY target \
             ) AS s USING table \
             ORDER BY startsWith(table, 'rollup_'), table",
        )
        .fetch_all()
        .await?)
}
