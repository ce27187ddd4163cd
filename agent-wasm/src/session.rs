//! Session timing and sampling.
//!
//! A session is a tab's visit: it lives in sessionStorage (so reloads and
//! route changes share it) and ends after 30 minutes without activity or 4
//! hours in all, as Datadog RUM and Sentry count sessions. The rules are pure
//! functions of the stored times and the clock; the id `T` is opaque here (a
//! JS handle in the agent), and the stored text is read and written outside.

/// A session ends after this long without an event (ms)…
pub const IDLE_MS: f64 = 30.0 * 60.0 * 1000.0;
/// …or this long after it started (ms).
pub const MAX_MS: f64 = 4.0 * 3600.0 * 1000.0;

/// The current session: its id, when it started and when it last saw activity
/// (epoch ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Session<T> {
    id: T,
    started: f64,
    last_active: f64,
}

impl<T> Session<T> {
    pub fn new(id: T, now: f64) -> Self {
        Self::stored(id, now, now)
    }

    /// The session sessionStorage kept; [`Self::touch`] it to learn whether it is still live.
    pub fn stored(id: T, started: f64, last_active: f64) -> Self {
        Self {
            id,
            started,
            last_active,
        }
    }

    pub fn id(&self) -> &T {
        &self.id
    }

    /// Epoch ms the session started, to store.
    pub fn started(&self) -> f64 {
        self.started
    }

    /// Epoch ms of its last activity, to store.
    pub fn last_active(&self) -> f64 {
        self.last_active
    }

    /// Records activity at `now`; starts a new session first, with an id
    /// from `new_id`, if this one expired, and then returns the id of the one
    /// that ended.
    pub fn touch(&mut self, now: f64, new_id: impl FnOnce() -> T) -> Option<T> {
        let expired = now - self.last_active > IDLE_MS || now - self.started > MAX_MS;
        self.last_active = now;
        if !expired {
            return None;
        }
        self.started = now;
        Some(std::mem::replace(&mut self.id, new_id()))
    }
}

/// Whether an app sampled at `rate` reports from this session. `point` is in
/// [0, 1): a hash of the session id and the app's name, so the decision holds
/// for the whole session on every page and differs between apps.
pub fn is_sampled(point: f64, rate: f64) -> bool {
    point < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next_id() -> &'static str {
        "s2"
    }

    fn session(started: f64, last_active: f64) -> Session<&'static str> {
        Session::stored("s1", started, last_active)
    }

    #[test]
    fn a_session_ends_after_thirty_idle_minutes() {
        let mut live = session(0.0, 1_000.0);
        assert_eq!(live.touch(1_000.0 + IDLE_MS, next_id), None);
        assert_eq!(*live.id(), "s1");
        assert_eq!(
            live.touch(1_000.0 + 2.0 * IDLE_MS + 1.0, next_id),
            Some("s1"),
            "the ended session's id"
        );
        assert_eq!(*live.id(), "s2");
    }

    #[test]
    fn a_session_ends_after_four_hours_however_busy() {
        let mut busy = session(0.0, 0.0);
        let mut now = 0.0;
        while now < MAX_MS {
            assert_eq!(busy.touch(now, next_id), None, "at {now}");
            now += 60_000.0;
        }
        assert!(busy.touch(MAX_MS + 1.0, next_id).is_some());
        assert_eq!(
            (busy.started(), busy.last_active()),
            (MAX_MS + 1.0, MAX_MS + 1.0)
        );
    }

    #[test]
    fn each_new_session_takes_a_new_id() {
        let mut ids = 0..;
        let mut next = || ids.next().unwrap_or(0);
        let mut session = Session::new(next(), 0.0);
        assert_eq!((session.started(), session.last_active()), (0.0, 0.0));
        let mut ended = Vec::new();
        for hour in 1..=3 {
            ended.extend(session.touch(f64::from(hour) * 2.0 * IDLE_MS, &mut next));
        }
        assert_eq!((ended, *session.id()), (vec![0, 1, 2], 3));
    }

    #[test]
    fn sampling_keeps_points_below_the_rate() {
        assert!(is_sampled(0.0, 1.0));
        assert!(is_sampled(0.999_999, 1.0));
        assert!(!is_sampled(0.0, 0.0));
        assert!(is_sampled(0.249, 0.25));
        assert!(!is_sampled(0.25, 0.25));
    }
}
