//! Keeps the evaluator lease ([`lease`](super::lease)) in ClickHouse: looks
//! every check period, claims, confirms and renews, and publishes whether
//! this evaluator holds it. Evaluate and notify ask [`Leadership::term`]
//! before every write and every send: that is the fence.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::lease::{Action, Lease, Seen};
use crate::clock::Millis;
use crate::store::Store;

/// The least check period, however short the interval.
const SHORTEST_CHECK: Duration = Duration::from_millis(100);

/// How often the lease is looked at: a quarter of the evaluation interval,
/// so a holder renews several times per lease and a standby notices an
/// expiry, and confirms its claim, within half an interval.
pub fn check_period(interval: Duration) -> Duration {
    (interval / 4).max(SHORTEST_CHECK)
}

/// A holding as published: its term, and until when it is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    term: u64,
    until: Instant,
}

/// Whether this process holds the lease, and under which term.
#[derive(Clone)]
pub struct Leadership(watch::Receiver<Option<Held>>);

impl Leadership {
    /// The term held now; None once the holding has run out, even if the
    /// keeper has not looked since (a process that was frozen).
    pub fn term(&self) -> Option<u64> {
        self.0
            .borrow()
            .filter(|held| Instant::now() < held.until)
            .map(|held| held.term)
    }

    /// Waits until the published holding changes (false: the keeper stopped).
    pub async fn changed(&mut self) -> bool {
        self.0.changed().await.is_ok()
    }
}

/// The task that keeps the lease; [`Keeper::run`] until stopped.
pub struct Keeper {
    store: Arc<Store>,
    /// Locked only between awaits.
    lease: Mutex<Lease>,
    id: String,
    length: Duration,
    check: Duration,
    /// The local clock's zero: the machine counts local milliseconds from it.
    started: Instant,
    published: watch::Sender<Option<Held>>,
}

impl Keeper {
    pub fn new(
        store: Arc<Store>,
        id: &str,
        length: Duration,
        interval: Duration,
    ) -> (Self, Leadership) {
        let check = check_period(interval);
        let (published, receiver) = watch::channel(None);
        let lease = Lease::new(
            id,
            length.as_millis() as Millis,
            check.as_millis() as Millis,
        );
        let keeper = Self {
            store,
            lease: Mutex::new(lease),
            id: id.to_owned(),
            length,
            check,
            started: Instant::now(),
            published,
        };
        (keeper, Leadership(receiver))
    }

    fn local_now(&self) -> Millis {
        self.started.elapsed().as_millis() as Millis
    }

    pub async fn run(self, stop: watch::Receiver<bool>) {
        crate::clock::every(self.check, stop, || self.look()).await;
        // Stopping: stop notifying now; the lease runs out for the others.
        self.published.send_replace(None);
    }

    fn lease(&self) -> std::sync::MutexGuard<'_, Lease> {
        self.lease
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One look: read, decide, write, publish.
    async fn look(&self) {
        let seen = match self.store.read_lease().await {
            Ok(row) => row.map(|row| Seen {
                term: row.term,
                holder: row.holder,
                expires_at: row.expires_at,
                now: row.now,
            }),
            Err(error) => {
                tracing::warn!(%error, "cannot read the evaluator lease; will try again");
                return self.publish();
            }
        };
        let held_before = self.lease().holds(self.local_now());
        let action = self.lease().observe(seen.as_ref());
        match action {
            Action::Wait => {}
            Action::Claim(term) => {
                match self.store.write_lease(term, &self.id, self.length).await {
                    Ok(()) => self.lease().claimed(term),
                    Err(error) => tracing::warn!(%error, term, "cannot claim the evaluator lease"),
                }
            }
            Action::Renew(term) => {
                let sent_at = self.local_now();
                match self.store.write_lease(term, &self.id, self.length).await {
                    Ok(()) => self.lease().renewed(term, sent_at),
                    Err(error) => tracing::warn!(%error, term, "cannot renew the evaluator lease"),
                }
            }
        }
        let held = self.lease().holds(self.local_now());
        if held != held_before {
            match held {
                Some(term) => tracing::info!(id = %self.id, term, "holds the evaluator lease"),
                None => {
                    tracing::warn!(id = %self.id, holder = ?seen.map(|s| s.holder), "does not hold the evaluator lease")
                }
            }
        }
        self.publish();
    }

    fn publish(&self) {
        let lease = self.lease();
        let held = lease.holds(self.local_now()).zip(lease.valid_until());
        let held = held.map(|(term, until)| Held {
            term,
            until: self.started + Duration::from_millis(until as u64),
        });
        self.published.send_if_modified(|current| {
            let changed = *current != held;
            *current = held;
            changed
        });
    }
}
