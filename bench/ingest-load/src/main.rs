//! `ingest-load`: how fast beacons get from HTTP into ClickHouse.
//!
//! One run measures, side by side and with the same beacon (10 events of
//! every kind):
//!
//! - **ceiling**: ClickHouse's own bulk insert of the same rows: the server's
//!   insert code (`Store::insert_batch`, RowBinary over HTTP, one INSERT per
//!   table) fed large ready-made batches by a few parallel streams;
//! - **floor**: the naive server, played by this process: per beacon,
//!   validate, then one synchronous INSERT per table, and wait;
//! - **canopy**: the `canopy-ingest` binary under closed-loop load from
//!   several connections (its saturation throughput and ack latency), then
//!   **paced**: open-loop load at a fraction of that rate (ack latency when
//!   not saturated). Its peak RSS (VmHWM) is read from /proc, and after each
//!   phase the run waits until every acknowledged event is in ClickHouse and
//!   counts them.
//!
//! Every loop is bounded by time (`--seconds` per mode) and by count
//! (`--max-beacons`); waits for ClickHouse are bounded by `--drain-timeout`.
//! `scripts/bench` runs it against an embedded ClickHouse of its own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::Parser;
use ingest_server::config::ClickHouseConfig;
use ingest_server::enrich::{enrich, Accepted};
use ingest_server::store::Store;
use ingest_server::validate::validate;
use serde_json::json;

const EVENTS_PER_BEACON: u64 = 10;
const KEY: &str = "bench-key-0001";
const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const TABLES: [&str; 5] = ["vitals", "navigations", "resources", "errors", "app_events"];

#[derive(Debug, Parser)]
#[command(about = "Throughput benchmark for canopy-ingest (see scripts/bench).")]
struct Args {
    /// ClickHouse HTTP interface (its own, for the benchmark: databases bench_* are dropped).
    #[arg(long)]
    clickhouse_url: String,
    /// The release `canopy-ingest` binary.
    #[arg(long)]
    server_bin: PathBuf,
    /// Directory for the server's config, write-ahead log and stderr.
    #[arg(long)]
    work_dir: PathBuf,
    /// Seconds of load per mode.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent connections (floor: concurrent inserters).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Ceiling runs: each with this many parallel bulk-insert streams (the drain is one stream).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    bulk_streams: Vec<usize>,
    /// Beacons per bulk insert for the ceiling (x10 events; the server's default batch is 10,000 rows).
    #[arg(long, default_value_t = 1_000)]
    bulk_beacons: usize,
    /// Paced phases: each a rate, as a fraction of the saturation rate canopy reached.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.5")]
    paced_fraction: Vec<f64>,
    /// Most beacons any one mode sends.
    #[arg(long, default_value_t = 2_000_000)]
    max_beacons: u64,
    /// Longest wait for acknowledged events to reach ClickHouse, in seconds.
    #[arg(long, default_value_t = 180)]
    drain_timeout: u64,
    /// More TOML for the server's configuration file (e.g. "[writer]\nbatch_rows = 20000").
    #[arg(long, default_value = "")]
    server_toml: String,
    /// Where to write the results as Markdown.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Modes to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "ceiling,floor,canopy")]
    modes: Vec<String>,
}

/// The one beacon every mode sends: 10 events, every kind, ~3 KB of JSON.
fn beacon_template() -> String {
    let sent_at = 1_800_000_000_000.0_f64;
    let stack = (0..6)
        .map(|i| format!("    at handler{i} (https://shop.example/mfe/cart/cart.4f2a9c.js:{}:{})", 100 + i, 20 * i + 3))
        .collect::<Vec<_>>()
        .join("\n");
    json!({
        "schema": 1, "session_id": "SESSION", "view_id": "view-7f3a", "page_url": "https://shop.example/checkout",
        "sent_at": sent_at,
        "apps": [{"name": "shell", "version": "3.2.0"}, {"name": "catalog", "version": "2.3.1"}, {"name": "cart", "version": "1.4.0"}],
        "events": [
            {"app": "catalog", "at": sent_at - 4000.0, "kind": "vital", "name": "lcp", "value": 1840.5},
            {"app": "cart", "at": sent_at - 100.0, "kind": "vital", "name": "cls", "value": 0.08},
            {"app": "cart", "at": sent_at - 100.0, "kind": "vital", "name": "inp", "value": 120.0},
            {"app": "shell", "at": sent_at - 5000.0, "kind": "navigation", "nav_type": "navigate", "dns": 12.1, "tcp": 20.4,
             "tls": 31.0, "ttfb": 180.2, "download": 12.0, "dom_parse": 240.0, "dom_ready": 610.5, "load": 1320.0, "transfer_size": 18234},
            {"app": "catalog", "at": sent_at - 4500.0, "kind": "resource", "url": "https://shop.example/mfe/catalog/catalog.91bc.js",
             "initiator": "script", "duration": 88.4, "transfer_size": 48211},
            {"app": "cart", "at": sent_at - 4400.0, "kind": "resource", "url": "https://shop.example/mfe/cart/cart.4f2a9c.js",
             "initiator": "script", "duration": 61.0, "transfer_size": 30122},
            {"app": "catalog", "at": sent_at - 3900.0, "kind": "resource", "url": "https://cdn.shop.example/img/p/1234-800w.webp",
             "initiator": "img", "duration": 140.2, "transfer_size": 91002},
            {"app": "cart", "at": sent_at - 800.0, "kind": "error", "source": "error", "error_type": "TypeError",
             "message": "Cannot read properties of undefined (reading 'price')", "stack": stack,
             "url": "https://shop.example/mfe/cart/cart.4f2a9c.js", "line": 100, "column": 3},
            {"app": "catalog", "at": sent_at - 700.0, "kind": "error", "source": "rejection", "error_type": "Error",
             "message": "fetch /api/recommendations failed: 503", "stack": "", "url": "", "line": 0, "column": 0},
            {"app": "cart", "at": sent_at - 4300.0, "kind": "app", "phase": "mounted", "detail": "hydrated in 42 ms"},
        ],
    })
    .to_string()
}

