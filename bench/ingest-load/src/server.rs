//! The `canopy-ingest` process: starting it, and reading its RSS, CPU and metrics.
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::*;

/// The `canopy-ingest` process, killed if the benchmark ends early.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then up to 30 s for a clean stop, then SIGKILL.
    pub(crate) fn stop(&mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
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

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(crate) async fn start_server(
    args: &Args,
    database: &str,
    cluster_toml: &str,
    http: &reqwest::Client,
) -> anyhow::Result<Server> {
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
             [clickhouse]\nurl = \"{}\"\ndatabase = \"{database}\"\n{cluster_toml}\
             [spool]\ndir = \"{}\"\n\
             [rate_limits]\nper_key_per_second = 1000000\nper_key_burst = 1000000\n\
             per_ip_per_second = 1000000\nper_ip_burst = 1000000\n\
             per_key_stored_bytes_per_second = 4000000000\nper_key_stored_bytes_burst = 4000000000\n\
             per_ip_stored_bytes_per_second = 4000000000\nper_ip_stored_bytes_burst = 4000000000\n\
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
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = http.get(format!("{}/readyz", server.base)).send().await {
            if response.status().is_success() {
                return Ok(server);
            }
        }
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "canopy-ingest exited with {status}; see {}",
                args.work_dir.join("canopy-ingest.log").display()
            );
        }
        if Instant::now() > deadline {
            server.stop()?;
            bail!("canopy-ingest was not ready within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `/proc/PID/status` field in kB (VmRSS, VmHWM).
pub(crate) fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU seconds a process has used (/proc/PID/stat, 100 ticks a second).
pub(crate) fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Samples the server's RSS while it runs; the peak seen.
pub(crate) fn watch_rss(
    pid: u32,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(proc_status_kb(pid, "VmRSS").unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    })
}

/// The server's Prometheus text, if it answers.
async fn metrics_text(http: &reqwest::Client, base: &str) -> Option<String> {
    let response = http.get(format!("{base}/metrics")).send().await.ok()?;
    Some(response.text().await.unwrap_or_default())
}

/// Cumulative counts per upper bound in seconds, from the server's Prometheus text.
pub(crate) type Histogram = Vec<(f64, f64)>;

/// The server's own histograms: ack time (`canopy_beacon_ack_seconds`,
/// handler start to 202) and write-ahead log group commits
/// (`canopy_spool_sync_seconds`, write + fsync).
pub(crate) async fn histograms(http: &reqwest::Client, base: &str) -> [Histogram; 2] {
    let Some(text) = metrics_text(http, base).await else {
        return Default::default();
    };
    let parse = |name: &str| -> Histogram {
        let prefix = format!("{name}_bucket{{le=\"");
        text.lines()
            .filter_map(|line| {
                let rest = line.strip_prefix(prefix.as_str())?;
                let (le, count) = rest.split_once("\"}")?;
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((le, count.trim().parse().ok()?))
            })
            .collect()
    };
    [
        parse("canopy_beacon_ack_seconds"),
        parse("canopy_spool_sync_seconds"),
    ]
}

/// What the server's histograms say about the acks and the group commits between two scrapes.
pub(crate) fn server_side_times(before: &[Histogram; 2], after: &[Histogram; 2]) -> Vec<String> {
    let labels = [
        "server-side ack time (its own histogram, handler start to 202)",
        "write-ahead log group commits (write + fsync)",
    ];
    labels
        .iter()
        .zip(before.iter().zip(after))
        .filter_map(|(label, (before, after))| histogram_note(label, before, after))
        .collect()
}

fn histogram_note(label: &str, before: &[(f64, f64)], after: &[(f64, f64)]) -> Option<String> {
    let count = |histogram: &[(f64, f64)], le: f64| {
        histogram
            .iter()
            .find(|(b, _)| *b == le)
            .map_or(0.0, |(_, n)| *n)
    };
    let total = count(after, f64::INFINITY) - count(before, f64::INFINITY);
    if total <= 0.0 {
        return None;
    }
    let share = |le: f64| (count(after, le) - count(before, le)) / total * 100.0;
    let p99_bucket = after
        .iter()
        .map(|(le, _)| *le)
        .find(|le| share(*le) >= 99.0)?;
    Some(format!(
        "{label}: {:.1}% ≤ 1 ms, {:.1}% ≤ 2.5 ms, {:.1}% ≤ 5 ms, {:.1}% ≤ 10 ms; p99 ≤ {} ms",
        share(0.001),
        share(0.0025),
        share(0.005),
        share(0.01),
        p99_bucket * 1000.0
    ))
}

/// What the server's Prometheus text says about how the drain batched and
/// how the write-ahead log grouped its fsyncs (over the server's life so far).
pub(crate) async fn drain_and_log_metrics(http: &reqwest::Client, base: &str) -> Vec<String> {
    let Some(text) = metrics_text(http, base).await else {
        return Vec::new();
    };
    let value = |name: &str| -> Option<f64> {
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))?
            .split_whitespace()
            .last()?
            .parse()
            .ok()
    };
    let mut lines = Vec::new();
    if let (Some(batches), Some(rows), Some(seconds)) = (
        value("canopy_insert_batches_total"),
        value("canopy_insert_rows_total"),
        value("canopy_insert_seconds_sum"),
    ) {
        if batches > 0.0 {
            lines.push(format!(
                "drain: {batches} inserts of {:.0} rows on average, {:.0} ms each on average",
                rows / batches,
                seconds / batches * 1000.0
            ));
        }
    }
    if let (Some(syncs), Some(records), Some(seconds)) = (
        value("canopy_spool_syncs_total"),
        value("canopy_beacons_accepted_total"),
        value("canopy_spool_sync_seconds_sum"),
    ) {
        if syncs > 0.0 {
            lines.push(format!(
                "write-ahead log: {syncs} group commits of {:.1} beacons on average, {:.2} ms each (write + fsync) on average",
                records / syncs,
                seconds / syncs * 1000.0
            ));
        }
    }
    lines
}
