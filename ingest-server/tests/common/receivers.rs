//! Notification receivers for the tests: a recording HTTP server that
//! answers as Slack, PagerDuty, DingTalk (checking the signature), WeCom and
//! webhooks do; a real Prometheus Alertmanager; a real SMTP server.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::eventually;
use super::processes::free_port;

/// Every request the receiver got: path with query, and JSON body.
pub type Requests = Arc<Mutex<Vec<(String, Value)>>>;

/// The DingTalk robot's signing secret the receiver checks against.
pub const DINGTALK_SECRET: &str = "SECtest-robot-secret";

/// Answers by path: `/pagerduty/…` 202 as the Events API, `/dingtalk/…`
/// errcode 0 when the signature holds (310000 when not), `/wecom/…` errcode
/// 0, `/health` 200, anything else 200 "ok".
pub async fn recording_receiver() -> (SocketAddr, Requests) {
    let requests: Requests = Arc::default();
    let log = requests.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let log = log.clone();
        async move {
            let uri = request.uri().clone();
            let path = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
            let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if uri.path() != "/health" {
                log.lock().unwrap().push((path.clone(), body));
            }
            if uri.path().starts_with("/pagerduty/") {
                (StatusCode::ACCEPTED, json!({"status": "success", "message": "Event processed"}).to_string()).into_response()
            } else if uri.path().starts_with("/dingtalk/") {
                let errcode = if dingtalk_signature_holds(uri.query().unwrap_or("")) { 0 } else { 310_000 };
                json!({"errcode": errcode, "errmsg": if errcode == 0 { "ok" } else { "sign not match" }}).to_string().into_response()
            } else if uri.path().starts_with("/wecom/") {
                json!({"errcode": 0, "errmsg": "ok"}).to_string().into_response()
            } else {
                "ok".into_response()
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, requests)
}

/// DingTalk's check: `sign` = Base64(HMAC-SHA256(secret, "{timestamp}\n{secret}")).
fn dingtalk_signature_holds(query: &str) -> bool {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(timestamp), Some(sign)) = (get("timestamp"), get("sign")) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(DINGTALK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}\n{DINGTALK_SECRET}").as_bytes());
    sign == base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn paths_starting(requests: &Requests, prefix: &str) -> Vec<(String, Value)> {
    requests
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with(prefix))
        .cloned()
        .collect()
}

/// A child process stopped when dropped.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's prometheus-alertmanager on loopback, clustering off, sending
/// what it routes to `webhook` (with resolved notices) at once.
pub async fn alertmanager(dir: &Path, webhook: &str) -> (Process, String) {
    let port = free_port();
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: test\n  group_by: [alertname, app]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: test\n    webhook_configs:\n      - url: {webhook}\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let child = Command::new("prometheus-alertmanager")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-alertmanager runs (scripts/setup installs it)");
    let process = Process(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    eventually("Alertmanager to be ready", || async {
        http.get(format!("{base}/-/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    (process, base)
}

/// aiosmtpd (the project's venv) on loopback: STARTTLS with `cert`, then
/// AUTH as `user`/`password`; mails land in `out` as JSON.
pub async fn smtp_server(
    cert: &super::tls::ServerCert,
    user: &str,
    password: &str,
    out: &Path,
) -> (Process, u16) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (cert_path, key_path) = (out.join("cert.pem"), out.join("key.pem"));
    std::fs::write(&cert_path, &cert.cert_pem).unwrap();
    std::fs::write(&key_path, &cert.key_pem).unwrap();
    let mails = out.join("mails");
    std::fs::create_dir_all(&mails).unwrap();
    let port = free_port();
    let child = Command::new(root.join("../.canopy/venv/bin/python"))
        .arg(root.join("tests/support/smtp_server.py"))
        .args([&port.to_string()])
        .args([&cert_path, &key_path])
        .args([user, password])
        .arg(&mails)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(out.join("smtp.log")).unwrap())
        .spawn()
        .expect("the SMTP server starts (scripts/setup installs aiosmtpd)");
    let process = Process(child);
    eventually("the SMTP server to listen", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;
    (process, port)
}

/// The mails the SMTP server accepted, in order.
pub fn mails(out: &Path) -> Vec<Value> {
    let dir = out.join("mails");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by_key(|n| n.trim_end_matches(".json").parse::<u32>().unwrap_or(0));
    names
        .iter()
        .map(|n| serde_json::from_str(&std::fs::read_to_string(dir.join(n)).unwrap()).unwrap())
        .collect()
}
