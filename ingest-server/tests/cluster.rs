//! Canopy on a sharded ClickHouse cluster (issue 20), for real: two shards
//! of the embedded engine with `clickhouse.replicated = false`, two ingest
//! servers each with its own write-ahead log, one of them evaluating alerts.
//!
//! Needs `CANOPY_CLUSTER_URLS`, the HTTP URLs of a running 2-node cluster
//! named `canopy`, comma-separated (scripts/test starts
//! scripts/embedded-cluster.py and sets it; the outage test starts a
//! cluster of its own, as it stops a node), and `CLICKHOUSE_URL` (one node).
//! Without the first, the cluster tests say so and pass; the DDL test needs
//! only the single node.

mod common;

use std::time::Duration;

use clickhouse::Client;
use common::processes::{assert_stored_exactly_once, EmbeddedClickHouse, Load, ServerProcess};
use common::traffic::{demo_rows, demo_views};
use common::{clickhouse_url, eventually, get, json_rows, serve, unique_database, TestServer};
use ingest_server::config::{Role, Settings};
use serde_json::Value;

/// The cluster's name, in the embedded cluster's config and in ours.
const CLUSTER: &str = "canopy";

/// How far a quantile read from rollups on two shards may be from the same
/// quantile on one node: a t-digest (the hourly rollups) merged from two
/// shards' digests is not the digest of all the values at once. Reservoir
/// quantiles of fewer than 8,192 values, and every count, are exact.
const QUANTILE_TOLERANCE: f64 = 0.01;

/// How long a shard is down in the outage test: several failed inserts.
const OUTAGE: Duration = Duration::from_secs(30);

fn cluster_urls() -> Option<Vec<String>> {
    let urls = std::env::var("CANOPY_CLUSTER_URLS").ok();
    if urls.is_none() {
        eprintln!("CANOPY_CLUSTER_URLS is not set: no cluster to test (scripts/test starts one)");
    }
    Some(urls?.split(',').map(str::to_owned).collect())
}

/// Settings for a server of the cluster talking to the node at `url`.
fn cluster_settings(
    url: &str,
    nodes: &[String],
    database: &str,
    spool: &std::path::Path,
) -> Settings {
    let mut settings = common::settings(url, spool.to_owned());
    settings.clickhouse.database = database.to_owned();
    settings.clickhouse.cluster = Some(CLUSTER.into());
    settings.clickhouse.replicated = false;
    settings.clickhouse.nodes = nodes.to_vec();
    settings
}

