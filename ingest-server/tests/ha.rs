//! Highly available evaluation with real processes: three ingest servers and
//! two evaluators (the built binary) share one ClickHouse; a recording
//! webhook receiver counts notifications, grouped per app by the route tree
//! (whose groups a new holder starts afresh). In steady state each transition
//! is notified once; after a kill -9 of the lease holder under breach the
//! other evaluator takes over within three intervals of the kill, counted
//! on ClickHouse's clock from the lease expiry it can see, and no
//! transition is lost, at most one told twice.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::processes::ServerProcess;
use common::receivers::{recording_receiver, Requests};
use common::{clickhouse_url, eventually, post_view, unique_database, TestServer};
use serde_json::{json, Value};

const INTERVAL: Duration = Duration::from_secs(1);
/// The default lease: two intervals.
const LEASE: Duration = Duration::from_secs(2);

fn evaluator_config(id: &str, hook: &str) -> String {
    format!(
        r#"
[alerting]
role = "evaluator"
interval = "1s"
instance_id = "{id}"
default_rules = false
[[alerting.channels]]
name = "hook"
kind = "webhook"
url = "{hook}"
[[alerting.rules]]
name = "availability"
app = "all"
metric = "availability"
operator = "lt"
threshold = 0.9
resolve_threshold = 0.95
window = "10s"
for = "0s"
min_samples = 3
severity = "critical"
[alerting.route]
receiver = "hook"
group_by = ["app"]
group_wait = "1s"
group_interval = "1s"
repeat_interval = "1h"
"#
    )
}

/// A page view of `app` whose mount fails or succeeds.
fn view(app: &str, id: u64, fails: bool) -> String {
    let at = 1_800_000_000_000.0_f64;
    let outcome = if fails { "failed" } else { "mounted" };
    json!({"schema": 1, "session_id": format!("s{id}"), "view_id": format!("v{id}"), "page_url": "http://shop.example/",
           "sent_at": at, "apps": [{"name": app, "version": "1.0.0"}],
           "events": [
               {"app": app, "at": at, "kind": "app", "phase": "registered"},
               {"app": app, "at": at, "kind": "app", "phase": outcome},
           ]})
    .to_string()
}

/// Sends views through the three ingest servers in turn.
struct Traffic {
    http: reqwest::Client,
    ingest: Vec<String>,
    next_id: u64,
}

impl Traffic {
    async fn send(&mut self, app: &str, views: u64, fails: bool) {
        for _ in 0..views {
            self.next_id += 1;
            let base = &self.ingest[self.next_id as usize % self.ingest.len()];
            post_view(&self.http, base, view(app, self.next_id, fails)).await;
        }
    }
}