/// The beacon body with its own session id.
fn beacon_body(template: &str, mode: &str, id: u64) -> String {
    template.replacen("SESSION", &format!("{mode}-{id}"), 1)
}

/// The beacon as the server logs it: validated and enriched.
fn accepted(body: &str) -> anyhow::Result<Accepted> {
    let beacon = validate(body.as_bytes()).context("the benchmark beacon must validate")?;
    anyhow::ensure!(beacon.events.len() as u64 == EVENTS_PER_BEACON);
    Ok(enrich(beacon, Some(USER_AGENT), now_ms()))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Latencies in microseconds.
#[derive(Default)]
struct Latencies(Vec<u64>);

impl Latencies {
    fn percentile(&mut self, p: f64) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let index = ((self.0.len() - 1) as f64 * p / 100.0).round() as usize;
        Some(Duration::from_micros(self.0[index]))
    }
}

fn ms(duration: Option<Duration>) -> String {
    duration.map_or("–".into(), |d| format!("{:.2} ms", d.as_secs_f64() * 1000.0))
}

/// What one mode measured.
#[derive(Default)]
struct ModeResult {
    mode: String,
    what: String,
    events: u64,
    seconds: f64,
    latency_label: String,
    p50: Option<Duration>,
    p99: Option<Duration>,
    max: Option<Duration>,
    failures: u64,
    stored_check: String,
    notes: Vec<String>,
    /// The server's peak resident memory (VmHWM), in kB.
    peak_rss_kb: Option<u64>,
    /// Acknowledged events over the time until all were stored.
    end_to_end_per_second: Option<f64>,
}

impl ModeResult {
    fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.events as f64 / self.seconds
        } else {
            0.0
        }
    }
}

struct ClickHouse {
    url: String,
    http: reqwest::Client,
}

