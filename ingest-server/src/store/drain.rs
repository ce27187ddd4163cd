//! The drain: moves the write-ahead log into ClickHouse in large batches.
//!
//! A batch closes at `batch_rows` rows, `batch_bytes` bytes or
//! `batch_interval_ms` after its first record, whichever comes first; a
//! record that would take it past a cap opens the next batch instead (alone,
//! any record fits, so a large beacon cannot stall the drain). Its range is written to the cursor
//! before the insert and confirmed after it; a batch left unconfirmed by a
//! crash is inserted again with the same records and token. While ClickHouse
//! is down the drain retries with backoff and the log grows (up to its quota).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::Store;
use crate::config::WriterConfig;
use crate::metrics::{SPOOL_OLDEST_AGE_SECONDS, SPOOL_PENDING_RECORDS};
use crate::record::TableBatch;
use crate::spool::SpoolReader;

const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Records read from disk per step while filling a batch.
const READ_CHUNK: usize = 512;

/// Runs until `stop` turns true and then, within `stop_deadline`, stores what
/// is left. What it cannot store stays in the log for the next start.
pub async fn drain(
    reader: SpoolReader,
    store: Arc<Store>,
    config: WriterConfig,
    mut stop: watch::Receiver<bool>,
    stop_deadline: Duration,
) {
    // Part of every batch token; constant for the log, so read once.
    let log_id = reader.log_id().to_owned();
    let reader = Arc::new(Mutex::new(reader));
    let interval = Duration::from_millis(config.batch_interval_ms);
    let mut deadline: Option<Instant> = None;
    loop {
        if deadline.is_none() && *stop.borrow() {
            deadline = Some(Instant::now() + stop_deadline);
        }
        let stopping = deadline.is_some();
        if deadline.is_some_and(|at| Instant::now() >= at) {
            break;
        }
        let batch = match next_batch(&reader, &config, interval, &mut stop).await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!(%error, "cannot read the write-ahead log");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let pending = with_reader(&reader, |r| Ok(r.pending())).await.unwrap_or(0);
        metrics::gauge!(SPOOL_PENDING_RECORDS).set(pending as f64);
        if batch.is_empty() {
            metrics::gauge!(SPOOL_OLDEST_AGE_SECONDS).set(0.0);
            if stopping {
                break;
            }
            tokio::select! {
                _ = wait_for_records(&reader, interval) => {}
                _ = stop_requested(&mut stop) => {}
            }
            continue;
        }
        if !store_batch(&reader, &log_id, &store, batch, &mut stop, deadline).await {
            break;
        }
    }
}

/// Logged beacons' rows, with their sequence numbers `first..=last`.
struct Decoded {
    first: u64,
    last: u64,
    rows: TableBatch,
    /// When the oldest of them was received (epoch milliseconds).
    oldest_ms: Option<i64>,
}

