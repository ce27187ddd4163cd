//! `GET /openapi.json` tells the truth: it is OpenAPI 3.1, documents the
//! routes the server has and only those, and real answers (with data, and
//! errors) match the schemas it gives for them.

mod common;

use common::{TestServer, KEY, ORIGIN};
use serde_json::{json, Value};

/// The routes the document must list (paths as OpenAPI writes them).
const KNOWN: [(&str, &str); 28] = [
    ("post", "/v1/beacon"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/api/apps"),
    ("get", "/api/apps/{name}/metrics"),
    ("get", "/api/alerts"),
    ("get", "/api/alerts/stats"),
    ("get", "/api/health/apps"),
    ("get", "/api/health/evaluator"),
    ("post", "/api/alerts/{id}/ack"),
    ("post", "/api/alerts/{id}/resolve"),
    ("get", "/api/rules"),
    ("get", "/api/dashboard/overview"),
    ("get", "/api/dashboard/apps/{app}/series"),
    ("get", "/api/dashboard/apps/{app}/errors"),
    ("get", "/api/dashboard/apps/{app}/errors/{fingerprint}"),
    ("get", "/api/dashboard/apps/{app}/resources"),
    ("get", "/api/dashboard/apps/{app}/pages"),
    ("get", "/api/dashboard/apps/{app}/browsers"),
    ("get", "/api/dashboard/apps/{app}/probes"),
    ("get", "/api/dashboard/apps/{app}/long-frames"),
    ("post", "/v1/sourcemaps"),
    ("get", "/api/dashboard/apps/{app}/versions"),
    ("post", "/api/silences"),
    ("get", "/api/silences"),
    ("delete", "/api/silences/{id}"),
];

/// What the router's fallback says: the path has no route.
const NO_ROUTE: &str = "no such endpoint; see /openapi.json";

async fn document(server: &TestServer) -> Value {
    let reply = server
        .send(server.http.get(format!("{}/openapi.json", server.base)))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// `path` with each `{parameter}` filled in.
fn concrete(path: &str) -> String {
    path.replace("{app}", "cart")
        .replace("{name}", "cart")
        .replace("{id}", "no-such-alert")
}

/// Checks `body`, answered with `status` to `method path`, against the
/// schema the document gives for that answer.
fn check_against_document(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} documents no JSON answer for {status}: {response}"
    );
    let root = json!({ "$ref": "#/$defs/answer", "$defs": { "answer": schema },
                       "components": doc["components"] });
    let validator = jsonschema::draft202012::new(&root).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match the document: {errors:?}\n{body}"
    );
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_server_has() {
    let server = common::start(|_| {}).await;
    let doc = document(&server).await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    for (method, path) in KNOWN {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    for scheme in ["read_token", "admin_token", "ingest_key", "upload_token"] {
        assert!(doc["components"]["securitySchemes"][scheme].is_object());
    }
    let paths = doc["paths"].as_object().unwrap();
    let known_paths: std::collections::BTreeSet<&str> = KNOWN.iter().map(|(_, p)| *p).collect();
    assert_eq!(paths.len(), known_paths.len(), "{:?}", paths.keys());
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let url = format!("{}{}", server.base, concrete(path));
            let request = match method.as_str() {
                "get" => server.http.get(url),
                "post" => server.http.post(url),
                "delete" => server.http.delete(url),
                other => panic!("{other} {path}: a method the test does not know"),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert!(
                status != 405 && !text.contains(NO_ROUTE),
                "{method} {path} is documented but not routed: {status} {text}"
            );
        }
    }
}

