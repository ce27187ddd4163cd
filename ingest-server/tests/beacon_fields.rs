//! What the agent sends since issue 3, end to end: LCP sub-parts and INP
//! phases with their scripts, long frames, resource summaries and cache hits,
//! parsed stack frames and repeat counts, each app's sample rate and
//! attributes, and the agent's drop count. Each is stored and read back; each
//! bad value is refused, and over-long text is cut and marked.
//!
//! Needs `CLICKHOUSE_URL`.

mod common;

use canopy_wire::limits::{MAX_ATTRS, MAX_FRAMES, MAX_SCRIPTS, MAX_TEXT_BYTES, TRUNCATION_MARK};
use common::{beacon, json_rows, start, TestServer};
use serde_json::{json, Value};

const AT: f64 = 1_799_999_999_000.0;
const CART_JS: &str = "http://shop.example/mfe/cart/cart.js";

/// A beacon whose `cart` app registered with a sample rate and attributes,
/// and whose agent dropped 4 events.
fn detailed_beacon(events: Value) -> Value {
    let mut body = beacon(events);
    body["apps"][0]["sample_rate"] = json!(0.25);
    body["apps"][0]["attrs"] = json!({"team": "checkout", "region": "eu"});
    body["dropped"] = json!(4);
    body
}

fn script(duration: f64) -> Value {
    json!({"url": CART_JS, "function": "render", "invoker": "DIV.onclick", "duration": duration})
}

fn every_new_field() -> Value {
    json!([
        {"app": "cart", "at": AT, "kind": "vital", "name": "lcp", "value": 2400.0,
         "parts": {"ttfb": 100.0, "load_delay": 300.0, "load_duration": 1500.0, "render_delay": 500.0}},
        {"app": "cart", "at": AT, "kind": "vital", "name": "inp", "value": 320.0,
         "parts": {"input_delay": 20.0, "processing": 250.0, "presentation": 50.0}, "scripts": [script(240.0)]},
        {"app": "cart", "at": AT, "kind": "resource", "url": CART_JS, "initiator": "script",
         "duration": 3.0, "transfer_size": 0, "cache_hit": true},
        {"app": "cart", "at": AT, "kind": "resource_summary", "count": 14, "transfer_size": 120_000,
         "cache_hits": 9, "duration": 812.5},
        {"app": "cart", "at": AT, "kind": "long_frame", "duration": 130.0, "blocking": 80.0,
         "scripts": [script(90.0), {"url": "", "invoker": "Window.setTimeout", "duration": 25.0}]},
        {"app": "cart", "at": AT, "kind": "error", "source": "error", "error_type": "TypeError",
         "message": "x is undefined", "count": 5,
         "frames": [{"function": "render", "file": CART_JS, "line": 3, "column": 9},
                    {"file": CART_JS, "line": 40, "column": 1}]},
        {"app": "cart", "at": AT, "kind": "app", "phase": "registered"},
    ])
}

async fn rows(server: &TestServer, sql: &str) -> Vec<Value> {
    json_rows(&server.clickhouse, sql).await
}

