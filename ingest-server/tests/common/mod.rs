//! Shared by the integration tests: a real server (in-process or as the
//! binary) on a real ClickHouse, and polling helpers.
//!
//! Needs `CLICKHOUSE_URL` (scripts/test starts the embedded ClickHouse and sets it).
#![allow(dead_code)] // each test file uses its own part of this

pub mod processes;
pub mod queries;
pub mod receivers;
pub mod tls;
pub mod traffic;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clickhouse::Client;
use ingest_server::config::{Project, Settings};
use serde_json::{json, Value};

pub const KEY: &str = "test-key-1234";
pub const ORIGIN: &str = "http://shop.example";
pub const CHROME_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
pub const TABLES: [&str; 5] = ["vitals", "navigations", "resources", "errors", "app_events"];

pub fn clickhouse_url() -> String {
    std::env::var("CLICKHOUSE_URL")
        .expect("CLICKHOUSE_URL must point at a ClickHouse server (scripts/test starts one)")
}

/// A database name no other test uses. The clock tells runs apart; the
/// counter tells apart tests of one run that start at the same instant (two
/// once got the same nanosecond and saw each other's rows).
pub fn unique_database() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("canopy_test_{}_{nanos}_{n}", std::process::id())
}

/// Settings for a test: one project, a fresh database and log, a fast drain.
pub fn settings(clickhouse_url: &str, spool_dir: PathBuf) -> Settings {
    let mut settings = Settings::default();
    settings.clickhouse.url = clickhouse_url.to_owned();
    settings.clickhouse.database = unique_database();
    settings.spool.dir = spool_dir;
    settings.writer.batch_interval_ms = 100;
    // A test's clients all share one loopback IP.
    settings.rate_limits.per_ip_per_second = 10_000;
    settings.rate_limits.per_ip_burst = 10_000;
    settings.rate_limits.per_ip_stored_bytes_per_second = 1 << 30;
    settings.rate_limits.per_ip_stored_bytes_burst = 1 << 30;
    settings.projects = vec![Project {
        name: "shop".into(),
        key: KEY.into(),
        origins: vec![ORIGIN.into(), "http://*.shop.example".into()],
    }];
    settings
}

pub struct TestServer {
    pub base: String,
    pub clickhouse: Client,
    pub http: reqwest::Client,
    _spool: Option<tempfile::TempDir>,
    _ca: Option<tls::TestCa>,
}

/// ClickHouse as an in-process test server reaches it: over HTTPS, through a
/// TLS terminator with a CA made for the test (which `settings` trusts), so
/// the intake, dashboard and alert tests also run the server's TLS client.
/// The test itself reads ClickHouse directly. Keep the CA while the server runs.
pub async fn https_clickhouse(settings: &mut Settings) -> tls::TestCa {
    let ca = tls::TestCa::new("ClickHouse test CA");
    let port = ca
        .terminate_tls_for(tls::socket_of(&clickhouse_url()))
        .await;
    settings.clickhouse.url = format!("https://localhost:{port}");
    settings.tls.ca_file = Some(ca.pem_path());
    ca
}

/// Starts the server in-process with `settings` adjusted by `adjust`.
pub async fn start(adjust: impl FnOnce(&mut Settings)) -> TestServer {
    init_logs();
    let spool = tempfile::tempdir().unwrap();
    let mut settings = settings(&clickhouse_url(), spool.path().to_owned());
    let ca = https_clickhouse(&mut settings).await;
    adjust(&mut settings);
    settings.check().expect("test settings are valid");
    let clickhouse = Client::default()
        .with_url(clickhouse_url())
        .with_database(&settings.clickhouse.database);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = ingest_server::start(settings, listener)
        .await
        .expect("server starts");
    let base = format!("http://{}", running.addr);
    std::mem::forget(running); // lives as long as the test process
    TestServer {
        base,
        clickhouse,
        http: reqwest::Client::new(),
        _spool: Some(spool),
        _ca: Some(ca),
    }
}

