//! `ingest-load`: how fast beacons get from HTTP into ClickHouse.
//!
//! One run measures, side by side and with the same beacon (10 events of
//! every kind):
//!
//! - **ceiling**: ClickHouse's own bulk insert of the same rows: the server's
//!   insert code (`Store::insert_batch`: RowBinary over HTTP, one INSERT per
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
//! `scripts/bench` runs it against an embedded ClickHouse of its own;
//! `scripts/bench-cluster` against one node and a 2-shard cluster
//! (`--cluster-nodes`), side by side.

mod baseline;
mod beacon;
mod clickhouse;
mod load;
mod measure;
mod server;

use crate::{baseline::*, beacon::*, clickhouse::*, load::*, measure::*, server::*};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;

pub(crate) const EVENTS_PER_BEACON: u64 = 10;
pub(crate) const KEY: &str = "bench-key-0001";
pub(crate) const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
pub(crate) const TABLES: [&str; 5] = ["vitals", "navigations", "resources", "errors", "app_events"];

#[derive(Debug, Parser)]
#[command(about = "Throughput benchmark for canopy-ingest (see scripts/bench).")]
pub(crate) struct Args {
    /// ClickHouse HTTP interface (its own, for the benchmark: databases bench_* are dropped).
    #[arg(long)]
    pub(crate) clickhouse_url: String,
    /// A cluster `canopy` of shards without replicas: every node's HTTP URL
    /// (the first is --clickhouse-url). Tables are then sharded behind
    /// Distributed ones and every insert goes through them.
    #[arg(long, value_delimiter = ',')]
    pub(crate) cluster_nodes: Vec<String>,
    /// The release `canopy-ingest` binary.
    #[arg(long)]
    pub(crate) server_bin: PathBuf,
    /// Directory for the server's config, write-ahead log and stderr.
    #[arg(long)]
    pub(crate) work_dir: PathBuf,
    /// Seconds of load per mode.
    #[arg(long, default_value_t = 20)]
    pub(crate) seconds: u64,
    /// Concurrent connections (floor: concurrent inserters).
    #[arg(long, default_value_t = 16)]
    pub(crate) connections: usize,
    /// Ceiling runs: each with this many parallel bulk-insert streams (the drain is one stream).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub(crate) bulk_streams: Vec<usize>,
    /// Beacons per bulk insert for the ceiling (x10 events; the server's default batch is 10,000 rows).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) bulk_beacons: usize,
    /// Paced phases: each a rate, as a fraction of the best ceiling (of the
    /// closed-loop rate canopy reached when no ceiling ran): 0.5 is the goal's rate.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.5")]
    pub(crate) paced_fraction: Vec<f64>,
    /// Most beacons any one mode sends.
    #[arg(long, default_value_t = 2_000_000)]
    pub(crate) max_beacons: u64,
    /// Longest wait for acknowledged events to reach ClickHouse, in seconds.
    #[arg(long, default_value_t = 180)]
    pub(crate) drain_timeout: u64,
    /// More TOML for the server's configuration file (e.g. "[writer]\nbatch_rows = 20000").
    #[arg(long, default_value = "")]
    pub(crate) server_toml: String,
    /// Where to write the results as Markdown.
    #[arg(long)]
    pub(crate) markdown: Option<PathBuf>,
    /// Modes to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "ceiling,floor,canopy")]
    pub(crate) modes: Vec<String>,
}