#[tokio::test]
async fn every_new_field_is_stored_and_read_back() {
    let server = start(|_| {}).await;
    let reply = server
        .post(detailed_beacon(every_new_field()).to_string())
        .await;
    assert_eq!((reply.status, &reply.body), (202, &json!({"accepted": 7})));
    common::eventually("every table's rows", || async {
        let mut all = true;
        for (table, expected) in [
            ("vitals", 2),
            ("resources", 1),
            ("resource_summaries", 1),
            ("long_frames", 1),
            ("errors", 1),
            ("app_events", 1),
            ("agent_drops", 1),
        ] {
            all &= server.count(table).await == expected;
        }
        all
    })
    .await;

    let vitals = rows(&server, "SELECT name, parts, scripts.url AS urls, scripts.function AS functions, \
        scripts.invoker AS invokers, scripts.duration AS durations, app_attrs FROM vitals ORDER BY name").await;
    assert_eq!(
        vitals[0]["parts"],
        json!({"input_delay": 20, "processing": 250, "presentation": 50})
    );
    assert_eq!(
        [
            &vitals[0]["urls"],
            &vitals[0]["functions"],
            &vitals[0]["invokers"],
            &vitals[0]["durations"]
        ],
        [
            &json!([CART_JS]),
            &json!(["render"]),
            &json!(["DIV.onclick"]),
            &json!([240])
        ]
    );
    assert_eq!(vitals[1]["parts"]["load_duration"], 1500.0);
    assert_eq!(vitals[1]["urls"], json!([]));
    let cart_attrs = json!({"team": "checkout", "region": "eu"});
    assert_eq!(
        vitals[1]["app_attrs"], cart_attrs,
        "the app's attributes on its events"
    );

    let resource = rows(&server, "SELECT cache_hit, app_attrs FROM resources").await;
    assert_eq!(
        (&resource[0]["cache_hit"], &resource[0]["app_attrs"]),
        (&json!(true), &cart_attrs)
    );
    let summary = rows(
        &server,
        "SELECT count, transfer_size, cache_hits, duration FROM resource_summaries",
    )
    .await;
    assert_eq!(
        summary[0],
        json!({"count": 14, "transfer_size": 120_000, "cache_hits": 9, "duration": 812.5})
    );

    let frame = rows(
        &server,
        "SELECT duration, blocking, scripts.url AS urls, scripts.invoker AS invokers, \
        scripts.duration AS durations, app_attrs FROM long_frames",
    )
    .await;
    assert_eq!(
        (
            &frame[0]["duration"],
            &frame[0]["blocking"],
            &frame[0]["urls"],
            &frame[0]["invokers"],
            &frame[0]["durations"]
        ),
        // ClickHouse writes whole floats without a fraction.
        (
            &json!(130),
            &json!(80),
            &json!([CART_JS, ""]),
            &json!(["DIV.onclick", "Window.setTimeout"]),
            &json!([90, 25])
        )
    );

    let fingerprint = ingest_server::store::schema::fingerprint_sql();
    let top_frame = ingest_server::store::schema::top_frame_sql();
    let error = rows(&server, &format!("SELECT count, frames.function AS functions, frames.file AS files, \
        frames.line AS lines, frames.column AS columns, {top_frame} AS top_frame, {fingerprint} AS fingerprint FROM errors")).await;
    assert_eq!(
        [
            &error[0]["count"],
            &error[0]["functions"],
            &error[0]["lines"],
            &error[0]["columns"]
        ],
        [
            &json!(5),
            &json!(["render", ""]),
            &json!([3, 40]),
            &json!([9, 1])
        ]
    );
    assert_eq!(error[0]["top_frame"], format!("at render ({CART_JS}:3:9)"));

    // The rollups count the five occurrences under the same fingerprint.
    common::eventually("the error rollups", || async {
        let rollup = rows(&server, "SELECT fingerprint, sum(count) AS count FROM rollup_errors_minute GROUP BY fingerprint").await;
        let totals = rows(&server, "SELECT sum(errors) AS errors FROM rollup_app_minute WHERE app = 'cart'").await;
        rollup.len() == 1 && rollup[0]["fingerprint"] == error[0]["fingerprint"] && rollup[0]["count"] == 5 && totals[0]["errors"] == 5
    })
    .await;

    let registered = rows(&server, "SELECT sample_rate, app_attrs FROM app_events").await;
    assert_eq!(
        (&registered[0]["sample_rate"], &registered[0]["app_attrs"]),
        (&json!(0.25), &cart_attrs)
    );
    let drops = rows(
        &server,
        "SELECT app, session_id, view_id, dropped FROM agent_drops",
    )
    .await;
    assert_eq!(
        drops[0],
        json!({"app": "", "session_id": "sess-1", "view_id": "view-1", "dropped": 4})
    );

    let metrics = server.metrics().await;
    assert!(
        metrics.contains("canopy_agent_dropped_events_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn apps_missing_the_new_fields_get_their_defaults() {
    let server = start(|_| {}).await;
    let reply = server
        .post(beacon(common::one_of_each_kind()).to_string())
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    common::eventually("the rows", || async { server.total_rows().await == 5 }).await;
    let error = rows(
        &server,
        "SELECT count, length(frames.file) AS frames, app_attrs FROM errors",
    )
    .await;
    assert_eq!(error[0], json!({"count": 1, "frames": 0, "app_attrs": {}}));
    let registered = rows(&server, "SELECT sample_rate FROM app_events").await;
    assert_eq!(registered[0]["sample_rate"], 1.0);
    assert_eq!(server.count("agent_drops").await, 0, "no drops, no row");
}

/// `object` with the fields of `change` set (both JSON objects).
fn merged(mut object: Value, change: &Value) -> Value {
    let fields = change.as_object().expect("changes are objects").clone();
    object.as_object_mut().expect("an object").extend(fields);
    object
}

/// `count` copies of `item`.
fn many(item: Value, count: usize) -> Value {
    Value::Array(vec![item; count])
}

#[tokio::test]
async fn each_new_field_is_checked() {
    let server = start(|_| {}).await;
    let frame = json!({"file": CART_JS, "line": 1, "column": 1});
    let vital = |extra: Value| {
        let inp = json!({"app": "cart", "at": AT, "kind": "vital", "name": "inp", "value": 100.0});
        merged(inp, &extra)
    };
    let error = |extra: Value| {
        let error = json!({"app": "cart", "at": AT, "kind": "error", "source": "error",
                           "error_type": "Error", "message": "m"});
        merged(error, &extra)
    };
    let too_many_attrs: serde_json::Map<String, Value> = (0..=MAX_ATTRS)
        .map(|i| (format!("k{i}"), json!("v")))
        .collect();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"apps": [{"name": "cart", "sample_rate": 1.5}]}),
            "apps[0].sample_rate",
        ),
        (
            json!({"apps": [{"name": "cart", "sample_rate": -0.1}]}),
            "apps[0].sample_rate",
        ),
        (
            json!({"apps": [{"name": "cart", "attrs": too_many_attrs}]}),
            "apps[0].attrs",
        ),
        (
            json!({"events": [vital(json!({"parts": {"processing": -1.0}}))]}),
            "events[0].parts",
        ),
        (
            json!({"events": [vital(json!({"parts": {"not a name": 1.0}}))]}),
            "events[0].parts",
        ),
        (
            json!({"events": [vital(json!({"scripts": many(script(1.0), MAX_SCRIPTS + 1)}))]}),
            "events[0].scripts",
        ),
        (
            json!({"events": [vital(json!({"scripts": [script(-1.0)]}))]}),
            "events[0].scripts.duration",
        ),
        (
            json!({"events": [{"app": "cart", "at": AT, "kind": "long_frame", "duration": -5.0, "blocking": 0.0}]}),
            "events[0].duration",
        ),
        (
            json!({"events": [{"app": "cart", "at": AT, "kind": "long_frame", "duration": 60.0, "blocking": -1.0}]}),
            "events[0].blocking",
        ),
        (
            json!({"events": [{"app": "cart", "at": AT, "kind": "long_frame", "duration": 60.0, "blocking": 10.0,
                            "scripts": many(script(1.0), MAX_SCRIPTS + 1)}]}),
            "events[0].scripts",
        ),
        (
            json!({"events": [{"app": "cart", "at": AT, "kind": "resource_summary", "count": 2, "transfer_size": 0,
                            "cache_hits": 3, "duration": 1.0}]}),
            "events[0].cache_hits",
        ),
        (
            json!({"events": [{"app": "cart", "at": AT, "kind": "resource_summary", "count": 2, "transfer_size": 0,
                            "cache_hits": 1, "duration": -1.0}]}),
            "events[0].duration",
        ),
        (
            json!({"events": [error(json!({"count": 0}))]}),
            "events[0].count",
        ),
        (
            json!({"events": [error(json!({"frames": many(frame, MAX_FRAMES + 1)}))]}),
            "events[0].frames",
        ),
    ];
    for (change, field) in cases {
        let reply = server
            .post(merged(beacon(common::one_of_each_kind()), &change).to_string())
            .await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (400, Some("invalid_field")),
            "{change}: {}",
            reply.body
        );
        let message = reply.body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{field}: ")),
            "{field}: {message}"
        );
    }
    // Wrong types are not beacons at all.
    for change in [
        json!({"dropped": -1}),
        json!({"events": [error(json!({"count": -2}))]}),
    ] {
        let reply = server
            .post(merged(beacon(common::one_of_each_kind()), &change).to_string())
            .await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (400, Some("invalid_beacon")),
            "{change}"
        );
    }
    assert_eq!(
        server.barrier().await,
        5,
        "only the barrier beacon's rows are stored"
    );
}

