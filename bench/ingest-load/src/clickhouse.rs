//! The benchmark's ClickHouse: counting, cleaning up, checking what was stored.
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ingest_server::config::ClickHouseConfig;
use ingest_server::store::Store;

use crate::*;

pub(crate) struct ClickHouse {
    pub(crate) url: String,
    /// A cluster's nodes (empty: one node).
    pub(crate) nodes: Vec<String>,
    pub(crate) http: reqwest::Client,
}

/// The name of the benchmark's cluster (scripts/embedded-cluster.py's default).
const CLUSTER: &str = "canopy";

impl ClickHouse {
    pub(crate) async fn query(&self, sql: &str) -> anyhow::Result<String> {
        self.query_at(&self.url, sql).await
    }

    async fn query_at(&self, url: &str, sql: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/", url.trim_end_matches('/')))
            .body(sql.to_owned())
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("ClickHouse answered {status} to {sql:?}: {}", text.trim());
        }
        Ok(text.trim().to_owned())
    }

    pub(crate) async fn stored_events(&self, database: &str) -> anyhow::Result<u64> {
        let sql = TABLES
            .iter()
            .map(|t| format!("SELECT count() AS c FROM {database}.{t}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        Ok(self
            .query(&format!("SELECT sum(c) FROM ({sql})"))
            .await?
            .parse()?)
    }

    /// Every node: the one, or each of the cluster's.
    fn every_node(&self) -> Vec<&str> {
        if self.nodes.is_empty() {
            vec![&self.url]
        } else {
            self.nodes.iter().map(String::as_str).collect()
        }
    }

    /// Drops a mode's database (on every node), so its parts stop being
    /// merged during the next mode.
    pub(crate) async fn drop_database(&self, database: &str) -> anyhow::Result<()> {
        for node in self.every_node() {
            self.query_at(node, &format!("DROP DATABASE IF EXISTS {database} SYNC"))
                .await?;
        }
        Ok(())
    }

    /// The `[clickhouse]` settings besides url and database: the cluster's, if any.
    pub(crate) fn cluster_toml(&self) -> String {
        if self.nodes.is_empty() {
            return String::new();
        }
        let nodes: Vec<String> = self.nodes.iter().map(|url| format!("{url:?}")).collect();
        format!(
            "cluster = \"{CLUSTER}\"\nreplicated = false\nnodes = [{}]\n",
            nodes.join(", ")
        )
    }

    /// Waits (at most 30 s) until no node has merges running: the
    /// previous mode's background work is not charged to the next.
    pub(crate) async fn settle(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        for node in self.every_node() {
            while Instant::now() < deadline
                && self
                    .query_at(node, "SELECT count() FROM system.merges")
                    .await?
                    != "0"
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(())
    }

    pub(crate) async fn fresh_store(&self, database: &str) -> anyhow::Result<Store> {
        self.drop_database(database).await?;
        let config = ClickHouseConfig {
            url: self.url.clone(),
            database: database.to_owned(),
            cluster: (!self.nodes.is_empty()).then(|| CLUSTER.to_owned()),
            replicated: self.nodes.is_empty(),
            nodes: self.nodes.clone(),
            ..ClickHouseConfig::default()
        };
        Store::open(&config, &ingest_server::tls::Tls::load(None)?)
            .await
            .with_context(|| format!("preparing {database}"))
    }

    /// Waits until `expected` events are stored; how long that took.
    pub(crate) async fn wait_for(
        &self,
        database: &str,
        expected: u64,
        timeout: Duration,
    ) -> anyhow::Result<Stored> {
        let started = Instant::now();
        let mut at_start = None;
        loop {
            let stored = self.stored_events(database).await?;
            let at_start = *at_start.get_or_insert(stored);
            let lag = if stored >= expected {
                Some(started.elapsed())
            } else if started.elapsed() > timeout {
                None
            } else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            return Ok(Stored {
                lag,
                stored,
                at_start,
            });
        }
    }
}

/// What [`ClickHouse::wait_for`] saw.
pub(crate) struct Stored {
    /// How long until everything expected was stored (None: timed out).
    pub lag: Option<Duration>,
    pub stored: u64,
    /// Stored when the wait began, i.e. when the load ended.
    pub at_start: u64,
}

pub(crate) fn stored_check(expected: u64, stored: u64) -> String {
    match stored.cmp(&expected) {
        std::cmp::Ordering::Equal => format!("{stored} = {expected} ✔"),
        std::cmp::Ordering::Less => {
            format!("{stored} < {expected} ✘ ({} missing)", expected - stored)
        }
        std::cmp::Ordering::Greater => {
            format!(
                "{stored} > {expected} ({} more: sent but not acknowledged)",
                stored - expected
            )
        }
    }
}
