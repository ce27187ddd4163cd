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
        let response = server
            .http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let reply: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
        assert_eq!(
            (status, reply["error"].as_str()),
            (400, Some("invalid_query")),
            "{path}: {reply}"
        );
    }
}