/// Every notification told, as (app, status, alert id) → how many times.
fn told(requests: &Requests) -> BTreeMap<(String, String, String), usize> {
    let mut counts = BTreeMap::new();
    for (_, body) in requests.lock().unwrap().iter() {
        for alert in body["alerts"].as_array().into_iter().flatten() {
            let status = alert["status"].as_str().or(body["status"].as_str());
            let key = (
                alert["labels"]["app"].as_str().unwrap_or("?").to_owned(),
                status.unwrap_or("?").to_owned(),
                alert["annotations"]["alert_id"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned(),
            );
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}

fn times_told(requests: &Requests, app: &str, status: &str) -> usize {
    told(requests)
        .iter()
        .filter(|((a, s, _), _)| a == app && s == status)
        .map(|(_, n)| n)
        .sum()
}

/// Keeps `app`'s views coming (failing or not) until `app` is told `status`.
async fn drive_until_told(
    traffic: &mut Traffic,
    requests: &Requests,
    app: &str,
    fails: bool,
    status: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while times_told(requests, app, status) == 0 {
        assert!(
            Instant::now() < deadline,
            "{app} not told {status} within 90 s: {:?}",
            told(requests)
        );
        traffic.send(app, 3, fails).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn lease(server: &TestServer) -> Value {
    common::get(server, "/api/health/evaluator").await
}

/// ClickHouse's clock (epoch ms), which the lease is judged by.
async fn clickhouse_now(clickhouse: &clickhouse::Client) -> i64 {
    clickhouse
        .query("SELECT toUnixTimestamp64Milli(now64(3))")
        .fetch_one()
        .await
        .unwrap()
}

/// Waits for `looks` more rows in the lease table: the holder writes one
/// per check period (a quarter interval), evaluating all the while.
async fn wait_for_looks(clickhouse: &clickhouse::Client, looks: u64, what: &str) {
    let so_far = common::count(clickhouse, "evaluator_lease").await;
    eventually(what, || async {
        common::count(clickhouse, "evaluator_lease").await >= so_far + looks
    })
    .await;
}

async fn start_in(dir: &Path, database: &str, extra: &str) -> ServerProcess {
    ServerProcess::start(dir, &clickhouse_url(), database, extra).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_evaluators_notifies_and_the_other_takes_over_after_kill_9() {
    let (receiver, requests) = recording_receiver().await;
    let hook = format!("http://{receiver}/hook");
    let database = unique_database();
    let dirs: Vec<_> = (0..5).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut ingest = Vec::new();
    for dir in &dirs[..3] {
        ingest.push(start_in(dir.path(), &database, "[alerting]\nrole = \"ingest\"").await);
    }
    let mut evaluators = BTreeMap::new();
    for (id, dir) in ["eval-a", "eval-b"].into_iter().zip(&dirs[3..]) {
        let evaluator = start_in(dir.path(), &database, &evaluator_config(id, &hook)).await;
        evaluators.insert(id.to_owned(), evaluator);
    }
    let http = reqwest::Client::new();
    let any_server = TestServer::at(ingest[0].base(), &database);
    let mut traffic = Traffic {
        http: http.clone(),
        ingest: ingest.iter().map(ServerProcess::base).collect(),
        next_id: 0,
    };

    // One of them holds the lease, as any server reports.
    eventually("an evaluator to hold the lease", || async {
        lease(&any_server).await["status"] == "held"
    })
    .await;

    // Steady state: cart fails, then recovers; each told once.
    drive_until_told(&mut traffic, &requests, "cart", true, "firing").await;
    drive_until_told(&mut traffic, &requests, "cart", false, "resolved").await;
    // search fails and is told firing: the breach the kill happens under.
    drive_until_told(&mut traffic, &requests, "search", true, "firing").await;
    // Room for a second evaluator's copy to show up, were there one: three
    // more intervals of evaluation (twelve renewals, one per check period)
    // with search still failing.
    traffic.send("search", 3, true).await;
    let clickhouse = clickhouse::Client::default()
        .with_url(clickhouse_url())
        .with_database(&database);
    wait_for_looks(&clickhouse, 12, "three more intervals of evaluation").await;
    let steady = told(&requests);
    assert!(
        steady.values().all(|n| *n == 1) && steady.len() == 3,
        "each transition once in steady state: {steady:?}"
    );

    // kill -9 the holder while search fails.
    let before = lease(&any_server).await;
    let (holder, term) = (
        before["lease"]["holder"].as_str().unwrap().to_owned(),
        before["lease"]["term"].as_u64().unwrap(),
    );
    // The kill happens between these two readings of ClickHouse's clock:
    // the takeover is counted from the first (never shorter than it was),
    // the dead holder's last renewal is no later than the second.
    let killing_at = clickhouse_now(&clickhouse).await;
    evaluators.get_mut(&holder).unwrap().kill_9();
    let killed_at = clickhouse_now(&clickhouse).await;
    // Under the kill: search recovers and catalog starts failing; both are
    // the new holder's to tell.
    traffic.send("catalog", 3, true).await;
    eventually("the other evaluator to hold the lease", || async {
        let now = lease(&any_server).await;
        now["status"] == "held" && now["lease"]["holder"] != holder.as_str()
    })
    .await;

    // Takeover, on ClickHouse's clock: the dead holder's lease ends within a
    // lease of the kill; the other claims after that expiry and confirms
    // its claim one look later (its second row in the term).
    let expired_at: i64 = clickhouse
        .query("SELECT toUnixTimestamp64Milli(max(expires_at)) FROM evaluator_lease WHERE term = ? AND holder = ?")
        .bind(term)
        .bind(&holder)
        .fetch_one()
        .await
        .unwrap();
    let first_rows = || async {
        let rows: Vec<(u64, String, i64)> = clickhouse
            .query("SELECT term, holder, toUnixTimestamp64Milli(written_at) AS at FROM evaluator_lease WHERE term > ? ORDER BY written_at LIMIT 2")
            .bind(term)
            .fetch_all()
            .await
            .unwrap();
        rows
    };
    eventually("the claim to be confirmed", || async {
        first_rows().await.len() == 2
    })
    .await;
    let rows = first_rows().await;
    let (claimed_at, confirmed_at) = (rows[0].2, rows[1].2);
    assert!(
        rows.iter().all(|(t, h, _)| *t == term + 1 && *h != holder),
        "{rows:?}"
    );
    let ms = |d: Duration| d.as_millis() as i64;
    eprintln!(
        "kill → expiry {} ms, expiry → claim {} ms, claim → confirmed {} ms, kill → takeover {} ms",
        expired_at - killed_at,
        claimed_at - expired_at,
        confirmed_at - claimed_at,
        confirmed_at - killing_at
    );
    assert!(
        expired_at - killed_at <= ms(LEASE),
        "the dead holder's lease outlived the kill by more than a lease"
    );
    assert!(
        claimed_at >= expired_at,
        "claimed before the holder's lease ran out"
    );
    assert!(
        confirmed_at - expired_at <= ms(INTERVAL),
        "took {} ms after the expiry to take over (a check period is {} ms)",
        confirmed_at - expired_at,
        ms(INTERVAL / 4)
    );
    assert!(
        confirmed_at - killing_at <= 3 * ms(INTERVAL),
        "took over {} ms after the kill",
        confirmed_at - killing_at
    );

    // Nothing lost: the new holder tells search resolved and catalog firing.
    drive_until_told(&mut traffic, &requests, "catalog", true, "firing").await;
    drive_until_told(&mut traffic, &requests, "search", false, "resolved").await;
    let after = told(&requests);
    let twice: Vec<_> = after.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        after.values().all(|n| *n <= 2) && twice.len() <= 1,
        "at most one transition told twice: {after:?}"
    );
    for (app, status) in [
        ("cart", "firing"),
        ("cart", "resolved"),
        ("search", "firing"),
        ("search", "resolved"),
        ("catalog", "firing"),
    ] {
        assert!(
            times_told(&requests, app, status) >= 1,
            "{app} {status} lost: {after:?}"
        );
    }
    assert_eq!(after.len(), 5, "no other notifications: {after:?}");
    assert!(
        requests
            .lock()
            .unwrap()
            .iter()
            .all(|(_, body)| body["groupKey"].is_string()),
        "every notification came through the route's groups"
    );
}

/// An alert of `app` as a dead holder decided it, firing since `at`.
fn decided_alert(app: &str, at: i64) -> ingest_server::model::alert::Alert {
    use ingest_server::model::alert::{Alert, Status};
    Alert {
        id: format!("fp-{app}-{at}"),
        fingerprint: format!("fp-{app}"),
        rule: "availability".into(),
        app: app.into(),
        metric: "availability".into(),
        severity: ingest_server::model::rule::Severity::Critical,
        status: Status::Firing,
        value: 0.2,
        threshold: 0.9,
        pending_since: at,
        firing_since: Some(at),
        resolved_at: None,
        acknowledged: false,
        silenced: false,
        last_notified: Some(at),
        caused_by: None,
        inhibited: false,
        updated_at: at,
        versions: None,
        silenced_by: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_holder_sends_what_its_predecessor_decided_and_did_not_settle() {
    let (receiver, requests) = recording_receiver().await;
    let database = unique_database();
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    // An ingest server creates the schema; the outbox is then left as a
    // holder killed mid-way leaves it: cart's firing decided, not settled;
    // search's decided and settled (delivered before the kill).
    let _ingest = start_in(dirs[0].path(), &database, "[alerting]\nrole = \"ingest\"").await;
    let clickhouse = clickhouse::Client::default()
        .with_url(clickhouse_url())
        .with_database(&database);
    let at = clickhouse_now(&clickhouse).await - 5000;
    for (app, settled) in [("cart", &[0][..]), ("search", &[0, 1][..])] {
        let alert = decided_alert(app, at);
        for mark in settled {
            clickhouse
                .query("INSERT INTO alert_notices (alert_id, notice, decided_at, term, rule, alert, settled) \
                        SELECT ?, 'firing', fromUnixTimestamp64Milli(?), 7, 'availability', ?, ?")
                .bind(&alert.id)
                .bind(at)
                .bind(serde_json::to_string(&alert).unwrap())
                .bind(*mark)
                .execute()
                .await
                .unwrap();
        }
    }

    let hook = format!("http://{receiver}/hook");
    let _evaluator = start_in(
        dirs[1].path(),
        &database,
        &evaluator_config("eval-new", &hook),
    )
    .await;
    eventually("the unsettled notice to be sent", || async {
        times_told(&requests, "cart", "firing") > 0
    })
    .await;
    // Settled once delivered: the outbox says so, and nothing more is sent.
    let unsettled = || async {
        let n: u64 = clickhouse
            .query("SELECT count() FROM (SELECT alert_id FROM alert_notices GROUP BY alert_id, notice, decided_at HAVING max(settled) = 0)")
            .fetch_one()
            .await
            .unwrap();
        n
    };
    eventually("the notice to be marked settled", || async {
        unsettled().await == 0
    })
    .await;
    // Room for a second copy: the holder goes on for two more intervals
    // (eight more renewals of its lease, one per check period).
    wait_for_looks(&clickhouse, 8, "two more intervals of the holder").await;
    let sent = told(&requests);
    assert_eq!(
        sent.into_iter().collect::<Vec<_>>(),
        [(
            (
                "cart".to_owned(),
                "firing".to_owned(),
                format!("fp-cart-{at}")
            ),
            1
        )],
        "the unsettled notice once, as decided; the settled one not again"
    );
}
