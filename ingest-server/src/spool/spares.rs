//! Spare segments for the write-ahead log (see [`super::segment`]).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use super::segment::{prepare_spare, spare_path, SegmentWriter};
use super::Shared;

/// Keeps one spare segment ready, made by a thread of its own so that
/// zero-filling never delays a group commit. A spare counts against the disk
/// quota, and none is made when it would not fit beside a full segment.
pub(super) struct Spares {
    wanted: Sender<()>,
    ready: Arc<AtomicBool>,
    segment_bytes: u64,
}

impl Spares {
    pub(super) fn start(shared: Arc<Shared>, segment_bytes: u64) -> io::Result<Self> {
        let (wanted, requests) = channel::<()>();
        let ready = Arc::new(AtomicBool::new(false));
        let made = ready.clone();
        std::thread::Builder::new()
            .name("spool-spares".into())
            .spawn(move || {
                while requests.recv().is_ok() {
                    if made.load(Ordering::Acquire) {
                        continue; // one spare at a time
                    }
                    let used = shared.disk_bytes.load(Ordering::Acquire);
                    if used + 2 * segment_bytes > shared.max_disk_bytes {
                        continue; // near the quota: the next segment grows as written
                    }
                    shared.disk_bytes.fetch_add(segment_bytes, Ordering::AcqRel);
                    match prepare_spare(&shared.dir, segment_bytes) {
                        Ok(()) => made.store(true, Ordering::Release),
                        Err(error) => {
                            shared.disk_bytes.fetch_sub(segment_bytes, Ordering::AcqRel);
                            tracing::warn!(%error, "cannot prepare a spare write-ahead log segment");
                        }
                    }
                }
            })?;
        let _ = wanted.send(());
        Ok(Self {
            wanted,
            ready,
            segment_bytes,
        })
    }

    /// The next segment: the spare if one is ready (and another is asked
    /// for), else a new empty file.
    pub(super) fn next_segment(
        &self,
        shared: &Shared,
        first_seq: u64,
    ) -> io::Result<SegmentWriter> {
        let spare = if self.ready.swap(false, Ordering::AcqRel) {
            SegmentWriter::from_spare(&shared.dir, first_seq)
                .inspect_err(|error| {
                    // Whichever step failed, the spare's bytes are gone after this.
                    let _ = std::fs::remove_file(spare_path(&shared.dir));
                    shared
                        .disk_bytes
                        .fetch_sub(self.segment_bytes, Ordering::AcqRel);
                    tracing::warn!(%error, "cannot use the spare write-ahead log segment");
                })
                .ok()
        } else {
            None // being made, or the log was near its quota
        };
        // Asked only now, so a new spare never meets the old one's clean-up.
        let _ = self.wanted.send(());
        match spare {
            Some(segment) => Ok(segment),
            None => SegmentWriter::create(&shared.dir, first_seq),
        }
    }
}
