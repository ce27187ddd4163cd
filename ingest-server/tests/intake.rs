//! The beacon endpoint over real HTTP against a real ClickHouse: what is
//! accepted lands, and every rejection class answers with its status and
//! code and writes nothing.

mod common;

use std::io::Write;

use common::{beacon, gzip, one_of_each_kind, start, TestServer, KEY, ORIGIN};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde_json::{json, Value};

/// Asserts the reply, then proves nothing of the rejected request was stored.
async fn assert_rejected(server: &TestServer, reply: common::Reply, status: u16, code: &str) {
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (status, Some(code)),
        "{}",
        reply.body
    );
    assert!(reply.body["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    let total = server.barrier().await;
    assert_eq!(total, 5, "only the barrier beacon's rows are stored");
}

#[tokio::test]
async fn a_good_batch_lands_in_every_table_enriched() {
    let server = start(|_| {}).await;
    let reply = server.post(beacon(one_of_each_kind()).to_string()).await;
    assert_eq!((reply.status, &reply.body), (202, &json!({"accepted": 5})));
    common::eventually("rows in every table", || async {
        let mut all = true;
        for table in common::TABLES {
            all &= server.count(table).await == 1;
        }
        all
    })
    .await;
    let (message, version, browser, device): (String, String, String, String) = server
        .clickhouse
        .query("SELECT message, app_version, browser, device FROM errors WHERE app = 'cart'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        (message.as_str(), version.as_str()),
        ("Checkout failed", "1.4.0")
    );
    assert_eq!((browser.as_str(), device.as_str()), ("Chrome", "pc"));
}

#[tokio::test]
async fn json_gzip_and_deflate_bodies_are_accepted() {
    let server = start(|_| {}).await;
    let body = beacon(one_of_each_kind()).to_string();
    let json = server
        .beacon_with(
            &format!("key={KEY}"),
            &[("content-type", "application/json")],
        )
        .body(body.clone());
    assert_eq!(server.send(json).await.status, 202);
    let gzipped = server
        .beacon(&format!("key={KEY}&encoding=gzip"))
        .body(gzip(body.as_bytes()));
    assert_eq!(server.send(gzipped).await.status, 202);
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(body.as_bytes()).unwrap();
    let deflated = server
        .beacon(&format!("key={KEY}"))
        .header("content-encoding", "deflate")
        .body(zlib.finish().unwrap());
    assert_eq!(server.send(deflated).await.status, 202);
    common::eventually("three beacons stored", || async {
        server.total_rows().await == 15
    })
    .await;
}

#[tokio::test]
async fn a_retried_body_is_dated_by_the_sent_at_in_its_url() {
    let server = start(|_| {}).await;
    // Events 1 s before the body's sent_at; the retry went out a minute later.
    let body = beacon(one_of_each_kind()).to_string();
    let bad = server
        .beacon(&format!("key={KEY}&sent_at=yesterday"))
        .body(body.clone());
    assert_rejected(&server, server.send(bad).await, 400, "bad_request").await;
    let retried = server
        .beacon(&format!("key={KEY}&sent_at=1800000060000"))
        .body(body);
    assert_eq!(server.send(retried).await.status, 202);
    common::eventually("both error rows", || async {
        server.count("errors").await == 2
    })
    .await;
    let ages: (i64, i64) = server
        .clickhouse
        .query(
            "SELECT min(age), max(age) FROM (SELECT toUnixTimestamp64Milli(received_at) \
             - toUnixTimestamp64Milli(at) AS age FROM errors)",
        )
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        ages,
        (1_000, 61_000),
        "the same body: 1 s old as sent first (the barrier), 61 s as retried"
    );
}

#[tokio::test]
async fn over_long_text_is_cut_and_marked() {
    let server = start(|_| {}).await;
    let mut events = one_of_each_kind();
    events[3]["message"] = json!("m".repeat(5_000));
    assert_eq!(server.post(beacon(events).to_string()).await.status, 202);
    common::eventually("the error row", || async {
        server.count("errors").await == 1
    })
    .await;
    let message: String = server
        .clickhouse
        .query("SELECT message FROM errors")
        .fetch_one()
        .await
        .unwrap();
    assert!(
        message.len() <= canopy_wire::limits::MAX_TEXT_BYTES && message.ends_with('…'),
        "{} bytes",
        message.len()
    );
}

