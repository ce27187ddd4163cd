//! The evaluator lease, as a pure state machine: which of several evaluators
//! sharing a ClickHouse may notify (see docs/ALERTING.md, "HA evaluation").
//!
//! ClickHouse has no compare-and-set, so a claim is an insert and the winner
//! is whatever every evaluator reads back: the highest term, and in it the
//! claim ClickHouse wrote first (then the highest holder id). A claim counts
//! only once a later look still reads it as the winner (the settle step):
//! by then a rival claim racing it has been written and read by both.
//!
//! Two clocks, neither compared across machines: expiry is judged on
//! ClickHouse's clock (`Seen::now` and `expires_at` both come from it), and a
//! holder judges its own validity on its local monotonic clock, from when it
//! *sent* its last successful renewal, ending one check period early. The
//! renewal reaches ClickHouse after it was sent, so the lease ClickHouse
//! keeps outlives the holder's own belief in it; a rival needs that expiry
//! plus a settle step before it may notify.

use crate::clock::Millis;

/// The lease as read back from ClickHouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub term: u64,
    pub holder: String,
    /// When the winner's latest renewal runs out (ClickHouse's clock).
    pub expires_at: Millis,
    /// ClickHouse's clock at the read.
    pub now: Millis,
}

impl Seen {
    fn expired(&self) -> bool {
        self.expires_at <= self.now
    }
}

/// What the evaluator does about the lease after a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Wait,
    /// Insert a claim on this term (then [`Lease::claimed`]).
    Claim(u64),
    /// Insert a renewal of this term (then [`Lease::renewed`]).
    Renew(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Standby,
    /// Claimed, not yet confirmed by a second look.
    Claiming(u64),
    /// Holds `term` until `valid_until` (local monotonic clock).
    Holding {
        term: u64,
        valid_until: Millis,
    },
}

/// One evaluator's view of the lease.
#[derive(Debug, Clone)]
pub struct Lease {
    id: String,
    length: Millis,
    /// How often the lease is looked at: the renewal pace and the margin by
    /// which a holder stops before its lease ends.
    check: Millis,
    phase: Phase,
}

impl Lease {
    pub fn new(id: &str, length: Millis, check: Millis) -> Self {
        Self {
            id: id.to_owned(),
            length,
            check,
            phase: Phase::Standby,
        }
    }

    /// Decides what to do after reading the lease (None: no claim yet).
    pub fn observe(&mut self, seen: Option<&Seen>) -> Action {
        let ours =
            |term| seen.is_some_and(|s| s.term == term && s.holder == self.id && !s.expired());
        match self.phase {
            Phase::Claiming(term) | Phase::Holding { term, .. } if ours(term) => {
                Action::Renew(term)
            }
            _ => {
                self.phase = Phase::Standby;
                match seen {
                    None => Action::Claim(1),
                    Some(seen) if seen.expired() => Action::Claim(seen.term + 1),
                    Some(_) => Action::Wait,
                }
            }
        }
    }

    /// A claim on `term` was written.
    pub fn claimed(&mut self, term: u64) {
        self.phase = Phase::Claiming(term);
    }

    /// A renewal of `term`, sent at `sent_at` (local clock), was written:
    /// a confirmed claim becomes a holding; a holding is extended.
    pub fn renewed(&mut self, term: u64, sent_at: Millis) {
        if matches!(self.phase, Phase::Claiming(t) | Phase::Holding { term: t, .. } if t == term) {
            self.phase = Phase::Holding {
                term,
                valid_until: sent_at + self.length - self.check,
            };
        }
    }

    /// The term this evaluator may notify under at `now` (local clock).
    pub fn holds(&self, now: Millis) -> Option<u64> {
        match self.phase {
            Phase::Holding { term, valid_until } if now < valid_until => Some(term),
            _ => None,
        }
    }

