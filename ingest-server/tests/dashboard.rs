//! The dashboard API answers from rollups; these tests prove each endpoint's
//! numbers equal what the raw tables give for the same range.
//!
//! Needs `CLICKHOUSE_URL`.

mod common;

use common::{get, TestServer};
use serde_json::{json, Value};

/// Sends [`common::traffic::demo_views`] and a probe, and waits until all is stored.
async fn send_traffic(server: &TestServer, minutes_apart: u32) {
    for (body, ua) in common::traffic::demo_views(minutes_apart) {
        server.post_from(ua, &body).await;
    }
    server.barrier().await;
    // The barrier's own rows are stored table by table: wait for all of them,
    // so the API and the raw queries below see the same rows.
    for (table, rows) in common::traffic::demo_rows(1) {
        common::eventually(table, || async { server.count(table).await == rows }).await;
    }
    // A probe, stored as the prober would.
    server
        .clickhouse
        .query(
            "INSERT INTO probes (at, app, url, ok, status, latency_ms, error) VALUES \
                (now64(3), 'cart', 'http://shop.example/health', 1, 200, 12.5, ''), \
                (now64(3), 'cart', 'http://shop.example/health', 0, 500, 40.0, 'status 500')",
        )
        .execute()
        .await
        .unwrap();
}

/// Raw-table rows as JSON, the range bound like the API binds it.
async fn raw(server: &TestServer, sql: &str, from: u64, to: u64) -> Vec<Value> {
    let sql = sql.replace(
        "{range}",
        &format!("at >= toDateTime({from}) AND at < toDateTime({to})"),
    );
    common::json_rows(&server.clickhouse, &sql).await
}

