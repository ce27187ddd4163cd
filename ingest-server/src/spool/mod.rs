//! Spool: the write-ahead log between accepting a beacon and storing it.
//!
//! A beacon is acknowledged only after its record is on disk: handlers hand
//! records to one writer thread, which writes everything waiting and fsyncs
//! once for all of them (group commit), then answers each handler. The store
//! step drains the log into ClickHouse through a [`SpoolReader`], whose
//! position survives restarts in a cursor file.

mod cursor;
mod reader;
mod segment;
mod spares;

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use crate::config::SpoolConfig;
use crate::metrics::{SPOOL_SYNCS, SPOOL_SYNC_SECONDS};
pub use reader::{SpoolReader, Taken};
use segment::{
    encode_record, list_segments, recover_segment, remove_spares, segment_path, SegmentWriter,
};
use spares::Spares;

/// Records written per fsync, at most.
const MAX_GROUP_COMMIT: usize = 4_096;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the write-ahead log queue is full")]
    QueueFull,
    #[error("the write-ahead log is at its disk quota")]
    OverQuota,
    #[error("the write-ahead log writer has stopped")]
    Closed,
    #[error("write-ahead log I/O at {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// State shared by the writer thread, the reader and metrics.
struct Shared {
    dir: PathBuf,
    /// This log's identity, so batches of different servers' logs never
    /// share a deduplication token.
    id: String,
    max_disk_bytes: u64,
    disk_bytes: AtomicU64,
    /// Highest sequence number known to be on disk (0: none yet).
    synced_seq: AtomicU64,
    new_data: Notify,
}

struct Append {
    payload: Vec<u8>,
    done: oneshot::Sender<Result<(), SpoolError>>,
}

/// The writing side, shared by all handlers.
#[derive(Clone)]
pub struct Spool {
    queue: mpsc::Sender<Append>,
    shared: Arc<Shared>,
}

impl Spool {
    /// Opens (or creates) the log in `config.dir`, recovering from a crash,
    /// and starts the writer thread.
    pub fn open(config: &SpoolConfig) -> Result<(Spool, SpoolReader), SpoolError> {
        let dir = config.dir.clone();
        let io_error = |source| SpoolError::Io {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        remove_spares(&dir).map_err(io_error)?;
        let segments = list_segments(&dir).map_err(io_error)?;

        let mut disk_bytes = 0;
        for (_, path) in &segments {
            disk_bytes += std::fs::metadata(path).map_err(io_error)?.len();
        }
        let (writer, next_seq) = match segments.last() {
            Some((first_seq, path)) => {
                let recovered = recover_segment(path).map_err(io_error)?;
                if recovered.torn {
                    tracing::warn!(segment = %path.display(), bytes = recovered.cut_bytes, "cut a torn record from the write-ahead log");
                }
                disk_bytes -= recovered.cut_bytes;
                let next_seq = recovered.last_seq.map_or(*first_seq, |seq| seq + 1);
                (
                    SegmentWriter::reopen(path, *first_seq, recovered.len).map_err(io_error)?,
                    next_seq,
                )
            }
            None => (SegmentWriter::create(&dir, 1).map_err(io_error)?, 1),
        };

        let shared = Arc::new(Shared {
            id: log_id(&dir).map_err(io_error)?,
            dir: dir.clone(),
            max_disk_bytes: config.max_disk_bytes,
            disk_bytes: AtomicU64::new(disk_bytes),
            synced_seq: AtomicU64::new(next_seq - 1),
            new_data: Notify::new(),
        });
        let reader = SpoolReader::open(shared.clone()).map_err(io_error)?;
        let (queue, requests) = mpsc::channel(config.queue_depth);
        let segment_bytes = config.segment_bytes;
        let spares = Spares::start(shared.clone(), segment_bytes).map_err(io_error)?;
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("spool-writer".into())
            .spawn(move || {
                write_loop(
                    requests,
                    writer,
                    next_seq,
                    thread_shared,
                    segment_bytes,
                    spares,
                )
            })
            .map_err(io_error)?;
        Ok((Spool { queue, shared }, reader))
    }

    /// Appends one record; returns once it is on disk.
    pub async fn append(&self, payload: Vec<u8>) -> Result<(), SpoolError> {
        if self.disk_bytes() + payload.len() as u64 > self.shared.max_disk_bytes {
            return Err(SpoolError::OverQuota);
        }
        let (done, result) = oneshot::channel();
        self.queue
            .try_send(Append { payload, done })
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => SpoolError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => SpoolError::Closed,
            })?;
        result.await.map_err(|_| SpoolError::Closed)?
    }

    pub fn disk_bytes(&self) -> u64 {
        self.shared.disk_bytes.load(Ordering::Acquire)
    }

    pub fn within_quota(&self) -> bool {
        self.disk_bytes() < self.shared.max_disk_bytes
    }
}

