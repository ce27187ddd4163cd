//! Store: write accepted beacons to ClickHouse.
//!
//! Rows go to one table per kind of event. Each insert carries a
//! deduplication token naming the write-ahead log range it came from, so a
//! batch retried after a failure or a crash is stored once.

pub mod alert_reads;
pub mod alerting;
pub mod beacon_ids;
pub mod conditions;
pub mod dashboard;
mod drain;
pub mod error_groups;
pub mod health;
pub mod lease;
pub mod schema;
pub mod silences;
pub mod sourcemaps;

use std::time::Instant;

use bytes::Bytes;
use clickhouse::Client;

use crate::config::ClickHouseConfig;
use crate::metrics::{CLICKHOUSE_ERRORS, INSERT_BATCHES, INSERT_ROWS, INSERT_SECONDS};
use crate::record::TableBatch;
use crate::tls::Tls;
pub use drain::drain;
use schema::Layout;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: clickhouse::error::Error,
    },
    #[error("cluster {cluster} has {shards} shards, but clickhouse.nodes lists {nodes} nodes")]
    ClusterNodes {
        cluster: String,
        shards: u64,
        nodes: usize,
    },
    #[error("unexpected answer from clickhouse: {0}")]
    Decode(#[source] serde_json::Error),
}

pub struct Store {
    client: Client,
}

/// The layout the configuration asks for.
fn layout(config: &ClickHouseConfig) -> Layout {
    match (&config.cluster, config.replicated) {
        (None, _) => Layout::SingleNode,
        (Some(cluster), true) => Layout::Cluster(cluster.clone()),
        (Some(cluster), false) => Layout::Sharded(cluster.clone()),
    }
}

/// Refuses a node list that misses shards: their tables would never be
/// created, and every read through a Distributed table would fail.
async fn check_shards(node: &Client, cluster: &str, nodes: usize) -> Result<(), StoreError> {
    let shards: u64 = node
        .query("SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = ?")
        .bind(cluster)
        .fetch_one()
        .await?;
    if shards != nodes as u64 {
        return Err(StoreError::ClusterNodes {
            cluster: cluster.to_owned(),
            shards,
            nodes,
        });
    }
    Ok(())
}

impl Store {
    /// Connects, creates the database, applies pending migrations and the
    /// configured retention: once, or on each node of a cluster without Keeper.
    pub async fn open(config: &ClickHouseConfig, tls: &Tls) -> Result<Self, StoreError> {
        let connect = |url: &str| {
            tls.clickhouse()
                .with_url(url)
                .with_user(&config.user)
                .with_password(&config.password)
        };
        let layout = layout(config);
        let ddl_urls = if layout.migrates_each_node() {
            config.nodes.clone()
        } else {
            vec![config.url.clone()]
        };
        for url in &ddl_urls {
            let node = connect(url);
            if let Layout::Sharded(cluster) = &layout {
                check_shards(&node, cluster, ddl_urls.len()).await?;
            }
            schema::migrate(&node, &config.database, &layout).await?;
            let node = node.with_database(&config.database);
            let retention = schema::retention_statements(&layout, config.retention_days);
            let rollup_retention =
                schema::rollup_retention_statements(&layout, config.rollup_retention_days);
            for statement in retention.iter().chain(&rollup_retention) {
                node.query(statement).execute().await?;
            }
        }
        let mut client = connect(&config.url).with_database(&config.database);
        if layout != Layout::SingleNode {
            client = client
                // An insert returns once its rows are on their shards (not
                // queued on this node): what the write-ahead log confirms is
                // stored, a retry reaches the same shard with the same token,
                // and a read right after sees it.
                .with_setting("insert_distributed_sync", "1")
                // A JOIN or IN over a Distributed table inside a query over
                // another reads it once, whole, as on one node.
                .with_setting("distributed_product_mode", "global");
        }
        Ok(Self { client })
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The same store, sending a ClickHouse setting with every query (the
    /// query benchmark tags its queries with `log_comment` to find what each
    /// read in `system.query_log`).
    pub fn with_setting(&self, name: &str, value: &str) -> Self {
        Self {
            client: self.client.clone().with_setting(name, value),
        }
    }

    /// Whether ClickHouse answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client.query("SELECT 1").execute().await?;
        Ok(())
    }

    /// Inserts the rows of `batch`, one insert per table, all with `token`.
    /// Returns the number of rows.
    pub async fn insert_batch(&self, batch: &TableBatch, token: &str) -> Result<usize, StoreError> {
        let started = Instant::now();
        // One insert per table, all at once: each is its own HTTP request,
        // and each carries the token, so a retry after a partial failure
        // stores only what is missing.
        let inserts = batch
            .non_empty()
            .map(|(table, columns, rows, token_suffix)| {
                let token = format!("{token}{token_suffix}");
                async move {
                    self.insert_row_binary(table, columns, &rows.bytes, &token)
                        .await
                }
            });
        if let Err(error) = futures_util::future::try_join_all(inserts).await {
            metrics::counter!(CLICKHOUSE_ERRORS).increment(1);
            return Err(error);
        }
        metrics::histogram!(INSERT_SECONDS).record(started.elapsed().as_secs_f64());
        metrics::counter!(INSERT_BATCHES).increment(1);
        metrics::counter!(INSERT_ROWS).increment(batch.rows() as u64);
        Ok(batch.rows())
    }

    /// Sends rows already encoded as RowBinary, in chunks.
    async fn insert_row_binary(
        &self,
        table: &str,
        columns: &[&str],
        rows: &[u8],
        token: &str,
    ) -> Result<(), StoreError> {
        /// Bytes per chunk sent (and compressed) at a time, as the clickhouse crate's own inserts.
        const CHUNK_BYTES: usize = 256 * 1024;
        let columns: Vec<String> = columns.iter().map(|column| format!("`{column}`")).collect();
        let mut insert = self
            .client
            .insert_formatted_with(format!(
                "INSERT INTO `{table}` ({}) FORMAT RowBinary",
                columns.join(", ")
            ))
            .with_setting("insert_deduplication_token", token.to_owned())
            // The drain batches by itself; ClickHouse's own batching of
            // inserts (on by default since 24.x) would only add waiting.
            .with_setting("async_insert", "0");
        for chunk in rows.chunks(CHUNK_BYTES) {
            insert.send(Bytes::copy_from_slice(chunk)).await?;
        }
        insert.end().await?;
        Ok(())
    }
}