/// The server: saturated by a closed loop, then paced at fractions of the
/// ceiling (events/s), or of the closed loop's rate without one.
async fn canopy(
    args: &Args,
    clickhouse: &ClickHouse,
    template: &str,
    ceiling: Option<f64>,
) -> anyhow::Result<Vec<ModeResult>> {
    const DATABASE: &str = "bench_canopy";
    clickhouse.drop_database(DATABASE).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(args.connections * 4)
        .build()?;
    let mut server = start_server(args, DATABASE, &clickhouse.cluster_toml(), &http).await?;
    let pid = server.pid();
    let url = format!("{}/v1/beacon?key={KEY}", server.base);
    let stop_watch = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rss = watch_rss(pid, stop_watch.clone());
    let next = Arc::new(AtomicU64::new(0));
    let timeout = Duration::from_secs(args.drain_timeout);
    let mut results = Vec::new();

    // Saturation.
    let cpu_before = cpu_seconds(&pid.to_string()).unwrap_or(0.0);
    let histogram_before = histograms(&http, &server.base).await;
    let (mut tally, seconds) = closed_loop(args, &http, &url, template, &next).await;
    let cpu_load = cpu_seconds(&pid.to_string()).unwrap_or(0.0) - cpu_before;
    let histogram_after = histograms(&http, &server.base).await;
    let spool_at_end = dir_size(&args.work_dir.join("spool"));
    let acked_events = tally.acked_beacons * EVENTS_PER_BEACON;
    let Stored {
        lag,
        stored,
        at_start,
    } = clickhouse.wait_for(DATABASE, acked_events, timeout).await?;
    let cpu_total = cpu_seconds(&pid.to_string()).unwrap_or(0.0) - cpu_before;
    let hwm_after_saturation = proc_status_kb(pid, "VmHWM").unwrap_or(0);
    let mut notes = vec![format!(
        "server CPU: {cpu_load:.1} s during the {seconds:.0} s of load, {cpu_total:.1} s including the drain ({:.0} µs per acknowledged event)",
        cpu_total * 1e6 / acked_events.max(1) as f64
    )];
    notes.push(format!(
        "peak RSS (VmHWM) after this phase: {:.1} MB",
        hwm_after_saturation as f64 / 1024.0
    ));
    notes.push(format!(
        "write-ahead log on disk when the load ended: {:.0} MB",
        spool_at_end as f64 / 1e6
    ));
    notes.extend(server_side_times(&histogram_before, &histogram_after));
    notes.extend(drain_and_log_metrics(&http, &server.base).await);
    if let Some(lag) = lag.filter(|lag| !lag.is_zero()) {
        notes.push(catch_up_note(acked_events, at_start, seconds, lag, ceiling));
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
        what: format!(
            "canopy-ingest, closed loop: {} connections, each sends when answered",
            args.connections
        ),
        events: acked_events,
        seconds,
        latency_label: "ack".into(),
        p50: tally.latencies.percentile(50.0),
        p99: tally.latencies.percentile(99.0),
        max: tally.latencies.percentile(100.0),
        failures: tally.failures,
        stored_check: format!(
            "{}; {}",
            stored_check(acked_events, stored),
            lag_text(lag, timeout)
        ),
        notes: failures_note(&tally).into_iter().chain(notes).collect(),
        peak_rss_kb: None,
        end_to_end_per_second: None,
        kept_up: None,
        p99_from_send: None,
    });

    // Paced, at fractions of the ceiling (or of what saturation reached).
    let (base_rate, base_name) = match ceiling {
        Some(events_per_second) => (events_per_second / EVENTS_PER_BEACON as f64, "the ceiling"),
        None => (saturated_rate, "the closed-loop rate"),
    };
    let mut expected = acked_events;
    for &fraction in &args.paced_fraction {
        let rate = (base_rate * fraction).max(1.0);
        // The closed loop's backlog is merged after it is stored: not this phase's work.
        clickhouse.settle().await?;
        let histogram_before = histograms(&http, &server.base).await;
        let (mut tally, seconds) = paced(args, &http, &url, template, &next, rate).await;
        let histogram_after = histograms(&http, &server.base).await;
        let paced_events = tally.acked_beacons * EVENTS_PER_BEACON;
        expected += paced_events;
        let Stored {
            lag,
            stored: stored_now,
            ..
        } = clickhouse.wait_for(DATABASE, expected, timeout).await?;
        let mut notes = failures_note(&tally);
        if tally.skipped > 0 {
            notes.push(format!(
                "{} beacons not sent: 512 already in flight",
                tally.skipped
            ));
        }
        let p99_from_send = tally.from_send.percentile(99.0);
        notes.push(format!(
            "sent late (after due) p50 {} p99 {}; ack counted from sending p50 {} p99 {}",
            ms(tally.sent_late.percentile(50.0)),
            ms(tally.sent_late.percentile(99.0)),
            ms(tally.from_send.percentile(50.0)),
            ms(p99_from_send),
        ));
        notes.extend(server_side_times(&histogram_before, &histogram_after));
        results.push(ModeResult {
            mode: format!("canopy paced {:.0}%", fraction * 100.0),
            what: format!(
                "canopy-ingest, open loop at {:.0}% of {base_name}: {rate:.0} beacons/s on a fixed schedule",
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
            kept_up: Some(
                tally.failures == 0
                    && tally.skipped == 0
                    && lag.is_some_and(|lag| lag.as_secs_f64() <= KEPT_UP_SECONDS),
            ),
            p99_from_send,
        });
    }

    let hwm = proc_status_kb(pid, "VmHWM").unwrap_or(0);
    stop_watch.store(true, Ordering::Relaxed);
    let sampled = rss.await.unwrap_or(0);
    let spool_left = dir_size(&args.work_dir.join("spool"));
    let stop_started = Instant::now();
    let stopped = match server.stop() {
        Ok(()) => format!(
            "stopped {:.1} s after SIGTERM",
            stop_started.elapsed().as_secs_f64()
        ),
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

/// How much of the closed loop was stored while the load ran, and how fast the
/// drain stored the rest once the server and the load generator left the
/// cores to it and ClickHouse.
fn catch_up_note(
    acked: u64,
    stored_at_end: u64,
    seconds: f64,
    lag: Duration,
    ceiling: Option<f64>,
) -> String {
    let rest = acked.saturating_sub(stored_at_end);
    let rate = rest as f64 / lag.as_secs_f64();
    let versus_ceiling = ceiling
        .map(|c| format!(", {:.2} × the ceiling", rate / c.max(1.0)))
        .unwrap_or_default();
    format!(
        "stored while the load ran: {stored_at_end} of {acked} events ({:.0} events/s); \
         the other {rest} in the {:.1} s after it ({rate:.0} events/s{versus_ceiling})",
        stored_at_end as f64 / seconds,
        lag.as_secs_f64()
    )
}

fn best_ceiling(results: &[ModeResult]) -> Option<&ModeResult> {
    results
        .iter()
        .filter(|r| r.mode.starts_with("ceiling"))
        .max_by(|a, b| a.events_per_second().total_cmp(&b.events_per_second()))
}

fn lag_text(lag: Option<Duration>, timeout: Duration) -> String {
    match lag {
        Some(lag) => format!("all stored {:.1} s after the load ended", lag.as_secs_f64()),
        None => format!(
            "not all stored {} s after the load ended",
            timeout.as_secs()
        ),
    }
}

fn failures_note(tally: &LoadTally) -> Vec<String> {
    if tally.statuses.is_empty() {
        return Vec::new();
    }
    let statuses: Vec<String> = tally
        .statuses
        .iter()
        .map(|(status, n)| format!("{status}: {n}"))
        .collect();
    vec![format!("not acknowledged: {}", statuses.join(", "))]
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
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
    let notes: Vec<String> = results
        .iter()
        .flat_map(|r| r.notes.iter().map(move |n| format!("- {}: {n}", r.mode)))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\n{}", notes.join("\n"));
    }

    // The goals of issue 4, then this project's own checks on storing.
    let find = |mode: &str| results.iter().find(|r| r.mode == mode);
    let Some(canopy) = find("canopy") else {
        return out;
    };
    let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
    let ceiling = best_ceiling(results).map(|c| c.events_per_second().max(1.0));
    let _ = writeln!(out, "\n| goal (issue 4) | measured | |\n|---|---|---|");
    if let Some(ceiling) = ceiling {
        let ratio = canopy.events_per_second() / ceiling;
        let _ = writeln!(
            out,
            "| accepted events/s ≥ 0.5 × ceiling | {:.0} / {ceiling:.0} = {ratio:.2} × | {} |",
            canopy.events_per_second(),
            verdict(ratio >= 0.5)
        );
    }
    let within = |p: Option<Duration>| p.is_some_and(|p| p <= Duration::from_millis(10));
    for r in results.iter().filter(|r| r.mode.starts_with("canopy")) {
        let _ = writeln!(
            out,
            "| p99 ack ≤ 10 ms ({}) | {} | {} |",
            r.mode,
            ms(r.p99),
            verdict(within(r.p99))
        );
        if r.p99_from_send.is_some() {
            let _ = writeln!(
                out,
                "| (the same, counted from sending rather than from when due) | {} | {} |",
                ms(r.p99_from_send),
                verdict(within(r.p99_from_send))
            );
        }
    }
    if let Some(kb) = canopy.peak_rss_kb {
        let _ = writeln!(
            out,
            "| peak RSS ≤ 200 MB | {:.1} MB | {} |",
            kb as f64 / 1024.0,
            verdict(kb <= 200 * 1024)
        );
    }

    let _ = writeln!(
        out,
        "\n| storing, with ClickHouse on the same cores (this project's checks, beyond issue 4's goals) | measured | |\n|---|---|---|"
    );
    if let (Some(ceiling), Some(stored)) = (ceiling, canopy.end_to_end_per_second) {
        let ratio = stored / ceiling;
        let _ = writeln!(
            out,
            "| closed loop counted until stored: events / (load + drain time) ≥ 0.5 × ceiling | {stored:.0} / {ceiling:.0} = {ratio:.2} × | {} |",
            verdict(ratio >= 0.5)
        );
    }
    for r in results.iter().filter(|r| r.kept_up.is_some()) {
        let _ = writeln!(
            out,
            "| sustained: {} ({:.0} events/s) acknowledged on schedule, all stored ≤ {KEPT_UP_SECONDS} s after the load | {} events, {} failed; {} | {} |",
            r.mode,
            r.events_per_second(),
            r.events,
            r.failures,
            r.stored_check,
            verdict(r.kept_up == Some(true))
        );
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let template = beacon_template();
    let clickhouse = ClickHouse {
        url: args.clickhouse_url.trim_end_matches('/').to_owned(),
        nodes: args.cluster_nodes.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
    };
    clickhouse
        .query("SELECT 1")
        .await
        .context("ClickHouse does not answer")?;
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
            "canopy" => {
                let ceiling = best_ceiling(&results).map(ModeResult::events_per_second);
                results.extend(canopy(&args, &clickhouse, &template, ceiling).await?)
            }
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
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use canopy_wire::EventBody;
    use ingest_server::validate::validate;

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
        assert_eq!(
            latencies.percentile(100.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(Latencies::default().percentile(99.0), None);
        assert!(stored_check(10, 10).ends_with('✔'));
        assert!(stored_check(10, 9).contains("1 missing"));
    }
}
