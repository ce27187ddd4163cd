//! A beacon's id makes it idempotent: a body sent again (its first answer
//! lost) is stored once — also after a restart, a `kill -9`, and when the
//! attempts race. Beacons without an id are stored each time.

mod common;

use std::path::Path;

use common::processes::ServerProcess;
use common::{beacon, clickhouse_url, count, TestServer};
use serde_json::json;

const ID: &str = "0123456789abcdef0123456789abcdef";

/// One vital in a view of its own, so its rows can be counted apart.
fn body(view: &str, id: Option<&str>) -> String {
    let at = 1_799_999_999_000.0_f64;
    let mut body =
        beacon(json!([{"app": "shell", "at": at, "kind": "vital", "name": "lcp", "value": 900}]));
    body["view_id"] = json!(view);
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    body.to_string()
}

async fn stored(clickhouse: &clickhouse::Client, view: &str) -> u64 {
    count(clickhouse, &format!("vitals WHERE view_id = '{view}'")).await
}

#[tokio::test]
async fn a_body_sent_twice_is_stored_once_and_answered_alike() {
    let server = common::start(|_| {}).await;
    let duplicates_before = duplicates(&server).await;
    let first = server.post(body("twice", Some(ID))).await;
    let second = server.post(body("twice", Some(ID))).await;
    assert_eq!((first.status, second.status), (202, 202));
    assert_eq!(first.body, json!({"accepted": 1}));
    assert_eq!(second.body, first.body);
    server.barrier().await;
    assert_eq!(stored(&server.clickhouse, "twice").await, 1);
    // At least this one (the recorder is shared by the tests of this file).
    assert!(duplicates(&server).await > duplicates_before);
}

/// `canopy_beacons_duplicate_total` (0 before the first).
async fn duplicates(server: &TestServer) -> f64 {
    let metrics = server.metrics().await;
    let line = metrics
        .lines()
        .find(|line| line.starts_with("canopy_beacons_duplicate_total "));
    line.map_or(0.0, |line| line.split(' ').nth(1).unwrap().parse().unwrap())
}

#[tokio::test]
async fn other_ids_and_bodies_without_an_id_are_each_stored() {
    let server = common::start(|_| {}).await;
    let other = ID.replace('0', "f");
    for id in [Some(ID), Some(other.as_str()), None, None] {
        assert_eq!(server.post(body("each", id)).await.status, 202);
    }
    server.barrier().await;
    assert_eq!(stored(&server.clickhouse, "each").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_racing_each_other_are_stored_once() {
    let server = common::start(|_| {}).await;
    let attempts = (0..16).map(|_| server.post(body("racing", Some(ID))));
    let replies = futures_util::future::join_all(attempts).await;
    assert!(replies.iter().all(|reply| reply.status == 202));
    assert!(replies
        .iter()
        .all(|reply| reply.body == json!({"accepted": 1})));
    server.barrier().await;
    assert_eq!(stored(&server.clickhouse, "racing").await, 1);
}

#[tokio::test]
async fn a_malformed_id_is_refused() {
    let server = common::start(|_| {}).await;
    for id in [
        "short",
        "0123456789abcdef 0123456789abcdef",
        &"a".repeat(65),
    ] {
        let reply = server.post(body("malformed", Some(id))).await;
        assert_eq!(reply.status, 400, "{id}");
        assert_eq!(reply.body["error"], "invalid_beacon_id", "{}", reply.body);
    }
    let not_text = body("malformed", None).replace(r#""schema":1"#, r#""schema":1,"id":7"#);
    assert_eq!(server.post(not_text).await.status, 400);
}

/// The in-process server on `spool`, storing into `database`.
async fn start_on(spool: &Path, database: &str) -> (ingest_server::Running, TestServer) {
    let mut settings = common::settings(&clickhouse_url(), spool.to_owned());
    settings.clickhouse.database = database.to_owned();
    // Small segments: the one holding the first beacon is deleted once
    // stored, so after the restart only ClickHouse knows its id.
    settings.spool.segment_bytes = 4096;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = ingest_server::start(settings, listener).await.unwrap();
    let server = TestServer::at(format!("http://{}", running.addr), database);
    (running, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_restart_is_stored_once() {
    let spool = tempfile::tempdir().unwrap();
    let database = common::unique_database();
    let (running, server) = start_on(spool.path(), &database).await;
    assert_eq!(server.post(body("restart", Some(ID))).await.status, 202);
    for view in 0..20 {
        let filler = body(&format!("filler-{view}"), None);
        assert_eq!(server.post(filler).await.status, 202);
    }
    server.barrier().await;
    running.shutdown().await.unwrap();

    let (_running, server) = start_on(spool.path(), &database).await;
    let retry = server.post(body("restart", Some(ID))).await;
    assert_eq!((retry.status, &retry.body), (202, &json!({"accepted": 1})));
    server.barrier().await;
    assert_eq!(stored(&server.clickhouse, "restart").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_kill_9_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::unique_database();
    let mut process = ServerProcess::start(dir.path(), &clickhouse_url(), &database, "").await;
    let server = TestServer::at(process.base(), &database);
    assert_eq!(server.post(body("killed", Some(ID))).await.status, 202);
    process.kill_9();
    process.resume().await;
    let retry = server.post(body("killed", Some(ID))).await;
    assert_eq!((retry.status, &retry.body), (202, &json!({"accepted": 1})));
    server.barrier().await;
    assert_eq!(stored(&server.clickhouse, "killed").await, 1);
}
