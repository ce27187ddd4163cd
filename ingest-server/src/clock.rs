//! Time, in one place: the wall clock in epoch milliseconds (as every
//! stored and alert time is kept), its ClickHouse form, and a ticker for
//! background work.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use tokio::sync::watch;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Now, in epoch milliseconds (0 on a clock set before 1970).
pub fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as Millis)
}

/// Epoch milliseconds as a ClickHouse `DateTime64(3)` value (the epoch
/// itself if out of range).
pub fn time_from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn millis_of(time: OffsetDateTime) -> i64 {
    (time.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Calls `work` every `interval` until a stop is requested (a tick that
/// overruns delays the next one rather than bunching them up).
pub async fn every<F, Fut>(interval: Duration, mut stop: watch::Receiver<bool>, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = ticks.tick() => false,
            _ = stop.wait_for(|stopping| *stopping) => true,
        };
        if stopping {
            return;
        }
        work().await;
    }
}
