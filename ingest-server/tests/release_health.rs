//! Release health on a real ClickHouse: versions side by side from the
//! release rollups (migration 12), regression rules comparing an app's
//! newest version with the previous one, and noise control on receipt
//! (ignore rules, muted "Script error.").
//!
//! Needs `CLICKHOUSE_URL`.

mod common;

use common::receivers::{paths_starting, recording_receiver, Requests};
use common::{beacon, eventually, get, TestServer};
use ingest_server::config::{AlertingConfig, Settings};
use serde_json::{json, Value};

/// The beacons' `sent_at`: events `ago` ms before it are dated that long before receipt.
const SENT_AT: f64 = 1_800_000_000_000.0;

/// One page view of cart at `version`, `ago` ms before receipt: registered,
/// an LCP, and an uncaught error if `fails`.
fn view(version: &str, id: &str, ago: f64, lcp: f64, fails: bool) -> String {
    let at = SENT_AT - ago;
    let mut events = vec![
        json!({"app": "cart", "at": at, "kind": "app", "phase": "registered"}),
        json!({"app": "cart", "at": at, "kind": "vital", "name": "lcp", "value": lcp}),
    ];
    if fails {
        events.push(json!({"app": "cart", "at": at, "kind": "error", "source": "error", "error_type": "TypeError",
            "message": format!("checkout broke in {version}"), "stack": "at pay (http://shop.example/cart.js:1:2)"}));
    }
    let mut body = beacon(json!(events));
    body["view_id"] = json!(id);
    body["session_id"] = json!(format!("s-{id}"));
    body["apps"] = json!([{"name": "cart", "version": version}]);
    body.to_string()
}

