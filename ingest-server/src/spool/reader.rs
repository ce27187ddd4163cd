//! The draining side of the log: reads records in order from the cursor,
//! records batch boundaries before they are inserted, and deletes segments
//! once everything in them is stored.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::cursor::{self, Cursor};
use super::segment::{list_segments, segment_path, Next, RecordReader};
use super::Shared;

/// Consecutive records taken from the log: sequence numbers `first..=last`.
#[derive(Debug, Default)]
pub struct Taken {
    pub first: u64,
    pub last: u64,
    pub count: usize,
}

/// Wakes the drain when the writer has made new records durable.
pub struct NewRecords(Arc<Shared>);

impl NewRecords {
    /// Waits until new records may be there, or `timeout` passes.
    pub async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.0.new_data.notified()).await;
    }
}

pub struct SpoolReader {
    shared: Arc<Shared>,
    cursor: Cursor,
    /// The next sequence number to read.
    next_seq: u64,
    current: Option<(u64, RecordReader)>,
    /// A record read from disk that `take` refused: the next one to offer.
    held: Option<(u64, Vec<u8>)>,
}

impl SpoolReader {
    pub(super) fn open(shared: Arc<Shared>) -> io::Result<Self> {
        let cursor = cursor::load(&shared.dir)?;
        Ok(Self {
            next_seq: cursor.committed + 1,
            shared,
            cursor,
            current: None,
            held: None,
        })
    }

    /// This log's identity (part of every batch's deduplication token).
    pub fn log_id(&self) -> &str {
        &self.shared.id
    }

    /// The batch a previous run began inserting but did not confirm.
    pub fn in_flight(&self) -> Option<(u64, u64)> {
        self.cursor.in_flight
    }

    /// Records logged but not yet stored.
    pub fn pending(&self) -> u64 {
        self.shared
            .synced_seq
            .load(Ordering::Acquire)
            .saturating_sub(self.cursor.committed)
    }

    /// A handle to wait on for new records without holding the reader.
    pub fn new_records(&self) -> NewRecords {
        NewRecords(self.shared.clone())
    }

    /// Offers the next records on disk to `take`, at most `max` and at most
    /// up to `until`, until it refuses one: that one is offered first next time.
    pub fn read(
        &mut self,
        max: usize,
        until: u64,
        mut take: impl FnMut(&[u8]) -> bool,
    ) -> io::Result<Taken> {
        let durable = self.shared.synced_seq.load(Ordering::Acquire).min(until);
        let mut taken = Taken {
            first: self.next_seq,
            last: self.next_seq.saturating_sub(1),
            count: 0,
        };
        while taken.count < max {
            let next = match self.held.take() {
                Some(held) => Some(held),
                None => self.next_on_disk(durable)?,
            };
            let Some((seq, payload)) = next else {
                break;
            };
            if seq > durable || !take(&payload) {
                self.held = Some((seq, payload));
                break;
            }
            if taken.count == 0 {
                taken.first = seq;
            }
            taken.count += 1;
            taken.last = seq;
            self.next_seq = seq + 1;
        }
        Ok(taken)
    }

    /// The next record on disk up to `durable`, skipping corrupt segments.
    fn next_on_disk(&mut self, durable: u64) -> io::Result<Option<(u64, Vec<u8>)>> {
        while self.next_seq <= durable {
            if self.current.is_none() {
                self.current = Some(self.open_segment_for(self.next_seq)?);
            }
            let Some((first_seq, reader)) = self.current.as_mut() else {
                break;
            };
            let first_seq = *first_seq;
            match reader.next_record()? {
                Next::Record { seq, payload } if seq >= self.next_seq => {
                    return Ok(Some((seq, payload)))
                }
                Next::Record { .. } => {} // before the cursor: stored already
                Next::End { .. } | Next::Unwritten { .. } => match self.segment_after(first_seq)? {
                    // The rest is in the next segment.
                    Some(next) => {
                        self.current = Some((
                            next,
                            RecordReader::open(&segment_path(&self.shared.dir, next))?,
                        ))
                    }
                    None => break,
                },
                Next::Corrupt { offset } => {
                    // Only bit rot gets here (recovery cut torn tails): skip the segment.
                    let segment = first_seq;
                    let next = self.segment_after(segment)?;
                    tracing::error!(
                        segment,
                        offset,
                        skipped_to = next,
                        "corrupt write-ahead log record"
                    );
                    metrics::counter!(crate::metrics::SPOOL_CORRUPT_SEGMENTS).increment(1);
                    self.next_seq = next.unwrap_or(durable + 1);
                    self.current = None;
                }
            }
        }
        Ok(None)
    }

    /// Records that `first..=last` is about to be inserted.
    pub fn begin(&mut self, first: u64, last: u64) -> io::Result<()> {
        self.cursor.in_flight = Some((first, last));
        cursor::store(&self.shared.dir, &self.cursor)
    }

    /// Records that everything up to `last` is stored, and frees the segments
    /// that holds nothing newer.
    pub fn commit(&mut self, last: u64) -> io::Result<()> {
        self.cursor = Cursor {
            committed: last,
            in_flight: None,
        };
        cursor::store(&self.shared.dir, &self.cursor)?;
        let segments = list_segments(&self.shared.dir)?;
        // A segment is done when the next one starts at or before last + 1;
        // the newest segment is the writer's and is never deleted here.
        for pair in segments.windows(2) {
            let ((_, path), (next_first, _)) = (&pair[0], &pair[1]);
            if *next_first <= last + 1 {
                self.remove_segment(path)?;
            }
        }
        Ok(())
    }

    fn remove_segment(&mut self, path: &PathBuf) -> io::Result<()> {
        let len = std::fs::metadata(path)?.len();
        std::fs::remove_file(path)?;
        self.shared.disk_bytes.fetch_sub(len, Ordering::AcqRel);
        Ok(())
    }

    /// Opens the segment holding `seq`: the last one starting at or before it.
    fn open_segment_for(&self, seq: u64) -> io::Result<(u64, RecordReader)> {
        let segments = list_segments(&self.shared.dir)?;
        let (first_seq, path) = segments
            .iter()
            .rev()
            .find(|(first, _)| *first <= seq)
            .or(segments.first())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "the write-ahead log has no segments",
                )
            })?;
        Ok((*first_seq, RecordReader::open(path)?))
    }

    fn segment_after(&self, first_seq: u64) -> io::Result<Option<u64>> {
        Ok(list_segments(&self.shared.dir)?
            .into_iter()
            .map(|(first, _)| first)
            .find(|first| *first > first_seq))
    }
}
