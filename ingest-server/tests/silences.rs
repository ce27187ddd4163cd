//! Silences on a real ClickHouse, through the server binary: silences made
//! over HTTP survive a restart, mute the alerts they match (shown as
//! silenced, never told to the webhook receiver) while an unmatched alert is
//! told; expiring one by DELETE, or its `ends_at` passing, lets the next
//! notice through; bad input is a 400 that says why and loses nothing.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::processes::ServerProcess;
use common::receivers::{paths_starting, recording_receiver, Requests};
use common::{clickhouse_url, eventually, post_view, unique_database};
use serde_json::{json, Value};

const ADMIN: &str = "admin-secret";
/// Silenced by hand (expired by DELETE), by its end passing, and not at all.
const APPS: [&str; 3] = ["cart", "checkout", "catalog"];

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn config(receiver: std::net::SocketAddr) -> String {
    format!(
        r#"
[alerting]
interval = "1s"
admin_token = "{ADMIN}"
default_rules = false
[[alerting.channels]]
name = "hook"
kind = "webhook"
url = "http://{receiver}/hook"
[[alerting.rules]]
name = "availability"
metric = "availability"
operator = "lt"
threshold = 0.9
resolve_threshold = 0.95
window = "60s"
min_samples = 3
severity = "critical"
repeat_interval = "1h"
channels = ["hook"]
"#
    )
}

/// A page view in which every app registers and fails to mount.
fn failing_view(id: usize) -> String {
    let at = 1_800_000_000_000.0_f64;
    let events: Vec<Value> = APPS
        .iter()
        .flat_map(|app| {
            [
                json!({"app": app, "at": at, "kind": "app", "phase": "registered"}),
                json!({"app": app, "at": at, "kind": "app", "phase": "failed", "detail": "mount threw"}),
            ]
        })
        .collect();
    json!({"schema": 1, "session_id": format!("s{id}"), "view_id": format!("v{id}"),
           "page_url": "http://shop.example/", "sent_at": at, "apps": [], "events": events})
    .to_string()
}

