//! Source maps: uploads (`POST /v1/sourcemaps`, and the CLI's walk of a
//! build directory) checked before anything is stored, and errors grouped
//! and shown on resolved frames, whether the map came before or after them.

mod common;

use std::path::PathBuf;

use common::{beacon, TestServer};
use ingest_server::config::secret::Secret;
use ingest_server::config::UploadArgs;
use serde_json::{json, Value};

const TOKEN: &str = "upload-token-0123456789";
/// The last day (the default range): events are dated by the server's clock.
const RANGE: &str = "";

async fn server() -> TestServer {
    common::start(|settings| {
        settings.sourcemaps.upload_token = Some(Secret::from(TOKEN.to_owned()));
        settings.sourcemaps.max_map_bytes = 64 << 10;
        settings.sourcemaps.max_files_per_version = 2;
    })
    .await
}

fn fixture_dir(build: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sourcemaps/out/esbuild")
        .join(build)
}

fn fixture_map(build: &str) -> Vec<u8> {
    std::fs::read(fixture_dir(build).join("assets/cart.js.map")).unwrap()
}

/// Where Chrome puts the throw of the fixture's minified cart.js: 1-based.
fn throw_position(build: &str) -> (u32, u32) {
    let code = std::fs::read_to_string(fixture_dir(build).join("assets/cart.js")).unwrap();
    let at = code.find("new TypeError").unwrap();
    assert!(!code[..at].contains('\n'), "one line of minified code");
    (1, at as u32 + 1)
}

async fn upload(
    server: &TestServer,
    query: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> common::Reply {
    let mut request = server
        .http
        .post(format!("{}/v1/sourcemaps?{query}", server.base))
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    server.send(request).await
}

/// Maps stored, a replaced one once (FINAL: a background merge may or may
/// not have collapsed a re-upload yet).
async fn stored_maps(server: &TestServer) -> u64 {
    server
        .clickhouse
        .query("SELECT count() FROM sourcemaps FINAL")
        .fetch_one::<u64>()
        .await
        .expect("count the stored maps")
}

#[tokio::test]
async fn refused_uploads_store_nothing() {
    let server = server().await;
    let query = "app=cart&version=1.0.0&file=assets/cart.js";
    let map = fixture_map("first");
    for token in [None, Some("wrong-token-0123456789")] {
        let reply = upload(&server, query, token, map.clone()).await;
        assert_eq!(
            (reply.status, &reply.body["error"]),
            (401, &json!("unauthorized"))
        );
    }
    let cases: [(&str, Vec<u8>, u16, &str, &str); 6] = [
        (query, b"not json".to_vec(), 400, "invalid_map", "not JSON"),
        (
            query,
            b"{\"version\":3}".to_vec(),
            400,
            "invalid_map",
            "neither \"mappings\"",
        ),
        (
            "app=Cart!&version=1&file=cart.js",
            map.clone(),
            400,
            "bad_request",
            "app name",
        ),
        (
            "app=cart&version=1&file=/abs/cart.js",
            map.clone(),
            400,
            "bad_request",
            "relative path",
        ),
        (
            "app=cart&version=1",
            map.clone(),
            400,
            "invalid_query",
            "file",
        ),
        (
            query,
            vec![b' '; 65 << 10],
            413,
            "map_too_large",
            "sourcemaps.max_map_bytes",
        ),
    ];
    for (query, body, status, code, says) in cases {
        let reply = upload(&server, query, Some(TOKEN), body).await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (status, Some(code)),
            "{query}: {}",
            reply.body
        );
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    }
    assert_eq!(
        stored_maps(&server).await,
        0,
        "nothing stored on any refusal"
    );

    let first = upload(&server, query, Some(TOKEN), map.clone()).await;
    assert_eq!(
        (first.status, &first.body["replaced"]),
        (201, &json!(false)),
        "{}",
        first.body
    );
    let again = upload(&server, query, Some(TOKEN), map.clone()).await;
    assert_eq!((again.status, &again.body["replaced"]), (201, &json!(true)));
    let second_file = upload(
        &server,
        "app=cart&version=1.0.0&file=b.js",
        Some(TOKEN),
        map.clone(),
    )
    .await;
    assert_eq!(second_file.status, 201);
    let third_file = upload(
        &server,
        "app=cart&version=1.0.0&file=c.js",
        Some(TOKEN),
        map,
    )
    .await;
    assert_eq!(
        (third_file.status, &third_file.body["error"]),
        (409, &json!("too_many_files"))
    );
    assert_eq!(
        stored_maps(&server).await,
        2,
        "the re-upload replaces, the refused one is not stored"
    );
}

