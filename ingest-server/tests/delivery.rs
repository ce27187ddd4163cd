//! Delivery on a real ClickHouse: a slow receiver holds up no other, a 429
//! waits for its Retry-After, a 400 is not retried; each attempt is logged
//! with its outcome.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{clickhouse_url, eventually, unique_database};

const RULE: &str = "cart-availability";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_holds_up_no_other_429_waits_and_400_is_not_retried() {
    use std::sync::atomic::{AtomicU32, Ordering};
    common::init_logs();
    let limited_calls = Arc::new(AtomicU32::new(0));
    let calls = limited_calls.clone();
    let app = axum::Router::new()
        .route("/fast", axum::routing::post(|| async { "ok" }))
        .route(
            "/slow",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/bad",
            axum::routing::post(|| async { (axum::http::StatusCode::BAD_REQUEST, "no such hook") }),
        )
        .route(
            "/limited",
            axum::routing::post(move || {
                let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    if first {
                        (
                            axum::http::StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "1")],
                            "slow down",
                        )
                            .into_response()
                    } else {
                        "ok".into_response()
                    }
                }
            }),
        );
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let spool = tempfile::tempdir().unwrap();
    let mut settings = common::settings(&clickhouse_url(), spool.path().to_owned());
    let database = unique_database();
    settings.clickhouse.database = database.clone();
    let channel = |name: &str, timeout: &str| {
        format!("[[channels]]\nname = \"{name}\"\nkind = \"webhook\"\nurl = \"{hooks}/{name}\"\ntimeout = \"{timeout}\"\n")
    };
    settings.alerting = toml::from_str(&format!(
        "interval = \"1s\"\ndefault_rules = false\n{}{}{}{}\
         [[rules]]\nname = \"{RULE}\"\napp = \"cart\"\nmetric = \"availability\"\noperator = \"lt\"\nthreshold = 0.9\n\
         window = \"30s\"\nmin_samples = 3\nseverity = \"critical\"\nchannels = [\"fast\", \"slow\", \"bad\", \"limited\"]\n",
        channel("fast", "10s"),
        channel("slow", "500ms"),
        channel("bad", "10s"),
        channel("limited", "10s"),
    ))
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = ingest_server::start(settings, listener).await.unwrap();
    let base = format!("http://{}", running.addr);
    std::mem::forget(running);
    let http = reqwest::Client::new();
    for id in 0..4 {
        common::post_view(&http, &base, common::registering_view(id, true, "", "")).await;
    }

    let store = clickhouse::Client::default()
        .with_url(clickhouse_url())
        .with_database(&database);
    type Row = (String, u8, bool, u16, String, String, i64);
    let log = || async {
        let rows: Vec<Row> = store
            .query("SELECT channel, attempt, ok, http_status, outcome, error, toUnixTimestamp64Milli(at) FROM notifications ORDER BY at")
            .fetch_all()
            .await
            .unwrap();
        rows
    };
    // The slow channel's four attempts: 4 timeouts of 0.5 s and 3.5 s of backoff.
    eventually("the slow channel given up on", || async {
        log().await.iter().any(|r| r.0 == "slow" && r.4 == "failed")
    })
    .await;
    let rows = log().await;
    let of = |channel: &str| {
        rows.iter()
            .filter(|r| r.0 == channel)
            .cloned()
            .collect::<Vec<Row>>()
    };

    let (fast, slow) = (of("fast"), of("slow"));
    assert_eq!(
        (fast.len(), fast[0].2, fast[0].4.as_str()),
        (1, true, "delivered")
    );
    assert!(
        fast[0].6 < slow[0].6,
        "the fast receiver waited for the slow one"
    );
    assert_eq!(slow.iter().map(|r| r.1).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(
        slow.iter().all(|r| r.5.starts_with("timed out")),
        "{slow:?}"
    );
    assert_eq!(
        (slow[3].4.as_str(), slow[3].5.as_str()),
        ("failed", "timed out; gave up after 4 attempts")
    );

    let bad = of("bad");
    assert_eq!(bad.len(), 1, "a 400 was retried: {bad:?}");
    assert_eq!(
        (bad[0].3, bad[0].4.as_str(), bad[0].5.as_str()),
        (400, "failed", "HTTP 400 Bad Request; not retried")
    );

    let limited = of("limited");
    assert_eq!(limited.len(), 2, "{limited:?}");
    assert_eq!((limited[0].3, limited[0].4.as_str()), (429, "retrying"));
    assert_eq!(
        limited[0].5,
        "HTTP 429 Too Many Requests, Retry-After 1s; retrying in 1s"
    );
    assert_eq!((limited[1].2, limited[1].4.as_str()), (true, "delivered"));
    let waited = limited[1].6 - limited[0].6;
    assert!(waited >= 1000, "Retry-After: 1 honoured only {waited} ms");
}