/// Starts the server in-process with exactly `settings`; returns its base URL.
pub async fn serve(settings: Settings) -> String {
    init_logs();
    settings.check().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = ingest_server::start(settings, listener).await.unwrap();
    let base = format!("http://{}", running.addr);
    std::mem::forget(running); // lives as long as the test process
    base
}

/// A response's status, Retry-After and JSON body.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Value,
}

impl TestServer {
    /// A server the test started itself, at `base`, storing into `database`.
    pub fn at(base: String, database: &str) -> Self {
        Self::reading(
            base,
            Client::default()
                .with_url(clickhouse_url())
                .with_database(database),
        )
    }

    /// A server the test started itself, whose rows `clickhouse` reads.
    pub fn reading(base: String, clickhouse: Client) -> Self {
        Self {
            base,
            clickhouse,
            http: reqwest::Client::new(),
            _spool: None,
            _ca: None,
        }
    }

    pub fn beacon_url(&self, query: &str) -> String {
        format!("{}/v1/beacon?{query}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        Reply {
            status,
            retry_after,
            body,
        }
    }

    /// Posts `body` as sendBeacon does from a browser of `user_agent`, and
    /// expects it acknowledged.
    pub async fn post_from(&self, user_agent: &str, body: &Value) {
        let request = self.beacon_with(&format!("key={KEY}"), &[("user-agent", user_agent)]);
        let reply = self.send(request.body(body.to_string())).await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }

    /// Posts `body` the way sendBeacon does (text/plain, with an allowed Origin).
    pub async fn post(&self, body: impl Into<reqwest::Body>) -> Reply {
        self.send(self.beacon(&format!("key={KEY}")).body(body))
            .await
    }

    /// A beacon request as a browser sends it.
    pub fn beacon(&self, query: &str) -> reqwest::RequestBuilder {
        self.beacon_with(query, &[])
    }

    /// A beacon request with some of the browser's headers replaced.
    pub fn beacon_with(&self, query: &str, headers: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let defaults = [
            ("content-type", "text/plain;charset=UTF-8"),
            ("origin", ORIGIN),
            ("user-agent", CHROME_UA),
        ];
        let mut request = self.http.post(self.beacon_url(query));
        for (name, value) in defaults {
            let value = headers
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(value, |(_, v)| v);
            request = request.header(name, value);
        }
        for (name, value) in headers
            .iter()
            .filter(|(n, _)| !defaults.iter().any(|(d, _)| d == n))
        {
            request = request.header(*name, *value);
        }
        request
    }

    /// The server's Prometheus metrics, as text.
    pub async fn metrics(&self) -> String {
        let response = self.http.get(format!("{}/metrics", self.base)).send();
        response.await.unwrap().text().await.unwrap()
    }

    pub async fn count(&self, table: &str) -> u64 {
        count(&self.clickhouse, table).await
    }

    pub async fn total_rows(&self) -> u64 {
        let mut total = 0;
        for table in TABLES {
            total += self.count(table).await;
        }
        total
    }

    /// Sends a good beacon and waits until it is stored, materialized views
    /// included: everything sent before it has then been stored too (the log
    /// is drained in order). Returns the rows of [`TABLES`].
    pub async fn barrier(&self) -> u64 {
        let reply = self.post(beacon(one_of_each_kind()).to_string()).await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        // Two markers, one after the other. The first is logged after the
        // beacon, so it is stored with it or after it. The second is posted
        // once the first is visible, so it is in a later batch, and the drain
        // starts a batch only after every insert of the batch before it has
        // returned — materialized views included, which a visible row of the
        // table they read does not promise.
        for _ in 0..2 {
            self.marker().await;
        }
        self.total_rows().await
    }

