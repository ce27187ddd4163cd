//! What a beacon costs once stored: every event's row repeats the page URL
//! and its app's attributes, so a small body can become megabytes of log.
//! One beacon is bounded (`limits.max_stored_bytes`) and so is what one
//! client IP or ingest key may store per second (the stored-byte buckets).

mod common;

use std::time::{Duration, Instant};

use common::{beacon, gzip, one_of_each_kind, start, TestServer, KEY};
use ingest_server::config::RateLimits;
use serde_json::{json, Value};

const MAX_ATTR_KEY: usize = canopy_wire::limits::MAX_ATTR_KEY_BYTES;
const MAX_ATTR_VALUE: usize = canopy_wire::limits::MAX_ATTR_VALUE_BYTES;

/// 1,000 tiny events of an app with `attrs` attributes of the longest key
/// and value, on a page URL of `url_bytes`: the body compresses to almost
/// nothing, the rows do not.
fn costly_beacon(session: &str, attrs: usize, url_bytes: usize) -> Vec<u8> {
    let attrs: serde_json::Map<String, Value> = (0..attrs)
        .map(|n| {
            (
                format!("{n:0>MAX_ATTR_KEY$}"),
                json!("v".repeat(MAX_ATTR_VALUE)),
            )
        })
        .collect();
    let at = 1_799_999_999_000.0_f64;
    let event = json!({"app": "cart", "at": at, "kind": "vital", "name": "cls", "value": 0});
    let origin = "http://shop.example/";
    let body = json!({
        "schema": 1, "session_id": session, "view_id": "view-1",
        "page_url": format!("{origin}{}", "p".repeat(url_bytes - origin.len())),
        "sent_at": 1_800_000_000_000.0_f64,
        "apps": [{"name": "cart", "version": "1.4.0", "attrs": attrs}],
        "events": vec![event; canopy_wire::limits::MAX_EVENTS_PER_BEACON],
    });
    gzip(body.to_string().as_bytes())
}

/// The most amplifying beacon the limits allow: 16 attributes, the longest URL.
fn amplifying_beacon() -> Vec<u8> {
    costly_beacon("amplifier", canopy_wire::limits::MAX_ATTRS, 2_048)
}

/// Within `limits.max_stored_bytes` (about 700 kB stored), yet costly.
fn flood_beacon() -> Vec<u8> {
    costly_beacon("flood", 2, 40)
}

/// Posts a gzip body as the agent does, from `ip` (behind a trusted proxy).
async fn post_gzip(server: &TestServer, key: &str, ip: &str, body: Vec<u8>) -> common::Reply {
    let request = server
        .beacon_with(
            &format!("key={key}&encoding=gzip"),
            &[("x-forwarded-for", ip)],
        )
        .body(body);
    server.send(request).await
}

async fn rows_of_session(server: &TestServer, session: &str) -> u64 {
    server
        .clickhouse
        .query("SELECT count() FROM vitals WHERE session_id = ?")
        .bind(session)
        .fetch_one()
        .await
        .unwrap()
}

async fn spool_bytes(server: &TestServer) -> u64 {
    let ready = server.http.get(format!("{}/readyz", server.base));
    let text = ready.send().await.unwrap().text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    body["spool_bytes"].as_u64().unwrap()
}

#[tokio::test]
async fn an_amplifying_beacon_is_refused_and_nothing_of_it_is_stored() {
    let server = start(|settings| settings.rate_limits.trust_forwarded_for = true).await;
    let body = amplifying_beacon();
    assert!(body.len() < 1_000, "{} bytes sent", body.len());
    let reply = post_gzip(&server, KEY, "10.0.0.1", body).await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (413, Some("beacon_too_expensive")),
        "{}",
        reply.body
    );
    let message = reply.body["message"].as_str().unwrap();
    assert!(
        message.contains("more than limits.max_stored_bytes (1048576)"),
        "{message}"
    );
    let stored: usize = message
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("no size in {message:?}"));
    assert!(stored > 7_000_000, "{message}");
    assert_eq!(server.barrier().await, 5, "only the barrier's rows");
    assert_eq!(rows_of_session(&server, "amplifier").await, 0);
}

#[tokio::test]
async fn a_flood_of_costly_beacons_from_one_ip_is_limited_while_another_ip_gets_in() {
    const QUOTA: u64 = 24 << 20;
    // The default limits (the tests' settings lift the IP's), and a small log.
    let server = start(|settings| {
        settings.rate_limits = RateLimits {
            trust_forwarded_for: true,
            ..RateLimits::default()
        };
        settings.spool.max_disk_bytes = QUOTA;
        settings.spool.segment_bytes = 1 << 20;
    })
    .await;
    let honest = gzip(
        beacon(one_of_each_kind())
            .to_string()
            .replace("sess-1", "honest")
            .as_bytes(),
    );
    let started = Instant::now();
    let (mut flooded, mut limited, mut honest_accepted, mut most_spooled) = (0, 0, 0, 0);
    for _ in 0..100 {
        if limited >= 10 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        let reply = post_gzip(&server, KEY, "10.0.0.66", flood_beacon()).await;
        match reply.status {
            202 => flooded += 1,
            429 => {
                assert_eq!(reply.body["error"], "rate_limited");
                assert!(reply.retry_after.is_some_and(|s| s >= 1));
                limited += 1;
            }
            _ => panic!("the flood got {} {}", reply.status, reply.body),
        }
        let reply = post_gzip(&server, KEY, "10.0.0.7", honest.clone()).await;
        assert_eq!(reply.status, 202, "the honest client got {}", reply.body);
        honest_accepted += 1;
        most_spooled = most_spooled.max(spool_bytes(&server).await);
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        limited >= 10,
        "the flood was never limited ({flooded} accepted)"
    );
    // What one IP may store: a burst, then a rate. Each flood beacon stores
    // at least its attributes, once per row.
    let limits = RateLimits::default();
    let may_store = f64::from(limits.per_ip_stored_bytes_burst)
        + f64::from(limits.per_ip_stored_bytes_per_second) * elapsed;
    let least_per_beacon = 1_000 * 2 * (1 + MAX_ATTR_KEY + 2 + MAX_ATTR_VALUE);
    assert!(
        (flooded * least_per_beacon) as f64 <= may_store,
        "{flooded} flood beacons accepted in {elapsed:.1} s"
    );
    assert!(
        most_spooled < QUOTA / 2,
        "the log held {most_spooled} bytes"
    );
    common::eventually("the honest client's events", || async {
        rows_of_session(&server, "honest").await == honest_accepted
    })
    .await;
}

#[tokio::test]
async fn a_keys_stored_bytes_are_limited_across_ips() {
    let server = start(|settings| {
        settings.rate_limits.trust_forwarded_for = true;
        settings.rate_limits.per_key_stored_bytes_per_second = 1_000;
        settings.rate_limits.per_key_stored_bytes_burst = 1_600_000;
    })
    .await;
    let mut statuses = Vec::new();
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        statuses.push(post_gzip(&server, KEY, ip, flood_beacon()).await.status);
    }
    assert_eq!(statuses, [202, 202, 429]);
}