#[tokio::test]
async fn vital_ratings_and_attribution_land_and_old_agents_are_rated_by_the_server() {
    let server = start(|_| {}).await;
    let events = vec![
        json!({"app": "shell", "at": 1000.0, "kind": "vital", "name": "lcp", "value": 2600.0, "rating": "needs-improvement",
               "target": "#hero>img", "resource": "http://127.0.0.1/hero.jpg", "owner": "catalog", "restored": true}),
        json!({"app": "cart", "at": 1000.0, "kind": "vital", "name": "inp", "value": 560.0, "event_type": "keydown"}),
    ];
    assert_eq!(
        server
            .post(beacon(Value::Array(events)).to_string())
            .await
            .status,
        202
    );
    common::eventually("two vitals", || async { server.count("vitals").await == 2 }).await;
    let rows: Vec<(String, String, String, String, String, String, bool)> = server
        .clickhouse
        .query("SELECT name, rating, target, resource, event_type, owner, restored FROM vitals ORDER BY name")
        .fetch_all()
        .await
        .unwrap();
    let strings = |row: &(String, String, String, String, String, String, bool)| {
        [
            row.0.clone(),
            row.1.clone(),
            row.2.clone(),
            row.3.clone(),
            row.4.clone(),
            row.5.clone(),
        ]
    };
    assert_eq!(
        strings(&rows[0]),
        ["inp", "poor", "", "", "keydown", ""].map(String::from)
    );
    assert!(!rows[0].6);
    assert_eq!(
        strings(&rows[1]),
        [
            "lcp",
            "needs-improvement",
            "#hero>img",
            "http://127.0.0.1/hero.jpg",
            "",
            "catalog"
        ]
        .map(String::from)
    );
    assert!(rows[1].6);
}

#[tokio::test]
async fn unknown_or_missing_key_is_401() {
    let server = start(|_| {}).await;
    let body = beacon(one_of_each_kind()).to_string();
    let reply = server
        .send(server.beacon("key=not-a-key").body(body.clone()))
        .await;
    assert_rejected(&server, reply, 401, "unknown_key").await;
    let reply = server.send(server.beacon("").body(body)).await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (401, Some("unknown_key"))
    );
}

#[tokio::test]
async fn origin_not_allowed_is_403() {
    let server = start(|_| {}).await;
    let request = server.beacon_with(&format!("key={KEY}"), &[("origin", "http://evil.example")]);
    let reply = server
        .send(request.body(beacon(one_of_each_kind()).to_string()))
        .await;
    assert_rejected(&server, reply, 403, "origin_not_allowed").await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    let server = start(|_| {}).await;
    let mut body = beacon(one_of_each_kind()).to_string();
    body.truncate(body.len() / 2);
    let reply = server.post(body).await;
    assert!(
        reply.body["message"].as_str().unwrap().contains("line 1"),
        "{}",
        reply.body
    );
    assert_rejected(&server, reply, 400, "malformed_json").await;
}

#[tokio::test]
async fn an_invalid_event_rejects_the_whole_beacon() {
    let server = start(|_| {}).await;
    let mut events = one_of_each_kind();
    events[3]["app"] = json!("not a valid name");
    let reply = server.post(beacon(events).to_string()).await;
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .starts_with("events[3].app"),
        "{}",
        reply.body
    );
    assert_rejected(&server, reply, 400, "invalid_field").await;
}

#[tokio::test]
async fn deep_nesting_is_400() {
    let server = start(|_| {}).await;
    let mut value = json!(1);
    for _ in 0..50 {
        value = json!([value]);
    }
    let mut body = beacon(one_of_each_kind());
    body["extra"] = value;
    let reply = server.post(body.to_string()).await;
    assert_rejected(&server, reply, 400, "too_deep").await;
}

#[tokio::test]
async fn too_many_events_is_400() {
    let server = start(|settings| settings.limits.max_decompressed_bytes = 1 << 20).await;
    let events: Vec<Value> = (0..=canopy_wire::limits::MAX_EVENTS_PER_BEACON)
        .map(|_| one_of_each_kind()[0].clone())
        .collect();
    let body = gzip(beacon(Value::Array(events)).to_string().as_bytes());
    let reply = server
        .send(
            server
                .beacon(&format!("key={KEY}&encoding=gzip"))
                .body(body),
        )
        .await;
    assert_rejected(&server, reply, 400, "too_many_events").await;
}

#[tokio::test]
async fn too_many_apps_is_400_naming_the_limit() {
    let server = start(|settings| settings.limits.max_decompressed_bytes = 1 << 20).await;
    let apps: Vec<Value> = (0..=canopy_wire::limits::MAX_APPS_PER_BEACON)
        .map(|n| json!({"name": format!("app-{n}")}))
        .collect();
    let mut body = beacon(one_of_each_kind());
    body["apps"] = Value::Array(apps);
    let reply = server
        .send(
            server
                .beacon(&format!("key={KEY}&encoding=gzip"))
                .body(gzip(body.to_string().as_bytes())),
        )
        .await;
    let limit = canopy_wire::limits::MAX_APPS_PER_BEACON.to_string();
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap_or("")
            .contains(&limit),
        "{}",
        reply.body
    );
    assert_rejected(&server, reply, 400, "too_many_apps").await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    let server = start(|settings| settings.limits.max_body_bytes = 4 * 1024).await;
    let events: Vec<Value> = (0..100).map(|_| one_of_each_kind()[0].clone()).collect();
    let reply = server.post(beacon(Value::Array(events)).to_string()).await;
    assert_rejected(&server, reply, 413, "body_too_large").await;
}

