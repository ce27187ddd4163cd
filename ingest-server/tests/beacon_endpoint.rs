//! The beacon endpoint over real HTTP against a real ClickHouse.
//!
//! Needs `CLICKHOUSE_URL` (scripts/test starts the embedded ClickHouse and sets
//! it). Each test works in a database of its own.

use std::sync::Arc;

use clickhouse::Client;
use ingest_server::config::{ClickHouseConfig, Limits};
use ingest_server::store::{schema, Store};
use ingest_server::{router, AppState};
use serde_json::{json, Value};

const MAX_BODY: usize = 8 * 1024;

struct Server {
    base: String,
    clickhouse: Client,
    http: reqwest::Client,
}

fn clickhouse_config(database: String) -> ClickHouseConfig {
    let url = std::env::var("CLICKHOUSE_URL")
        .expect("CLICKHOUSE_URL must point at a ClickHouse server (scripts/test starts one)");
    ClickHouseConfig { url, user: "default".into(), password: String::new(), database }
}

fn unique_database() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("canopy_test_{}_{nanos}", std::process::id())
}

async fn start() -> Server {
    let config = clickhouse_config(unique_database());
    let store = Store::open(&config).await.expect("open store");
    let state = AppState { store: Arc::new(store), limits: Limits { max_body_bytes: MAX_BODY } };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    let clickhouse = Client::default().with_url(&config.url).with_database(&config.database);
    Server { base, clickhouse, http: reqwest::Client::new() }
}

impl Server {
    async fn post(&self, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/v1/beacon", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        (status, serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}")))
    }

    async fn count(&self, table: &str) -> u64 {
        self.clickhouse.query(&format!("SELECT count() FROM {table}")).fetch_one().await.unwrap()
    }

    async fn total_rows(&self) -> u64 {
        let mut total = 0;
        for table in ["vitals", "navigations", "resources", "errors", "app_events"] {
            total += self.count(table).await;
        }
        total
    }
}

fn beacon(events: Value) -> Value {
    json!({
        "schema": 1, "session_id": "sess-1", "view_id": "view-1",
        "page_url": "http://127.0.0.1:8080/", "sent_at": 1_800_000_000_000.0_f64,
        "apps": [{"name": "cart", "version": "1.4.0"}],
        "events": events,
    })
}

fn one_of_each_kind() -> Value {
    let at = 1_799_999_999_000.0_f64;
    json!([
        {"app": "shell", "at": at, "kind": "vital", "name": "lcp", "value": 812.5},
        {"app": "shell", "at": at, "kind": "navigation", "nav_type": "navigate", "dns": 0, "tcp": 1, "tls": 0,
         "ttfb": 12.5, "download": 2, "dom_parse": 30, "dom_ready": 60, "load": 90, "transfer_size": 1200},
        {"app": "cart", "at": at, "kind": "resource", "url": "http://127.0.0.1:8080/mfe/cart/cart.js",
         "initiator": "script", "duration": 14.2, "transfer_size": 5300},
        {"app": "cart", "at": at, "kind": "error", "source": "error", "error_type": "TypeError",
         "message": "Checkout failed", "stack": "at f (http://x/cart.js:1:2)", "url": "http://x/cart.js",
         "line": 1, "column": 2},
        {"app": "cart", "at": at, "kind": "app", "phase": "registered"},
    ])
}

#[tokio::test]
async fn a_good_batch_lands_in_every_table() {
    let server = start().await;
    let (status, body) = server.post("text/plain;charset=UTF-8", beacon(one_of_each_kind()).to_string()).await;
    assert_eq!((status, body), (202, json!({"accepted": 5})));

    for table in ["vitals", "navigations", "resources", "errors", "app_events"] {
        assert_eq!(server.count(table).await, 1, "{table}");
    }
    let (message, version): (String, String) = server
        .clickhouse
        .query("SELECT message, app_version FROM errors WHERE app = 'cart'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((message.as_str(), version.as_str()), ("Checkout failed", "1.4.0"));
    let ttfb: f64 = server.clickhouse.query("SELECT ttfb FROM navigations").fetch_one().await.unwrap();
    assert_eq!(ttfb, 12.5);
}

#[tokio::test]
async fn application_json_is_accepted_too() {
    let server = start().await;
    let (status, _) = server.post("application/json", beacon(one_of_each_kind()).to_string()).await;
    assert_eq!(status, 202);
    assert_eq!(server.total_rows().await, 5);
}

#[tokio::test]
async fn malformed_json_is_400_and_writes_nothing() {
    let server = start().await;
    let mut body = beacon(one_of_each_kind()).to_string();
    body.truncate(body.len() / 2);
    let (status, error) = server.post("text/plain", body).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "malformed_json");
    assert!(error["message"].as_str().unwrap().contains("line 1"), "{error}");
    assert_eq!(server.total_rows().await, 0);
}

#[tokio::test]
async fn an_invalid_event_rejects_the_whole_beacon() {
    let server = start().await;
    let mut events = one_of_each_kind();
    events[3]["app"] = json!("not a valid name");
    let (status, error) = server.post("text/plain", beacon(events).to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "invalid_field");
    assert!(error["message"].as_str().unwrap().starts_with("events[3].app"), "{error}");
    assert_eq!(server.total_rows().await, 0);
}

#[tokio::test]
async fn oversized_body_is_413_and_writes_nothing() {
    let server = start().await;
    let filler: Vec<Value> = (0..200).map(|_| one_of_each_kind()[0].clone()).collect();
    let body = beacon(Value::Array(filler)).to_string();
    assert!(body.len() > MAX_BODY);
    let (status, error) = server.post("text/plain", body).await;
    assert_eq!(status, 413);
    assert_eq!(error["error"], "body_too_large");
    assert_eq!(server.total_rows().await, 0);
}

#[tokio::test]
async fn other_content_types_are_415() {
    let server = start().await;
    let (status, error) = server.post("application/x-www-form-urlencoded", "a=1").await;
    assert_eq!((status, error["error"].as_str()), (415, Some("unsupported_media_type")));
}

#[tokio::test]
async fn json_beacons_get_a_cors_preflight_answer() {
    let server = start().await;
    let response = server
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/v1/beacon", server.base))
        .header("origin", "http://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "http://shop.example");
    assert!(headers["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(headers["access-control-allow-headers"].to_str().unwrap().contains("content-type"));
}

#[tokio::test]
async fn migrations_run_once_and_are_idempotent() {
    let config = clickhouse_config(unique_database());
    let server = Client::default().with_url(&config.url);
    assert_eq!(schema::migrate(&server, &config.database).await.unwrap(), vec![1]);
    assert_eq!(schema::migrate(&server, &config.database).await.unwrap(), Vec::<u32>::new());
}

#[tokio::test]
async fn healthz_reports_clickhouse_reachable() {
    let server = start().await;
    let response = server.http.get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
}
