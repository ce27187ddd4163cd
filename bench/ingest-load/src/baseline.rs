//! The two baselines: ClickHouse's bulk insert (ceiling) and one insert per beacon (floor).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingest_server::record::TableBatch;

use crate::*;

/// Ceiling: large batches of the same rows, inserted as fast as ClickHouse takes them.
pub(crate) async fn ceiling(
    args: &Args,
    clickhouse: &ClickHouse,
    template: &str,
    streams_wanted: usize,
) -> anyhow::Result<ModeResult> {
    const DATABASE: &str = "bench_ceiling";
    let store = Arc::new(clickhouse.fresh_store(DATABASE).await?);
    let beacons = (0..args.bulk_beacons as u64)
        .map(|i| accepted(&beacon_body(template, "ceiling", i)))
        .collect::<Result<Vec<_>, _>>()?;
    // Encoded once, as the server's drain finds its batches in the log.
    let batch = Arc::new(TableBatch::from_accepted(&beacons)?);
    let max_batches = (args.max_beacons / args.bulk_beacons.max(1) as u64).max(1);
    let next = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Latencies::default()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut streams = Vec::new();
    for _ in 0..streams_wanted {
        let (store, batch, next, latencies) = (
            store.clone(),
            batch.clone(),
            next.clone(),
            latencies.clone(),
        );
        streams.push(tokio::spawn(async move {
            let mut rows = 0u64;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= max_batches {
                    break;
                }
                let one = Instant::now();
                rows += store
                    .insert_batch(&batch, &format!("bench-ceiling-{n}"))
                    .await? as u64;
                latencies
                    .lock()
                    .unwrap()
                    .0
                    .push(one.elapsed().as_micros() as u64);
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
    let mut latencies = Arc::try_unwrap(latencies)
        .ok()
        .expect("streams ended")
        .into_inner()
        .unwrap();
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
pub(crate) async fn floor(
    args: &Args,
    clickhouse: &ClickHouse,
    template: &str,
) -> anyhow::Result<ModeResult> {
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
            let (mut latencies, mut events, mut failures, mut first_error) =
                (Vec::new(), 0u64, 0u64, None);
            while Instant::now() < deadline {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= max_beacons {
                    break;
                }
                let one = Instant::now();
                let body = beacon_body(&template, "floor", id);
                let result = match accepted(&body).and_then(|beacon| {
                    Ok(TableBatch::from_accepted(std::slice::from_ref(&beacon))?)
                }) {
                    Ok(rows) => store
                        .insert_batch(&rows, &format!("bench-floor-{id}"))
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
    let (mut latencies, mut events, mut failures, mut errors) =
        (Latencies::default(), 0, 0, Vec::new());
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
        kept_up: None,
        p99_from_send: None,
    })
}