    /// Until when (local clock) the current holding lasts without renewal.
    pub fn valid_until(&self) -> Option<Millis> {
        match self.phase {
            Phase::Holding { valid_until, .. } => Some(valid_until),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LENGTH: Millis = 2_000;
    const CHECK: Millis = 250;

    fn seen(term: u64, holder: &str, expires_at: Millis, now: Millis) -> Seen {
        Seen {
            term,
            holder: holder.into(),
            expires_at,
            now,
        }
    }

    /// Claims, confirms and renews `lease` at local time `at`, ClickHouse
    /// time `ch`, as the keeper would; returns the term held.
    fn take(lease: &mut Lease, at: Millis, ch: Millis) -> u64 {
        let Action::Claim(term) = lease.observe(None) else {
            panic!("an empty lease is claimed")
        };
        lease.claimed(term);
        assert_eq!(lease.holds(at), None, "a claim alone does not hold");
        let mine = seen(term, &lease.id, ch + LENGTH, ch + CHECK);
        assert_eq!(lease.observe(Some(&mine)), Action::Renew(term));
        lease.renewed(term, at + CHECK);
        term
    }

    #[test]
    fn a_claim_holds_only_once_a_second_look_confirms_it() {
        let mut a = Lease::new("a", LENGTH, CHECK);
        let term = take(&mut a, 0, 10_000);
        assert_eq!(term, 1);
        assert_eq!(a.holds(CHECK), Some(1));
    }

    #[test]
    fn the_holder_stops_a_check_period_before_its_lease_could_be_taken() {
        let mut a = Lease::new("a", LENGTH, CHECK);
        take(&mut a, 0, 0);
        // Renewed (sent) at local 250: the lease ClickHouse keeps ends no
        // sooner than 250 + LENGTH; the holder stops at 250 + LENGTH - CHECK.
        assert_eq!(a.holds(CHECK + LENGTH - CHECK - 1), Some(1));
        assert_eq!(a.holds(CHECK + LENGTH - CHECK), None);
        // A renewal moves the end.
        let still = seen(1, "a", 5_000, 3_000);
        assert_eq!(a.observe(Some(&still)), Action::Renew(1));
        a.renewed(1, 3_000);
        assert_eq!(a.holds(3_000 + LENGTH - CHECK - 1), Some(1));
    }

    #[test]
    fn a_standby_waits_for_expiry_then_claims_the_next_term() {
        let mut b = Lease::new("b", LENGTH, CHECK);
        let alive = seen(4, "a", 10_000, 9_999);
        assert_eq!(b.observe(Some(&alive)), Action::Wait);
        let dead = seen(4, "a", 10_000, 10_000);
        assert_eq!(b.observe(Some(&dead)), Action::Claim(5));
        b.claimed(5);
        assert_eq!(b.holds(10_000), None);
        let confirmed = seen(5, "b", 12_000, 10_250);
        assert_eq!(b.observe(Some(&confirmed)), Action::Renew(5));
        b.renewed(5, 10_250);
        assert_eq!(b.holds(10_300), Some(5));
    }

    #[test]
    fn of_two_racing_claims_the_one_read_back_wins_and_the_other_stands_by() {
        let (mut a, mut b) = (
            Lease::new("a", LENGTH, CHECK),
            Lease::new("b", LENGTH, CHECK),
        );
        let dead = seen(1, "old", 100, 100);
        assert_eq!(a.observe(Some(&dead)), Action::Claim(2));
        assert_eq!(b.observe(Some(&dead)), Action::Claim(2));
        a.claimed(2);
        b.claimed(2);
        // Both read the same winner (the store's tie-break): b.
        let winner = seen(2, "b", 2_100, 350);
        assert_eq!(a.observe(Some(&winner)), Action::Wait);
        assert_eq!(b.observe(Some(&winner)), Action::Renew(2));
        b.renewed(2, 350);
        a.renewed(2, 350); // a stray acknowledgement cannot make a holder
        assert_eq!((a.holds(400), b.holds(400)), (None, Some(2)));
    }

    #[test]
    fn a_holder_that_sees_another_winner_or_its_own_lease_expired_steps_down() {
        let mut a = Lease::new("a", LENGTH, CHECK);
        take(&mut a, 0, 0);
        let taken = seen(2, "b", 9_000, 8_000);
        assert_eq!(a.observe(Some(&taken)), Action::Wait);
        assert_eq!(a.holds(300), None, "stepped down at once");

        let mut a = Lease::new("a", LENGTH, CHECK);
        let term = take(&mut a, 0, 0);
        // Renewals failed for a lease length (ClickHouse unreachable): a
        // lapsed lease is not revived under the old term but claimed anew.
        let lapsed = seen(term, "a", 2_000, 2_000);
        assert_eq!(a.observe(Some(&lapsed)), Action::Claim(term + 1));
        assert_eq!(a.holds(300), None);
    }

    #[test]
    fn a_holder_that_stalls_past_its_lease_does_not_notify_on_waking() {
        let mut a = Lease::new("a", LENGTH, CHECK);
        take(&mut a, 0, 0);
        // Frozen (a long pause) from local 300 to 60 s: no look happened,
        // and without one the holding is already over.
        assert_eq!(a.holds(60_000), None);
        assert_eq!(a.valid_until(), Some(LENGTH));
    }

    #[test]
    fn an_unconfirmed_claim_that_expires_is_claimed_again_higher() {
        let mut a = Lease::new("a", LENGTH, CHECK);
        a.claimed(3);
        let own_but_expired = seen(3, "a", 1_000, 1_000);
        assert_eq!(a.observe(Some(&own_but_expired)), Action::Claim(4));
    }
}
