//! The alerts' read side against a real ClickHouse: `/api/alerts/stats`
//! counts every alert (not a page of them), `/api/alerts` filters by time,
//! `/api/health/apps` and the overview follow firing alerts, and
//! `/api/apps/{name}/metrics` summaries are ClickHouse's own aggregates.
//! Alerts are written as the evaluator stores them (rows of `alerts`); what
//! is tested is how they are read. The last test calls the router
//! in-process, without a listener.

mod common;

use std::collections::BTreeMap;

use common::{get, TestServer};
use serde_json::{json, Value};

/// An alert version: `(id, app, severity, status, pending_since,
/// resolved_at, updated_at)`, times in Unix seconds.
type Version<'a> = (&'a str, &'a str, &'a str, &'a str, u32, Option<u32>, u32);

/// Alert versions written, then the page's health and each app's expected.
type Step<'a> = (&'a [Version<'a>], &'a str, [(&'a str, &'a str); 2]);

/// Writes alert versions as the evaluator stores them.
async fn write_alerts(server: &TestServer, alerts: &[Version<'_>]) {
    let rows: Vec<String> = alerts
        .iter()
        .map(|(id, app, severity, status, pending, resolved, updated)| {
            let resolved = resolved.map_or("NULL".to_owned(), |r| format!("toDateTime64({r}, 3)"));
            format!(
                "('{id}', '{app}/r', 'r', '{app}', 'error_rate', '{severity}', '{status}', 0.5, 0.1, \
                 toDateTime64({pending}, 3), {resolved}, toDateTime64({updated}, 3))"
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO alerts (id, fingerprint, rule, app, metric, severity, status, value, threshold, \
         pending_since, resolved_at, updated_at) VALUES {}",
        rows.join(", ")
    );
    server.clickhouse.query(&sql).execute().await.unwrap();
}

fn now_secs() -> u32 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.unwrap().as_secs() as u32
}

/// A map of `name → count` from a JSON object.
fn counts(value: &Value) -> BTreeMap<String, u64> {
    let object = value.as_object().unwrap_or_else(|| panic!("{value}"));
    object
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

async fn direct_counts(server: &TestServer, key: &str, condition: &str) -> BTreeMap<String, u64> {
    let sql =
        format!("SELECT {key} AS k, count() AS n FROM alerts FINAL WHERE {condition} GROUP BY k");
    common::json_rows(&server.clickhouse, &sql)
        .await
        .into_iter()
        .map(|row| {
            (
                row["k"].as_str().unwrap().to_owned(),
                row["n"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn stats_count_all_2000_alerts_as_clickhouse_does() {
    let server = common::start(|_| {}).await;
    // 2,000 alerts over five apps, three severities and three statuses…
    server
        .clickhouse
        .query(
            "INSERT INTO alerts (id, fingerprint, rule, app, metric, severity, status, value, threshold, \
             pending_since, resolved_at, updated_at) \
             SELECT concat('a', toString(number)), 'f', 'r', \
                    ['cart', 'catalog', 'shell', 'search', 'profile'][number % 5 + 1], 'error_rate', \
                    ['info', 'warning', 'critical'][number % 3 + 1] AS severity, \
                    ['pending', 'firing', 'resolved'][intDiv(number, 7) % 3 + 1] AS status, 0.5, 0.1, \
                    now64(3) - toIntervalMinute(number), \
                    if(status = 'resolved', now64(3) - toIntervalMinute(number) + toIntervalSecond(30), NULL), \
                    now64(3) - toIntervalMinute(number) \
             FROM numbers(2000)",
        )
        .execute()
        .await
        .unwrap();
    // …and a newer version of 300 of them, resolved: a part of its own, so
    // only a read with FINAL counts each alert once.
    server
        .clickhouse
        .query(
            "INSERT INTO alerts (id, fingerprint, rule, app, metric, severity, status, value, threshold, \
             pending_since, resolved_at, updated_at) \
             SELECT id, fingerprint, rule, app, metric, severity, 'resolved', value, threshold, \
                    pending_since, now64(3), now64(3) + INTERVAL 1 SECOND \
             FROM alerts WHERE toUInt32(substring(id, 2)) < 300",
        )
        .execute()
        .await
        .unwrap();
    assert_eq!(common::count(&server.clickhouse, "alerts").await, 2300);

    let stats = get(&server, "/api/alerts/stats").await;
    let by_status = direct_counts(&server, "status", "1").await;
    assert_eq!(stats["total"], 2000, "{stats}");
    assert_eq!(stats["total"], by_status.values().sum::<u64>());
    for status in ["pending", "firing", "resolved"] {
        assert_eq!(
            stats[status].as_u64(),
            by_status.get(status).copied(),
            "{status}"
        );
    }
    assert_eq!(
        stats["active"].as_u64().unwrap(),
        by_status["pending"] + by_status["firing"]
    );
    assert_eq!(
        counts(&stats["by_app"]),
        direct_counts(&server, "app", "1").await
    );
    assert_eq!(
        counts(&stats["by_severity"]),
        direct_counts(&server, "severity", "1").await
    );
    let active = "status != 'resolved'";
    assert_eq!(
        counts(&stats["active_by_app"]),
        direct_counts(&server, "app", active).await
    );
    assert_eq!(
        counts(&stats["active_by_severity"]),
        direct_counts(&server, "severity", active).await
    );

    // Filtered: the same filters the list takes.
    let cart = get(&server, "/api/alerts/stats?app=cart&status=firing").await;
    let direct = direct_counts(&server, "severity", "app = 'cart' AND status = 'firing'").await;
    assert_eq!(counts(&cart["by_severity"]), direct);
    assert_eq!(
        cart["total"].as_u64().unwrap(),
        direct.values().sum::<u64>()
    );

    // The list stays a page of the newest; the counts do not.
    let list = get(&server, "/api/alerts").await;
    assert_eq!(list["alerts"].as_array().unwrap().len(), 500);

    // The overview's badges count every active alert too.
    let overview = get(&server, "/api/dashboard/overview").await;
    let badges: BTreeMap<String, u64> = overview["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["app"].as_str().unwrap().to_owned(),
                a["active_alerts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(badges, direct_counts(&server, "app", active).await);
}

fn ids(answer: &Value) -> Vec<String> {
    let mut ids: Vec<String> = answer["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_alert_list_filters_by_time_and_refuses_bad_filters() {
    let server = common::start(|_| {}).await;
    let t = 1_800_000_000;
    write_alerts(
        &server,
        &[
            (
                "old",
                "cart",
                "warning",
                "resolved",
                t - 7200,
                Some(t - 3600),
                t - 3600,
            ),
            (
                "spans",
                "cart",
                "critical",
                "resolved",
                t - 5400,
                Some(t - 600),
                t - 600,
            ),
            (
                "open",
                "catalog",
                "warning",
                "firing",
                t - 1800,
                None,
                t - 1800,
            ),
            ("late", "catalog", "info", "firing", t + 600, None, t + 600),
        ],
    )
    .await;
    let list = |query: String| {
        let server = &server;
        async move { ids(&get(server, &format!("/api/alerts?{query}")).await) }
    };
    assert_eq!(
        list(format!("from={}&to={t}", t - 3000)).await,
        ["open", "spans"]
    );
    assert_eq!(
        list(format!("from={}&to={}", t - 4000, t - 3500)).await,
        ["old", "spans"]
    );
    assert_eq!(list(format!("from={t}")).await, ["late", "open"]);
    assert_eq!(list(format!("to={}", t - 6000)).await, ["old"]);
    assert_eq!(
        list(format!("from={}&to={t}&app=cart", t - 3000)).await,
        ["spans"]
    );
    // Stats take the same range.
    let stats = get(
        &server,
        &format!("/api/alerts/stats?from={}&to={t}", t - 3000),
    )
    .await;
    assert_eq!(
        (stats["total"].as_u64(), stats["firing"].as_u64()),
        (Some(2), Some(1))
    );

    for (query, code) in [
        (format!("from={t}&to={t}"), "bad_request"),
        (format!("from={}&to={t}", t + 1), "bad_request"),
        ("from=yesterday".to_owned(), "invalid_query"),
        ("status=burning".to_owned(), "invalid_query"),
        ("severity=dire".to_owned(), "invalid_query"),
        ("app=not%20an%20app".to_owned(), "bad_request"),
    ] {
        for path in ["/api/alerts", "/api/alerts/stats"] {
            let request = server.http.get(format!("{}{path}?{query}", server.base));
            let reply = server.send(request).await;
            assert_eq!(
                (reply.status, reply.body["error"].as_str()),
                (400, Some(code)),
                "{path}?{query}: {}",
                reply.body
            );
            assert!(reply.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()));
        }
    }
}

/// `/api/health/apps` as `app → (status, [critical, warning, info])`, and
/// the page's status.
async fn health(server: &TestServer) -> (String, BTreeMap<String, (String, [u64; 3])>) {
    let answer = get(server, "/api/health/apps").await;
    let apps = answer["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let f = &a["firing"];
            let firing = ["critical", "warning", "info"].map(|s| f[s].as_u64().unwrap());
            (
                a["app"].as_str().unwrap().to_owned(),
                (a["status"].as_str().unwrap().to_owned(), firing),
            )
        })
        .collect();
    (answer["status"].as_str().unwrap().to_owned(), apps)
}

fn statuses(apps: &BTreeMap<String, (String, [u64; 3])>) -> BTreeMap<&str, &str> {
    apps.iter()
        .map(|(app, (status, _))| (app.as_str(), status.as_str()))
        .collect()
}

#[tokio::test]
async fn health_follows_firing_alerts_by_severity() {
    let server = common::start(|_| {}).await;
    // cart and catalog registered: listed, healthy, before any alert.
    let view = common::registering_view(1, false, "", "");
    common::post_view(&server.http, &server.base, view).await;
    server.barrier().await;
    let (page, apps) = health(&server).await;
    assert_eq!(page, "healthy");
    assert_eq!(
        statuses(&apps),
        BTreeMap::from([("cart", "healthy"), ("catalog", "healthy")])
    );

    let t = now_secs() - 600;
    let steps: [Step; 4] = [
        // A warning fires on cart.
        (
            &[("w", "cart", "warning", "firing", t, None, t + 1)],
            "degraded",
            [("cart", "degraded"), ("catalog", "healthy")],
        ),
        // A critical fires on catalog, an info on cart.
        (
            &[
                ("c", "catalog", "critical", "firing", t, None, t + 2),
                ("i", "cart", "info", "firing", t, None, t + 2),
            ],
            "unhealthy",
            [("cart", "degraded"), ("catalog", "unhealthy")],
        ),
        // The critical resolves.
        (
            &[(
                "c",
                "catalog",
                "critical",
                "resolved",
                t,
                Some(t + 3),
                t + 3,
            )],
            "degraded",
            [("cart", "degraded"), ("catalog", "healthy")],
        ),
        // The warning resolves; a critical on cart is only pending.
        (
            &[
                ("w", "cart", "warning", "resolved", t, Some(t + 4), t + 4),
                ("p", "cart", "critical", "pending", t + 4, None, t + 4),
            ],
            "healthy",
            [("cart", "healthy"), ("catalog", "healthy")],
        ),
    ];
    for (alerts, expected_page, expected_apps) in steps {
        write_alerts(&server, alerts).await;
        let (page, apps) = health(&server).await;
        assert_eq!(
            (page.as_str(), statuses(&apps)),
            (expected_page, BTreeMap::from(expected_apps)),
            "after {alerts:?}"
        );
        let overview = get(&server, "/api/dashboard/overview").await;
        assert_eq!(overview["health"], expected_page, "{overview}");
        let cart = overview["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["app"] == "cart");
        assert_eq!(cart.unwrap()["health"], json!(expected_apps[0].1));
    }
    // The last step's counts: cart's info alert still fires.
    let (_, apps) = health(&server).await;
    assert_eq!(apps["cart"].1, [0, 0, 1]);
}

/// A view of checkout (an app the barrier beacons leave alone) `minutes_ago` minutes before it is sent, with an LCP of
/// `lcp` and, if `error`, an uncaught error.
fn view_minutes_ago(id: usize, minutes_ago: u32, lcp: f64, error: bool) -> String {
    let sent_at = 1_800_000_000_000.0_f64;
    let at = sent_at - f64::from(minutes_ago) * 60_000.0;
    let mut events = vec![
        json!({"app": "checkout", "at": at, "kind": "app", "phase": "registered"}),
        json!({"app": "checkout", "at": at, "kind": "vital", "name": "lcp", "value": lcp}),
        json!({"app": "checkout", "at": at, "kind": "metric", "name": "checkout_ms", "value": lcp / 10.0}),
    ];
    if error {
        events.push(
            json!({"app": "checkout", "at": at, "kind": "error", "source": "error",
                           "error_type": "TypeError", "message": "boom"}),
        );
    }
    json!({"schema": 1, "session_id": format!("s{id}"), "view_id": format!("v{id}"),
           "page_url": "http://shop.example/", "sent_at": sent_at,
           "apps": [{"name": "checkout", "version": "1.0.0"}], "events": events})
    .to_string()
}

#[tokio::test]
async fn metric_summaries_are_clickhouse_aggregates_of_the_window() {
    let server = common::start(|_| {}).await;
    // Five views two minutes apart (each in a minute of its own however the
    // posts are spread), the newest first; errors in two.
    let views = [
        (0, 5000.0, false),
        (2, 2000.0, true),
        (4, 4000.0, false),
        (6, 1000.0, true),
        (8, 3000.0, false),
    ];
    for (i, (minutes_ago, lcp, error)) in views.into_iter().enumerate() {
        let view = view_minutes_ago(i, minutes_ago, lcp, error);
        common::post_view(&server.http, &server.base, view).await;
    }
    server.barrier().await;

    let answer = get(&server, "/api/apps/checkout/metrics?window=1h").await;
    let metrics = &answer["metrics"];
    // Known values: one LCP in each minute with data, so its p75 is that LCP…
    let lcp = &metrics["lcp"]["summary"];
    assert_eq!(lcp["current"], 5000.0, "{answer}");
    assert_eq!(
        (
            lcp["avg"].as_f64(),
            lcp["min"].as_f64(),
            lcp["max"].as_f64()
        ),
        (Some(3000.0), Some(1000.0), Some(5000.0))
    );
    assert_eq!(lcp["count"], 5);
    // …and each minute's error rate is 0 or 1.
    let errors = &metrics["error_rate"]["summary"];
    assert_eq!(
        (errors["current"].as_f64(), errors["avg"].as_f64()),
        (Some(0.0), Some(0.4)),
        "{answer}"
    );
    assert_eq!(
        (
            errors["min"].as_f64(),
            errors["max"].as_f64(),
            errors["count"].as_u64()
        ),
        (Some(0.0), Some(1.0), Some(5))
    );

    // The same, straight from ClickHouse.
    let direct = common::json_rows(
        &server.clickhouse,
        "SELECT argMax(p75, m) AS current, avg(p75) AS avg, min(p75) AS min, max(p75) AS max, count() AS count \
         FROM (SELECT toStartOfMinute(at) AS m, quantile(0.75)(value) AS p75 FROM vitals \
               WHERE app = 'checkout' AND name = 'lcp' AND at >= now64(3) - INTERVAL 1 HOUR GROUP BY m)",
    )
    .await;
    for field in ["current", "avg", "min", "max", "count"] {
        assert_eq!(
            lcp[field].as_f64(),
            direct[0][field].as_f64(),
            "lcp {field}"
        );
    }
    let direct = common::json_rows(
        &server.clickhouse,
        "SELECT argMax(value, at) AS current, avg(value) AS avg, min(value) AS min, max(value) AS max, \
                count() AS count, quantile(0.95)(value) AS p95 \
         FROM custom_metrics WHERE app = 'checkout' AND name = 'checkout_ms' AND at >= now64(3) - INTERVAL 1 HOUR",
    )
    .await;
    let custom = &metrics["custom"]["checkout_ms"];
    assert_eq!(custom["current"], 500.0, "{answer}");
    for field in ["current", "avg", "min", "max", "count", "p95"] {
        assert_eq!(
            custom[field].as_f64(),
            direct[0][field].as_f64(),
            "custom {field}"
        );
    }
    // The app list stays without summaries (one query a metric less each).
    let apps = get(&server, "/api/apps?window=1h").await;
    let checkout = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "checkout")
        .unwrap();
    let lcp = &checkout["metrics"]["lcp"];
    assert!(
        lcp["value"].is_number() && lcp.get("summary").is_none(),
        "{apps}"
    );
}

/// The router alone, called in-process with `oneshot`-style requests: its
/// state made as `ingest_server::start` makes it, without a listener (keep
/// the log's directory while it runs).
async fn router() -> (axum::Router, tempfile::TempDir) {
    use ingest_server::receive::{access::Access, beacon_ids, rate_limit::RateLimiter};
    let spool_dir = tempfile::tempdir().unwrap();
    let settings = common::settings(&common::clickhouse_url(), spool_dir.path().to_owned());
    let settings = std::sync::Arc::new(settings);
    let tls = settings.tls().unwrap();
    let store = std::sync::Arc::new(
        ingest_server::store::Store::open(&settings.clickhouse, &tls)
            .await
            .unwrap(),
    );
    let (spool, _reader) = ingest_server::spool::Spool::open(&settings.spool).unwrap();
    let symbols = ingest_server::symbolicate::Symbolicator::new(store.clone(), 1 << 20);
    let state = ingest_server::AppState {
        access: Access::new(&settings.projects),
        rate_limiter: RateLimiter::new(&settings.rate_limits),
        spool,
        beacon_ids: beacon_ids::BeaconIds::new(beacon_ids::WINDOW, beacon_ids::CAPACITY),
        store,
        symbols: std::sync::Arc::new(symbols),
        settings,
    };
    (ingest_server::router(state), spool_dir)
}

#[tokio::test]
async fn the_routes_answer_in_process() {
    use tower_service::Service;
    let (mut router, _spool_dir) = router().await;
    for (uri, status, code) in [
        ("/api/alerts?from=20&to=10", 400, Some("bad_request")),
        (
            "/api/alerts/stats?status=burning",
            400,
            Some("invalid_query"),
        ),
        ("/api/health/apps", 200, None),
        ("/api/alerts/stats?from=10&to=20", 200, None),
    ] {
        let request = axum::http::Request::get(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router.call(request).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{uri}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"].as_str(), code, "{uri}: {body}");
        if status == 200 && uri.starts_with("/api/alerts/stats") {
            assert_eq!(body["total"], 0, "{body}");
        }
        if uri == "/api/health/apps" {
            assert_eq!(body, json!({"status": "healthy", "apps": []}));
        }
    }
}