#[tokio::test]
async fn a_compression_bomb_is_413() {
    let server = start(|_| {}).await;
    let bomb = gzip(&vec![b' '; 32 << 20]);
    assert!(
        bomb.len() < 64 * 1024,
        "the bomb fits the body limit: {} bytes",
        bomb.len()
    );
    let reply = server
        .send(
            server
                .beacon(&format!("key={KEY}&encoding=gzip"))
                .body(bomb),
        )
        .await;
    assert_rejected(&server, reply, 413, "decompressed_too_large").await;
}

#[tokio::test]
async fn corrupt_or_unknown_encodings_are_400() {
    let server = start(|_| {}).await;
    let reply = server
        .send(
            server
                .beacon(&format!("key={KEY}&encoding=gzip"))
                .body("plain text"),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (400, Some("corrupt_encoding"))
    );
    let reply = server
        .send(server.beacon(&format!("key={KEY}&encoding=br")).body("x"))
        .await;
    assert_rejected(&server, reply, 400, "unknown_encoding").await;
}

#[tokio::test]
async fn other_content_types_are_415() {
    let server = start(|_| {}).await;
    let request = server.beacon_with(
        &format!("key={KEY}"),
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    let reply = server.send(request.body("a=1")).await;
    assert_rejected(&server, reply, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_flood_from_one_ip_is_429_with_retry_after() {
    let server = start(|settings| {
        settings.rate_limits.per_ip_per_second = 1;
        settings.rate_limits.per_ip_burst = 3;
    })
    .await;
    let body = beacon(one_of_each_kind()).to_string();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let reply = server.post(body.clone()).await;
        if reply.status == 429 {
            assert_eq!(reply.body["error"], "rate_limited");
            assert!(
                reply.retry_after.is_some_and(|s| (1..=2).contains(&s)),
                "{:?}",
                reply.retry_after
            );
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [202, 202, 202, 429, 429]);
    common::eventually("the three accepted beacons", || async {
        server.total_rows().await == 15
    })
    .await;
}

#[tokio::test]
async fn a_per_key_limit_applies_across_ips() {
    let server = start(|settings| {
        settings.rate_limits.per_key_per_second = 1;
        settings.rate_limits.per_key_burst = 2;
        settings.rate_limits.trust_forwarded_for = true;
    })
    .await;
    let body = beacon(one_of_each_kind()).to_string();
    let mut statuses = Vec::new();
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        let request = server
            .beacon(&format!("key={KEY}"))
            .header("x-forwarded-for", ip)
            .body(body.clone());
        statuses.push(server.send(request).await.status);
    }
    assert_eq!(statuses, [202, 202, 429]);
}

#[tokio::test]
async fn json_beacons_get_a_cors_preflight_answer_for_allowed_origins_only() {
    let server = start(|_| {}).await;
    let preflight = |origin: &'static str| {
        server
            .http
            .request(
                reqwest::Method::OPTIONS,
                server.beacon_url(&format!("key={KEY}")),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(ORIGIN).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], ORIGIN);
    assert!(allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    let subdomain = preflight("http://eu.shop.example").await.unwrap();
    assert_eq!(
        subdomain.headers()["access-control-allow-origin"],
        "http://eu.shop.example"
    );
    let denied = preflight("http://evil.example").await.unwrap();
    assert!(denied
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let server = start(|_| {}).await;
    let get = |path: &str| server.http.get(format!("{}{path}", server.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    let ready = get("/readyz").await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = serde_json::from_str(&ready.text().await.unwrap()).unwrap();
    assert_eq!(ready["clickhouse"], "ok");

    server.post(beacon(one_of_each_kind()).to_string()).await;
    server.send(server.beacon("key=wrong").body("{}")).await;
    common::eventually("the beacon stored", || async {
        server.total_rows().await == 5
    })
    .await;
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    for expected in [
        "canopy_beacons_accepted_total",
        "canopy_beacons_rejected_total{reason=\"unknown_key\"}",
        "canopy_insert_batches_total",
        "canopy_insert_seconds_bucket",
        "canopy_beacon_ack_seconds_bucket",
        "canopy_spool_bytes",
    ] {
        assert!(metrics.contains(expected), "no {expected} in\n{metrics}");
    }
}

#[tokio::test]
async fn migrations_run_once_and_are_idempotent() {
    use ingest_server::store::schema::{migrate, Layout};
    let server = clickhouse::Client::default().with_url(common::clickhouse_url());
    let database = common::unique_database();
    assert_eq!(
        migrate(&server, &database, &Layout::SingleNode)
            .await
            .unwrap(),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
    assert_eq!(
        migrate(&server, &database, &Layout::SingleNode)
            .await
            .unwrap(),
        Vec::<u32>::new()
    );
}

#[tokio::test]
async fn a_huge_drop_count_saturates_the_counter_instead_of_wrapping() {
    let server = start(|_| {}).await;
    for dropped in [u64::MAX, 5] {
        let mut body = beacon(one_of_each_kind());
        body["dropped"] = json!(dropped);
        let reply = server.post(body.to_string()).await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    let metrics = server.metrics().await;
    let total = metrics
        .lines()
        .find_map(|line| line.strip_prefix("canopy_agent_dropped_events_total "))
        .unwrap_or_else(|| panic!("no drop counter in\n{metrics}"));
    assert_eq!(total, u64::MAX.to_string());
}
