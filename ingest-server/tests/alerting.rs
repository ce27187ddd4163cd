//! Alerting end to end on a real ClickHouse: two ingest servers and one
//! evaluator share a database; a webhook receiver started here must get each
//! transition exactly once, and the API must show and change the alert.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use common::{clickhouse_url, eventually, post_view, serve, unique_database, KEY};
use ingest_server::config::{Role, Settings};
use serde_json::{json, Value};

type Received = Arc<Mutex<Vec<Value>>>;

/// GETs a URL and reads its JSON body.
async fn get_json(http: &reqwest::Client, url: String) -> Value {
    let text = http.get(url).send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// An HTTP server that records every JSON body posted to it.
async fn webhook_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |Json(body): Json<Value>| async move {
            sink.lock().unwrap().push(body);
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn alerting_settings(database: &str, spool: &std::path::Path, role: Role, hook: &str) -> Settings {
    let mut settings = common::settings(&clickhouse_url(), spool.to_owned());
    settings.clickhouse.database = database.to_owned();
    let alerting: ingest_server::config::AlertingConfig = toml::from_str(&format!(
        r#"
        role = "{}"
        interval = "1s"
        admin_token = "admin-secret"
        default_rules = false
        [[channels]]
        name = "hook"
        kind = "webhook"
        url = "{hook}"
        [[rules]]
        name = "cart-availability"
        app = "cart"
        metric = "availability"
        operator = "lt"
        threshold = 0.9
        resolve_threshold = 0.95
        window = "12s"
        for = "2s"
        min_samples = 3
        severity = "critical"
        channels = ["hook"]
        "#,
        match role {
            Role::All => "all",
            Role::Ingest => "ingest",
            Role::Evaluator => "evaluator",
        }
    ))
    .unwrap();
    settings.alerting = alerting;
    settings
}

/// A page view that registers cart and, if `fails`, reports its mount failing.
fn view(id: usize, fails: bool) -> String {
    let at = 1_800_000_000_000.0_f64;
    let mut events = vec![json!({"app": "cart", "at": at, "kind": "app", "phase": "registered"})];
    if fails {
        events.push(json!({"app": "cart", "at": at, "kind": "app", "phase": "failed", "detail": "mount threw"}));
    } else {
        events.push(json!({"app": "cart", "at": at, "kind": "app", "phase": "mounted"}));
    }
    json!({"schema": 1, "session_id": format!("s{id}"), "view_id": format!("v{id}"), "page_url": "http://shop.example/",
           "sent_at": at, "apps": [{"name": "cart", "version": "1.0.0"}], "events": events})
    .to_string()
}

async fn send_views(
    http: &reqwest::Client,
    ingest: &[String],
    range: std::ops::Range<usize>,
    fails: bool,
) {
    for id in range {
        post_view(http, &ingest[id % ingest.len()], view(id, fails)).await;
    }
}

/// One page view's beacon (session "s", view "v") carrying `events`.
fn page_view(events: Value) -> Value {
    json!({"schema": 1, "session_id": "s", "view_id": "v", "page_url": "http://shop.example/",
           "sent_at": 1_800_000_000_000.0_f64, "apps": [], "events": events})
}

fn statuses(received: &Received) -> Vec<String> {
    received
        .lock()
        .unwrap()
        .iter()
        .map(|body| body["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingest_servers_and_one_evaluator_notify_each_transition_once() {
    let (hook, received) = webhook_receiver().await;
    let database = unique_database();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let ingest = vec![
        serve(alerting_settings(
            &database,
            dirs[0].path(),
            Role::Ingest,
            &hook,
        ))
        .await,
        serve(alerting_settings(
            &database,
            dirs[1].path(),
            Role::Ingest,
            &hook,
        ))
        .await,
    ];
    let evaluator = serve(alerting_settings(
        &database,
        dirs[2].path(),
        Role::Evaluator,
        &hook,
    ))
    .await;
    let http = reqwest::Client::new();

    // An evaluator takes no beacons.
    let refused = http
        .post(format!("{evaluator}/v1/beacon?key={KEY}"))
        .body(view(0, false))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 404);

    // Every other load of cart fails: availability 0.5 < 0.9.
    send_views(&http, &ingest, 0..5, true).await;
    send_views(&http, &ingest, 5..10, false).await;
    eventually("the firing notification", || async {
        statuses(&received).contains(&"firing".to_owned())
    })
    .await;
    let firing = received.lock().unwrap()[0].clone();
    let alert = &firing["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "cart-availability");
    assert_eq!(alert["labels"]["app"], "cart");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["endsAt"], "0001-01-01T00:00:00Z");
    let alert_id = alert["annotations"]["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The API shows it, from an ingest server too; changes need the admin token.
    let listed: Value = get_json(
        &http,
        format!("{}/api/alerts?status=firing&app=cart", ingest[0]),
    )
    .await;
    assert_eq!(listed["alerts"][0]["id"], alert_id.as_str());
    let stats: Value = get_json(&http, format!("{}/api/alerts/stats", ingest[1])).await;
    assert_eq!(
        (
            stats["active"].as_u64(),
            stats["by_severity"]["critical"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let unauthorized = http
        .post(format!("{evaluator}/api/alerts/{alert_id}/ack"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status().as_u16(), 401);
    let acked = http
        .post(format!("{evaluator}/api/alerts/{alert_id}/ack"))
        .bearer_auth("admin-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(acked.status().as_u16(), 200);

    // Recovery: failures age out of the 12 s window while good loads
    // continue, for as long as a busy machine takes to notice.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut round = 0;
    while !statuses(&received).contains(&"resolved".to_owned()) {
        assert!(
            std::time::Instant::now() < deadline,
            "no resolved notification within 120 s: {:?}",
            statuses(&received)
        );
        send_views(&http, &ingest, (100 + round * 5)..(105 + round * 5), false).await;
        round += 1;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await; // room for any duplicate to show up
    assert_eq!(
        statuses(&received),
        ["firing", "resolved"],
        "each transition once"
    );
    let resolved = received.lock().unwrap()[1].clone();
    assert_ne!(resolved["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");

    // The delivery log and the alert history are in ClickHouse.
    let clickhouse = clickhouse::Client::default()
        .with_url(clickhouse_url())
        .with_database(&database);
    let delivered: u64 = clickhouse
        .query("SELECT count() FROM notifications WHERE ok")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(delivered, 2);
    let history: Vec<String> = clickhouse
        .query("SELECT DISTINCT status FROM alert_history WHERE id = ? ORDER BY status")
        .bind(&alert_id)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(history, ["firing", "pending", "resolved"]);
}

/// A health endpoint whose answer the test sets: 0 → 200, 1 → 500, 2 → too slow.
async fn health_endpoint(
    host: &str,
) -> (
    String,
    Arc<std::sync::atomic::AtomicU8>,
    Arc<std::sync::atomic::AtomicU32>,
) {
    use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
    let mode = Arc::new(AtomicU8::new(0));
    let hits = Arc::new(AtomicU32::new(0));
    let (route_mode, route_hits) = (mode.clone(), hits.clone());
    let app = Router::new().route(
        "/health",
        axum::routing::get(move || {
            let (mode, hits) = (route_mode.clone(), route_hits.clone());
            async move {
                hits.fetch_add(1, Ordering::Relaxed);
                match mode.load(Ordering::Relaxed) {
                    0 => axum::http::StatusCode::OK,
                    1 => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    _ => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        axum::http::StatusCode::OK
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(format!("{host}:0"))
        .await
        .unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, mode, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_record_ok_errors_and_timeouts_and_never_leave_the_allow_list() {
    use std::sync::atomic::Ordering;
    let (health, mode, _) = health_endpoint("127.0.0.1").await;
    let (forbidden, _, forbidden_hits) = health_endpoint("127.0.0.2").await;
    let (hook, _) = webhook_receiver().await;
    let database = unique_database();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = alerting_settings(&database, dir.path(), Role::All, &hook);
    settings.alerting.probe_interval = Duration::from_millis(1000);
    settings.alerting.probe_timeout = Duration::from_millis(400);
    let allowed_origin = health.trim_end_matches("/health").to_owned();
    settings.alerting.probe_origins = vec![allowed_origin];
    let base = serve(settings).await;

    let at = 1_800_000_000_000.0_f64;
    let register = |app: &str, url: &str| json!({"app": app, "at": at, "kind": "app", "phase": "registered", "health_check": url, "dependencies": ["shell"]});
    let beacon = page_view(json!([
        register("cart", &health),
        register("catalog", &forbidden)
    ]));
    let http = reqwest::Client::new();
    post_view(&http, &base, beacon.to_string()).await;

    let clickhouse = clickhouse::Client::default()
        .with_url(clickhouse_url())
        .with_database(&database);
    let probes = |status: u16| {
        let clickhouse = clickhouse.clone();
        async move {
            let n: u64 = clickhouse
                .query("SELECT count() FROM probes WHERE app = 'cart' AND status = ?")
                .bind(status)
                .fetch_one()
                .await
                .unwrap();
            n
        }
    };
    eventually("a successful probe", || async { probes(200).await > 0 }).await;
    mode.store(1, Ordering::Relaxed);
    eventually("a failed probe", || async { probes(500).await > 0 }).await;
    mode.store(2, Ordering::Relaxed);
    eventually("a timed-out probe", || async { probes(0).await > 0 }).await;
    let (error, latency): (String, f64) = clickhouse
        .query("SELECT error, latency_ms FROM probes WHERE app = 'cart' AND status = 0 LIMIT 1")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(error, "timed out");
    assert!((350.0..2_000.0).contains(&latency), "{latency} ms");
    assert_eq!(
        forbidden_hits.load(Ordering::Relaxed),
        0,
        "a health check outside the allow-list was requested"
    );

    // The apps API shows the registration and the probe metrics.
    let apps: Value = get_json(&http, format!("{base}/api/apps")).await;
    let cart = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "cart")
        .unwrap()
        .clone();
    assert_eq!(cart["health_check"], health.as_str());
    assert_eq!(cart["dependencies"], json!(["shell"]));
    let probe_availability = cart["metrics"]["probe_availability"]["value"]
        .as_f64()
        .unwrap();
    assert!(
        probe_availability > 0.0 && probe_availability < 1.0,
        "{probe_availability}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_guards_reads_and_shows_declared_rules_applied_only_where_allowed() {
    let (hook, _) = webhook_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = alerting_settings(&unique_database(), dir.path(), Role::All, &hook);
    settings.alerting.read_token = "reader".into();
    settings.alerting.browser_rules_for = vec!["cart".into()];
    let base = serve(settings).await;
    let http = reqwest::Client::new();

    let at = 1_800_000_000_000.0_f64;
    let slow_lcp = json!([{"name": "slow-lcp", "metric": "lcp", "operator": "gt", "threshold": 4000, "severity": "warning"}]);
    let register = |app: &str| json!({"app": app, "at": at, "kind": "app", "phase": "registered", "declared_rules": slow_lcp.to_string()});
    let beacon = page_view(json!([register("cart"), register("catalog"),
                               {"app": "cart", "at": at, "kind": "vital", "name": "lcp", "value": 1200.0}]));
    post_view(&http, &base, beacon.to_string()).await;

    let get = |path: &str, token: Option<&str>| {
        let request = http.get(format!("{base}{path}"));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                serde_json::from_str::<Value>(&response.text().await.unwrap())
                    .unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(get("/api/rules", None).await.0, 401);
    assert_eq!(get("/api/rules", Some("wrong")).await.0, 401);
    eventually("both registrations stored", || async {
        get("/api/rules", Some("reader")).await.1["declared_by_apps"]
            .as_array()
            .is_some_and(|d| d.len() == 2)
    })
    .await;
    let (status, rules) = get("/api/rules", Some("admin-secret")).await;
    assert_eq!(status, 200);
    let sources: Vec<(String, String)> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            ("cart-availability".into(), "config".into()),
            ("cart/slow-lcp".into(), "browser".into())
        ]
    );
    let applied: Vec<(String, bool)> = rules["declared_by_apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["app"].as_str().unwrap().to_owned(),
                d["applied"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(applied, [("cart".into(), true), ("catalog".into(), false)]);

    let (status, metrics) = get("/api/apps/cart/metrics?window=10m", Some("reader")).await;
    assert_eq!(status, 200);
    assert_eq!(metrics["metrics"]["lcp"]["value"], 1200.0);
    assert_eq!(get("/api/apps/nobody/metrics", Some("reader")).await.0, 404);
    let (status, error) = get("/api/apps/cart/metrics?window=soon", Some("reader")).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("bad_request"))
    );
    let missing = http
        .post(format!("{base}/api/alerts/nope/resolve"))
        .bearer_auth("admin-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_on_a_pushed_custom_metric_fires() {
    let (hook, received) = webhook_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = alerting_settings(&unique_database(), dir.path(), Role::All, &hook);
    settings.alerting.rules = vec![toml::from_str(
        r#"
        name = "slow-checkout"
        app = "cart"
        metric = "custom"
        custom_metric = "checkout_ms"
        aggregation = "p95"
        operator = "gt"
        threshold = 2000
        window = "30s"
        min_samples = 3
        severity = "warning"
        channels = ["hook"]
        "#,
    )
    .unwrap()];
    let base = serve(settings).await;

    let at = 1_800_000_000_000.0_f64;
    let metric = |value: f64| {
        json!({"app": "cart", "at": at, "kind": "metric", "name": "checkout_ms", "value": value,
                                     "attrs": {"plan": "pro"}})
    };
    let beacon = page_view(json!([metric(900.0), metric(2600.0), metric(3100.0),
                               {"app": "cart", "at": at, "kind": "custom", "name": "checkout_started"}]));
    let http = reqwest::Client::new();
    post_view(&http, &base, beacon.to_string()).await;

    eventually("the firing notice", || async {
        statuses(&received).contains(&"firing".to_owned())
    })
    .await;
    let firing = received.lock().unwrap()[0].clone();
    assert_eq!(
        firing["alerts"][0]["labels"]["metric"],
        "custom:checkout_ms"
    );
    let value: f64 = firing["alerts"][0]["annotations"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(value > 2000.0, "{value}");

    let metrics: Value = get_json(&http, format!("{base}/api/apps/cart/metrics?window=1m")).await;
    let custom = &metrics["metrics"]["custom"]["checkout_ms"];
    assert_eq!(custom["samples"], 3, "{metrics}");
    assert_eq!(custom["avg"], 2200.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_with_backoff_and_logged() {
    use std::sync::atomic::{AtomicU32, Ordering};
    // A receiver that fails its first two requests.
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = attempts.clone();
    let app = Router::new().route(
        "/hook",
        post(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    axum::http::StatusCode::BAD_GATEWAY
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let database = unique_database();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = alerting_settings(&database, dir.path(), Role::All, &hook);
    settings.alerting.rules[0].for_duration = Duration::ZERO;
    let base = serve(settings).await;
    let http = reqwest::Client::new();
    send_views(&http, &[base], 0..4, true).await;

    let clickhouse = clickhouse::Client::default()
        .with_url(clickhouse_url())
        .with_database(&database);
    eventually("a delivered notice after retries", || async {
        let ok: u64 = clickhouse
            .query("SELECT count() FROM notifications WHERE ok")
            .fetch_one()
            .await
            .unwrap_or(0);
        ok == 1
    })
    .await;
    let log: Vec<(u8, bool, u16)> = clickhouse
        .query("SELECT attempt, ok, http_status FROM notifications ORDER BY attempt")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(log, [(1, false, 502), (2, false, 502), (3, true, 200)]);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}
