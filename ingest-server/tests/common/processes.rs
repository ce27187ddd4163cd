//! Real processes for durability tests: an embedded ClickHouse of the test's
//! own (so it can be stopped), the server binary (so it can be killed), and
//! a steady load whose acknowledged beacons are remembered.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{eventually, KEY, ORIGIN};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}

async fn wait_until_answers(url: &str, what: &str) {
    let http = reqwest::Client::new();
    eventually(what, || async {
        http.get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
}

/// The embedded ClickHouse (chdb-core) on a port and data directory of its own.
pub struct EmbeddedClickHouse {
    pub port: u16,
    data_dir: PathBuf,
    /// More arguments for scripts/embedded-clickhouse.py (a cluster node's).
    args: Vec<String>,
    child: Option<Child>,
}

impl EmbeddedClickHouse {
    pub async fn start(data_dir: &Path) -> Self {
        let mut clickhouse = Self {
            port: free_port(),
            data_dir: data_dir.to_owned(),
            args: Vec::new(),
            child: None,
        };
        clickhouse.resume().await;
        clickhouse
    }

    /// The nodes of a cluster `name` of `shards` shards (one replica each),
    /// as scripts/embedded-cluster.py starts them, each data dir in `dir`.
    pub async fn cluster(dir: &Path, name: &str, shards: usize) -> Vec<Self> {
        let tcp_ports: Vec<String> = (0..shards).map(|_| free_port().to_string()).collect();
        let mut nodes: Vec<Self> = (1..=shards)
            .map(|shard| Self {
                port: free_port(),
                data_dir: dir.join(format!("node-{shard}")),
                args: [
                    "--tcp-port",
                    &tcp_ports[shard - 1],
                    "--cluster",
                    name,
                    "--shard",
                    &shard.to_string(),
                    "--shard-tcp-ports",
                    &tcp_ports.join(","),
                ]
                .map(str::to_owned)
                .to_vec(),
                child: None,
            })
            .collect();
        futures_util::future::join_all(nodes.iter_mut().map(Self::resume)).await;
        nodes
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops it cleanly (SIGTERM): the outage begins.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
    }

    /// Starts it again on the same port and data.
    pub async fn resume(&mut self) {
        let root = repo_root();
        let child = Command::new(root.join(".canopy/venv/bin/python"))
            .arg(root.join("scripts/embedded-clickhouse.py"))
            .args(["--port", &self.port.to_string(), "--data-dir"])
            .arg(&self.data_dir)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the embedded ClickHouse starts (run scripts/setup)");
        self.child = Some(child);
        wait_until_answers(&format!("{}/ping", self.url()), "the embedded ClickHouse").await;
    }
}

impl Drop for EmbeddedClickHouse {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `canopy-ingest` binary with a configuration file.
pub struct ServerProcess {
    pub port: u16,
    config: PathBuf,
    child: Option<Child>,
}

impl ServerProcess {
    /// Writes a config for `clickhouse_url` and `spool_dir` (plus `extra` TOML) and starts.
    pub async fn start(dir: &Path, clickhouse_url: &str, database: &str, extra: &str) -> Self {
        let clickhouse = format!("url = \"{clickhouse_url}\"");
        Self::start_with(dir, &clickhouse, database, extra).await
    }

    /// As [`Self::start`], with `clickhouse` the `[clickhouse]` settings
    /// besides the database (the URL, or a cluster's settings).
    pub async fn start_with(dir: &Path, clickhouse: &str, database: &str, extra: &str) -> Self {
        let port = free_port();
        let config = dir.join("canopy-ingest.toml");
        let spool = dir.join("spool");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\n\
                 [clickhouse]\n{clickhouse}\ndatabase = \"{database}\"\n\
                 [spool]\ndir = \"{}\"\n{extra}\n\
                 [writer]\nbatch_interval_ms = 200\n\
                 [rate_limits]\nper_ip_per_second = 100000\nper_ip_burst = 100000\n\
                 per_ip_stored_bytes_per_second = 1000000000\nper_ip_stored_bytes_burst = 1000000000\n\
                 [[projects]]\nname = \"load\"\nkey = \"{KEY}\"\norigins = [\"{ORIGIN}\"]\n",
                spool.display()
            ),
        )
        .unwrap();
        let mut server = Self {
            port,
            config,
            child: None,
        };
        server.resume().await;
        server
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn resume(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_canopy-ingest"))
            .arg("--config")
            .arg(&self.config)
            .env("RUST_LOG", "warn")
            // The file is the whole configuration: the variables would override it.
            .env_remove("CLICKHOUSE_URL")
            .env_remove("CLICKHOUSE_DATABASE")
            .env_remove("CANOPY_LISTEN")
            .env_remove("CANOPY_SPOOL_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_until_answers(&format!("{}/healthz", self.base()), "the ingest server").await;
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
    }
}

/// What a load run saw.
#[derive(Default)]
pub struct LoadReport {
    /// Ids of beacons answered 202.
    pub acknowledged: Mutex<Vec<u64>>,
    /// Replies other than 202, and failed connections.
    pub refused: AtomicU64,
    pub statuses: Mutex<Vec<u16>>,
}

/// Sends beacons (one vital and one error each, session id `load-<n>`) one
/// after another, about `per_second` a second, until stopped.
pub struct Load {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    pub report: Arc<LoadReport>,
}

impl Load {
    pub fn start(base: String, per_second: u32) -> Self {
        Self::start_after(base, per_second, 0)
    }

    /// A load whose beacon ids start after `last_id` (loads into one
    /// database through several servers use ranges of their own).
    pub fn start_after(base: String, per_second: u32, last_id: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let report = Arc::new(LoadReport::default());
        let (task_stop, task_report) = (stop.clone(), report.clone());
        let task = tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let pause = Duration::from_secs(1) / per_second;
            let mut id = last_id;
            while !task_stop.load(Ordering::Relaxed) {
                id += 1;
                let started = Instant::now();
                let reply = http
                    .post(format!("{base}/v1/beacon?key={KEY}"))
                    .header("origin", ORIGIN)
                    .header("content-type", "text/plain")
                    .body(load_beacon(id).to_string())
                    .send()
                    .await;
                match reply.map(|r| r.status().as_u16()) {
                    Ok(202) => task_report.acknowledged.lock().unwrap().push(id),
                    Ok(status) => {
                        task_report.refused.fetch_add(1, Ordering::Relaxed);
                        task_report.statuses.lock().unwrap().push(status);
                    }
                    Err(_) => {
                        task_report.refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                tokio::time::sleep(pause.saturating_sub(started.elapsed())).await;
            }
        });
        Self { stop, task, report }
    }

    pub fn acknowledged(&self) -> usize {
        self.report.acknowledged.lock().unwrap().len()
    }

    /// Waits until `more` beacons beyond those acknowledged so far are
    /// acknowledged: however slow a busy machine makes them, every step of a
    /// test then runs under load it has measured, not load it hoped for.
    pub async fn wait_for_more(&self, more: usize) {
        let target = self.acknowledged() + more;
        let deadline = Instant::now() + Duration::from_secs(180);
        while self.acknowledged() < target {
            assert!(
                Instant::now() < deadline,
                "only {} of {target} beacons acknowledged in 180 s",
                self.acknowledged()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(self) -> Arc<LoadReport> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        self.report
    }
}

pub fn load_beacon(id: u64) -> serde_json::Value {
    let at = 1_800_000_000_000.0_f64;
    json!({
        "schema": 1, "session_id": format!("load-{id}"), "view_id": "v", "page_url": "http://shop.example/",
        "sent_at": at, "apps": [],
        "events": [
            {"app": "shell", "at": at, "kind": "vital", "name": "lcp", "value": 1000.0},
            {"app": "shell", "at": at, "kind": "error", "source": "error", "error_type": "Error", "message": "m"},
        ],
    })
}

/// Asserts every acknowledged beacon is stored exactly once (both its rows),
/// waiting up to the deadline for the log to drain; and no beacon twice.
pub async fn assert_stored_exactly_once(
    clickhouse_url: &str,
    database: &str,
    acknowledged: &[u64],
) {
    let client = clickhouse::Client::default()
        .with_url(clickhouse_url)
        .with_database(database);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let vitals = per_session(&client, "vitals").await;
        let errors = per_session(&client, "errors").await;
        let missing: Vec<u64> = acknowledged
            .iter()
            .copied()
            .filter(|id| {
                vitals.get(id).copied().unwrap_or(0) == 0
                    || errors.get(id).copied().unwrap_or(0) == 0
            })
            .collect();
        let duplicated: Vec<(u64, u64)> = vitals
            .iter()
            .chain(errors.iter())
            .filter(|(_, n)| **n > 1)
            .map(|(id, n)| (*id, *n))
            .collect();
        assert!(
            duplicated.is_empty(),
            "stored more than once: {duplicated:?}"
        );
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} acknowledged beacons never stored, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn per_session(
    client: &clickhouse::Client,
    table: &str,
) -> std::collections::HashMap<u64, u64> {
    let rows: Vec<(String, u64)> = client
        .query(&format!(
            "SELECT session_id, count() FROM {table} GROUP BY session_id"
        ))
        .fetch_all()
        .await
        .unwrap_or_else(|error| panic!("querying {table}: {error}"));
    rows.into_iter()
        .filter_map(|(session, n)| Some((session.strip_prefix("load-")?.parse().ok()?, n)))
        .collect()
}
