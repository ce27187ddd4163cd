//! Issue 16 end to end: errors an app caught and messages it reported
//! (`captureError`, `captureMessage`), with their level and attributes, and
//! the agent's API calls (each failure, and per app and view a summary).
//! Stored, read back, and counted: a handled error and a `fatal` message
//! count towards the error rate (raw and rolled up), an `info` one does not.
//!
//! Needs `CLICKHOUSE_URL`.

mod common;

use std::time::Duration;

use common::{json_rows, start, TestServer};
use ingest_server::evaluate::measure::measure;
use ingest_server::model::rule::{Aggregation, Metric};
use ingest_server::store::conditions::API_ERROR_RATE;
use serde_json::{json, Value};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64
}

/// A view of its own registering `cart`, with `events` of cart's.
fn view(id: &str, events: Value) -> String {
    view_ago(id, events, 0.0)
}

/// [`view`], happening `ago` milliseconds before the beacon is sent.
fn view_ago(id: &str, events: Value, ago: f64) -> String {
    let sent_at = now_ms();
    let at = sent_at - ago;
    let mut all = vec![json!({"app": "cart", "at": at, "kind": "app", "phase": "registered"})];
    for mut event in events.as_array().unwrap().iter().cloned() {
        event["app"] = json!("cart");
        event["at"] = json!(at);
        all.push(event);
    }
    json!({"schema": 1, "session_id": "s-handled", "view_id": id, "page_url": "http://shop.example/",
           "sent_at": sent_at, "apps": [{"name": "cart", "version": "1.4.1"}], "events": all})
    .to_string()
}

fn report(source: &str, level: Option<&str>, message: &str) -> Value {
    let mut report =
        json!({"kind": "error", "source": source, "error_type": "Error", "message": message});
    if let Some(level) = level {
        report["level"] = json!(level);
    }
    report
}

async fn post(server: &TestServer, body: String) {
    let reply = server.post(body).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
}

#[tokio::test]
async fn handled_errors_messages_and_api_calls_are_stored_and_counted() {
    let server = start(|_| {}).await;
    let mut handled = report("handled", None, "payment declined");
    handled["attrs"] = json!({"order": "42", "step": "pay"});
    post(&server, view("v-handled", json!([handled]))).await;
    post(
        &server,
        view(
            "v-info",
            json!([report("message", Some("info"), "cart opened")]),
        ),
    )
    .await;
    post(
        &server,
        view(
            "v-fatal",
            json!([report("message", Some("fatal"), "cart lost")]),
        ),
    )
    .await;
    let api = json!([
        {"kind": "api_call", "method": "POST", "url": "http://api.example/cart", "status": 503,
         "duration": 41.5, "message": "", "trace_id": TRACE_ID},
        {"kind": "api_call", "method": "GET", "url": "http://api.example/stock", "status": 0,
         "duration": 3.5, "message": "Failed to fetch"},
        {"kind": "api_summary", "calls": 6, "failed": 2, "duration": 120.0},
    ]);
    post(&server, view("v-api", api)).await;
    // Two hours old: outside the hour the error rate is measured over below.
    let two_hours = 2.0 * 3600.0 * 1000.0;
    let old = view_ago(
        "v-old",
        json!([report("message", Some("error"), "cart lost earlier")]),
        two_hours,
    );
    post(&server, old).await;
    server.barrier().await;

    let errors = json_rows(
        &server.clickhouse,
        "SELECT view_id, source, level, attrs FROM errors WHERE session_id = 's-handled' \
         AND view_id != 'v-old' ORDER BY view_id",
    )
    .await;
    assert_eq!(
        errors,
        [
            json!({"view_id": "v-fatal", "source": "message", "level": "fatal", "attrs": {}}),
            json!({"view_id": "v-handled", "source": "handled", "level": "error",
                   "attrs": {"order": "42", "step": "pay"}}),
            json!({"view_id": "v-info", "source": "message", "level": "info", "attrs": {}}),
        ]
    );
    let failures = json_rows(
        &server.clickhouse,
        "SELECT method, url, status, duration, message, trace_id, app_version FROM api_failures \
         WHERE app = 'cart' ORDER BY status",
    )
    .await;
    assert_eq!(
        failures,
        [
            json!({"method": "GET", "url": "http://api.example/stock", "status": 0, "duration": 3.5,
                   "message": "Failed to fetch", "trace_id": "", "app_version": "1.4.1"}),
            json!({"method": "POST", "url": "http://api.example/cart", "status": 503, "duration": 41.5,
                   "message": "", "trace_id": TRACE_ID, "app_version": "1.4.1"}),
        ]
    );
    let rate = json_rows(
        &server.clickhouse,
        &format!("SELECT {API_ERROR_RATE} AS rate FROM api_summaries WHERE app = 'cart'"),
    )
    .await;
    assert_eq!(rate, [json!({"rate": 2.0 / 6.0})]);

    // Views of cart in the last hour: the barrier's and these four; with a
    // counted error: the barrier's (an uncaught error), the handled error's
    // and the fatal message's, not the info message's (nor the old view's).
    let (views, error_views) = (5u64, 3u64);
    let measured = measure(
        &server.clickhouse,
        Metric::ErrorRate,
        None,
        Aggregation::Ratio,
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    assert_eq!(measured["cart"].value, error_views as f64 / views as f64);
    let rolled_up = json_rows(
        &server.clickhouse,
        "SELECT uniqMerge(views) AS views, uniqMerge(error_views) AS error_views, sum(errors) AS errors \
         FROM rollup_app_minute WHERE app = 'cart' AND minute >= now() - INTERVAL 1 HOUR",
    )
    .await;
    assert_eq!(
        rolled_up,
        [json!({"views": views, "error_views": error_views, "errors": error_views})]
    );
    let hourly = json_rows(
        &server.clickhouse,
        "SELECT uniqMerge(error_views) AS error_views FROM rollup_app_hour WHERE app = 'cart' \
         AND hour >= toStartOfHour(now() - INTERVAL 1 HOUR)",
    )
    .await;
    assert_eq!(hourly, [json!({"error_views": error_views})]);
}

#[tokio::test]
async fn bad_api_calls_are_refused_with_the_field_named() {
    let server = start(|_| {}).await;
    let bad = json!([{"kind": "api_call", "method": "GET", "url": "http://api.example/", "status": 503,
                      "duration": 1.0, "message": "", "trace_id": "not-a-trace-id"}]);
    let reply = server.post(view("v-bad", bad)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["error"], "invalid_field");
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .starts_with("events[1].trace_id"),
        "{}",
        reply.body
    );
}
