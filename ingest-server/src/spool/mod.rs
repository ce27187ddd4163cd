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

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use crate::config::SpoolConfig;
use crate::metrics::{SPOOL_SYNCS, SPOOL_SYNC_SECONDS};
pub use reader::{Batch, SpoolReader};
use segment::{encode_record, list_segments, recover_segment, segment_path, SegmentWriter};

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
        let segments = list_segments(&dir).map_err(io_error)?;

        let mut disk_bytes = 0;
        for (_, path) in &segments {
            disk_bytes += std::fs::metadata(path).map_err(io_error)?.len();
        }
        let (writer, next_seq) = match segments.last() {
            Some((first_seq, path)) => {
                let recovered = recover_segment(path).map_err(io_error)?;
                if recovered.cut_bytes > 0 {
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
        let thread_shared = shared.clone();
        let segment_bytes = config.segment_bytes;
        std::thread::Builder::new()
            .name("spool-writer".into())
            .spawn(move || write_loop(requests, writer, next_seq, thread_shared, segment_bytes))
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
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
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
        match segment.append(&buffer).and_then(|()| segment.sync()) {
            Ok(()) => {
                metrics::counter!(SPOOL_SYNCS).increment(1);
                metrics::histogram!(SPOOL_SYNC_SECONDS).record(started.elapsed().as_secs_f64());
                next_seq += group.len() as u64;
                shared
                    .disk_bytes
                    .fetch_add(buffer.len() as u64, Ordering::AcqRel);
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
                if let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) {
                    let _ = file.set_len(written_before);
                }
                segment.len = written_before;
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
            match SegmentWriter::create(&shared.dir, next_seq) {
                Ok(next) => segment = next,
                Err(error) => tracing::error!(%error, "cannot start a new write-ahead log segment"),
            }
        }
    }
}