fn close(a: &Value, b: &Value, what: &str) {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => assert!(
            (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            "{what}: api {x} ≠ raw {y}"
        ),
        _ => assert_eq!(a, b, "{what}"),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn range_of(answer: &Value) -> (u64, u64) {
    (
        answer["from"].as_u64().unwrap(),
        answer["to"].as_u64().unwrap(),
    )
}

/// The overview's per-app counts equal the raw tables' exactly over the
/// range it answers for; its vitals' sample counts too, and their quantiles
/// equal what `quantiles` (the rollup's quantile function) gives on the raw
/// values (exact on this little data: no state has summarised anything yet).
async fn check_overview(server: &TestServer, overview: &Value, quantiles: &str) {
    let (from, to) = range_of(overview);
    let apps = overview["apps"].as_array().unwrap();
    let app = |name: &str| {
        apps.iter()
            .find(|a| a["app"] == name)
            .unwrap_or_else(|| panic!("{name} in {overview}"))
            .clone()
    };
    let totals = raw(server, "SELECT v.app AS app, v.n AS views, e.n AS error_views, e.c AS errors, f.n AS failed_views FROM \
        (SELECT app, uniqExact(view_id) AS n FROM app_events WHERE {range} AND phase = 'registered' GROUP BY app) AS v \
        LEFT JOIN (SELECT app, uniqExactIf(view_id, source IN ('error', 'rejection')) AS n, sumIf(count, source IN ('error', 'rejection')) AS c \
                   FROM errors WHERE {range} GROUP BY app) AS e ON v.app = e.app \
        LEFT JOIN (SELECT app, uniqExact(view_id) AS n FROM (SELECT app, view_id FROM app_events WHERE {range} AND phase = 'failed' \
                   UNION ALL SELECT app, view_id FROM errors WHERE {range} AND source = 'resource_load' AND error_type = 'script') \
                   GROUP BY app) AS f ON v.app = f.app ORDER BY app", from, to).await;
    assert_eq!(totals.len(), 2, "cart and catalog registered: {totals:?}");
    for row in &totals {
        let api = app(row["app"].as_str().unwrap());
        for field in ["views", "error_views", "errors", "failed_views"] {
            close(&api[field], &row[field], &format!("{} {field}", row["app"]));
        }
        let views = row["views"].as_f64().unwrap();
        close(
            &api["error_rate"],
            &json!(row["error_views"].as_f64().unwrap() / views),
            "error_rate",
        );
        close(
            &api["availability"],
            &json!(1.0 - row["failed_views"].as_f64().unwrap() / views),
            "availability",
        );
    }
    assert_eq!(
        app("catalog")["failed_views"],
        2,
        "a failed mount and a failed chunk"
    );
    let vitals = raw(
        server,
        &format!(
            "SELECT app, name, count() AS samples, {quantiles}(0.5, 0.75, 0.95)(value) AS q \
                  FROM vitals WHERE {{range}} GROUP BY app, name"
        ),
        from,
        to,
    )
    .await;
    assert!(vitals.len() >= 5);
    for row in &vitals {
        let api = &app(row["app"].as_str().unwrap())["vitals"][row["name"].as_str().unwrap()];
        close(&api["samples"], &row["samples"], "vital samples");
        for (i, p) in ["p50", "p75", "p95"].iter().enumerate() {
            close(
                &api[p],
                &row["q"][i],
                &format!("{} {} {p}", row["app"], row["name"]),
            );
        }
    }
    assert!(["good", "needs-improvement", "poor"]
        .contains(&app("shell")["vitals"]["lcp"]["rating"].as_str().unwrap()));
}

/// A chart's views and vitals p75 per bucket equal the raw tables'.
async fn check_series(server: &TestServer, series: &Value, quantiles: &str) {
    let (from, to) = range_of(series);
    let bucket = series["bucket"].as_u64().unwrap();
    let times: Vec<u64> = series["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    let bucket_of_at = format!("toUInt32(intDiv(toUInt32(toDateTime(at)), {bucket}) * {bucket})");
    let raw_views = raw(
        server,
        &format!(
            "SELECT {bucket_of_at} AS t, uniqExact(view_id) AS views \
        FROM app_events WHERE {{range}} AND app = 'cart' AND phase = 'registered' GROUP BY t"
        ),
        from,
        to,
    )
    .await;
    let raw_p75 = raw(server, &format!("SELECT {bucket_of_at} AS t, name, \
        {quantiles}(0.5, 0.75, 0.95)(value)[2] AS p75 FROM vitals WHERE {{range}} AND app = 'cart' GROUP BY t, name"), from, to).await;
    assert!(!raw_views.is_empty() && !raw_p75.is_empty());
    let index = |row: &Value| {
        times
            .iter()
            .position(|t| Some(*t) == row["t"].as_u64())
            .unwrap_or_else(|| panic!("bucket {} in {times:?}", row["t"]))
    };
    for row in &raw_views {
        close(
            &series["series"]["views"][index(row)],
            &row["views"],
            "views per bucket",
        );
    }
    for row in &raw_p75 {
        close(
            &series["series"][row["name"].as_str().unwrap()][index(row)],
            &row["p75"],
            "p75 per bucket",
        );
    }
}

#[tokio::test]
async fn every_endpoint_agrees_with_the_raw_tables() {
    let server = common::start(|_| {}).await;
    send_traffic(&server, 0).await;
    let now = unix_now();
    let query = format!("from={}&to={}", now - 3600, now + 60);

    // Overview: views, error views, failures, errors and vitals per app.
    let overview = get(&server, &format!("/api/dashboard/overview?{query}")).await;
    check_overview(&server, &overview, "quantiles").await;
    let cart = overview["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == "cart")
        .unwrap();
    assert_eq!(
        cart["errors"],
        (1 + 2 + 3) + 3 + 2 * 2 + 1,
        "occurrences of three fingerprints, and the barrier beacon's error"
    );

    // Series: per bucket, views and vitals p75.
    let series = get(
        &server,
        &format!("/api/dashboard/apps/cart/series?{query}&bucket=300"),
    )
    .await;
    check_series(&server, &series, "quantiles").await;

    // Top errors by fingerprint (message + top frame), repeats counted.
    let errors = get(&server, &format!("/api/dashboard/apps/cart/errors?{query}")).await;
    let (from, to) = range_of(&errors);
    let fingerprint = ingest_server::store::schema::fingerprint_sql();
    let top_frame = ingest_server::store::schema::top_frame_sql();
    let raw_errors = raw(&server, &format!("SELECT {fingerprint} AS fp, any(message) AS msg, any({top_frame}) AS frame, \
        sum(count) AS count, toUnixTimestamp64Milli(min(at)) AS first_seen, toUnixTimestamp64Milli(max(at)) AS last_seen \
        FROM errors WHERE {{range}} AND app = 'cart' AND source IN ('error', 'rejection') GROUP BY fp ORDER BY count DESC, fp"), from, to).await;
    let api_errors = errors["errors"].as_array().unwrap();
    assert_eq!(api_errors.len(), 4, "three fingerprints and the barrier's");
    assert_eq!(
        (api_errors[0]["message"].as_str(), &api_errors[0]["count"]),
        (Some("Checkout failed"), &json!(6)),
        "counts summed: {api_errors:?}"
    );
    for (api, row) in api_errors.iter().zip(&raw_errors) {
        assert_eq!(api["fingerprint"], row["fp"]);
        for (a, r) in [
            ("message", "msg"),
            ("top_frame", "frame"),
            ("count", "count"),
            ("first_seen", "first_seen"),
            ("last_seen", "last_seen"),
        ] {
            close(&api[a], &row[r], a);
        }
    }
    let frames: Vec<&str> = api_errors
        .iter()
        .map(|e| e["top_frame"].as_str().unwrap())
        .collect();
    assert!(
        frames.contains(&"at pay (http://shop.example/mfe/cart/cart.js:1:2)"),
        "Chrome frame: {frames:?}"
    );
    assert!(
        frames.contains(&"fetchPrice@http://shop.example/mfe/cart/cart.js:9:1"),
        "Firefox frame: {frames:?}"
    );
    assert!(
        frames.contains(&"at total (http://shop.example/mfe/cart/cart.js:20:7)"),
        "top parsed frame: {frames:?}"
    );

    // Long frames per bucket, and the scripts that ran longest in them.
    let long_frames = get(
        &server,
        &format!("/api/dashboard/apps/cart/long-frames?{query}&bucket=3600"),
    )
    .await;
    let (from, to) = range_of(&long_frames);
    let raw_frames = raw(
        &server,
        "SELECT count() AS frames, sum(blocking) AS blocking, quantile(0.95)(duration) AS p95 \
        FROM long_frames WHERE {range} AND app = 'cart'",
        from,
        to,
    )
    .await;
    let buckets = long_frames["frames"].as_array().unwrap();
    assert_eq!(buckets.len(), 1, "{long_frames}");
    for field in ["frames", "blocking", "p95"] {
        close(&buckets[0][field], &raw_frames[0][field], field);
    }
    let scripts = long_frames["scripts"].as_array().unwrap();
    assert_eq!(scripts.len(), 2, "{long_frames}");
    assert_eq!(
        (
            &scripts[0]["function"],
            &scripts[0]["invoker"],
            &scripts[0]["frames"],
            scripts[0]["duration"].as_f64()
        ),
        (
            &json!("render"),
            &json!("DIV.onclick"),
            &json!(4),
            Some(280.0)
        )
    );

    // Slowest resources.
    let resources = get(
        &server,
        &format!("/api/dashboard/apps/cart/resources?{query}"),
    )
    .await;
    let (from, to) = range_of(&resources);
    let raw_resources = raw(&server, "SELECT url, count() AS samples, sum(transfer_size) AS bytes, quantiles(0.5, 0.75, 0.95)(duration) AS q \
        FROM resources WHERE {range} AND app = 'cart' GROUP BY url ORDER BY q[2] DESC", from, to).await;
    let api_resources = resources["resources"].as_array().unwrap();
    assert_eq!(api_resources.len(), raw_resources.len());
    for (api, row) in api_resources.iter().zip(&raw_resources) {
        assert_eq!(api["url"], row["url"]);
        close(&api["samples"], &row["samples"], "samples");
        close(&api["bytes"], &row["bytes"], "bytes");
        close(&api["p75"], &row["q"][1], "resource p75");
    }
    assert_eq!(
        api_resources[0]["url"], "http://shop.example/api/cart",
        "slowest first"
    );

    // Worst pages and the browser breakdown.
    for (endpoint, key, column) in [
        ("pages", "pages", "path(page_url)"),
        ("browsers", "browsers", "browser"),
    ] {
        let answer = get(
            &server,
            &format!("/api/dashboard/apps/cart/{endpoint}?{query}"),
        )
        .await;
        let (from, to) = range_of(&answer);
        let rows = raw(&server, &format!("SELECT {column} AS key, name, count() AS samples, quantiles(0.5, 0.75, 0.95)(value) AS q \
            FROM vitals WHERE {{range}} AND app = 'cart' GROUP BY key, name"), from, to).await;
        let entries = answer[key].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{answer}");
        for row in &rows {
            let entry = entries.iter().find(|e| e["key"] == row["key"]).unwrap();
            let api = &entry["vitals"][row["name"].as_str().unwrap()];
            close(&api["samples"], &row["samples"], "samples");
            close(&api["p75"], &row["q"][1], &format!("{endpoint} p75"));
        }
    }

    // Probe latency.
    let probes = get(
        &server,
        &format!("/api/dashboard/apps/cart/probes?{query}&bucket=3600"),
    )
    .await;
    let rows = probes["probes"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{probes}");
    assert_eq!(rows[0]["probes"], 2);
    close(&rows[0]["avg"], &json!(26.25), "probe avg");
    close(&rows[0]["ok"], &json!(0.5), "probe ok");
}

/// Over more than 6 hours the overview reads the hourly rollups, and so do
/// charts whose buckets are whole hours: the range, not on an hour here, is
/// widened to whole hours, and the answers still equal the raw tables' over
/// it, with traffic spread over three hour boundaries. Quantiles come from
/// t-digests there (equal to the raw values' t-digest on this little data).
#[tokio::test]
async fn ranges_over_hours_read_the_hourly_rollups_and_agree_with_the_raw_tables() {
    let server = common::start(|_| {}).await;
    send_traffic(&server, 17).await;
    let now = unix_now();
    let (asked_from, asked_to) = (now - 8 * 3600 - 1234, now + 60);
    let query = format!("from={asked_from}&to={asked_to}");
    let hours_of_traffic = raw(
        &server,
        "SELECT uniqExact(toStartOfHour(at)) AS n FROM vitals WHERE {range}",
        asked_from,
        asked_to,
    )
    .await;
    assert!(
        hours_of_traffic[0]["n"].as_u64().unwrap() >= 4,
        "{hours_of_traffic:?}"
    );

    let overview = get(&server, &format!("/api/dashboard/overview?{query}")).await;
    let (from, to) = range_of(&overview);
    assert_eq!((from % 3600, to % 3600), (0, 0), "whole hours");
    assert!(
        from <= asked_from && from + 3600 > asked_from && to >= asked_to && to < asked_to + 3600
    );
    check_overview(&server, &overview, "quantilesTDigest").await;

    let series = get(
        &server,
        &format!("/api/dashboard/apps/cart/series?{query}&bucket=3600"),
    )
    .await;
    assert_eq!(range_of(&series), (from, to));
    check_series(&server, &series, "quantilesTDigest").await;
}

#[tokio::test]
async fn reads_need_the_read_token_and_reject_bad_ranges() {
    let server = common::start(|s| s.alerting.read_token = "reader-token-123".into()).await;
    let url = format!("{}/api/dashboard/overview", server.base);
    assert_eq!(server.http.get(&url).send().await.unwrap().status(), 401);
    let ok = server
        .http
        .get(&url)
        .bearer_auth("reader-token-123")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = server
        .http
        .get(format!("{url}?from=100&to=50"))
        .bearer_auth("reader-token-123")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad_app = format!(
        "{}/api/dashboard/apps/{}/errors",
        server.base, "x'%20OR%201=1"
    );
    assert_eq!(
        server
            .http
            .get(bad_app)
            .bearer_auth("reader-token-123")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn the_query_cookbook_runs_on_demo_shaped_data() {
    let server = common::start(|_| {}).await;
    send_traffic(&server, 0).await;
    let blocks = common::queries::cookbook();
    assert!(blocks.len() >= 6, "the cookbook has its queries");
    for sql in blocks {
        let rows = raw(&server, &sql, 0, 0).await;
        assert!(!rows.is_empty(), "no rows from:\n{sql}");
    }
}

#[tokio::test]
async fn the_grafana_dashboard_queries_run_and_filter_the_time_column() {
    let server = common::start(|_| {}).await;
    send_traffic(&server, 0).await;
    let queries = common::queries::grafana();
    assert!(queries.len() >= 10);
    for sql in queries {
        // Primary-key pruning: the sort key's time column is compared directly.
        assert!(
            sql.contains("minute >= $__fromTime AND minute <= $__toTime")
                || sql.contains("at >= $__fromTime AND at <= $__toTime"),
            "{sql}"
        );
        // Eventually: a materialized view's rows may become visible a moment
        // after the raw rows the traffic helper waited for.
        let expanded = common::queries::expand_grafana(&sql);
        let what = format!("rows from:\n{sql}");
        common::eventually(&what, || async {
            !raw(&server, &expanded, 0, 0).await.is_empty()
        })
        .await;
    }
}