#[tokio::test]
async fn real_answers_match_the_documented_schemas() {
    let server = common::start(|settings| {
        settings.alerting.read_token = "reader".into();
    })
    .await;
    let doc = document(&server).await;

    // A beacon, acknowledged; then data for the API to answer with.
    let reply = server
        .post(common::beacon(common::one_of_each_kind()).to_string())
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    check_against_document(&doc, "post", "/v1/beacon", 202, &reply.body);
    server.barrier().await;

    // The server dates events by their age when sent: they happened just now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let range = format!("from={}&to={}", now - 3600, now + 60);
    let reads = [
        ("/healthz", "/healthz".to_owned()),
        ("/readyz", "/readyz".to_owned()),
        ("/api/apps", "/api/apps?window=30d".to_owned()),
        ("/api/alerts", "/api/alerts".to_owned()),
        ("/api/alerts/stats", "/api/alerts/stats".to_owned()),
        ("/api/health/apps", "/api/health/apps".to_owned()),
        ("/api/health/evaluator", "/api/health/evaluator".to_owned()),
        (
            "/api/apps/{name}/metrics",
            "/api/apps/cart/metrics?window=30d".to_owned(),
        ),
        (
            "/api/alerts",
            format!("/api/alerts?from={}&to={}", now - 3600, now + 60),
        ),
        ("/api/rules", "/api/rules".to_owned()),
        (
            "/api/dashboard/overview",
            format!("/api/dashboard/overview?{range}"),
        ),
    ];
    let per_app = [
        "series",
        "errors",
        "resources",
        "pages",
        "browsers",
        "probes",
        "long-frames",
        "versions",
    ]
    .map(|name| {
        (
            format!("/api/dashboard/apps/{{app}}/{name}"),
            format!("/api/dashboard/apps/cart/{name}?{range}"),
        )
    });
    let reads = reads
        .into_iter()
        .map(|(path, url)| (path.to_owned(), url))
        .chain(per_app);
    let mut answers = Vec::new();
    for (path, url) in reads {
        let request = server.http.get(format!("{}{url}", server.base));
        let reply = server.send(request.bearer_auth("reader")).await;
        assert_eq!(reply.status, 200, "{url}: {}", reply.body);
        check_against_document(&doc, "get", &path, 200, &reply.body);
        answers.push((path, reply.body));
    }
    let overview = answers
        .iter()
        .find_map(|(path, body)| (path == "/api/dashboard/overview").then_some(body))
        .unwrap();
    assert!(
        overview["apps"]
            .as_array()
            .is_some_and(|apps| !apps.is_empty()),
        "the answers checked hold data: {overview}"
    );

    // One error group, by the id the list gives it.
    let list = answers
        .iter()
        .find_map(|(path, body)| path.ends_with("/errors").then_some(body))
        .unwrap();
    let fingerprint = list["errors"][0]["fingerprint"].as_str().unwrap();
    let group = server
        .http
        .get(format!(
            "{}/api/dashboard/apps/cart/errors/{fingerprint}?{range}",
            server.base
        ))
        .bearer_auth("reader");
    let reply = server.send(group).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let path = "/api/dashboard/apps/{app}/errors/{fingerprint}";
    check_against_document(&doc, "get", path, 200, &reply.body);

    // Errors, each as documented for its route and status.
    let errors = [
        (
            "get",
            "/api/alerts",
            server
                .http
                .get(format!("{}/api/alerts?from=20&to=10", server.base))
                .bearer_auth("reader"),
            400,
        ),
        ("post", "/v1/beacon", server.beacon("key=wrong"), 401),
        (
            "get",
            "/api/apps",
            server.http.get(format!("{}/api/apps", server.base)),
            401,
        ),
        (
            "get",
            "/api/apps",
            server
                .http
                .get(format!("{}/api/apps?window=1y2", server.base))
                .bearer_auth("reader"),
            400,
        ),
        (
            "post",
            "/api/alerts/{id}/ack",
            server
                .http
                .post(format!("{}/api/alerts/x/ack", server.base))
                .bearer_auth("reader"),
            403,
        ),
        (
            "post",
            "/v1/sourcemaps",
            server.http.post(format!(
                "{}/v1/sourcemaps?app=cart&version=1&file=cart.js",
                server.base
            )),
            403,
        ),
    ];
    for (method, path, request, status) in errors {
        let reply = server.send(request.body("{}")).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        check_against_document(&doc, method, path, status, &reply.body);
    }
}

#[tokio::test]
async fn silence_answers_match_the_documented_schemas() {
    let server = common::start(|settings| {
        settings.alerting.read_token = "reader".into();
        settings.alerting.admin_token = "admin".into();
    })
    .await;
    let doc = document(&server).await;
    // A silence made, listed and expired.
    let silences = format!("{}/api/silences", server.base);
    let post = |token: &str, body: &Value| {
        let request = server.http.post(&silences).bearer_auth(token);
        request
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    let made = json!({"matchers": ["app=\"cart\""], "duration": "1h", "created_by": "ann"});
    let reply = server.send(post("admin", &made)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    check_against_document(&doc, "post", "/api/silences", 201, &reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let reply = server
        .send(server.http.get(&silences).bearer_auth("reader"))
        .await;
    assert_eq!(reply.body["silences"][0]["id"], id.as_str());
    check_against_document(&doc, "get", "/api/silences", 200, &reply.body);
    let expire = format!("{silences}/{id}");
    let reply = server
        .send(server.http.delete(&expire).bearer_auth("admin"))
        .await;
    assert_eq!(reply.body["state"], "expired");
    check_against_document(&doc, "delete", "/api/silences/{id}", 200, &reply.body);
    let reply = server
        .send(server.http.delete(&expire).bearer_auth("admin"))
        .await;
    check_against_document(&doc, "delete", "/api/silences/{id}", 409, &reply.body);

    let bad = json!({"matchers": [], "duration": "1h", "created_by": "ann"});
    let reply = server.send(post("admin", &bad)).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    check_against_document(&doc, "post", "/api/silences", 400, &reply.body);
    let reply = server.send(post("reader", &made)).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    check_against_document(&doc, "post", "/api/silences", 401, &reply.body);
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_with_the_error_body() {
    let server = common::start(|_| {}).await;
    let doc = document(&server).await;
    let error_body =
        json!({ "$ref": "#/components/schemas/ErrorBody", "components": doc["components"] });
    let validator = jsonschema::draft202012::new(&error_body).expect("a valid schema");
    let no_route = server
        .send(server.http.get(format!("{}/api/nothing-here", server.base)))
        .await;
    assert_eq!(
        (no_route.status, &no_route.body["error"]),
        (404, &json!("not_found"))
    );
    let wrong_method = server
        .send(
            server
                .http
                .get(format!("{}/v1/beacon?key={KEY}", server.base))
                .header("origin", ORIGIN),
        )
        .await;
    assert_eq!(
        (wrong_method.status, &wrong_method.body["error"]),
        (405, &json!("method_not_allowed"))
    );
    for body in [&no_route.body, &wrong_method.body] {
        assert!(validator.is_valid(body), "{body}");
    }
}
