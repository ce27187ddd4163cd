//! Every refusal, whatever refuses it, is the documented JSON body
//! `{"error": code, "message": text}`.

mod common;

use common::{beacon, one_of_each_kind, start, KEY};

#[tokio::test]
async fn query_string_errors_are_json() {
    let server = start(|_| {}).await;
    let body = beacon(one_of_each_kind()).to_string();
    for (query, code) in [
        ("key=a&key=b".to_owned(), "invalid_query"),
        (format!("key={KEY}&key={KEY}"), "invalid_query"),
        (format!("key={KEY}&sent_at=1&sent_at=2"), "invalid_query"),
        (format!("key={KEY}&sent_at=soon"), "bad_request"),
    ] {
        let reply = server.send(server.beacon(&query).body(body.clone())).await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (400, Some(code)),
            "?{query}: {}",
            reply.body
        );
        assert!(reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    for path in [
        "/api/dashboard/overview?from=yesterday",
        "/api/dashboard/overview?to=1&to=2",
        "/api/dashboard/apps/cart/series?bucket=-60",
        "/api/apps?window=1m&window=5m",
        "/api/alerts?status=open&status=resolved",
    ] {
        let reply = server
            .send(server.http.get(format!("{}{path}", server.base)))
            .await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (400, Some("invalid_query")),
            "{path}: {}",
            reply.body
        );
    }
}

/// Origins sent, and the status and error code they get.
type Case<'a> = (&'a [&'a str], u16, Option<&'a str>);

/// Origins are judged after parsing: whole labels under a wildcard, one
/// `Origin` header, in ASCII (the test project allows `http://shop.example`
/// and `http://*.shop.example`).
#[tokio::test]
async fn origins_are_parsed_not_matched_as_text() {
    let server = start(|_| {}).await;
    let body = beacon(one_of_each_kind()).to_string();
    let with_origins = |origins: &[&str]| {
        let mut request = server
            .http
            .post(server.beacon_url(&format!("key={KEY}")))
            .header("content-type", "text/plain");
        for origin in origins {
            // From bytes: the non-ASCII one is sent as its UTF-8 bytes.
            let value = reqwest::header::HeaderValue::from_bytes(origin.as_bytes()).unwrap();
            request = request.header("origin", value);
        }
        request.body(body.clone())
    };
    let cases: [Case; 6] = [
        (&["http://eu.shop.example"], 202, None),
        (&["http://shop.example:80"], 202, None),
        (
            &["http://evilshop.example"],
            403,
            Some("origin_not_allowed"),
        ),
        (
            &["http://evil.example#.shop.example"],
            403,
            Some("invalid_origin"),
        ),
        (&["http://sh\u{f6}p.example"], 403, Some("invalid_origin")),
        (
            &["http://shop.example", "http://evil.example"],
            403,
            Some("invalid_origin"),
        ),
    ];
    for (origins, status, code) in cases {
        let reply = server.send(with_origins(origins)).await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (status, code),
            "{origins:?}: {}",
            reply.body
        );
    }
}

/// `canopy_beacons_rejected_total` counts refused beacons only: a refused API
/// or dashboard request, or an unknown path, is no rejected beacon.
#[tokio::test]
async fn only_refused_beacons_count_as_rejected() {
    let server = start(|settings| settings.alerting.read_token = "reader".into()).await;
    for (path, status) in [
        ("/api/apps", 401),
        ("/api/dashboard/overview", 401),
        ("/no-such-path", 404),
    ] {
        let reply = server
            .send(server.http.get(format!("{}{path}", server.base)))
            .await;
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
    }
    let refused = server.send(server.beacon("key=a&key=b").body("{}")).await;
    assert_eq!(refused.status, 400, "{}", refused.body);

    let metrics = server.metrics().await;
    let counted = |reason: &str| {
        let series = format!("canopy_beacons_rejected_total{{reason=\"{reason}\"}}");
        metrics.lines().any(|line| line.starts_with(&series))
    };
    assert!(counted("invalid_query"), "{metrics}");
    assert!(!counted("unauthorized"), "{metrics}");
    assert!(!counted("not_found"), "{metrics}");
}
