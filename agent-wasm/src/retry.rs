//! Retry: the decisions of delivery, as a state machine of numbers.
//!
//! `sendBeacon` goes first; when the browser refuses it, `fetch` is the
//! fallback: a plain one while the page is visible (it needs no budget), one
//! with `keepalive` when the page is hiding and the agent's own keepalive
//! bytes in flight leave room in the page's 64 KiB budget ([`Delivery::keepalive`]).
//! On that path the agent sees the answer ([`Delivery::settled`]): a 429 or
//! 503 (or no answer at all) holds every send back until the body has been
//! retried after `Retry-After` or an exponential backoff; a body refused five
//! times, or refused while another waits for its retry, is dropped and its
//! events counted. The request `R` is opaque here (the URL and body handles in
//! the agent); the browser calls and the `Retry-After` text stay outside.

/// What browsers allow in flight for all keepalive requests of a page.
pub const KEEPALIVE_BUDGET: usize = 64 * 1024;
/// Attempts of a body that keeps being refused, the first one included.
pub const MAX_ATTEMPTS: u32 = 5;
/// Backoff after the first refusal without `Retry-After` (ms), doubled each time.
const FIRST_BACKOFF_MS: f64 = 1_000.0;
/// Longest wait before a retry (ms), whatever `Retry-After` says.
const MAX_BACKOFF_MS: f64 = 60_000.0;

/// One attempt at delivering a request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt<R> {
    pub request: R,
    /// Events in the body: what is counted as dropped if it is given up on.
    pub events: u64,
    /// 1 for the first attempt.
    pub number: u32,
}

/// What to do once a fetch is answered.
#[derive(Debug, PartialEq)]
pub struct Settled {
    /// Fetch [`Delivery::waiting`] again after this many ms.
    pub retry_in_ms: Option<f64>,
    /// Sends held back for a retry may go again: flush the queue.
    pub release_queue: bool,
}

/// The delivery state: keepalive bytes in flight and the body waiting to be retried.
#[derive(Debug)]
pub struct Delivery<R> {
    keepalive_in_flight: usize,
    /// The one body refused and waiting for (or in) its next attempt.
    retry: Option<Attempt<R>>,
    dropped_events: u64,
}

impl<R> Default for Delivery<R> {
    fn default() -> Self {
        Self {
            keepalive_in_flight: 0,
            retry: None,
            dropped_events: 0,
        }
    }
}

impl<R> Delivery<R> {
    /// Whether sends are held back until a refused body is retried.
    pub fn is_waiting(&self) -> bool {
        self.retry.is_some()
    }

    /// The body to fetch when its retry is due. It stays set while that
    /// attempt is in flight: sends wait for its answer.
    pub fn waiting(&self) -> Option<&Attempt<R>> {
        self.retry.as_ref()
    }

    /// Events of the bodies given up on.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// Whether a fetch of `len` bytes goes with `keepalive`: only on a page
    /// that is hiding (a visible page needs no budget, and a plain fetch
    /// leaves the budget to beacons), and only within the budget. The bytes
    /// count as in flight until [`Self::settled`] is given them back.
    pub fn keepalive(&mut self, visible: bool, len: usize) -> bool {
        let keepalive = !visible && self.keepalive_in_flight + len <= KEEPALIVE_BUDGET;
        if keepalive {
            self.keepalive_in_flight += len;
        }
        keepalive
    }

