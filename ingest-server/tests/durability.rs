//! Every acknowledged beacon is stored exactly once: through a ClickHouse
//! outage, through `kill -9` of the server, and up to the log's disk quota
//! (past which beacons are refused, not lost).

mod common;

use std::time::Duration;

use common::processes::{assert_stored_exactly_once, EmbeddedClickHouse, Load, ServerProcess};
use common::unique_database;

/// Long enough for several failed insert retries and a growing log.
const OUTAGE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clickhouse_outage_under_load_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut clickhouse = EmbeddedClickHouse::start(&dir.path().join("clickhouse")).await;
    let database = unique_database();
    let server = ServerProcess::start(dir.path(), &clickhouse.url(), &database, "").await;
    let load = Load::start(server.base(), 100);

    load.wait_for_more(200).await;
    clickhouse.stop();
    // At least OUTAGE long, and until 1,000 beacons were acknowledged
    // without ClickHouse (the log takes them; a stalled server fails here).
    let outage = tokio::time::sleep(OUTAGE);
    load.wait_for_more(1_000).await;
    outage.await;
    clickhouse.resume().await;
    load.wait_for_more(200).await;
    let report = load.stop().await;

    let acknowledged = report.acknowledged.lock().unwrap().clone();
    assert_stored_exactly_once(&clickhouse.url(), &database, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_server_under_load_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clickhouse = EmbeddedClickHouse::start(&dir.path().join("clickhouse")).await;
    let database = unique_database();
    let mut server = ServerProcess::start(dir.path(), &clickhouse.url(), &database, "").await;
    let load = Load::start(server.base(), 200);

    // Each kill comes after 200 more acknowledgements, so it lands while
    // acknowledged beacons are still in the log, however busy the machine.
    for _ in 0..3 {
        load.wait_for_more(200).await;
        server.kill_9();
        server.resume().await;
    }
    load.wait_for_more(200).await;
    let report = load.stop().await;

    let acknowledged = report.acknowledged.lock().unwrap().clone();
    assert_stored_exactly_once(&clickhouse.url(), &database, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_log_refuses_with_503_and_keeps_what_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut clickhouse = EmbeddedClickHouse::start(&dir.path().join("clickhouse")).await;
    let database = unique_database();
    let quota = "max_disk_bytes = 65536\nsegment_bytes = 8192";
    let server = ServerProcess::start(dir.path(), &clickhouse.url(), &database, quota).await;

    clickhouse.stop();
    let load = Load::start(server.base(), 200);
    common::eventually("the log to reach its quota", || async {
        load.report.statuses.lock().unwrap().contains(&503)
    })
    .await;
    let report = load.stop().await;
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/beacon?key={}", server.base(), common::KEY))
        .body(common::processes::load_beacon(0).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(refused.headers()["retry-after"], "5");
    assert!(refused.text().await.unwrap().contains("\"spool_full\""));
    assert!(report
        .statuses
        .lock()
        .unwrap()
        .iter()
        .all(|status| *status == 503));

    clickhouse.resume().await;
    let acknowledged = report.acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "{} acknowledged before the quota",
        acknowledged.len()
    );
    assert_stored_exactly_once(&clickhouse.url(), &database, &acknowledged).await;
}