/// A beacon of one error of cart `version` thrown at `position` of the
/// minified bundle.
fn error_beacon(version: &str, session: &str, (line, column): (u32, u32)) -> String {
    let file = "http://cdn.shop.example/mfe/cart/assets/cart.js";
    let frame = format!("at e ({file}:{line}:{column})");
    let mut body = beacon(json!([{
        "app": "cart", "at": 1_799_999_999_000.0_f64, "kind": "error", "source": "error",
        "error_type": "TypeError", "message": "Bad total", "stack": format!("TypeError: Bad total\n    {frame}"),
        "url": file, "line": line, "column": column,
        "frames": [{"function": "e", "file": file, "line": line, "column": column},
                   {"function": "n", "file": file, "line": line, "column": 2}],
    }]));
    body["apps"] = json!([{"name": "cart", "version": version}]);
    body["session_id"] = json!(session);
    body["view_id"] = json!(format!("{session}-view"));
    body.to_string()
}

async fn get(server: &TestServer, path: &str) -> Value {
    let reply = server
        .send(server.http.get(format!("{}{path}", server.base)))
        .await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.body
}

/// The groups of "Bad total" in the error list.
async fn bad_total_groups(server: &TestServer) -> Vec<Value> {
    let errors = get(server, &format!("/api/dashboard/apps/cart/errors?{RANGE}")).await;
    errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|group| group["message"] == "Bad total")
        .cloned()
        .collect()
}