impl ClickHouse {
    async fn query(&self, sql: &str) -> anyhow::Result<String> {
        let response = self.http.post(format!("{}/", self.url)).body(sql.to_owned()).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("ClickHouse answered {status} to {sql:?}: {}", text.trim());
        }
        Ok(text.trim().to_owned())
    }

    async fn stored_events(&self, database: &str) -> anyhow::Result<u64> {
        let sql = TABLES
            .iter()
            .map(|t| format!("SELECT count() AS c FROM {database}.{t}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        Ok(self.query(&format!("SELECT sum(c) FROM ({sql})")).await?.parse()?)
    }

    /// Drops a mode's database, so its parts stop being merged during the next mode.
    async fn drop_database(&self, database: &str) -> anyhow::Result<()> {
        self.query(&format!("DROP DATABASE IF EXISTS {database} SYNC")).await.map(drop)
    }

    /// Waits (at most 30 s) until ClickHouse has no merges running: the
    /// previous mode's background work is not charged to the next.
    async fn settle(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && self.query("SELECT count() FROM system.merges").await? != "0" {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    async fn fresh_store(&self, database: &str) -> anyhow::Result<Store> {
        self.query(&format!("DROP DATABASE IF EXISTS {database}")).await?;
        let config =
            ClickHouseConfig { url: self.url.clone(), database: database.to_owned(), ..ClickHouseConfig::default() };
        Store::open(&config).await.with_context(|| format!("preparing {database}"))
    }

    /// Waits until `expected` events are stored; how long that took.
    async fn wait_for(
        &self,
        database: &str,
        expected: u64,
        timeout: Duration,
    ) -> anyhow::Result<(Option<Duration>, u64)> {
        let started = Instant::now();
        loop {
            let stored = self.stored_events(database).await?;
            if stored >= expected {
                return Ok((Some(started.elapsed()), stored));
            }
            if started.elapsed() > timeout {
                return Ok((None, stored));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn stored_check(expected: u64, stored: u64) -> String {
    match stored.cmp(&expected) {
        std::cmp::Ordering::Equal => format!("{stored} = {expected} ✔"),
        std::cmp::Ordering::Less => format!("{stored} < {expected} ✘ ({} missing)", expected - stored),
        std::cmp::Ordering::Greater => {
            format!("{stored} > {expected} ({} more: sent but not acknowledged)", stored - expected)
        }
    }
}

/// Ceiling: large batches of the same rows, inserted as fast as ClickHouse takes them.
async fn ceiling(
    args: &Args,
    clickhouse: &ClickHouse,
    template: &str,
    streams_wanted: usize,
) -> anyhow::Result<ModeResult> {
    const DATABASE: &str = "bench_ceiling";
    let store = Arc::new(clickhouse.fresh_store(DATABASE).await?);
    let batch: Arc<Vec<Accepted>> = Arc::new(
        (0..args.bulk_beacons as u64)
            .map(|i| accepted(&beacon_body(template, "ceiling", i)))
            .collect::<Result<_, _>>()?,
    );
    let max_batches = (args.max_beacons / args.bulk_beacons.max(1) as u64).max(1);
    let next = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Latencies::default()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut streams = Vec::new();
    for _ in 0..streams_wanted {
        let (store, batch, next, latencies) = (store.clone(), batch.clone(), next.clone(), latencies.clone());
        streams.push(tokio::spawn(async move {
            let mut rows = 0u64;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= max_batches {
                    break;
                }
                let one = Instant::now();
                rows += store.insert_batch(&batch, &format!("bench-ceiling-{n}")).await? as u64;
                latencies.lock().unwrap().0.push(one.elapsed().as_micros() as u64);
            }
            anyhow::Ok(rows)
        }));
    }
    let mut events = 0;
    for stream in streams {
        events += stream.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let stored = clickhouse.stored_events(DATABASE).await?;
    clickhouse.drop_database(DATABASE).await?;
    let mut latencies = Arc::try_unwrap(latencies).ok().expect("streams ended").into_inner().unwrap();
    Ok(ModeResult {
        mode: format!("ceiling, {streams_wanted} stream{}", if streams_wanted == 1 { "" } else { "s" }),
        what: format!(
            "ClickHouse bulk insert: {} stream{} of {}-row batches (RowBinary, one INSERT per table)",
            streams_wanted,
            if streams_wanted == 1 { "" } else { "s" },
            args.bulk_beacons as u64 * EVENTS_PER_BEACON
        ),
        events,
        seconds,
        latency_label: "per batch".into(),
        p50: latencies.percentile(50.0),
        p99: latencies.percentile(99.0),
        max: latencies.percentile(100.0),
        stored_check: stored_check(events, stored),
        ..ModeResult::default()
    })
}

/// Floor: per beacon, validate and insert its rows synchronously (one INSERT per table), and wait.
async fn floor(args: &Args, clickhouse: &ClickHouse, template: &str) -> anyhow::Result<ModeResult> {
    const DATABASE: &str = "bench_floor";
    let store = Arc::new(clickhouse.fresh_store(DATABASE).await?);
    let template = Arc::new(template.to_owned());
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let max_beacons = args.max_beacons;
    let mut workers = Vec::new();
    for _ in 0..args.connections {
        let (store, template, next) = (store.clone(), template.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut events, mut failures, mut first_error) = (Vec::new(), 0u64, 0u64, None);
            while Instant::now() < deadline {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= max_beacons {
                    break;
                }
                let one = Instant::now();
                let body = beacon_body(&template, "floor", id);
                let result = match accepted(&body) {
                    Ok(beacon) => store
                        .insert_batch(std::slice::from_ref(&beacon), &format!("bench-floor-{id}"))
                        .await
                        .map_err(anyhow::Error::from),
                    Err(error) => Err(error),
                };
                match result {
                    Ok(rows) => {
                        events += rows as u64;
                        latencies.push(one.elapsed().as_micros() as u64);
                    }
                    Err(error) => {
                        failures += 1;
                        first_error.get_or_insert_with(|| error.to_string());
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            (latencies, events, failures, first_error)
        }));
    }
    let (mut latencies, mut events, mut failures, mut errors) = (Latencies::default(), 0, 0, Vec::new());
    for worker in workers {
        let (l, e, f, error) = worker.await?;
        latencies.0.extend(l);
        events += e;
        failures += f;
        errors.extend(error);
    }
    let seconds = started.elapsed().as_secs_f64();
    let stored = clickhouse.stored_events(DATABASE).await?;
    clickhouse.drop_database(DATABASE).await?;
    let mut notes = Vec::new();
    if let Some(error) = errors.first() {
        notes.push(format!("first insert error: {error}"));
    }
    Ok(ModeResult {
        mode: "floor".into(),
        what: format!(
            "naive: {} workers, each beacon validated then inserted synchronously, 5 INSERTs (one per table)",
            args.connections
        ),
        events,
        seconds,
        latency_label: "per beacon".into(),
        p50: latencies.percentile(50.0),
        p99: latencies.percentile(99.0),
        max: latencies.percentile(100.0),
        failures,
        stored_check: stored_check(events, stored),
        notes,
        peak_rss_kb: None,
        end_to_end_per_second: None,
    })
}

/// The `canopy-ingest` process, killed if the benchmark ends early.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then up to 30 s for a clean stop, then SIGKILL.
    fn stop(&mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill()?;
        self.child.wait()?;
        bail!("canopy-ingest did not stop within 30 s of SIGTERM; killed")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn start_server(args: &Args, database: &str, http: &reqwest::Client) -> anyhow::Result<Server> {
    let port = free_port()?;
    std::fs::create_dir_all(&args.work_dir)?;
    let spool = args.work_dir.join("spool");
    let _ = std::fs::remove_dir_all(&spool);
    let config = args.work_dir.join("canopy-ingest.toml");
    std::fs::write(
        &config,
        format!(
            "# Written by ingest-load: defaults except the rate limits (one client IP sends everything).\n\
             listen = \"127.0.0.1:{port}\"\n\
             [clickhouse]\nurl = \"{}\"\ndatabase = \"{database}\"\n\
             [spool]\ndir = \"{}\"\n\
             [rate_limits]\nper_key_per_second = 1000000\nper_key_burst = 1000000\n\
             per_ip_per_second = 1000000\nper_ip_burst = 1000000\n\
             [[projects]]\nname = \"bench\"\nkey = \"{KEY}\"\norigins = [\"*\"]\n{}\n",
            args.clickhouse_url,
            spool.display(),
            args.server_toml,
        ),
    )?;
    let stderr = std::fs::File::create(args.work_dir.join("canopy-ingest.log"))?;
    let mut command = Command::new(&args.server_bin);
    command.arg("--config").arg(&config).env("RUST_LOG", "warn");
    // The file is the whole configuration: these variables would override it.
    for name in [
        "CANOPY_CONFIG",
        "CANOPY_LISTEN",
        "CANOPY_SPOOL_DIR",
        "CANOPY_MAX_BODY_BYTES",
        "CLICKHOUSE_URL",
        "CLICKHOUSE_USER",
        "CLICKHOUSE_PASSWORD",
        "CLICKHOUSE_DATABASE",
    ] {
        command.env_remove(name);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", args.server_bin.display()))?;
    let mut server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = http.get(format!("{}/readyz", server.base)).send().await {
            if response.status().is_success() {
                return Ok(server);
            }
        }
        if let Some(status) = server.child.try_wait()? {
            bail!("canopy-ingest exited with {status}; see {}", args.work_dir.join("canopy-ingest.log").display());
        }
        if Instant::now() > deadline {
            server.stop()?;
            bail!("canopy-ingest was not ready within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `/proc/PID/status` field in kB (VmRSS, VmHWM).
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU seconds a process has used (/proc/PID/stat, 100 ticks a second).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// What the load loops collect.
#[derive(Default)]
struct LoadTally {
    latencies: Latencies,
    acked_beacons: u64,
    failures: u64,
    statuses: std::collections::BTreeMap<String, u64>,
    /// Paced: beacons not sent because too many were already in flight.
    skipped: u64,
}

impl LoadTally {
    fn record(&mut self, outcome: Result<(u16, Duration), String>) {
        match outcome {
            Ok((202, latency)) => {
                self.acked_beacons += 1;
                self.latencies.0.push(latency.as_micros() as u64);
            }
            Ok((status, _)) => {
                self.failures += 1;
                *self.statuses.entry(status.to_string()).or_default() += 1;
            }
            Err(error) => {
                self.failures += 1;
                *self.statuses.entry(error).or_default() += 1;
            }
        }
    }

    fn merge(&mut self, other: LoadTally) {
        self.latencies.0.extend(other.latencies.0);
        self.acked_beacons += other.acked_beacons;
        self.failures += other.failures;
        self.skipped += other.skipped;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
    }
}

/// Posts one beacon as sendBeacon does; the status once the reply is read.
async fn post_beacon(http: &reqwest::Client, url: &str, body: String) -> Result<u16, String> {
    let response = http
        .post(url)
        .header("content-type", "text/plain;charset=UTF-8")
        .header("user-agent", USER_AGENT)
        .body(body)
        .send()
        .await
        .map_err(|error| if error.is_timeout() { "timeout".to_owned() } else { "connection error".to_owned() })?;
    let status = response.status().as_u16();
    let _ = response.bytes().await; // read it all, so the connection is reused
    Ok(status)
}

/// Closed loop: `connections` clients, each sending its next beacon when the last is answered.
async fn closed_loop(
    args: &Args,
    http: &reqwest::Client,
    url: &str,
    template: &str,
    next: &Arc<AtomicU64>,
) -> (LoadTally, f64) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let last_id = next.load(Ordering::Relaxed) + args.max_beacons;
    let template = Arc::new(template.to_owned());
    let mut clients = Vec::new();
    for _ in 0..args.connections {
        let (http, url, template, next) = (http.clone(), url.to_owned(), template.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            let mut tally = LoadTally::default();
            while Instant::now() < deadline {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= last_id {
                    break;
                }
                let body = beacon_body(&template, "canopy", id);
                let sent = Instant::now();
                let outcome = post_beacon(&http, &url, body).await;
                if outcome.is_err() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                tally.record(outcome.map(|status| (status, sent.elapsed())));
            }
            tally
        }));
    }
    let mut tally = LoadTally::default();
    for client in clients {
        tally.merge(client.await.expect("a load task panicked"));
    }
    (tally, started.elapsed().as_secs_f64())
}

/// Open loop: beacons sent on a fixed schedule whatever the replies; latency
/// counts from when each was due, so a stall is not hidden.
async fn paced(
    args: &Args,
    http: &reqwest::Client,
    url: &str,
    template: &str,
    next: &Arc<AtomicU64>,
    per_second: f64,
) -> (LoadTally, f64) {
    const MAX_IN_FLIGHT: usize = 512;
    let started = Instant::now();
    let duration = Duration::from_secs(args.seconds);
    let total = ((per_second * args.seconds as f64) as u64).min(args.max_beacons);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let tally = Arc::new(Mutex::new(LoadTally::default()));
    let mut requests = tokio::task::JoinSet::new();
    let mut scheduled = 0u64;
    while scheduled < total && started.elapsed() < duration {
        let due_now = ((started.elapsed().as_secs_f64() * per_second) as u64 + 1).min(total);
        while scheduled < due_now {
            let due = started + Duration::from_secs_f64(scheduled as f64 / per_second);
            scheduled += 1;
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                tally.lock().unwrap().skipped += 1;
                continue;
            };
            let id = next.fetch_add(1, Ordering::Relaxed);
            let (http, url, tally, body) =
                (http.clone(), url.to_owned(), tally.clone(), beacon_body(template, "canopy", id));
            requests.spawn(async move {
                let outcome = post_beacon(&http, &url, body).await;
                tally.lock().unwrap().record(outcome.map(|status| (status, due.elapsed())));
                drop(permit);
            });
        }
        while requests.try_join_next().is_some() {}
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    while requests.join_next().await.is_some() {}
    let seconds = started.elapsed().as_secs_f64();
    let tally = Arc::try_unwrap(tally).ok().expect("requests ended").into_inner().unwrap();
    (tally, seconds)
}

/// Samples the server's RSS while it runs; the peak seen.
fn watch_rss(pid: u32, stop: Arc<std::sync::atomic::AtomicBool>) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(proc_status_kb(pid, "VmRSS").unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    })
}

/// The server's own ack-time histogram (`canopy_beacon_ack_seconds`, handler
/// start to 202): cumulative counts per upper bound in seconds.
async fn ack_histogram(http: &reqwest::Client, base: &str) -> Vec<(f64, f64)> {
    let Ok(response) = http.get(format!("{base}/metrics")).send().await else { return Vec::new() };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("canopy_beacon_ack_seconds_bucket{le=\"")?;
            let (le, count) = rest.split_once("\"}")?;
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
            Some((le, count.trim().parse().ok()?))
        })
        .collect()
}

/// What the server's histogram says about the acks between two scrapes.
fn server_side_acks(before: &[(f64, f64)], after: &[(f64, f64)]) -> Option<String> {
    let count = |histogram: &[(f64, f64)], le: f64| histogram.iter().find(|(b, _)| *b == le).map_or(0.0, |(_, n)| *n);
    let total = count(after, f64::INFINITY) - count(before, f64::INFINITY);
    if total <= 0.0 {
        return None;
    }
    let share = |le: f64| (count(after, le) - count(before, le)) / total * 100.0;
    let p99_bucket = after.iter().map(|(le, _)| *le).find(|le| share(*le) >= 99.0)?;
    Some(format!(
        "server-side ack time (its own histogram, handler start to 202): {:.1}% ≤ 1 ms, {:.1}% ≤ 2.5 ms, {:.1}% ≤ 10 ms; p99 ≤ {} ms",
        share(0.001),
        share(0.0025),
        share(0.01),
        p99_bucket * 1000.0
    ))
}

/// Lines of the server's Prometheus text that say how the drain batched.
async fn drain_metrics(http: &reqwest::Client, base: &str) -> String {
    let Ok(response) = http.get(format!("{base}/metrics")).send().await else { return String::new() };
    let text = response.text().await.unwrap_or_default();
    let value = |name: &str| -> Option<f64> {
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))?
            .split_whitespace()
            .last()?
            .parse()
            .ok()
    };
    match (value("canopy_insert_batches_total"), value("canopy_insert_rows_total"), value("canopy_insert_seconds_sum"))
    {
        (Some(batches), Some(rows), Some(seconds)) if batches > 0.0 => format!(
            "drain: {batches} inserts of {:.0} rows on average, {:.0} ms each on average",
            rows / batches,
            seconds / batches * 1000.0
        ),
        _ => String::new(),
    }
}

/// The server: saturated by a closed loop, then paced at a fraction of that rate.
async fn canopy(args: &Args, clickhouse: &ClickHouse, template: &str) -> anyhow::Result<Vec<ModeResult>> {
    const DATABASE: &str = "bench_canopy";
    clickhouse.query(&format!("DROP DATABASE IF EXISTS {DATABASE}")).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(args.connections * 4)
        .build()?;
    let mut server = start_server(args, DATABASE, &http).await?;
    let pid = server.pid();
    let url = format!("{}/v1/beacon?key={KEY}", server.base);
    let stop_watch = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rss = watch_rss(pid, stop_watch.clone());
    let next = Arc::new(AtomicU64::new(0));
    let timeout = Duration::from_secs(args.drain_timeout);
    let mut results = Vec::new();

    // Saturation.
    let cpu_before = cpu_seconds(&pid.to_string()).unwrap_or(0.0);
    let histogram_before = ack_histogram(&http, &server.base).await;
    let (mut tally, seconds) = closed_loop(args, &http, &url, template, &next).await;
    let cpu_load = cpu_seconds(&pid.to_string()).unwrap_or(0.0) - cpu_before;
    let histogram_after = ack_histogram(&http, &server.base).await;
    let spool_at_end = dir_size(&args.work_dir.join("spool"));
    let acked_events = tally.acked_beacons * EVENTS_PER_BEACON;
    let (lag, stored) = clickhouse.wait_for(DATABASE, acked_events, timeout).await?;
    let cpu_total = cpu_seconds(&pid.to_string()).unwrap_or(0.0) - cpu_before;
    let hwm_after_saturation = proc_status_kb(pid, "VmHWM").unwrap_or(0);
    let mut notes = vec![format!(
        "server CPU: {cpu_load:.1} s during the {seconds:.0} s of load, {cpu_total:.1} s including the drain ({:.0} µs per acknowledged event)",
        cpu_total * 1e6 / acked_events.max(1) as f64
    )];
    notes.push(format!("peak RSS (VmHWM) after this phase: {:.1} MB", hwm_after_saturation as f64 / 1024.0));
    notes.push(format!("write-ahead log on disk when the load ended: {:.0} MB", spool_at_end as f64 / 1e6));
    notes.extend(server_side_acks(&histogram_before, &histogram_after));
    let metrics = drain_metrics(&http, &server.base).await;
    if !metrics.is_empty() {
        notes.push(metrics);
    }
    let saturated_rate = tally.acked_beacons as f64 / seconds;
    let end_to_end = lag.map(|lag| acked_events as f64 / (seconds + lag.as_secs_f64()));
    if let Some(lag) = lag {
        notes.push(format!(
            "end to end (acknowledged and stored): {:.0} events/s = {acked_events} events / ({seconds:.1} s of load + {:.1} s until stored)",
            acked_events as f64 / (seconds + lag.as_secs_f64()),
            lag.as_secs_f64()
        ));
    }
    results.push(ModeResult {
        mode: "canopy".into(),
        what: format!("canopy-ingest, closed loop: {} connections, each sends when answered", args.connections),
        events: acked_events,
        seconds,
        latency_label: "ack".into(),
        p50: tally.latencies.percentile(50.0),
        p99: tally.latencies.percentile(99.0),
        max: tally.latencies.percentile(100.0),
        failures: tally.failures,
        stored_check: format!("{}; {}", stored_check(acked_events, stored), lag_text(lag, timeout)),
        notes: failures_note(&tally).into_iter().chain(notes).collect(),
        peak_rss_kb: None,
        end_to_end_per_second: None,
    });

    // Paced, at fractions of what saturation reached.
    let mut expected = acked_events;
    for &fraction in &args.paced_fraction {
        let rate = (saturated_rate * fraction).max(1.0);
        let histogram_before = ack_histogram(&http, &server.base).await;
        let (mut tally, seconds) = paced(args, &http, &url, template, &next, rate).await;
        let histogram_after = ack_histogram(&http, &server.base).await;
        let paced_events = tally.acked_beacons * EVENTS_PER_BEACON;
        expected += paced_events;
        let (lag, stored_now) = clickhouse.wait_for(DATABASE, expected, timeout).await?;
        let mut notes = failures_note(&tally);
        if tally.skipped > 0 {
            notes.push(format!("{} beacons not sent: 512 already in flight", tally.skipped));
        }
        notes.extend(server_side_acks(&histogram_before, &histogram_after));
        results.push(ModeResult {
            mode: format!("canopy paced {:.0}%", fraction * 100.0),
            what: format!(
                "canopy-ingest, open loop at {:.0}% of the closed-loop rate: {rate:.0} beacons/s on a fixed schedule",
                fraction * 100.0
            ),
            events: paced_events,
            seconds,
            latency_label: "ack, from when due".into(),
            p50: tally.latencies.percentile(50.0),
            p99: tally.latencies.percentile(99.0),
            max: tally.latencies.percentile(100.0),
            failures: tally.failures,
            stored_check: format!("{}; {}", stored_check(expected, stored_now), lag_text(lag, timeout)),
            notes,
            peak_rss_kb: None,
            end_to_end_per_second: None,
        });
    }

    let hwm = proc_status_kb(pid, "VmHWM").unwrap_or(0);
    stop_watch.store(true, Ordering::Relaxed);
    let sampled = rss.await.unwrap_or(0);
    let spool_left = dir_size(&args.work_dir.join("spool"));
    let stop_started = Instant::now();
    let stopped = match server.stop() {
        Ok(()) => format!("stopped {:.1} s after SIGTERM", stop_started.elapsed().as_secs_f64()),
        Err(error) => error.to_string(),
    };
    results[0].notes.push(format!(
        "over all canopy phases: peak RSS (VmHWM) {:.1} MB (highest VmRSS sampled every 100 ms: {:.1} MB); \
         write-ahead log left on disk at the end: {:.1} MB; {stopped}",
        hwm as f64 / 1024.0,
        sampled as f64 / 1024.0,
        spool_left as f64 / 1e6
    ));
    results[0].peak_rss_kb = Some(hwm);
    results[0].end_to_end_per_second = end_to_end;
    Ok(results)
}

fn lag_text(lag: Option<Duration>, timeout: Duration) -> String {
    match lag {
        Some(lag) => format!("all stored {:.1} s after the load ended", lag.as_secs_f64()),
        None => format!("not all stored {} s after the load ended", timeout.as_secs()),
    }
}

fn failures_note(tally: &LoadTally) -> Vec<String> {
    if tally.statuses.is_empty() {
        return Vec::new();
    }
    let statuses: Vec<String> = tally.statuses.iter().map(|(status, n)| format!("{status}: {n}")).collect();
    vec![format!("not acknowledged: {}", statuses.join(", "))]
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

fn markdown(args: &Args, results: &[ModeResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Each beacon carries 10 events (3 vitals, 1 navigation, 3 resources, 2 errors, 1 app event; {} bytes of JSON). \
         {} s of load per mode; {} connections.\n",
        beacon_template().len(),
        args.seconds,
        args.connections
    );
    let _ = writeln!(
        out,
        "| mode | what | events | events/s | latency | p50 | p99 | max | failed | stored in ClickHouse |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|---|--:|--:|--:|--:|---|");
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} |",
            r.mode,
            r.what,
            r.events,
            r.events_per_second(),
            r.latency_label,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            r.failures,
            r.stored_check
        );
    }
    let notes: Vec<String> =
        results.iter().flat_map(|r| r.notes.iter().map(move |n| format!("- {}: {n}", r.mode))).collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\n{}", notes.join("\n"));
    }

    // The goals of issue 4.
    let find = |mode: &str| results.iter().find(|r| r.mode == mode);
    let rss_kb = find("canopy").and_then(|r| r.peak_rss_kb);
    if let Some(canopy) = find("canopy") {
        let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
        let _ = writeln!(out, "\n| goal | measured | |\n|---|---|---|");
        let best_ceiling = results
            .iter()
            .filter(|r| r.mode.starts_with("ceiling"))
            .max_by(|a, b| a.events_per_second().total_cmp(&b.events_per_second()));
        if let Some(ceiling) = best_ceiling {
            let ratio = canopy.events_per_second() / ceiling.events_per_second().max(1.0);
            let _ = writeln!(
                out,
                "| accepted events/s ≥ 0.5 × ceiling | {:.0} / {:.0} = {ratio:.2} × | {} |",
                canopy.events_per_second(),
                ceiling.events_per_second(),
                verdict(ratio >= 0.5)
            );
            if let Some(stored) = canopy.end_to_end_per_second {
                let ratio = stored / ceiling.events_per_second().max(1.0);
                let _ = writeln!(
                    out,
                    "| (the same, counting until stored: events / (load + drain time)) | {stored:.0} / {:.0} = {ratio:.2} × | {} |",
                    ceiling.events_per_second(),
                    verdict(ratio >= 0.5)
                );
            }
        }
        for r in results.iter().filter(|r| r.mode.starts_with("canopy")) {
            let _ = writeln!(
                out,
                "| p99 ack ≤ 10 ms ({}) | {} | {} |",
                r.mode,
                ms(r.p99),
                verdict(r.p99.is_some_and(|p| p <= Duration::from_millis(10)))
            );
        }
        if let Some(kb) = rss_kb {
            let _ =
                writeln!(out, "| peak RSS ≤ 200 MB | {:.1} MB | {} |", kb as f64 / 1024.0, verdict(kb <= 200 * 1024));
        }
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let template = beacon_template();
    let clickhouse = ClickHouse {
        url: args.clickhouse_url.trim_end_matches('/').to_owned(),
        http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
    };
    clickhouse.query("SELECT 1").await.context("ClickHouse does not answer")?;
    let mut results = Vec::new();
    for mode in &args.modes {
        eprintln!("[ingest-load] {mode}: {} s", args.seconds);
        clickhouse.settle().await?;
        let started = Instant::now();
        let before = results.len();
        match mode.as_str() {
            "ceiling" => {
                for &streams in &args.bulk_streams {
                    clickhouse.settle().await?;
                    results.push(ceiling(&args, &clickhouse, &template, streams).await?);
                }
            }
            "floor" => results.push(floor(&args, &clickhouse, &template).await?),
            "canopy" => results.extend(canopy(&args, &clickhouse, &template).await?),
            other => bail!("unknown mode {other:?}: use ceiling, floor, canopy"),
        }
        for r in &results[before..] {
            eprintln!(
                "[ingest-load]   {}: {:.0} events/s, {} p50 {} p99 {}, failed {}, stored {} ({:.0} s)",
                r.mode,
                r.events_per_second(),
                r.latency_label,
                ms(r.p50),
                ms(r.p99),
                r.failures,
                r.stored_check,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let text = markdown(&args, &results);
    match &args.markdown {
        Some(path) => std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use canopy_wire::EventBody;

    use super::*;

    #[test]
    fn the_benchmark_beacon_validates_with_ten_events_of_every_kind() {
        let body = beacon_body(&beacon_template(), "test", 7);
        let beacon = validate(body.as_bytes()).expect("the benchmark beacon validates");
        assert_eq!(beacon.session_id, "test-7");
        assert_eq!(beacon.events.len() as u64, EVENTS_PER_BEACON);
        let kinds = |f: fn(&EventBody) -> bool| beacon.events.iter().filter(|e| f(&e.body)).count();
        assert_eq!(kinds(|b| matches!(b, EventBody::Vital(_))), 3);
        assert_eq!(kinds(|b| matches!(b, EventBody::Navigation(_))), 1);
        assert_eq!(kinds(|b| matches!(b, EventBody::Resource(_))), 3);
        assert_eq!(kinds(|b| matches!(b, EventBody::Error(_))), 2);
        assert_eq!(kinds(|b| matches!(b, EventBody::App(_))), 1);
    }

    #[test]
    fn percentiles_and_stored_checks() {
        let mut latencies = Latencies((1..=100).rev().map(|ms| ms * 1000).collect());
        assert_eq!(latencies.percentile(50.0), Some(Duration::from_millis(51)));
        assert_eq!(latencies.percentile(99.0), Some(Duration::from_millis(99)));
        assert_eq!(latencies.percentile(100.0), Some(Duration::from_millis(100)));
        assert_eq!(Latencies::default().percentile(99.0), None);
        assert!(stored_check(10, 10).ends_with('✔'));
        assert!(stored_check(10, 9).contains("1 missing"));
    }
}