/// The log's identity: made once, kept in the directory.
fn log_id(dir: &std::path::Path) -> io::Result<String> {
    let path = dir.join("id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    // RandomState is seeded randomly per process; mixed with time and pid.
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(crate::clock::now_millis());
    hasher.write_u32(std::process::id());
    let id = format!("{:016x}", hasher.finish());
    std::fs::write(&path, &id)?;
    segment::sync_dir(dir)?;
    Ok(id)
}

/// The writer thread: group commit until every [`Spool`] handle is dropped.
fn write_loop(
    mut requests: mpsc::Receiver<Append>,
    mut segment: SegmentWriter,
    mut next_seq: u64,
    shared: Arc<Shared>,
    segment_bytes: u64,
    spares: Spares,
) {
    let mut buffer = Vec::new();
    let mut group = Vec::new();
    while let Some(first) = requests.blocking_recv() {
        group.push(first);
        while group.len() < MAX_GROUP_COMMIT {
            match requests.try_recv() {
                Ok(append) => group.push(append),
                Err(_) => break,
            }
        }
        buffer.clear();
        for (index, append) in group.iter().enumerate() {
            encode_record(next_seq + index as u64, &append.payload, &mut buffer);
        }
        let written_before = segment.len;
        let started = std::time::Instant::now();
        let appended = segment.append(&buffer);
        if let Ok(grown) = appended {
            // Counted even if the sync fails: the file is that size now.
            shared.disk_bytes.fetch_add(grown, Ordering::AcqRel);
        }
        match appended.and_then(|_| segment.sync()) {
            Ok(()) => {
                metrics::counter!(SPOOL_SYNCS).increment(1);
                metrics::histogram!(SPOOL_SYNC_SECONDS).record(started.elapsed().as_secs_f64());
                next_seq += group.len() as u64;
                shared.synced_seq.store(next_seq - 1, Ordering::Release);
                shared.new_data.notify_one();
                for append in group.drain(..) {
                    let _ = append.done.send(Ok(()));
                }
            }
            Err(error) => {
                tracing::error!(%error, "write-ahead log append failed");
                // Drop the partial write so the next group starts on a record boundary.
                let path = segment_path(&shared.dir, segment.first_seq);
                match segment.truncate(written_before) {
                    Ok(freed) => {
                        shared.disk_bytes.fetch_sub(freed, Ordering::AcqRel);
                    }
                    Err(error) => {
                        tracing::error!(%error, "cannot cut a failed write from the write-ahead log")
                    }
                }
                for append in group.drain(..) {
                    let source = io::Error::new(error.kind(), error.to_string());
                    let _ = append.done.send(Err(SpoolError::Io {
                        path: path.clone(),
                        source,
                    }));
                }
            }
        }
        if segment.len >= segment_bytes {
            match spares.next_segment(&shared, next_seq) {
                Ok(next) => segment = next,
                Err(error) => tracing::error!(%error, "cannot start a new write-ahead log segment"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path) -> SpoolConfig {
        SpoolConfig {
            dir: dir.to_path_buf(),
            max_disk_bytes: 1 << 20,
            segment_bytes: 4096,
            queue_depth: 64,
        }
    }

    /// Reads everything durable, committing as the drain does; the payloads in order.
    fn drain(reader: &mut SpoolReader) -> Vec<Vec<u8>> {
        let mut read = Vec::new();
        loop {
            let taken = reader
                .read(7, u64::MAX, |payload| {
                    read.push(payload.to_vec());
                    true
                })
                .unwrap();
            if taken.count == 0 {
                return read;
            }
            reader.commit(taken.last).unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn records_come_back_once_in_order_across_spare_and_plain_segments() {
        let dir = tempfile::tempdir().unwrap();
        let (spool, mut reader) = Spool::open(&config(dir.path())).unwrap();
        let mut expected = Vec::new();
        let mut read = Vec::new();
        for round in 0..40u32 {
            for i in 0..10u32 {
                let payload = format!("{round}-{i}-{}", "x".repeat(300)).into_bytes();
                spool.append(payload.clone()).await.unwrap();
                expected.push(payload);
            }
            if round % 3 == 0 {
                read.extend(drain(&mut reader));
            }
            // Give the spare maker time now and then, so both kinds of segment occur.
            if round % 2 == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        read.extend(drain(&mut reader));
        assert_eq!(read.len(), expected.len());
        assert!(read == expected, "records out of order or changed");
        // Everything stored: only the writer's segment (and perhaps a spare) remain.
        let segments = list_segments(dir.path()).unwrap();
        assert_eq!(segments.len(), 1, "{segments:?}");
        let on_disk: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name().to_string_lossy().ends_with(".wal") || e.file_name() == "spare.zeros"
            })
            .map(|e| e.metadata().unwrap().len())
            .sum();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(
            spool.disk_bytes(),
            on_disk,
            "the quota's count matches the files"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reopened_log_goes_on_where_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let mut expected = Vec::new();
        for run in 0..3u32 {
            let (spool, _reader) = Spool::open(&config(dir.path())).unwrap();
            for i in 0..30u32 {
                let payload = format!("{run}-{i}-{}", "y".repeat(200)).into_bytes();
                spool.append(payload.clone()).await.unwrap();
                expected.push(payload);
                if i % 10 == 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
        let (_spool, mut reader) = Spool::open(&config(dir.path())).unwrap();
        assert!(drain(&mut reader) == expected);
    }
}