#[tokio::test]
async fn errors_resolve_and_group_whether_maps_come_before_or_after_them() {
    let server = server().await;
    // Build 1.0.0's maps, uploaded by the CLI from its output directory, before its error.
    let args = UploadArgs {
        app: "cart".into(),
        app_version: "1.0.0".into(),
        server: server.base.clone(),
        token: TOKEN.into(),
        dir: fixture_dir("first"),
    };
    let mut lines = Vec::new();
    let (files, _) = ingest_server::upload::upload(&args, |line| lines.push(line.to_owned()))
        .await
        .unwrap();
    assert_eq!(files, 1);
    assert!(
        lines[0].starts_with("uploaded assets/cart.js ("),
        "{lines:?}"
    );

    // The same code built again as 2.0.0: its error arrives before its map.
    for (version, session, build) in [("1.0.0", "s1", "first"), ("2.0.0", "s2", "second")] {
        let reply = server
            .post(error_beacon(version, session, throw_position(build)))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    server.barrier().await;
    let before = bad_total_groups(&server).await;
    assert_eq!(before.len(), 2, "2.0.0 has no map yet: {before:?}");
    let resolved: Vec<&Value> = before
        .iter()
        .filter(|g| !g["resolved_top_frame"].is_null())
        .collect();
    assert_eq!(resolved.len(), 1, "{before:?}");
    assert!(resolved[0]["fingerprint"]
        .as_str()
        .unwrap()
        .starts_with('r'));

    let reply = upload(
        &server,
        "app=cart&version=2.0.0&file=assets/cart.js",
        Some(TOKEN),
        fixture_map("second"),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let after = bad_total_groups(&server).await;
    assert_eq!(
        after.len(),
        1,
        "two builds of the same code are one group: {after:?}"
    );
    let group = &after[0];
    assert_eq!(
        (group["count"].as_u64(), group["views"].as_u64()),
        (Some(2), Some(2))
    );
    let top = &group["resolved_top_frame"];
    assert!(
        top["source"].as_str().unwrap().ends_with("src/price.js"),
        "{top}"
    );
    assert_eq!(
        (top["line"].as_u64(), top["column"].as_u64()),
        (Some(8), Some(11))
    );

    let fingerprint = group["fingerprint"].as_str().unwrap();
    let detail = get(
        &server,
        &format!("/api/dashboard/apps/cart/errors/{fingerprint}?{RANGE}"),
    )
    .await;
    assert_eq!(detail["fingerprint"], fingerprint);
    assert_eq!(
        (detail["count"].as_u64(), detail["sessions"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (detail["error_type"].as_str(), detail["source"].as_str()),
        (Some("TypeError"), Some("error"))
    );
    let frame = &detail["frames"][0];
    assert_eq!(frame["function"], "e");
    let context = &frame["resolved"]["context"];
    assert_eq!(
        context["line"], "    throw new TypeError('Bad total');",
        "{detail}"
    );
    assert_eq!(context["pre"].as_array().unwrap().len(), 5);
    let versions: Vec<&str> = detail["by_version"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions.len(), 2);
    assert!(versions.contains(&"1.0.0") && versions.contains(&"2.0.0"));
    assert_eq!(detail["by_browser"][0]["browser"], "Chrome");
    let over_time: u64 = detail["over_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(over_time, 2);

    // A map replaced by another build's is read again, not served from the cache.
    let webpack = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sourcemaps/out/webpack/second/assets/cart.js.map");
    let query = "app=cart&version=2.0.0&file=assets/cart.js";
    let reply = upload(&server, query, Some(TOKEN), std::fs::read(webpack).unwrap()).await;
    assert_eq!((reply.status, &reply.body["replaced"]), (201, &json!(true)));
    let replaced = bad_total_groups(&server).await;
    assert_eq!(
        replaced.len(),
        2,
        "2.0.0 now resolves through the new map: {replaced:?}"
    );

    let unknown = server
        .send(server.http.get(format!(
            "{}/api/dashboard/apps/cart/errors/r0000000000000000?{RANGE}",
            server.base
        )))
        .await;
    assert_eq!(
        (unknown.status, &unknown.body["error"]),
        (404, &json!("not_found"))
    );
}

/// `canopy-ingest sourcemaps upload …` as a build runs it: its lines, and
/// whether it exited 0.
async fn run_cli(server: &TestServer, version: &str, token: &str) -> (bool, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_canopy-ingest"));
    command
        .args([
            "sourcemaps",
            "upload",
            "--app",
            "cart",
            "--version",
            version,
        ])
        .args(["--server", &server.base])
        .arg(fixture_dir("second"))
        .env("CANOPY_SOURCEMAPS_TOKEN", token)
        .env("RUST_BACKTRACE", "0");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[tokio::test]
async fn the_cli_uploads_a_build_directory_and_fails_with_the_servers_message() {
    let server = server().await;
    let (ok, stdout, stderr) = run_cli(&server, "2.0.0", TOKEN).await;
    assert!(ok, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("uploaded assets/cart.js ("),
        "{stdout}"
    );
    assert!(lines[1].starts_with("1 source maps ("), "{stdout}");
    assert!(lines[1].ends_with(" uploaded for cart 2.0.0"), "{stdout}");
    assert_eq!(stored_maps(&server).await, 1);

    let (ok, _, stderr) = run_cli(&server, "2.0.1", "wrong-token-0123456789").await;
    assert!(!ok, "a refused upload exits non-zero");
    assert!(
        stderr.contains("(401 unauthorized): missing or wrong bearer token"),
        "{stderr}"
    );
    assert_eq!(stored_maps(&server).await, 1);
}