/// The alerts of every notice the receiver got.
fn told_alerts(requests: &Requests) -> Vec<Value> {
    paths_starting(requests, "/hook")
        .iter()
        .flat_map(|(_, body)| body["alerts"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The apps named by the alerts of every notice the receiver got.
fn told_apps(requests: &Requests) -> Vec<String> {
    told_alerts(requests)
        .iter()
        .map(|alert| alert["labels"]["app"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn told(requests: &Requests, app: &str) -> bool {
    told_apps(requests).iter().any(|a| a == app)
}

/// The alert of `app` as told: firing, and news (not a repeat).
fn assert_told_firing_anew(requests: &Requests, app: &str) {
    let alerts = told_alerts(requests);
    let alert = alerts.iter().find(|a| a["labels"]["app"] == app).unwrap();
    assert_eq!(alert["status"], "firing", "{alert}");
    assert_eq!(alert["annotations"]["repeat"], "false", "{alert}");
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// Sends with the admin token; the status and JSON body.
    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.bearer_auth(ADMIN).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn create(&self, body: Value) -> (u16, Value) {
        let url = format!("{}/api/silences", self.base);
        let request = self
            .http
            .post(url)
            .header("content-type", "application/json");
        self.send(request.body(body.to_string())).await
    }

    async fn expire(&self, id: &str) -> (u16, Value) {
        let url = format!("{}/api/silences/{id}", self.base);
        self.send(self.http.delete(url)).await
    }

    async fn list(&self, query: &str) -> Vec<Value> {
        let url = format!("{}/api/silences{query}", self.base);
        let (status, body) = self.send(self.http.get(url)).await;
        assert_eq!(status, 200, "{body}");
        body["silences"].as_array().unwrap().clone()
    }

    /// The newest alert of `app`, if any.
    async fn alert_of(&self, app: &str) -> Option<Value> {
        let url = format!("{}/api/alerts?app={app}", self.base);
        let (status, body) = self.send(self.http.get(url)).await;
        assert_eq!(status, 200, "{body}");
        body["alerts"].as_array()?.first().cloned()
    }
}

fn ids(silences: &[Value]) -> Vec<&str> {
    let mut ids: Vec<&str> = silences.iter().map(|s| s["id"].as_str().unwrap()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_mute_survive_a_restart_and_expire_by_hand_or_by_time() {
    common::init_logs();
    let (receiver, requests) = recording_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let database = unique_database();
    let mut server =
        ServerProcess::start(dir.path(), &clickhouse_url(), &database, &config(receiver)).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: server.base(),
    };

    let (status, cart) = api
        .create(
            json!({"matchers": ["app=\"cart\"", "rule=~\"avail.*\""], "duration": "1h",
                       "created_by": "ann", "comment": "cart maintenance"}),
        )
        .await;
    assert_eq!(status, 201, "{cart}");
    assert_eq!(cart["state"], "active");
    assert_eq!(
        cart["matchers"],
        json!(["app=\"cart\"", "rule=~\"avail.*\""])
    );
    let cart_id = cart["id"].as_str().unwrap().to_owned();
    // Long enough for the alert to fire (and be seen muted) first on a busy machine.
    let checkout_ends = now_ms() + 45_000;
    let (status, checkout) = api
        .create(
            json!({"matchers": ["app=\"checkout\""], "ends_at": checkout_ends,
                       "created_by": "bob"}),
        )
        .await;
    assert_eq!(status, 201, "{checkout}");
    let checkout_id = checkout["id"].as_str().unwrap().to_owned();

    // Bad input: a 400 saying why, and nothing stored or lost.
    for (body, why) in [
        (
            json!({"matchers": [], "duration": "1h", "created_by": "ann"}),
            "at least one",
        ),
        (
            json!({"matchers": ["app=~\"(\""], "duration": "1h", "created_by": "ann"}),
            "not a regular expression",
        ),
        (
            json!({"matchers": ["app=\"cart\""], "ends_at": now_ms() - 1000, "created_by": "ann"}),
            "in the future",
        ),
        (
            json!({"matchers": ["app=\"cart\""], "duration": "1h", "created_by": ""}),
            "created_by",
        ),
        (
            json!({"matchers": ["app=\"cart\""], "duration": "1h"}),
            "created_by",
        ),
    ] {
        let (status, answer) = api.create(body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"], "bad_request", "{answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{body}: {answer}");
    }
    let anonymous = api.http.post(format!("{}/api/silences", api.base));
    let answer = anonymous.body("{}").send().await.unwrap();
    assert_eq!(answer.status(), 401);
    let mut expected = vec![cart_id.as_str(), checkout_id.as_str()];
    expected.sort();
    assert_eq!(ids(&api.list("").await), expected);

    // Stored in ClickHouse: a restarted server still has them, and applies them.
    server.kill_9();
    server.resume().await;
    assert_eq!(ids(&api.list("?state=active").await), expected);
    assert!(api.list("?state=expired").await.is_empty());

    let http = reqwest::Client::new();
    for id in 0..3 {
        post_view(&http, &server.base(), failing_view(id)).await;
    }
    eventually("catalog, not silenced, told", || async {
        told(&requests, "catalog")
    })
    .await;
    for (app, id) in [("cart", &cart_id), ("checkout", &checkout_id)] {
        eventually(&format!("{app}'s alert firing, silenced"), || async {
            api.alert_of(app).await.is_some_and(|alert| {
                alert["status"] == "firing" && alert["silenced_by"] == json!([id])
            })
        })
        .await;
    }
    let catalog = api.alert_of("catalog").await.unwrap();
    assert_eq!(catalog["silenced_by"], json!([]), "{catalog}");
    // Two more evaluations of the silenced alerts: still not a word of them.
    let evaluated = api.alert_of("cart").await.unwrap()["updated_at"]
        .as_i64()
        .unwrap();
    eventually("two more evaluations", || async {
        let alert = api.alert_of("cart").await.unwrap();
        alert["updated_at"].as_i64().unwrap() >= evaluated + 2000
    })
    .await;
    assert!(now_ms() < checkout_ends, "checkout's silence still runs");
    assert_eq!(told_apps(&requests), ["catalog"], "only catalog was told");

    // checkout's silence ends by itself: its alert is told at the next tick.
    eventually("checkout told once its silence ended", || async {
        told(&requests, "checkout")
    })
    .await;
    assert!(now_ms() >= checkout_ends, "not before its silence ended");
    assert_told_firing_anew(&requests, "checkout");
    let checkout_alert = api.alert_of("checkout").await.unwrap();
    assert_eq!(checkout_alert["silenced_by"], json!([]), "{checkout_alert}");
    assert!(!told(&requests, "cart"), "cart is still silenced");

    // Expired by hand: kept, listed as expired, and cart is told.
    let (status, expired) = api.expire(&cart_id).await;
    assert_eq!(status, 200, "{expired}");
    assert_eq!(expired["state"], "expired");
    assert!(expired["ends_at"].as_i64().unwrap() <= now_ms());
    eventually("cart told once its silence was expired", || async {
        told(&requests, "cart")
    })
    .await;
    assert_told_firing_anew(&requests, "cart");
    let mut once: Vec<String> = told_apps(&requests);
    once.sort();
    assert_eq!(once, ["cart", "catalog", "checkout"], "each told once");
    let listed = api.list("?state=expired").await;
    assert_eq!(ids(&listed), expected);
    assert!(api.list("?state=active").await.is_empty());

    let (status, again) = api.expire(&cart_id).await;
    assert_eq!(
        (status, &again["error"]),
        (409, &json!("conflict")),
        "{again}"
    );
    let (status, unknown) = api.expire("4f9c2a52-1d8e-4f5e-9d43-1c2b3a4d5e6f").await;
    assert_eq!(status, 404, "{unknown}");
    let (status, malformed) = api.expire("not-a-uuid").await;
    assert_eq!(status, 400, "{malformed}");
    assert!(
        malformed["message"].as_str().unwrap().contains("UUID"),
        "{malformed}"
    );
}
