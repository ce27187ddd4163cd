//! Beacon ids: a body the agent retries is stored once, even when its first
//! attempt was stored and only the answer was lost.
//!
//! Each id is scoped by its ingest key and remembered from its first
//! receipt for [`WINDOW`], at most [`CAPACITY`] of them (the oldest are
//! forgotten first, so an id flood costs bounded memory and only shortens
//! the window). An id is reserved before its record is appended and the
//! append runs to its end whatever the client does, so two attempts racing
//! store one record: the second waits for the first's outcome. A failed
//! append frees the id for the next attempt. At startup the ids are rebuilt
//! from what is durable ([`BeaconIds::recover`]): records still in the log,
//! and the `beacon_ids` table the drain fills with the stored ones.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::record::logged_beacon_id;
use crate::spool::{Spool, SpoolError};
use crate::store::{Store, StoreError};

/// How long an id is remembered. The agent retries a body at most four
/// times, waiting `Retry-After` or 1, 2, 4, 8 s, each wait capped at 60 s:
/// its last attempt comes at most 4 minutes after the first.
pub const WINDOW: Duration = Duration::from_secs(300);

/// Most ids remembered: the whole window up to 3,333 beacons/s. Full, they
/// take 55 MB (measured: the process's resident memory after 5M ids).
pub const CAPACITY: usize = 1_000_000;

/// Times an attempt waits for another one with its id before giving up (503):
/// each wait ends with that attempt's append.
const MAX_WAITS: usize = 4;

/// Whether a beacon was appended now, or had been before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    New,
    Duplicate,
}

/// The ids of recent beacons, shared by all handlers.
#[derive(Clone)]
pub struct BeaconIds {
    ids: Arc<Mutex<Ids>>,
}

struct Ids {
    /// Seeded per process: ids are hashed with their key into 64 bits (a
    /// collision among a million ids: one chance in 10^13), so an entry has a
    /// fixed size whatever the key and id.
    hasher: RandomState,
    window_ms: i64,
    capacity: usize,
    /// When each id was first received (epoch ms): 17 bytes an id.
    received: HashMap<u64, i64>,
    /// Ids whose first attempt's record is being appended: closed when it
    /// has been, either way. As many as appends in flight.
    appending: HashMap<u64, watch::Receiver<()>>,
    /// Entries in the order they were made: the oldest are forgotten first.
    order: VecDeque<(i64, u64)>,
}

enum Claim {
    Ours(watch::Sender<()>),
    Wait(watch::Receiver<()>),
    Duplicate,
}

impl BeaconIds {
    pub fn new(window: Duration, capacity: usize) -> Self {
        let ids = Ids {
            hasher: RandomState::new(),
            window_ms: window.as_millis() as i64,
            capacity,
            received: HashMap::new(),
            appending: HashMap::new(),
            order: VecDeque::new(),
        };
        Self {
            ids: Arc::new(Mutex::new(ids)),
        }
    }

    /// Ids of beacons stored within the window before `now_ms`: those the
    /// drain stored (read from ClickHouse), then those still in the log.
    /// Called before the drain starts, so no record moves from one to the other meanwhile.
    pub async fn recover(
        &self,
        spool: &Spool,
        store: &Store,
        now_ms: i64,
    ) -> Result<usize, RecoverError> {
        let since_ms = now_ms - self.lock().window_ms;
        let capacity = self.lock().capacity;
        for stored in store.beacon_ids_since(since_ms, capacity).await? {
            self.remember(&stored.key, &stored.id, stored.received_at_ms, now_ms);
        }
        spool.scan(|record| {
            if let Some(logged) = logged_beacon_id(record) {
                self.remember(logged.key, logged.id, logged.received_at_ms, now_ms);
            }
        })?;
        Ok(self.len())
    }

    /// Appends `record` unless a beacon with this key and id was appended
    /// within the window. Beacons without an id are always appended.
    pub async fn append_once(
        &self,
        spool: &Spool,
        key: &str,
        id: Option<&str>,
        record: Vec<u8>,
        now_ms: i64,
    ) -> Result<Appended, SpoolError> {
        let Some(id) = id else {
            spool.append(record).await?;
            return Ok(Appended::New);
        };
        let hash = self.lock().hasher.hash_one((key, id));
        let mut reserved = None;
        for _ in 0..MAX_WAITS {
            let claim = self.lock().claim(hash, now_ms);
            match claim {
                Claim::Ours(done) => {
                    reserved = Some(done);
                    break;
                }
                Claim::Wait(mut other) => {
                    // Err: the other attempt is over (its sender dropped).
                    let _ = other.changed().await;
                }
                Claim::Duplicate => return Ok(Appended::Duplicate),
            }
        }
        let done = reserved.ok_or(SpoolError::QueueFull)?;
        // Spawned: a client hanging up drops this handler, but a record
        // handed to the writer is written anyway, so its id must be settled
        // by the append's outcome, not by the connection.
        let ids = self.clone();
        let spool = spool.clone();
        let append = tokio::spawn(async move {
            let appended = spool.append(record).await;
            ids.lock().settle(hash, appended.is_ok());
            drop(done);
            appended
        });
        append.await.map_err(|_| SpoolError::Closed)??;
        Ok(Appended::New)
    }

