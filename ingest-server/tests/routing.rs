//! Routing and grouping on a real ClickHouse, with the route tree of
//! docs/ALERTING.md: ten apps breaching at once are one notification
//! listing ten alerts, their resolution the next one; a route nested under
//! a `continue` sibling gets its own groups; no channel hears twice; a
//! disabled rule is not evaluated.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::receivers::{paths_starting, recording_receiver, Requests};
use common::{eventually, post_view};
use ingest_server::config::Settings;
use serde_json::{json, Value};

const APPS: [&str; 10] = [
    "cart", "checkout", "app2", "app3", "app4", "app5", "app6", "app7", "app8", "app9",
];
const RULE: &str = "apps-availability";

/// docs/ALERTING.md's `[alerting.route]` example, its timers shortened.
fn documented_route() -> String {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ALERTING.md"))
            .unwrap();
    let mut route = docs
        .split("```toml\n")
        .map(|rest| rest.split("```").next().unwrap())
        .find(|block| block.contains("[alerting.route]"))
        .expect("docs/ALERTING.md has a route example")
        .to_owned();
    for (from, to) in [
        ("group_wait = \"30s\"", "group_wait = \"3s\""),
        ("group_wait = \"10s\"", "group_wait = \"3s\""),
        ("group_interval = \"5m\"", "group_interval = \"1s\""),
    ] {
        assert!(route.contains(from), "the example no longer says {from}");
        route = route.replace(from, to);
    }
    route
}

/// One page view in which all ten apps register and then fail or mount.
fn view(id: usize, fails: bool) -> String {
    let at = 1_800_000_000_000.0_f64;
    let outcome = if fails { "failed" } else { "mounted" };
    let events: Vec<Value> = APPS
        .iter()
        .flat_map(|app| {
            [
                json!({"app": app, "at": at, "kind": "app", "phase": "registered"}),
                json!({"app": app, "at": at, "kind": "app", "phase": outcome}),
            ]
        })
        .collect();
    json!({"schema": 1, "session_id": format!("s{id}"), "view_id": format!("v{id}"), "page_url": "http://shop.example/",
           "sent_at": at, "apps": [], "events": events})
    .to_string()
}

fn bodies(requests: &Requests, receiver: &str) -> Vec<Value> {
    paths_starting(requests, &format!("/hook/{receiver}"))
        .into_iter()
        .map(|(_, body)| body)
        .collect()
}

fn apps_of(body: &Value) -> Vec<String> {
    let mut apps: Vec<String> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["app"].as_str().unwrap().to_owned())
        .collect();
    apps.sort();
    apps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_apps_breaching_at_once_are_one_notification_then_one_resolution() {
    let (receiver, requests) = recording_receiver().await;
    let channels: String = ["ops", "pagerduty", "checkout-team", "checkout-pager"]
        .iter()
        .map(|name| {
            format!("[[alerting.channels]]\nname = \"{name}\"\nkind = \"webhook\"\nurl = \"http://{receiver}/hook/{name}\"\n")
        })
        .collect();
    let config = format!(
        r#"
        [alerting]
        interval = "1s"
        default_rules = false
        [[alerting.rules]]
        name = "{RULE}"
        metric = "availability"
        operator = "lt"
        threshold = 0.9
        resolve_threshold = 0.95
        window = "12s"
        min_samples = 3
        severity = "critical"
        labels = {{ team = "checkout" }}
        channels = ["pagerduty"]
        [[alerting.rules]]
        name = "switched-off"
        metric = "availability"
        operator = "lt"
        threshold = 0.99
        min_samples = 3
        severity = "warning"
        enabled = false
        {channels}
        {route}
        "#,
        route = documented_route()
    );
    let configured: Settings = toml::from_str(&config).unwrap();
    let server = common::start(|settings| settings.alerting = configured.alerting).await;
    let http = reqwest::Client::new();

    for id in 0..3 {
        post_view(&http, &server.base, view(id, true)).await;
    }
    // Critical: the pagerduty route (grouped by rule), which continues to
    // the checkout route, whose nested route pages per app for cart and checkout.
    eventually("the group's notification", || async {
        !bodies(&requests, "pagerduty").is_empty()
    })
    .await;
    let firing = bodies(&requests, "pagerduty")[0].clone();
    assert_eq!(firing["status"], "firing");
    assert_eq!(firing["groupLabels"], json!({"rule": RULE}));
    let mut all: Vec<String> = APPS.iter().map(|a| (*a).to_owned()).collect();
    all.sort();
    assert_eq!(apps_of(&firing), all, "one notification listing ten alerts");
    assert_eq!(firing["commonLabels"]["team"], "checkout");
    eventually("cart and checkout paged apart", || async {
        bodies(&requests, "checkout-pager").len() == 2
    })
    .await;
    let mut paged: Vec<Vec<String>> = bodies(&requests, "checkout-pager")
        .iter()
        .map(apps_of)
        .collect();
    paged.sort();
    assert_eq!(paged, [["cart"], ["checkout"]]);

    // Recovery: the failures age out of the 12 s window while good views continue.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut id = 100;
    while bodies(&requests, "pagerduty").len() < 2 {
        assert!(Instant::now() < deadline, "no resolution within 120 s");
        for _ in 0..3 {
            post_view(&http, &server.base, view(id, false)).await;
            id += 1;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let told = bodies(&requests, "pagerduty");
    assert_eq!(told.len(), 2, "firing, then resolved: nothing between");
    assert_eq!(told[1]["status"], "resolved");
    assert_eq!(apps_of(&told[1]), all);
    assert!(told[1]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["status"] == "resolved"));
    eventually("cart and checkout resolved on their pages", || async {
        bodies(&requests, "checkout-pager").len() == 4
    })
    .await;
    assert!(bodies(&requests, "ops").is_empty() && bodies(&requests, "checkout-team").is_empty());

    // The disabled rule, breached all along, has no alert at all.
    let switched_off: u64 = server
        .clickhouse
        .query("SELECT count() FROM alert_history WHERE rule = 'switched-off'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(switched_off, 0);

    // Each delivery is logged for every alert it told of (after the
    // receiver has it: wait for the log).
    let expected = [
        ("checkout-pager", "firing", 2),
        ("checkout-pager", "resolved", 2),
        ("pagerduty", "firing", 10),
        ("pagerduty", "resolved", 10),
    ]
    .map(|(channel, notice, n)| (channel.to_owned(), notice.to_owned(), n));
    let logged = || async {
        server
            .clickhouse
            .query("SELECT channel, notice, count() FROM notifications WHERE ok GROUP BY channel, notice ORDER BY channel, notice")
            .fetch_all::<(String, String, u64)>()
            .await
            .unwrap()
    };
    eventually("every delivery logged", || async {
        logged().await == expected
    })
    .await;
}
