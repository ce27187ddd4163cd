//! Load against the server: closed loop and paced (open loop).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::*;

/// What the load loops collect.
#[derive(Default)]
pub(crate) struct LoadTally {
    pub(crate) latencies: Latencies,
    pub(crate) acked_beacons: u64,
    pub(crate) failures: u64,
    pub(crate) statuses: std::collections::BTreeMap<String, u64>,
    /// Paced: beacons not sent because too many were already in flight.
    pub(crate) skipped: u64,
    /// Paced: how late each acknowledged beacon was sent (µs after it was due),
    /// and its ack time counted from when it was sent.
    pub(crate) sent_late: Latencies,
    pub(crate) from_send: Latencies,
}

impl LoadTally {
    pub(crate) fn record(&mut self, outcome: Result<(u16, Duration), String>) {
        match outcome {
            Ok((202, latency)) => {
                self.acked_beacons += 1;
                self.latencies.0.push(latency.as_micros() as u64);
            }
            Ok((status, _)) => {
                self.failures += 1;
                *self.statuses.entry(status.to_string()).or_default() += 1;
            }
            Err(error) => {
                self.failures += 1;
                *self.statuses.entry(error).or_default() += 1;
            }
        }
    }

    pub(crate) fn merge(&mut self, other: LoadTally) {
        self.latencies.0.extend(other.latencies.0);
        self.acked_beacons += other.acked_beacons;
        self.failures += other.failures;
        self.skipped += other.skipped;
        self.sent_late.0.extend(other.sent_late.0);
        self.from_send.0.extend(other.from_send.0);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
    }
}

/// Posts one beacon as sendBeacon does; the status once the reply is read.
pub(crate) async fn post_beacon(
    http: &reqwest::Client,
    url: &str,
    body: String,
) -> Result<u16, String> {
    let response = http
        .post(url)
        .header("content-type", "text/plain;charset=UTF-8")
        .header("user-agent", USER_AGENT)
        .body(body)
        .send()
        .await
        .map_err(|error| {
            if error.is_timeout() {
                "timeout".to_owned()
            } else {
                "connection error".to_owned()
            }
        })?;
    let status = response.status().as_u16();
    let _ = response.bytes().await; // read it all, so the connection is reused
    Ok(status)
}

/// Closed loop: `connections` clients, each sending its next beacon when the last is answered.
pub(crate) async fn closed_loop(
    args: &Args,
    http: &reqwest::Client,
    url: &str,
    template: &str,
    next: &Arc<AtomicU64>,
) -> (LoadTally, f64) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let last_id = next.load(Ordering::Relaxed) + args.max_beacons;
    let template = Arc::new(template.to_owned());
    let mut clients = Vec::new();
    for _ in 0..args.connections {
        let (http, url, template, next) =
            (http.clone(), url.to_owned(), template.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            let mut tally = LoadTally::default();
            while Instant::now() < deadline {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= last_id {
                    break;
                }
                let body = beacon_body(&template, "canopy", id);
                let sent = Instant::now();
                let outcome = post_beacon(&http, &url, body).await;
                if outcome.is_err() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                tally.record(outcome.map(|status| (status, sent.elapsed())));
            }
            tally
        }));
    }
    let mut tally = LoadTally::default();
    for client in clients {
        tally.merge(client.await.expect("a load task panicked"));
    }
    (tally, started.elapsed().as_secs_f64())
}

/// Open loop: beacons sent on a fixed schedule whatever the replies; latency
/// counts from when each was due, so a stall is not hidden.
///
/// The schedule is kept by a thread of its own sleeping until each beacon is
/// due (a tokio timer only wakes on whole milliseconds, which alone made
/// sends up to 2 ms late); each beacon is then sent from the runtime. Every
/// scheduled beacon is sent: one the pacer could only send late counts as
/// late, it is not left out.
pub(crate) async fn paced(
    args: &Args,
    http: &reqwest::Client,
    url: &str,
    template: &str,
    next: &Arc<AtomicU64>,
    per_second: f64,
) -> (LoadTally, f64) {
    const MAX_IN_FLIGHT: usize = 512;
    let started = Instant::now();
    let total = ((per_second * args.seconds as f64) as u64).min(args.max_beacons);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let tally = Arc::new(Mutex::new(LoadTally::default()));
    let runtime = tokio::runtime::Handle::current();
    let (http, url, template, next, pacer_tally) = (
        http.clone(),
        url.to_owned(),
        template.to_owned(),
        next.clone(),
        tally.clone(),
    );
    let pacer = tokio::task::spawn_blocking(move || {
        let mut requests = tokio::task::JoinSet::new();
        for scheduled in 0..total {
            let due = started + Duration::from_secs_f64(scheduled as f64 / per_second);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                pacer_tally.lock().unwrap().skipped += 1;
                continue;
            };
            let id = next.fetch_add(1, Ordering::Relaxed);
            let (http, url, tally, body) = (
                http.clone(),
                url.clone(),
                pacer_tally.clone(),
                beacon_body(&template, "canopy", id),
            );
            requests.spawn_on(
                async move {
                    let sent = Instant::now();
                    let outcome = post_beacon(&http, &url, body).await;
                    let mut tally = tally.lock().unwrap();
                    if outcome == Ok(202) {
                        tally.sent_late.0.push((sent - due).as_micros() as u64);
                        tally.from_send.0.push(sent.elapsed().as_micros() as u64);
                    }
                    tally.record(outcome.map(|status| (status, due.elapsed())));
                    drop(permit);
                },
                &runtime,
            );
            while requests.try_join_next().is_some() {}
        }
        requests
    });
    let mut requests = pacer.await.expect("the pacer panicked");
    while requests.join_next().await.is_some() {}
    let seconds = started.elapsed().as_secs_f64();
    let tally = Arc::try_unwrap(tally)
        .ok()
        .expect("requests ended")
        .into_inner()
        .unwrap();
    (tally, seconds)
}