impl Decoded {
    fn empty() -> Self {
        Decoded {
            first: 1,
            last: 0,
            rows: TableBatch::default(),
            oldest_ms: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.last < self.first
    }
}

/// Most rows and bytes one insert may hold.
#[derive(Clone, Copy)]
struct Caps {
    rows: usize,
    bytes: usize,
}

/// What one read added to a batch.
struct Step {
    read: usize,
    /// The next record did not fit within the caps.
    full: bool,
}

/// Reads at most `max` more records, up to `until` and within `caps`, into
/// `decoded` (extending its range), off the async workers.
async fn read_into(
    reader: &Arc<Mutex<SpoolReader>>,
    mut decoded: Decoded,
    max: usize,
    until: u64,
    caps: Caps,
) -> std::io::Result<(Decoded, Step)> {
    with_reader(reader, move |r| {
        let (rows, oldest_ms) = (&mut decoded.rows, &mut decoded.oldest_ms);
        let mut full = false;
        let taken = r.read(max, until, |payload| {
            match rows.add_within(payload, caps.rows, caps.bytes) {
                Ok(Some(added)) => {
                    oldest_ms.get_or_insert(added.received_at_ms);
                }
                Ok(None) => full = true,
                Err(error) => tracing::error!(%error, "unreadable write-ahead log record skipped"),
            }
            !full
        })?;
        if taken.count > 0 {
            if decoded.is_empty() {
                decoded.first = taken.first;
            }
            decoded.last = taken.last;
        }
        let step = Step {
            read: taken.count,
            full,
        };
        Ok((decoded, step))
    })
    .await
}

/// The in-flight batch of a previous run, else new records up to the size or age limit.
async fn next_batch(
    reader: &Arc<Mutex<SpoolReader>>,
    config: &WriterConfig,
    interval: Duration,
    stop: &mut watch::Receiver<bool>,
) -> std::io::Result<Decoded> {
    // The reader resumes right after the last confirmed batch, which is
    // where an unconfirmed one begins: reread exactly its records.
    if let Some((_, last)) = with_reader(reader, |r| Ok(r.in_flight())).await? {
        let whole = Caps {
            rows: usize::MAX,
            bytes: usize::MAX,
        };
        return Ok(read_into(reader, Decoded::empty(), usize::MAX, last, whole)
            .await?
            .0);
    }
    let caps = Caps {
        rows: config.batch_rows,
        bytes: config.batch_bytes,
    };
    let opened = Instant::now();
    let (mut batch, mut step) =
        read_into(reader, Decoded::empty(), READ_CHUNK, u64::MAX, caps).await?;
    loop {
        let rows = &batch.rows;
        let full = step.full || rows.rows() >= caps.rows || rows.bytes() >= caps.bytes;
        let waited = opened.elapsed() >= interval;
        if batch.is_empty() || full || waited || *stop.borrow() {
            return Ok(batch);
        }
        // A full chunk means more is on disk already: read on without waiting.
        if step.read < READ_CHUNK {
            tokio::select! {
                _ = wait_for_records(reader, interval.saturating_sub(opened.elapsed())) => {}
                _ = stop_requested(stop) => {}
            }
        }
        (batch, step) = read_into(reader, batch, READ_CHUNK, u64::MAX, caps).await?;
    }
}

/// Inserts one batch until it lands; false if stopping cut the retries short.
async fn store_batch(
    reader: &Arc<Mutex<SpoolReader>>,
    log_id: &str,
    store: &Store,
    batch: Decoded,
    stop: &mut watch::Receiver<bool>,
    mut deadline: Option<Instant>,
) -> bool {
    let Decoded {
        first,
        last,
        rows,
        oldest_ms,
    } = batch;
    if let Some(oldest_ms) = oldest_ms {
        let now_ms = crate::clock::now_millis();
        metrics::gauge!(SPOOL_OLDEST_AGE_SECONDS).set((now_ms - oldest_ms).max(0) as f64 / 1000.0);
    }
    if let Err(error) = with_reader(reader, move |r| r.begin(first, last)).await {
        tracing::error!(%error, "cannot record the batch in the cursor");
        return true;
    }
    let token = format!("canopy-{log_id}-{first}-{last}");
    let mut backoff = Duration::from_millis(200);
    loop {
        match store.insert_batch(&rows, &token).await {
            Ok(rows) => {
                tracing::debug!(first, last, rows, "stored a batch");
                break;
            }
            Err(error) => {
                tracing::warn!(%error, first, last, retry_in_ms = backoff.as_millis() as u64, "insert failed; will retry");
                if deadline.is_none() && *stop.borrow() {
                    deadline = Some(Instant::now() + backoff);
                }
                if deadline.is_some_and(|at| Instant::now() + backoff > at) {
                    return false;
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop_requested(stop) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    if let Err(error) = with_reader(reader, move |r| r.commit(last)).await {
        tracing::error!(%error, "cannot confirm the batch in the cursor; it will be stored again, deduplicated");
    }
    true
}

async fn wait_for_records(reader: &Arc<Mutex<SpoolReader>>, timeout: Duration) {
    // Waited on outside the lock: the reader is locked only for I/O.
    let Ok(signal) = reader.lock().map(|guard| guard.new_records()) else {
        return;
    };
    signal.wait(timeout).await;
}

/// Resolves when a stop is requested; never if nobody can request one.
async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stopping| *stopping).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs blocking log I/O off the async workers.
async fn with_reader<T: Send + 'static>(
    reader: &Arc<Mutex<SpoolReader>>,
    work: impl FnOnce(&mut SpoolReader) -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    let reader = reader.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = reader
            .lock()
            .map_err(|_| std::io::Error::other("write-ahead log reader poisoned"))?;
        work(&mut guard)
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use canopy_wire::{Event, EventBody, Vital, VitalName};

    use super::*;
    use crate::config::SpoolConfig;
    use crate::record::TableBatch;
    use crate::spool::Spool;

    /// A logged beacon of `vitals` rows.
    fn record(vitals: usize) -> Vec<u8> {
        let event = Event {
            app: "cart".into(),
            at: 9_000.0,
            body: EventBody::Vital(Vital::new(VitalName::Lcp, 1200.0)),
        };
        let mut accepted = crate::record::accepted(vec![event; vitals]);
        accepted.beacon.dropped = 0; // vitals only
        crate::record::encode(&accepted).unwrap()
    }

    /// Every batch of a log holding far more than the caps (and than one
    /// batch's worth of records, as read at once) stays within them, and
    /// together the batches hold every record once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_never_exceed_their_row_or_byte_caps() {
        let dir = tempfile::tempdir().unwrap();
        let (spool, reader) = Spool::open(&SpoolConfig {
            dir: dir.path().to_owned(),
            ..SpoolConfig::default()
        })
        .unwrap();
        let records = 40;
        // One more than read: a batch closes early only on a record that does not fit.
        let appends = (0..=records).map(|_| spool.append(record(5)));
        for appended in futures_util::future::join_all(appends).await {
            appended.unwrap();
        }
        let mut one = TableBatch::default();
        one.add(&record(5)).unwrap();
        let (_stop, mut stopped) = watch::channel(false);
        let reader = Arc::new(Mutex::new(reader));
        for (batch_rows, batch_bytes) in [(12, usize::MAX), (usize::MAX, 3 * one.bytes() - 1)] {
            let config = WriterConfig {
                batch_rows,
                batch_bytes,
                batch_interval_ms: 60_000,
            };
            let interval = Duration::from_millis(config.batch_interval_ms);
            let mut seen = 0;
            while seen < records / 2 {
                let batch = next_batch(&reader, &config, interval, &mut stopped)
                    .await
                    .unwrap();
                assert!(
                    batch.rows.rows() <= batch_rows,
                    "{} rows",
                    batch.rows.rows()
                );
                assert!(
                    batch.rows.bytes() <= batch_bytes,
                    "{} bytes",
                    batch.rows.bytes()
                );
                assert_eq!(batch.rows.rows(), 10, "two records per batch");
                let last = batch.last;
                seen += (batch.last - batch.first + 1) as usize;
                with_reader(&reader, move |r| r.commit(last)).await.unwrap();
            }
            assert_eq!(seen, records / 2);
        }
    }
}