/// 1.0.0 first seen a minute ago, 20 views, 1 with an error (5 %); 1.1.0
/// seen now, 20 views, 10 with an error (50 %), slower LCP. Waits until the
/// release rollups hold them all.
async fn send_two_releases(server: &TestServer) {
    for i in 0..20 {
        let id = format!("old-{i}");
        let reply = server
            .post(view("1.0.0", &id, 60_000.0, 1000.0, i == 0))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    for i in 0..20 {
        let id = format!("new-{i}");
        let reply = server
            .post(view("1.1.0", &id, 0.0, 3000.0, i % 2 == 0))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    let stored =
        "SELECT app_version, uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, \
                  (SELECT sum(samples) FROM rollup_release_vitals_hour) AS vitals \
                  FROM rollup_release_hour GROUP BY app_version ORDER BY app_version";
    let expected = [
        json!({"app_version": "1.0.0", "views": 20, "error_views": 1, "vitals": 40}),
        json!({"app_version": "1.1.0", "views": 20, "error_views": 10, "vitals": 40}),
    ];
    eventually("both releases in the rollups", || async {
        common::json_rows(&server.clickhouse, stored).await == expected
    })
    .await;
}

#[tokio::test]
async fn versions_side_by_side_newest_first() {
    let server = common::start(|_| {}).await;
    send_two_releases(&server).await;
    // API summaries come from agents of issue 16: written here as they are stored.
    let insert = "INSERT INTO api_summaries (received_at, at, app, app_version, session_id, view_id, calls, failed, duration) \
                  VALUES (now64(3), now64(3), 'cart', '1.1.0', 's', 'new-1', 8, 2, 400), \
                         (now64(3), now64(3), 'cart', '1.0.0', 's', 'old-1', 10, 0, 300)";
    server.clickhouse.query(insert).execute().await.unwrap();

    let answer = get(&server, "/api/dashboard/apps/cart/versions").await;
    assert_eq!(answer["app"], "cart");
    assert_eq!(
        answer["to"].as_u64().unwrap() % 3600,
        0,
        "whole hours: {answer}"
    );
    assert_eq!(answer["bucket"], 3600);
    let versions = answer["versions"].as_array().unwrap();
    let names: Vec<_> = versions
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1.1.0", "1.0.0"], "{answer}");
    let (new, old) = (&versions[0], &versions[1]);
    assert_eq!(new["views"], 20);
    assert_eq!(new["error_rate"], 0.5);
    assert_eq!(new["availability"], 1.0);
    assert_eq!(
        (new["api_calls"].clone(), new["api_failures"].clone()),
        (json!(8), json!(2))
    );
    assert_eq!(new["api_error_rate"], 0.25);
    assert_eq!(new["vitals"]["lcp"], 3000.0);
    assert_eq!(new["vitals"]["inp"], Value::Null);
    assert_eq!(old["error_rate"], 0.05);
    assert_eq!(old["api_error_rate"], 0.0);
    assert_eq!(old["vitals"]["lcp"], 1000.0);
    assert!(
        old["first_seen"].as_i64().unwrap() + 50_000 < new["first_seen"].as_i64().unwrap(),
        "1.0.0 was first seen a minute before 1.1.0: {answer}"
    );
    let adopted: u64 = new["adoption"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["views"].as_u64().unwrap())
        .sum();
    assert_eq!(adopted, 20);
    let at = new["adoption"][0]["at"].as_u64().unwrap();
    assert!(at % 3600 == 0 && at >= answer["from"].as_u64().unwrap());

    // The alert metric over every version: (2 + 0) failed ÷ (8 + 10) calls.
    let metrics = get(&server, "/api/apps/cart/metrics?window=1h").await;
    let api = &metrics["metrics"]["api_error_rate"];
    assert_eq!(api["samples"], 18, "{metrics}");
    assert!((api["value"].as_f64().unwrap() - 2.0 / 18.0).abs() < 1e-12);

    let none = get(&server, "/api/dashboard/apps/catalog/versions").await;
    assert_eq!(none["versions"], json!([]));
}

/// Alerting every second to a recording webhook, with `rules` (TOML).
fn alerting(hook: &str, rules: &str) -> AlertingConfig {
    toml::from_str(&format!(
        "interval = \"1s\"\ndefault_rules = false\n\
         [[channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{hook}\"\n{rules}"
    ))
    .unwrap()
}

const REGRESSION: &str = "[[rules]]\nname = \"cart-regression\"\napp = \"cart\"\nmetric = \"error_rate\"\n\
     compare = \"previous_version\"\nratio = 2.0\nfloor = 0.1\nwindow = \"10m\"\nseverity = \"critical\"\nchannels = [\"hook\"]\n";

/// The notices the webhook got for `rule`.
fn notices(requests: &Requests, rule: &str) -> Vec<Value> {
    paths_starting(requests, "/hook")
        .into_iter()
        .map(|(_, body)| body["alerts"][0].clone())
        .filter(|alert| alert["labels"]["alertname"] == rule)
        .collect()
}

#[tokio::test]
async fn a_worse_newest_version_fires_naming_both_versions() {
    let (receiver, requests) = recording_receiver().await;
    let hook = format!("http://{receiver}/hook");
    let rules = format!("{REGRESSION}min_samples = 20\n");
    let server = common::start(|s| s.alerting = alerting(&hook, &rules)).await;
    send_two_releases(&server).await;

    eventually("the regression alert to fire", || async {
        !notices(&requests, "cart-regression").is_empty()
    })
    .await;
    let alert = &notices(&requests, "cart-regression")[0];
    assert_eq!(alert["status"], "firing");
    let annotations = &alert["annotations"];
    assert_eq!(annotations["newest_version"], "1.1.0", "{alert}");
    assert_eq!(annotations["previous_version"], "1.0.0");
    let summary = annotations["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("[FIRING] critical: cart-regression on cart — error_rate = ")
            && summary.contains(" % on 1.1.0 vs ")
            && summary.contains(" % on 1.0.0 (threshold: ≥ "),
        "{summary}"
    );
    // The alert follows the data as the evaluator sees the rest of it.
    eventually("the alert to show every view", || async {
        let listed = get(&server, "/api/alerts?app=cart").await;
        let alert = &listed["alerts"][0];
        alert["value"] == 0.5
            && alert["threshold"] == 0.1
            && alert["versions"]
                == json!({"newest": "1.1.0", "previous": "1.0.0", "previous_value": 0.05})
    })
    .await;
}

#[tokio::test]
async fn too_few_samples_per_version_stay_quiet() {
    let (receiver, requests) = recording_receiver().await;
    let hook = format!("http://{receiver}/hook");
    // A threshold rule on the same data: once it has fired, the regression
    // rule has been judged on that data too (rules run in order each tick).
    let control = "[[rules]]\nname = \"cart-errors\"\napp = \"cart\"\nmetric = \"error_rate\"\noperator = \"gt\"\n\
                   threshold = 0.2\nmin_samples = 40\nseverity = \"critical\"\nchannels = [\"hook\"]\n";
    let rules = format!("{REGRESSION}min_samples = 21\n{control}");
    let server = common::start(|s| s.alerting = alerting(&hook, &rules)).await;
    send_two_releases(&server).await;

    eventually("the control rule to fire", || async {
        !notices(&requests, "cart-errors").is_empty()
    })
    .await;
    assert!(notices(&requests, "cart-regression").is_empty());
    let listed = get(&server, "/api/alerts?app=cart").await;
    let rules: Vec<_> = listed["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule"].clone())
        .collect();
    assert_eq!(rules, [json!("cart-errors")]);
}

#[tokio::test]
async fn ignored_errors_are_counted_not_stored_and_script_errors_are_muted() {
    let ignore = "[[ignore]]\nmessage = \"^ResizeObserver loop\"\n\
                  [[ignore]]\napp = \"cart\"\nscript_url = \"^chrome-extension://\"";
    let ignore = toml::from_str::<Settings>(ignore).unwrap().ignore;
    let server = common::start(|s| s.ignore = ignore).await;
    let at = SENT_AT - 1000.0;
    let error = |app: &str, message: &str, url: &str| {
        json!({"app": app, "at": at, "kind": "error", "source": "error", "error_type": "Error",
               "message": message, "url": url})
    };
    let reply = server
        .post(
            beacon(json!([
                error("cart", "ResizeObserver loop limit exceeded", ""),
                error("cart", "boom", "chrome-extension://abc/inject.js"),
                error("catalog", "boom", "chrome-extension://abc/inject.js"),
                error("cart", "Script error.", ""),
                {"app": "cart", "at": at, "kind": "error", "source": "muted", "error_type": "", "message": "Script error."},
                {"app": "cart", "at": at, "kind": "app", "phase": "registered"},
            ]))
            .to_string(),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(
        reply.body["accepted"], 4,
        "the two ignored errors are not stored"
    );
    server.barrier().await;

    let rows = common::json_rows(
        &server.clickhouse,
        "SELECT app, source, message FROM errors WHERE view_id = 'view-1' AND message != 'Checkout failed' ORDER BY app, source",
    )
    .await;
    assert_eq!(
        rows,
        [
            json!({"app": "cart", "source": "muted", "message": "Script error."}),
            json!({"app": "cart", "source": "muted", "message": "Script error."}),
            json!({"app": "catalog", "source": "error", "message": "boom"}),
        ]
    );
    assert!(
        server
            .metrics()
            .await
            .contains("canopy_errors_ignored_total 2"),
        "ignored errors are counted"
    );
    let overview = get(&server, "/api/dashboard/overview").await;
    let cart = overview["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == "cart")
        .unwrap();
    assert_eq!(cart["muted_errors"], 2, "{cart}");
    let groups = get(&server, "/api/dashboard/apps/cart/errors").await;
    let messages: Vec<_> = groups["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["message"].clone())
        .collect();
    assert_eq!(
        messages,
        [json!("Checkout failed")],
        "muted errors are never grouped"
    );
}

#[tokio::test]
async fn migration_12_backfills_from_the_raw_rows() {
    use ingest_server::store::schema::{migrate, Layout};
    let server = clickhouse::Client::default().with_url(common::clickhouse_url());
    let database = common::unique_database();
    migrate(&server, &database, &Layout::SingleNode)
        .await
        .unwrap();
    let client = server.clone().with_database(&database);
    // Back to before migration 12, with events its views never saw.
    for statement in [
        "DROP VIEW rollup_release_hour_views",
        "DROP VIEW rollup_release_hour_failed",
        "DROP VIEW rollup_release_hour_errors",
        "DROP VIEW rollup_release_hour_api",
        "DROP VIEW rollup_release_vitals_hour_mv",
        "DROP TABLE rollup_release_hour",
        "DROP TABLE rollup_release_vitals_hour",
        "ALTER TABLE schema_migrations DELETE WHERE version = 12 SETTINGS mutations_sync = 2",
        "INSERT INTO app_events (at, app, app_version, view_id, phase) VALUES \
         (now64(3) - 7200, 'cart', '1.0.0', 'a', 'registered'), (now64(3), 'cart', '1.0.0', 'b', 'registered'), \
         (now64(3), 'cart', '1.0.0', 'b', 'failed')",
        "INSERT INTO errors (at, app, app_version, view_id, source, message) VALUES \
         (now64(3), 'cart', '1.0.0', 'b', 'error', 'boom')",
        "INSERT INTO api_summaries (at, app, app_version, view_id, calls, failed) VALUES \
         (now64(3), 'cart', '1.0.0', 'b', 4, 1)",
        "INSERT INTO vitals (at, app, app_version, view_id, name, value) VALUES \
         (now64(3), 'cart', '1.0.0', 'b', 'lcp', 1200)",
    ] {
        client.query(statement).execute().await.unwrap();
    }
    assert_eq!(
        migrate(&server, &database, &Layout::SingleNode)
            .await
            .unwrap(),
        [12]
    );
    let totals = "SELECT uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, \
                  uniqMerge(failed_views) AS failed_views, sum(api_calls) AS calls, \
                  sum(api_failures) AS failures, count() > 1 AS hours, \
                  min(first_seen) < now64(3) - 3600 AS first_seen_early, \
                  (SELECT sum(samples) FROM rollup_release_vitals_hour) AS vitals \
                  FROM rollup_release_hour WHERE app = 'cart' AND app_version = '1.0.0'";
    assert_eq!(
        common::json_rows(&client, totals).await,
        [
            json!({"views": 2, "error_views": 1, "failed_views": 1, "calls": 4, "failures": 1,
                "hours": 1, "first_seen_early": 1, "vitals": 1})
        ]
    );
}