    /// A fetch ended with `status` (0: no answer, as when the server is down
    /// or the network gone: like a 503 without `Retry-After`).
    /// `keepalive_len`: the bytes [`Self::keepalive`] reserved for it, else 0.
    pub fn settled(
        &mut self,
        keepalive_len: usize,
        attempt: Attempt<R>,
        status: u16,
        retry_after_ms: Option<f64>,
    ) -> Settled {
        self.keepalive_in_flight = self.keepalive_in_flight.saturating_sub(keepalive_len);
        let was_waiting = self.retry.is_some();
        let go_on = |release_queue| Settled {
            retry_in_ms: None,
            release_queue,
        };
        if !matches!(status, 0 | 429 | 503) {
            // Accepted, or refused for good (a 4xx is the same on retry).
            self.retry = None;
            return go_on(was_waiting);
        }
        // Only one body waits for a retry (memory stays bounded); the first
        // attempt of another one, refused meanwhile, is given up on.
        let is_other = attempt.number == 1 && was_waiting;
        if attempt.number >= MAX_ATTEMPTS || is_other {
            if !is_other {
                self.retry = None;
            }
            self.dropped_events += attempt.events;
            return go_on(was_waiting && !is_other);
        }
        let backoff = FIRST_BACKOFF_MS * f64::from(1u32 << (attempt.number - 1));
        let delay = retry_after_ms.unwrap_or(backoff).min(MAX_BACKOFF_MS);
        self.retry = Some(Attempt {
            number: attempt.number + 1,
            ..attempt
        });
        Settled {
            retry_in_ms: Some(delay),
            release_queue: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(request: &'static str, events: u64) -> Attempt<&'static str> {
        Attempt {
            request,
            events,
            number: 1,
        }
    }

    fn retry_in(ms: f64) -> Settled {
        Settled {
            retry_in_ms: Some(ms),
            release_queue: false,
        }
    }

    fn go_on(release_queue: bool) -> Settled {
        Settled {
            retry_in_ms: None,
            release_queue,
        }
    }

    /// Refuses the waiting body's attempts until `number` is due; returns the delays.
    fn refuse_until(delivery: &mut Delivery<&'static str>, number: u32) -> Vec<f64> {
        let mut delays = Vec::new();
        while let Some(attempt) = delivery.waiting().cloned() {
            if attempt.number >= number {
                break;
            }
            delays.extend(delivery.settled(0, attempt, 503, None).retry_in_ms);
        }
        delays
    }

    #[test]
    fn an_answer_other_than_a_refusal_is_final_and_holds_nothing_back() {
        // Accepted, or refused for good (a 4xx is the same on retry): nothing
        // waits and nothing counts as dropped, whatever Retry-After says.
        let mut delivery = Delivery::default();
        for status in [200, 204, 400, 413] {
            for retry_after in [None, Some(5_000.0)] {
                let settled = delivery.settled(0, first("a", 3), status, retry_after);
                assert_eq!(settled, go_on(false), "status {status}");
            }
        }
        assert!(!delivery.is_waiting());
        assert_eq!(delivery.dropped_events(), 0);
    }

    #[test]
    fn refusals_and_silence_wait_for_a_retry() {
        for status in [0, 429, 503] {
            let mut delivery = Delivery::default();
            assert_eq!(
                delivery.settled(0, first("a", 3), status, None),
                retry_in(1_000.0)
            );
            assert_eq!(
                delivery.waiting(),
                Some(&Attempt {
                    request: "a",
                    events: 3,
                    number: 2
                }),
                "status {status}"
            );
        }
    }

    #[test]
    fn retry_after_sets_the_delay_up_to_a_minute() {
        let mut delivery = Delivery::default();
        assert_eq!(
            delivery.settled(0, first("a", 1), 429, Some(7_000.0)),
            retry_in(7_000.0)
        );
        let second = delivery.waiting().cloned().unwrap();
        assert_eq!(delivery.settled(0, second, 503, Some(0.0)), retry_in(0.0));
        let third = delivery.waiting().cloned().unwrap();
        assert_eq!(
            delivery.settled(0, third, 503, Some(60_001.0)),
            retry_in(60_000.0)
        );
        let fourth = delivery.waiting().cloned().unwrap();
        assert_eq!(
            delivery.settled(0, fourth, 503, Some(3_600_000.0)),
            retry_in(60_000.0)
        );
    }

    #[test]
    fn backoff_doubles_and_the_fifth_refusal_drops_the_body() {
        let mut delivery = Delivery::default();
        let mut delays = vec![];
        delays.extend(delivery.settled(0, first("a", 7), 0, None).retry_in_ms);
        delays.extend(refuse_until(&mut delivery, MAX_ATTEMPTS));
        assert_eq!(delays, [1_000.0, 2_000.0, 4_000.0, 8_000.0]);
        let fifth = delivery.waiting().cloned().unwrap();
        assert_eq!(fifth.number, MAX_ATTEMPTS);
        assert_eq!(delivery.dropped_events(), 0);
        assert_eq!(
            delivery.settled(0, fifth, 503, None),
            go_on(true),
            "the queue may go again"
        );
        assert!(!delivery.is_waiting());
        assert_eq!(delivery.dropped_events(), 7);
    }

    #[test]
    fn a_retry_answered_for_good_releases_the_queue_uncounted() {
        // Accepted, or refused for good: either way nothing waits any more.
        for status in [200, 400] {
            let mut delivery = Delivery::default();
            delivery.settled(0, first("a", 2), 429, None);
            let second = delivery.waiting().cloned().unwrap();
            assert_eq!(delivery.settled(0, second, status, None), go_on(true));
            assert!(!delivery.is_waiting());
            assert_eq!(delivery.dropped_events(), 0, "status {status}");
        }
    }

    #[test]
    fn another_body_refused_while_one_waits_is_dropped() {
        let mut delivery = Delivery::default();
        delivery.settled(0, first("a", 2), 503, None);
        // Sent before the refusal was known, refused meanwhile.
        assert_eq!(delivery.settled(0, first("b", 5), 503, None), go_on(false));
        assert_eq!(delivery.dropped_events(), 5);
        let waiting = delivery.waiting().cloned().unwrap();
        assert_eq!(
            (waiting.request, waiting.number),
            ("a", 2),
            "the first body still waits"
        );
        // Another body accepted meanwhile ends the wait as well.
        assert_eq!(delivery.settled(0, first("c", 1), 200, None), go_on(true));
        assert!(!delivery.is_waiting());
    }

    #[test]
    fn keepalive_only_while_hiding_and_within_the_budget() {
        let mut delivery: Delivery<&str> = Delivery::default();
        assert!(
            !delivery.keepalive(true, 10),
            "a visible page needs no keepalive"
        );
        assert!(delivery.keepalive(false, 40_000));
        assert!(!delivery.keepalive(false, 30_000), "over the budget");
        assert!(
            delivery.keepalive(false, KEEPALIVE_BUDGET - 40_000),
            "exactly the budget"
        );
        assert!(!delivery.keepalive(false, 1));
        delivery.settled(40_000, first("a", 1), 200, None);
        assert!(
            delivery.keepalive(false, 40_000),
            "answered bytes are free again"
        );
        assert!(!delivery.keepalive(false, 1));
    }

    #[test]
    fn keepalive_bytes_are_freed_whatever_the_answer() {
        let mut delivery: Delivery<&str> = Delivery::default();
        assert!(delivery.keepalive(false, KEEPALIVE_BUDGET));
        delivery.settled(KEEPALIVE_BUDGET, first("a", 1), 0, None);
        assert!(delivery.keepalive(false, KEEPALIVE_BUDGET));
        // A plain fetch reserved nothing and frees nothing; nothing goes below zero.
        delivery.settled(0, first("b", 1), 200, None);
        assert!(!delivery.keepalive(false, 1));
        delivery.settled(2 * KEEPALIVE_BUDGET, first("c", 1), 200, None);
        assert!(delivery.keepalive(false, KEEPALIVE_BUDGET));
    }
}