#[tokio::test]
async fn over_long_new_text_is_cut_and_marked() {
    let server = start(|_| {}).await;
    let long = "x".repeat(MAX_TEXT_BYTES + 100);
    let long_script = json!({"url": long, "function": long, "invoker": long, "duration": 1.0});
    let events = json!([
        {"app": "cart", "at": AT, "kind": "long_frame", "duration": 60.0, "blocking": 10.0, "scripts": [long_script]},
        {"app": "cart", "at": AT, "kind": "error", "source": "error", "error_type": "Error", "message": "m",
         "frames": [{"function": long, "file": long, "line": 1, "column": 1}]},
    ]);
    let mut body = detailed_beacon(events);
    body["apps"][0]["attrs"] = json!({"team": "y".repeat(1000)});
    assert_eq!(server.post(body.to_string()).await.status, 202);
    common::eventually("the rows", || async {
        server.count("errors").await == 1 && server.count("long_frames").await == 1
    })
    .await;
    let cut = |text: &Value, max: usize| {
        let text = text.as_str().unwrap();
        text.len() <= max && text.ends_with(TRUNCATION_MARK)
    };
    let frame = rows(
        &server,
        "SELECT scripts.url[1] AS url, scripts.function[1] AS function, \
        scripts.invoker[1] AS invoker, app_attrs['team'] AS team FROM long_frames",
    )
    .await;
    for field in ["url", "function", "invoker"] {
        assert!(cut(&frame[0][field], MAX_TEXT_BYTES), "{field}");
    }
    assert!(cut(
        &frame[0]["team"],
        canopy_wire::limits::MAX_ATTR_VALUE_BYTES
    ));
    let error = rows(
        &server,
        "SELECT frames.function[1] AS function, frames.file[1] AS file FROM errors",
    )
    .await;
    assert!(cut(&error[0]["function"], MAX_TEXT_BYTES) && cut(&error[0]["file"], MAX_TEXT_BYTES));
}