    /// Stores a beacon of one `agent_drops` row (no test counts them) and
    /// waits until it is visible.
    async fn marker(&self) {
        let session = unique_database();
        let mut body = beacon(json!([]));
        body["session_id"] = json!(session);
        body["dropped"] = json!(1);
        let reply = self.post(body.to_string()).await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        let sql = format!("SELECT count() FROM agent_drops WHERE session_id = '{session}'");
        eventually("a barrier marker to be stored", || async {
            self.clickhouse
                .query(&sql)
                .fetch_one::<u64>()
                .await
                .is_ok_and(|n| n == 1)
        })
        .await;
    }
}

/// GETs `path` of the server, expects 200, and reads the JSON answer.
pub async fn get(server: &TestServer, path: &str) -> Value {
    let response = server
        .http
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// Server warnings in the test output (RUST_LOG overrides).
pub fn init_logs() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

pub async fn count(clickhouse: &Client, table: &str) -> u64 {
    clickhouse
        .query(&format!("SELECT count() FROM {table}"))
        .fetch_one()
        .await
        .unwrap_or(0)
}

/// The rows of `sql` as JSON objects (64-bit integers as numbers).
pub async fn json_rows(clickhouse: &Client, sql: &str) -> Vec<Value> {
    let bytes = clickhouse
        .query(sql)
        .with_setting("output_format_json_quote_64bit_integers", "0")
        .fetch_bytes("JSONEachRow")
        .unwrap()
        .collect()
        .await
        .unwrap();
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// Polls `probe` for up to 60 s (a deadline for a busy machine, not a
/// timing the test relies on: it returns as soon as `probe` holds).
pub async fn eventually<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !probe().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub fn beacon(events: Value) -> Value {
    json!({
        "schema": 1, "session_id": "sess-1", "view_id": "view-1",
        "page_url": "http://shop.example/", "sent_at": 1_800_000_000_000.0_f64,
        "apps": [{"name": "cart", "version": "1.4.0"}],
        "events": events,
    })
}

pub fn one_of_each_kind() -> Value {
    let at = 1_799_999_999_000.0_f64;
    json!([
        {"app": "shell", "at": at, "kind": "vital", "name": "lcp", "value": 812.5},
        {"app": "shell", "at": at, "kind": "navigation", "nav_type": "navigate", "dns": 0, "tcp": 1, "tls": 0,
         "ttfb": 12.5, "download": 2, "dom_parse": 30, "dom_ready": 60, "load": 90, "transfer_size": 1200},
        {"app": "cart", "at": at, "kind": "resource", "url": "http://shop.example/mfe/cart/cart.js",
         "initiator": "script", "duration": 14.2, "transfer_size": 5300},
        {"app": "cart", "at": at, "kind": "error", "source": "error", "error_type": "TypeError",
         "message": "Checkout failed", "stack": "at f (http://x/cart.js:1:2)", "url": "http://x/cart.js",
         "line": 1, "column": 2},
        {"app": "cart", "at": at, "kind": "app", "phase": "registered"},
    ])
}

/// A page view registering cart (and catalog) with health checks; cart's
/// mount fails if `fails`.
pub fn registering_view(id: usize, fails: bool, health: &str, untrusted_health: &str) -> String {
    let at = 1_800_000_000_000.0_f64;
    let outcome = if fails { "failed" } else { "mounted" };
    json!({"schema": 1, "session_id": format!("s{id}"), "view_id": format!("v{id}"), "page_url": "http://shop.example/",
           "sent_at": at, "apps": [{"name": "cart", "version": "1.0.0"}],
           "events": [
               {"app": "cart", "at": at, "kind": "app", "phase": "registered", "health_check": health},
               {"app": "catalog", "at": at, "kind": "app", "phase": "registered", "health_check": untrusted_health},
               {"app": "cart", "at": at, "kind": "app", "phase": outcome},
           ]})
    .to_string()
}

/// Posts a beacon as sendBeacon does and expects it acknowledged.
pub async fn post_view(http: &reqwest::Client, base: &str, body: String) {
    let reply = http
        .post(format!("{base}/v1/beacon?key={KEY}"))
        .header("origin", ORIGIN)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 202);
}
