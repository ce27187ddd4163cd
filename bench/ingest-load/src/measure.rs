//! Latencies and what one mode measured.
use std::time::Duration;

/// Latencies in microseconds.
#[derive(Default)]
pub(crate) struct Latencies(pub(crate) Vec<u64>);

impl Latencies {
    pub(crate) fn percentile(&mut self, p: f64) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let index = ((self.0.len() - 1) as f64 * p / 100.0).round() as usize;
        Some(Duration::from_micros(self.0[index]))
    }
}

pub(crate) fn ms(duration: Option<Duration>) -> String {
    duration.map_or("–".into(), |d| {
        format!("{:.2} ms", d.as_secs_f64() * 1000.0)
    })
}

/// What one mode measured.
#[derive(Default)]
pub(crate) struct ModeResult {
    pub(crate) mode: String,
    pub(crate) what: String,
    pub(crate) events: u64,
    pub(crate) seconds: f64,
    pub(crate) latency_label: String,
    pub(crate) p50: Option<Duration>,
    pub(crate) p99: Option<Duration>,
    pub(crate) max: Option<Duration>,
    pub(crate) failures: u64,
    pub(crate) stored_check: String,
    pub(crate) notes: Vec<String>,
    /// The server's peak resident memory (VmHWM), in kB.
    pub(crate) peak_rss_kb: Option<u64>,
    /// Acknowledged events over the time until all were stored.
    pub(crate) end_to_end_per_second: Option<f64>,
    /// Paced: every beacon acknowledged on schedule, and everything stored
    /// within [`KEPT_UP_SECONDS`] after the load (no backlog built up).
    pub(crate) kept_up: Option<bool>,
    /// Paced: p99 ack time counted from sending rather than from when due.
    pub(crate) p99_from_send: Option<Duration>,
}

/// The drain inserts at least once a second (its batch interval): a paced
/// phase it kept up with is all stored within about that, plus one insert.
pub(crate) const KEPT_UP_SECONDS: f64 = 2.0;

impl ModeResult {
    pub(crate) fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.events as f64 / self.seconds
        } else {
            0.0
        }
    }
}