    /// Ids remembered now.
    pub fn len(&self) -> usize {
        self.lock().received.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn remember(&self, key: &str, id: &str, received_at_ms: i64, now_ms: i64) {
        let mut ids = self.lock();
        let hash = ids.hasher.hash_one((key, id));
        if received_at_ms >= now_ms - ids.window_ms && !ids.received.contains_key(&hash) {
            ids.insert(hash, received_at_ms);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ids> {
        // The map stays consistent between statements: a panic elsewhere
        // leaves nothing half-done.
        self.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Ids {
    fn claim(&mut self, hash: u64, now_ms: i64) -> Claim {
        self.forget_before(now_ms - self.window_ms);
        if let Some(other) = self.appending.get(&hash) {
            return Claim::Wait(other.clone());
        }
        if self.received.contains_key(&hash) {
            return Claim::Duplicate;
        }
        let (done, appending) = watch::channel(());
        self.insert(hash, now_ms);
        self.appending.insert(hash, appending);
        Claim::Ours(done)
    }

    /// The append of a reserved id ended: its beacon is stored, or the id is
    /// free for the next attempt.
    fn settle(&mut self, hash: u64, appended: bool) {
        if self.appending.remove(&hash).is_some() && !appended {
            self.received.remove(&hash);
        }
    }

    fn insert(&mut self, hash: u64, received_at_ms: i64) {
        while self.order.len() >= self.capacity {
            self.forget_oldest();
        }
        self.received.insert(hash, received_at_ms);
        self.order.push_back((received_at_ms, hash));
    }

    fn forget_before(&mut self, oldest_ms: i64) {
        while self.order.front().is_some_and(|(at, _)| *at < oldest_ms) {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        let Some((at, hash)) = self.order.pop_front() else {
            return;
        };
        // A freed id may have been reserved again since: that entry stays.
        if self.received.get(&hash) == Some(&at) {
            self.received.remove(&hash);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("cannot read the ids of stored beacons: {0}")]
    Store(#[from] StoreError),
    #[error("cannot read the write-ahead log: {0}")]
    Log(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(ids: &BeaconIds, hash: u64, now_ms: i64) -> Claim {
        ids.lock().claim(hash, now_ms)
    }

    #[test]
    fn an_id_flood_keeps_at_most_the_capacity() {
        let ids = BeaconIds::new(WINDOW, 1_000);
        for hash in 0..50_000 {
            assert!(matches!(claim(&ids, hash, 1_000), Claim::Ours(_)));
            ids.lock().settle(hash, true);
        }
        assert_eq!(ids.len(), 1_000);
        assert_eq!(ids.lock().order.len(), 1_000);
        // The newest are remembered, the oldest forgotten.
        assert!(matches!(claim(&ids, 49_999, 1_000), Claim::Duplicate));
        assert!(matches!(claim(&ids, 0, 1_000), Claim::Ours(_)));
    }

    #[test]
    fn ids_are_forgotten_after_the_window() {
        let ids = BeaconIds::new(Duration::from_secs(10), 100);
        assert!(matches!(claim(&ids, 7, 0), Claim::Ours(_)));
        ids.lock().settle(7, true);
        assert!(matches!(claim(&ids, 7, 10_000), Claim::Duplicate));
        assert!(matches!(claim(&ids, 7, 10_001), Claim::Ours(_)));
    }

    #[test]
    fn a_failed_append_frees_the_id_and_wakes_who_waits() {
        let ids = BeaconIds::new(WINDOW, 100);
        let Claim::Ours(done) = claim(&ids, 7, 0) else {
            panic!("the first attempt reserves the id")
        };
        let Claim::Wait(waiting) = claim(&ids, 7, 1) else {
            panic!("a second attempt waits for the first")
        };
        ids.lock().settle(7, false);
        drop(done);
        assert!(waiting.has_changed().is_err(), "the waiter is woken");
        assert!(matches!(claim(&ids, 7, 2), Claim::Ours(_)));
    }

    #[test]
    fn recovered_ids_outside_the_window_are_skipped() {
        let ids = BeaconIds::new(Duration::from_secs(10), 100);
        ids.remember("key", "old", 0, 20_000);
        ids.remember("key", "new", 15_000, 20_000);
        ids.remember("key", "new", 16_000, 20_000);
        assert_eq!(ids.len(), 1);
    }
}
