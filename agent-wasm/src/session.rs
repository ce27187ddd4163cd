//! Session and view identity.
//!
//! A session is a tab's visit: it lives in sessionStorage (so reloads and
//! route changes share it) and ends after 30 minutes without activity or 4
//! hours in all, as Datadog RUM and Sentry count sessions. The rules are
//! pure functions of the stored record and the clock, tested on the host.

use canopy_wire::concat;
use js_sys::Math;

use crate::observe::{call, call2, get};
use crate::text::{digits, split};

const SESSION_KEY: &str = "canopy.session";
/// A session ends after this long without an event (ms)…
pub const IDLE_MS: f64 = 30.0 * 60.0 * 1000.0;
/// …or this long after it started (ms).
pub const MAX_MS: f64 = 4.0 * 3600.0 * 1000.0;

/// The current session: its id, when it started and when it last saw activity
/// (epoch ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    started: f64,
    last_active: f64,
}

impl Session {
    pub fn new(now: f64) -> Self {
        Self {
            id: random_id(),
            started: now,
            last_active: now,
        }
    }

    /// Records activity at `now`; starts a new session first if this one
    /// expired, and then returns the id of the one that ended.
    pub fn touch(&mut self, now: f64) -> Option<String> {
        self.touch_with(now, random_id)
    }

    fn touch_with(&mut self, now: f64, new_id: fn() -> String) -> Option<String> {
        let expired = now - self.last_active > IDLE_MS || now - self.started > MAX_MS;
        self.last_active = now;
        if !expired {
            return None;
        }
        self.started = now;
        Some(std::mem::replace(&mut self.id, new_id()))
    }

    /// `id started last_active` (whole ms), what sessionStorage keeps.
    /// Integers: parsing them is a few bytes of wasm, parsing floats kilobytes.
    fn encode(&self) -> String {
        let ms = |time: f64| crate::json::decimal(time as u64);
        concat(&[
            self.id.as_str(),
            " ",
            &ms(self.started),
            " ",
            &ms(self.last_active),
        ])
    }

    fn decode(text: &str) -> Option<Self> {
        let mut parts = split(text, b' ');
        let id = parts
            .next()
            .filter(|id| !id.is_empty() && id.len() <= 64)?
            .to_owned();
        let mut time = || digits(parts.next()?).map(|ms| ms as f64);
        let (started, last_active) = (time()?, time()?);
        Some(Self {
            id,
            started,
            last_active,
        })
    }

    /// The tab's session, continued from sessionStorage when it is still live.
    pub fn restore(window: &web_sys::Window, now: f64) -> Self {
        let stored = call(&storage(window), "getItem", &SESSION_KEY.into()).as_string();
        let mut session = stored
            .as_deref()
            .and_then(Session::decode)
            .unwrap_or_else(|| Session::new(now));
        session.touch(now);
        session.save(window);
        session
    }

    /// Keeps the session for the next page of the tab. Storage may be
    /// unavailable (privacy modes, sandboxed frames): then each page has its own.
    pub fn save(&self, window: &web_sys::Window) {
        call2(
            &storage(window),
            "setItem",
            &SESSION_KEY.into(),
            &self.encode().into(),
        );
    }
}

/// `sessionStorage`; `undefined` where reading it throws (sandboxed frames).
fn storage(window: &web_sys::Window) -> wasm_bindgen::JsValue {
    get(window, "sessionStorage")
}

/// A random 128-bit id in hex, for sessions, views and beacons. Math.random
/// is enough: ids group events and tell a retried body from a new one (the
/// server compares a beacon's id only with its ingest key's last minutes of
/// ids); they protect nothing. It costs no binding: `crypto.getRandomValues`
/// would need one, and bytes.
pub fn random_id() -> String {
    let mut id = String::with_capacity(32);
    for _ in 0..4 {
        push_hex8(&mut id, (Math::random() * 4_294_967_296.0) as u32);
    }
    id
}

/// Appends `format!("{:08x}", value)`, without core's formatting machinery.
fn push_hex8(out: &mut String, value: u32) {
    for shift in (0..32).step_by(4).rev() {
        out.push(char::from(
            b"0123456789abcdef"[(value >> shift) as usize & 0xf],
        ));
    }
}

/// Whether an app sampled at `rate` reports from session `session_id`: a
/// hash of both, so the decision holds for the whole session on every page
/// and differs between apps.
pub fn is_sampled(session_id: &str, app: &str, rate: f64) -> bool {
    // FNV-1a: tiny, and spreads short ids well enough for a coin toss.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in session_id.bytes().chain([0]).chain(app.bytes()) {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    f64::from(hash) / 4_294_967_296.0 < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex8_matches_format() {
        for value in [0, 1, 0xabc, 0xdead_beef, u32::MAX] {
            let mut hex = String::new();
            push_hex8(&mut hex, value);
            assert_eq!(hex, format!("{value:08x}"));
        }
    }

    fn next_id() -> String {
        "s2".into()
    }

    fn session(started: f64, last_active: f64) -> Session {
        Session {
            id: "s1".into(),
            started,
            last_active,
        }
    }

    #[test]
    fn a_session_ends_after_thirty_idle_minutes() {
        let mut live = session(0.0, 1_000.0);
        assert_eq!(live.touch_with(1_000.0 + IDLE_MS, next_id), None);
        assert_eq!(live.id, "s1");
        assert_eq!(
            live.touch_with(1_000.0 + 2.0 * IDLE_MS + 1.0, next_id)
                .as_deref(),
            Some("s1"),
            "the ended session's id"
        );
        assert_eq!(live.id, "s2");
    }

    #[test]
    fn a_session_ends_after_four_hours_however_busy() {
        let mut busy = session(0.0, 0.0);
        let mut now = 0.0;
        while now < MAX_MS {
            assert_eq!(busy.touch_with(now, next_id), None, "at {now}");
            now += 60_000.0;
        }
        assert!(busy.touch_with(MAX_MS + 1.0, next_id).is_some());
        assert_eq!(
            (busy.started, busy.last_active),
            (MAX_MS + 1.0, MAX_MS + 1.0)
        );
    }

    #[test]
    fn stored_sessions_round_trip_and_garbage_is_ignored() {
        let stored = session(1_700_000_000_000.0, 1_700_000_100_000.0);
        assert_eq!(Session::decode(&stored.encode()), Some(stored));
        for garbage in ["", "abc", "id x y", "id 1", " 1 2"] {
            assert_eq!(Session::decode(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn sampling_is_stable_per_session_and_near_the_rate() {
        assert!(is_sampled("s", "cart", 1.0));
        assert!(!is_sampled("s", "cart", 0.0));
        assert_eq!(
            is_sampled("abc", "cart", 0.5),
            is_sampled("abc", "cart", 0.5)
        );
        let kept = (0..10_000)
            .filter(|i| is_sampled(&random_like(*i), "cart", 0.25))
            .count();
        assert!((2_200..2_800).contains(&kept), "{kept} of 10000 at 0.25");
    }

    fn random_like(i: u32) -> String {
        let mut id = String::new();
        push_hex8(&mut id, i.wrapping_mul(2_654_435_761));
        id
    }
}
