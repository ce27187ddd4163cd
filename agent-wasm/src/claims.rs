//! Claims: errors no app claims yet wait a little for their app to register,
//! since an app's code can fail before its `registerApp` has run. At most
//! [`MAX_UNCLAIMED_ERRORS`] wait, each up to [`CLAIM_WAIT_MS`]; then they are
//! attributed again, and what still has no claimant is the shell's. The
//! error `E` is opaque here (the report's handles in the agent).

/// How long an error that no app claims waits for its app to register (ms).
pub const CLAIM_WAIT_MS: f64 = 1_000.0;

/// Unclaimed errors kept waiting at most; past it they are the shell's at once.
pub const MAX_UNCLAIMED_ERRORS: usize = 32;

#[derive(Debug)]
pub struct Unclaimed<E> {
    /// When each error happened (ms since the time origin), oldest first.
    waiting: Vec<(f64, E)>,
}

impl<E> Default for Unclaimed<E> {
    fn default() -> Self {
        Self {
            waiting: Vec::new(),
        }
    }
}

impl<E> Unclaimed<E> {
    /// Keeps an error that happened `at` waiting; gives it back when too many
    /// wait already (then it is the shell's at once).
    pub fn wait(&mut self, at: f64, error: E) -> Option<E> {
        if self.waiting.len() >= MAX_UNCLAIMED_ERRORS {
            return Some(error);
        }
        self.waiting.push((at, error));
        None
    }

    /// The errors whose wait is over at `now` (all of them, with `all`: the
    /// view ends), oldest first, with when they happened.
    pub fn take_due(&mut self, now: f64, all: bool) -> Vec<(f64, E)> {
        // Moved one by one: `partition` links more wasm than the few kept here.
        let mut due = Vec::new();
        let mut index = 0;
        while let Some((at, _)) = self.waiting.get(index) {
            if all || now - at >= CLAIM_WAIT_MS {
                due.push(self.waiting.remove(index));
            } else {
                index += 1;
            }
        }
        due
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_wait_a_second_for_their_app() {
        let mut unclaimed = Unclaimed::default();
        assert_eq!(unclaimed.wait(100.0, "early"), None);
        assert_eq!(unclaimed.wait(600.0, "later"), None);
        assert!(unclaimed.take_due(1_099.0, false).is_empty());
        assert_eq!(unclaimed.take_due(1_100.0, false), [(100.0, "early")]);
        assert_eq!(unclaimed.len(), 1);
        assert_eq!(unclaimed.take_due(1_600.0, false), [(600.0, "later")]);
        assert!(unclaimed.is_empty());
    }

    #[test]
    fn the_end_of_a_view_takes_them_all_in_order() {
        let mut unclaimed = Unclaimed::default();
        for (at, error) in [(10.0, "a"), (900.0, "b"), (20.0, "c")] {
            unclaimed.wait(at, error);
        }
        assert_eq!(
            unclaimed.take_due(1_020.0, false),
            [(10.0, "a"), (20.0, "c")]
        );
        unclaimed.wait(950.0, "d");
        assert_eq!(
            unclaimed.take_due(960.0, true),
            [(900.0, "b"), (950.0, "d")]
        );
        assert!(unclaimed.is_empty());
    }

    #[test]
    fn past_the_cap_an_error_is_given_back() {
        let mut unclaimed = Unclaimed::default();
        for at in 0..MAX_UNCLAIMED_ERRORS {
            assert_eq!(unclaimed.wait(at as f64, at), None);
        }
        assert_eq!(unclaimed.wait(99.0, 99), Some(99));
        assert_eq!(unclaimed.len(), MAX_UNCLAIMED_ERRORS);
        unclaimed.take_due(1_000.0, false);
        assert_eq!(unclaimed.wait(99.0, 99), None, "room again once one is due");
    }
}