/// Evaluates one rule the demo traffic breaks: cart's error rate.
fn evaluate(settings: &mut Settings) {
    settings.alerting = toml::from_str(
        r#"
        role = "all"
        interval = "1s"
        default_rules = false
        [[rules]]
        name = "cart-errors"
        app = "cart"
        metric = "error_rate"
        operator = "gt"
        threshold = 0.1
        window = "1h"
        for = "1s"
        min_samples = 1
        severity = "warning"
        "#,
    )
    .unwrap();
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Whether a JSON path names a quantile (`p75`, `quantiles[1]`, …).
fn is_quantile(path: &str) -> bool {
    let field = path.rsplit('.').next().unwrap_or(path);
    ["p50", "p75", "p95", "quantile", "q["]
        .iter()
        .any(|name| field.starts_with(name))
}

/// An array element's identity for ordering: its strings and whole
/// numbers (rows tied in an answer's sort order may come in either order).
fn identity(element: &Value) -> String {
    match element {
        Value::Object(fields) => fields
            .values()
            .filter(|v| v.is_string() || v.is_u64() || v.is_i64())
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("|"),
        other => other.to_string(),
    }
}

/// The columns of `sql` computed with `any(…)`: any value of the group,
/// which need not be the same one on two shards as on one node.
fn any_value_columns(sql: &str) -> Vec<String> {
    sql.match_indices("any(")
        .filter(|(at, _)| !sql[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .filter_map(|(at, _)| {
            let after = &sql[at..].split_once(" AS ")?.1;
            Some(
                after
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()?
                    .to_owned(),
            )
        })
        .collect()
}

/// Rows of a query without its `any(…)` columns, and with arrays of
/// strings (`groupUniqArray`: a set) sorted.
fn comparable_rows(rows: Vec<Value>, any_value: &[String]) -> Value {
    let rows = rows.into_iter().map(|mut row| {
        let fields = row.as_object_mut().unwrap();
        fields.retain(|name, _| !any_value.contains(name));
        for value in fields.values_mut() {
            if let Some(items) = value
                .as_array_mut()
                .filter(|items| items.iter().all(Value::is_string))
            {
                items.sort_by_key(Value::to_string);
            }
        }
        row
    });
    Value::Array(rows.collect())
}

/// Asserts the cluster's answer equals the single node's: strings and
/// counts exactly, other numbers within 1e-9, quantiles within
/// [`QUANTILE_TOLERANCE`] (relative).
fn assert_same(single: &Value, cluster: &Value, path: &str) {
    match (single, cluster) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(a), keys(b), "{path}");
            for (key, value) in a {
                assert_same(value, &b[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: {single} vs {cluster}");
            let sorted = |items: &[Value]| {
                let mut items = items.to_vec();
                if items.iter().all(Value::is_object) {
                    items.sort_by_key(identity);
                }
                items
            };
            for (i, (x, y)) in sorted(a).iter().zip(&sorted(b)).enumerate() {
                assert_same(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let tolerance = if is_quantile(path) {
                QUANTILE_TOLERANCE
            } else {
                1e-9
            };
            assert!(
                (x - y).abs() <= tolerance * x.abs().max(1.0),
                "{path}: one node {x}, cluster {y}"
            );
        }
        _ => assert_eq!(single, cluster, "{path}"),
    }
}

/// Copies the rows the ingest servers stored in the cluster (every table
/// with a `received_at`: events and beacon ids) into the single node's
/// database, whose views then fill its rollups as inserts do. Both then
/// hold the very same events, to the millisecond.
async fn copy_stored_rows(from_node: &str, from_database: &str, to: &Client) -> Vec<String> {
    let tables: Vec<String> = to
        .query(
            "SELECT table FROM system.columns WHERE database = currentDatabase() \
             AND name = 'received_at' ORDER BY table",
        )
        .fetch_all()
        .await
        .unwrap();
    for table in &tables {
        let source = format!(
            "{from_node}/?database={from_database}&query=SELECT%20*%20FROM%20{table}%20FORMAT%20Native"
        );
        to.query(&format!("INSERT INTO {table} SELECT * FROM url(?, Native)"))
            .bind(source)
            .execute()
            .await
            .unwrap_or_else(|error| panic!("copying {table}: {error}"));
    }
    tables
}

/// Two probes, stored as the prober would, at the same instant in both.
async fn store_probes(clickhouse: &Client, at_ms: u64) {
    let at = format!("fromUnixTimestamp64Milli(toInt64({at_ms}))");
    clickhouse
        .query(&format!(
            "INSERT INTO probes (at, app, url, ok, status, latency_ms, error) VALUES \
             ({at}, 'cart', 'http://shop.example/health', 1, 200, 12.5, ''), \
             ({at}, 'cart', 'http://shop.example/health', 0, 500, 40.0, 'status 500')"
        ))
        .execute()
        .await
        .unwrap();
}

/// Every dashboard endpoint over the last hour (per-minute rollups) and
/// over 8 hours (hourly ones), and every alert metric over an hour.
fn api_paths(ranges: &[String]) -> Vec<String> {
    let mut paths = Vec::new();
    for range in ranges {
        paths.push(format!("/api/dashboard/overview?{range}"));
        for endpoint in [
            "series",
            "resources",
            "pages",
            "browsers",
            "probes",
            "long-frames",
            "errors",
            "versions",
        ] {
            for app in ["cart", "catalog"] {
                paths.push(format!("/api/dashboard/apps/{app}/{endpoint}?{range}"));
            }
        }
    }
    paths.extend(
        [
            "/api/apps?window=1h",
            "/api/apps/cart/metrics?window=1h",
            "/api/apps/catalog/metrics?window=1h",
            "/api/health/apps",
        ]
        .map(str::to_owned),
    );
    paths
}

/// The firing alert of the test's rule, as a server lists it.
async fn firing_alert(server: &TestServer) -> Option<Value> {
    let listed = get(server, "/api/alerts?status=firing&app=cart").await;
    listed["alerts"].as_array()?.first().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_answer_every_read_as_one_node_does() {
    let Some(nodes) = cluster_urls() else { return };
    let database = unique_database();
    let spools: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // Two ingest servers, each writing through a different node; the
    // second also evaluates the alert rules, reading through the cluster.
    let mut ingest_only = cluster_settings(&nodes[0], &nodes, &database, spools[0].path());
    evaluate(&mut ingest_only); // the same rules, shown on its dashboards
    ingest_only.alerting.role = Role::Ingest;
    let mut evaluator = cluster_settings(&nodes[1], &nodes, &database, spools[1].path());
    evaluate(&mut evaluator);
    let cluster_client = |url: &str| Client::default().with_url(url).with_database(&database);
    let cluster: Vec<TestServer> = [(ingest_only, &nodes[0]), (evaluator, &nodes[1])]
        .into_iter()
        .map(|(settings, node)| async move {
            TestServer::reading(serve(settings).await, cluster_client(node))
        })
        .collect::<futures_util::future::JoinAll<_>>()
        .await;

    let mut single_settings = common::settings(&clickhouse_url(), spools[2].path().to_owned());
    evaluate(&mut single_settings);
    let single_client = Client::default()
        .with_url(clickhouse_url())
        .with_database(&single_settings.clickhouse.database);
    let single = TestServer::reading(serve(single_settings).await, single_client);

    // The fixture through both ingest servers, a session's views split
    // between them; then every row is stored (a barrier on each log).
    for (i, (body, user_agent)) in demo_views(1).iter().enumerate() {
        cluster[i % 2].post_from(user_agent, body).await;
    }
    for server in &cluster {
        server.barrier().await;
    }
    for (table, rows) in demo_rows(2) {
        eventually(table, || async { cluster[0].count(table).await == rows }).await;
    }
    // Both shards hold part of it, raw and rolled up (views fire per shard).
    for table in [
        "app_events",
        "vitals",
        "errors",
        "rollup_app_minute",
        "rollup_vitals_hour",
    ] {
        let mut per_node = Vec::new();
        for node in &nodes {
            per_node.push(common::count(&cluster_client(node), &format!("{table}_local")).await);
        }
        assert!(
            per_node.iter().all(|n| *n > 0),
            "{table} on each shard: {per_node:?}"
        );
        if !table.starts_with("rollup_") {
            assert_eq!(
                per_node.iter().sum::<u64>(),
                cluster[0].count(table).await,
                "{table}"
            );
        }
    }

    // Each node has its own migration bookkeeping, complete.
    let versions = "SELECT DISTINCT version FROM schema_migrations ORDER BY version";
    let applied: Vec<u32> = single.clickhouse.query(versions).fetch_all().await.unwrap();
    for node in &nodes {
        let on_node: Vec<u32> = cluster_client(node)
            .query(versions)
            .fetch_all()
            .await
            .unwrap();
        assert_eq!(on_node, applied, "migrations recorded on {node}");
    }

    let copied = copy_stored_rows(&nodes[0], &database, &single.clickhouse).await;
    assert!(copied.len() >= 10, "the event tables: {copied:?}");
    for table in &copied {
        let rows = cluster[1].count(table).await;
        assert_eq!(single.count(table).await, rows, "{table} copied");
    }
    let now = unix_now();
    store_probes(&single.clickhouse, now * 1000).await;
    store_probes(&cluster[0].clickhouse, now * 1000).await;

    // The evaluator reading through the cluster fires as the one on one node
    // (before the dashboards are compared: they count active alerts).
    eventually("the same firing alert on both", || async {
        match (firing_alert(&single).await, firing_alert(&cluster[0]).await) {
            (Some(a), Some(b)) => a["value"] == b["value"] && a["rule"] == b["rule"],
            _ => false,
        }
    })
    .await;
    // The dashboard and the alert metrics, from either ingest server.
    let ranges = [
        format!("from={}&to={}", now - 3600, now + 60),
        format!("from={}&to={}", now - 8 * 3600 - 1234, now + 60),
    ];
    let mut paths = api_paths(&ranges);
    let top_errors = get(
        &single,
        &format!("/api/dashboard/apps/cart/errors?{}", ranges[0]),
    )
    .await;
    for error in top_errors["errors"].as_array().unwrap() {
        let fingerprint = error["fingerprint"].as_str().unwrap();
        paths.push(format!(
            "/api/dashboard/apps/cart/errors/{fingerprint}?{}",
            ranges[0]
        ));
    }
    for (i, path) in paths.iter().enumerate() {
        let (a, b) = (get(&single, path).await, get(&cluster[i % 2], path).await);
        assert_same(&a, &b, path);
    }

    // The cookbook and the Grafana panels, read through either node.
    let grafana = common::queries::grafana();
    let queries = common::queries::cookbook().into_iter().chain(
        grafana
            .iter()
            .map(|sql| common::queries::expand_grafana(sql)),
    );
    for (i, sql) in queries.enumerate() {
        let expected = json_rows(&single.clickhouse, &sql).await;
        assert!(!expected.is_empty(), "no rows from:\n{sql}");
        let got = json_rows(&cluster[i % 2].clickhouse, &sql).await;
        let any_value = any_value_columns(&sql);
        let (expected, got) = (
            comparable_rows(expected, &any_value),
            comparable_rows(got, &any_value),
        );
        assert_same(&expected, &got, &sql);
    }

    let stats = "/api/alerts/stats";
    assert_same(
        &get(&single, stats).await,
        &get(&cluster[1], stats).await,
        stats,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_stopped_for_30_s_under_ingest_loses_nothing() {
    if cluster_urls().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = EmbeddedClickHouse::cluster(&dir.path().join("cluster"), CLUSTER, 2).await;
    let urls: Vec<String> = nodes.iter().map(EmbeddedClickHouse::url).collect();
    let database = unique_database();
    let node_list = urls
        .iter()
        .map(|url| format!("\"{url}\""))
        .collect::<Vec<_>>();
    let mut servers = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let server_dir = dir.path().join(format!("ingest-{i}"));
        std::fs::create_dir_all(&server_dir).unwrap();
        let clickhouse = format!(
            "url = \"{url}\"\ncluster = \"{CLUSTER}\"\nreplicated = false\nnodes = [{}]",
            node_list.join(", ")
        );
        servers.push(ServerProcess::start_with(&server_dir, &clickhouse, &database, "").await);
    }
    // One load per server, each with its own beacon ids.
    let loads = [
        Load::start_after(servers[0].base(), 50, 0),
        Load::start_after(servers[1].base(), 50, 1_000_000),
    ];
    for load in &loads {
        load.wait_for_more(100).await;
    }
    // Shard 2 goes: the second server's node, and half the first's rows.
    nodes[1].stop();
    let outage = tokio::time::sleep(OUTAGE);
    for load in &loads {
        load.wait_for_more(300).await;
    }
    outage.await;
    // The outage reached both servers: each saw inserts fail (the first's
    // rows for shard 2 too, not only those through the stopped node).
    for server in &servers {
        let metrics = reqwest::get(format!("{}/metrics", server.base()))
            .await
            .unwrap();
        let failed = metrics.text().await.unwrap().lines().find_map(|line| {
            line.strip_prefix("canopy_clickhouse_errors_total ")?
                .parse::<f64>()
                .ok()
        });
        assert!(
            failed.is_some_and(|n| n > 0.0),
            "no failed insert at {}",
            server.base()
        );
    }
    nodes[1].resume().await;
    for load in &loads {
        load.wait_for_more(100).await;
    }
    let mut acknowledged = Vec::new();
    for load in loads {
        acknowledged.extend(load.stop().await.acknowledged.lock().unwrap().iter());
    }
    assert_stored_exactly_once(&urls[0], &database, &acknowledged).await;
    for url in &urls {
        let node = Client::default().with_url(url).with_database(&database);
        assert!(
            common::count(&node, "vitals_local").await > 0,
            "rows on {url}"
        );
    }
}

/// The replicated variant with its Keeper parts taken out: no `ON CLUSTER`,
/// and `Replicated…MergeTree('<path>', '{replica}'[, args])` as
/// `…MergeTree([args])`.
fn without_replication(statement: &str, cluster: &str) -> String {
    let statement = statement.replace(&format!(" ON CLUSTER `{cluster}`"), "");
    let Some((before, rest)) = statement.split_once("ENGINE = Replicated") else {
        return statement;
    };
    let (kind, rest) = rest.split_once('(').unwrap();
    let (_zookeeper, rest) = rest.split_once("'{replica}'").unwrap();
    let rest = rest
        .strip_prefix(", ")
        .map_or(rest.to_owned(), |args| format!("({args}"));
    let rest = rest.strip_prefix(')').map_or(rest.clone(), str::to_owned);
    format!("{before}ENGINE = {kind}{rest}")
}

/// The replicated DDL cannot run here (no Keeper), so: ClickHouse parses
/// every statement of it, and without its replication parts it is, word
/// for word, the sharded DDL the tests above run on a real cluster.
#[tokio::test]
async fn the_replicated_ddl_parses_and_is_the_sharded_ddl_plus_replication() {
    use ingest_server::store::schema::{all_statements, Layout};
    let clickhouse = Client::default().with_url(clickhouse_url());
    let replicated = all_statements(&Layout::Cluster(CLUSTER.into()), "canopy");
    let sharded = all_statements(&Layout::Sharded(CLUSTER.into()), "canopy");
    assert_eq!(replicated.len(), sharded.len());
    for (statement, plain) in replicated.iter().zip(&sharded) {
        let formatted: String = clickhouse
            .query("SELECT formatQuery(?)")
            .bind(statement)
            .fetch_one()
            .await
            .unwrap_or_else(|error| panic!("does not parse: {error}\n{statement}"));
        assert!(
            formatted.contains(&format!("ON CLUSTER {CLUSTER}")),
            "{formatted}"
        );
        assert_eq!(&without_replication(statement, CLUSTER), plain);
    }
    assert!(replicated
        .iter()
        .any(|s| s.contains("ReplicatedReplacingMergeTree(")));
}
