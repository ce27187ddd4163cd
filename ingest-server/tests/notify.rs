//! Notifications reaching real receivers over TLS: every channel example of
//! docs/ALERTING.md, read from the file, delivers a firing and a resolved
//! notice — to HTTPS receivers behind a certificate from a CA made here, a
//! real Alertmanager and a real SMTP server — while ClickHouse itself is
//! reached over HTTPS; untrusted certificates are refused and logged; and
//! a ClickHouse whose certificate does not verify stops the server.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::receivers::{self, paths_starting, Requests};
use common::tls::{socket_of, TestCa};
use common::{clickhouse_url, eventually};
use ingest_server::config::Settings;
use ingest_server::tls::Tls;
use serde_json::{json, Value};

const RULE: &str = "cart-availability";
/// Strings that must never show up in the delivery log or the API.
const SECRETS: [&str; 6] = [
    "slack-tok3n",
    "pd-routing-k3y",
    "dt-tok3n",
    "wecom-k3y",
    "hook-tok3n",
    "smtp-pa55word",
];

/// The channel kinds docs/ALERTING.md has an example of, in its order.
const DOCUMENTED_KINDS: [&str; 7] = [
    "alertmanager",
    "slack",
    "pagerduty",
    "email",
    "dingtalk",
    "wecom",
    "webhook",
];

/// The `[[alerting.channels]]` examples of docs/ALERTING.md, with their
/// hosts and secrets pointed at this test's receivers: `env:NAME` becomes
/// `file:<dir>/NAME`, the file holding `values[NAME]`.
fn documented_channels(
    dir: &Path,
    values: &[(&str, String)],
    hosts: &[(&str, String)],
) -> Settings {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ALERTING.md"))
            .unwrap();
    let blocks: Vec<&str> = docs
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .filter(|block| block.contains("[[alerting.channels]]"))
        .collect();
    let mut text = blocks
        .concat()
        .replace("env:", &format!("file:{}/", dir.display()));
    for (name, value) in values {
        std::fs::write(dir.join(name), value).unwrap();
    }
    for (from, to) in hosts {
        assert!(text.contains(from), "the docs no longer mention {from}");
        text = text.replace(from, to);
    }
    let settings: Settings = toml::from_str(&text).unwrap();
    let kinds: Vec<&str> = settings
        .alerting
        .channels
        .iter()
        .map(|c| c.kind.as_str())
        .collect();
    assert_eq!(kinds, DOCUMENTED_KINDS);
    settings
}

fn bodies(requests: &Requests, prefix: &str) -> Vec<Value> {
    paths_starting(requests, prefix)
        .into_iter()
        .map(|(_, body)| body)
        .collect()
}

fn webhook_statuses(requests: &Requests, prefix: &str) -> Vec<String> {
    bodies(requests, prefix)
        .iter()
        .map(|b| b["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Alertmanager's own view of Canopy's alert: its state, if it lists it.
async fn alertmanager_state(base: &str) -> Option<String> {
    let text = reqwest::get(format!("{base}/api/v2/alerts"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let alerts: Value = serde_json::from_str(&text).ok()?;
    alerts
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == RULE && a["labels"]["app"] == "cart")
        .map(|a| a["status"]["state"].as_str().unwrap_or("?").to_owned())
}

/// Everything this test binary's servers log (ingest_server at debug), kept
/// to check that no secret is in it.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("ingest_server=debug,warn")
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .try_init();
        logs
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_channel_fires_and_resolves_over_tls_with_clickhouse_over_https() {
    let logs = captured_logs();
    let dir = tempfile::tempdir().unwrap();
    let (trusted, untrusted) = (
        TestCa::new("Canopy test CA"),
        TestCa::new("Somebody else's CA"),
    );

    // Receivers: one recording server, behind TLS from each CA.
    let (receiver, requests) = receivers::recording_receiver().await;
    let https = format!(
        "https://localhost:{}",
        trusted.terminate_tls_for(receiver).await
    );
    let elsewhere = format!(
        "https://localhost:{}",
        untrusted.terminate_tls_for(receiver).await
    );
    // ClickHouse and Alertmanager behind TLS too.
    let clickhouse = format!(
        "https://localhost:{}",
        trusted
            .terminate_tls_for(socket_of(&clickhouse_url()))
            .await
    );
    let (_alertmanager, alertmanager) =
        receivers::alertmanager(dir.path(), &format!("http://{receiver}/am-hook")).await;
    let alertmanager_https = format!(
        "https://localhost:{}",
        trusted.terminate_tls_for(socket_of(&alertmanager)).await
    );
    let smtp_dir = tempfile::tempdir().unwrap();
    let (_smtp, smtp_port) = receivers::smtp_server(
        &trusted.server_cert(),
        "canopy@example.com",
        "smtp-pa55word",
        smtp_dir.path(),
    )
    .await;

    let secrets_dir = tempfile::tempdir().unwrap();
    std::fs::write(secrets_dir.path().join("smtp-password"), "smtp-pa55word\n").unwrap();
    let docs = documented_channels(
        secrets_dir.path(),
        &[
            (
                "SLACK_WEBHOOK_URL",
                format!("{https}/slack/services/T0/B0/slack-tok3n"),
            ),
            ("PAGERDUTY_ROUTING_KEY", "pd-routing-k3y".into()),
            (
                "DINGTALK_WEBHOOK_URL",
                format!("{https}/dingtalk/robot/send?access_token=dt-tok3n"),
            ),
            ("DINGTALK_SECRET", receivers::DINGTALK_SECRET.into()),
            (
                "WECOM_WEBHOOK_URL",
                format!("{https}/wecom/cgi-bin/webhook/send?key=wecom-k3y"),
            ),
            ("WEBHOOK_URL", format!("{https}/webhook?token=hook-tok3n")),
        ],
        &[
            (
                "http://alertmanager.internal:9093",
                alertmanager_https.clone(),
            ),
            ("https://events.pagerduty.com", format!("{https}/pagerduty")),
            (
                "file:/run/secrets/smtp-password",
                format!("file:{}/smtp-password", secrets_dir.path().display()),
            ),
            ("smtp.example.com", "localhost".into()),
            ("port = 587", format!("port = {smtp_port}")),
        ],
    );
    let extra: Settings = toml::from_str(&format!(
        r#"
        [[alerting.channels]]
        name = "untrusted"
        kind = "webhook"
        url = "{elsewhere}/untrusted?token=hook-tok3n"
        [[alerting.channels]]
        name = "email-wrong-password"
        kind = "email"
        host = "localhost"
        port = {smtp_port}
        username = "canopy@example.com"
        password = "not-the-password"
        from = "canopy@example.com"
        to = ["oncall@example.com"]
        "#
    ))
    .unwrap();

    let spool = tempfile::tempdir().unwrap();
    let mut settings = common::settings(&clickhouse, spool.path().to_owned());
    settings.tls.ca_file = Some(trusted.pem_path());
    let database = settings.clickhouse.database.clone();
    let mut alerting: ingest_server::config::AlertingConfig = toml::from_str(&format!(
        r#"
        interval = "1s"
        default_rules = false
        probe_interval = "1s"
        probe_timeout = "900ms"
        public_url = "https://canopy.example"
        probe_origins = ["{https}", "{elsewhere}"]
        [[rules]]
        name = "{RULE}"
        app = "cart"
        metric = "availability"
        operator = "lt"
        threshold = 0.9
        resolve_threshold = 0.95
        window = "12s"
        min_samples = 3
        severity = "critical"
        description = "Cart fails to load: checkout is down."
        runbook_url = "https://runbooks.example/cart"
        "#
    ))
    .unwrap();
    alerting.channels = docs
        .alerting
        .channels
        .into_iter()
        .chain(extra.alerting.channels)
        .collect();
    alerting.rules[0].channels = alerting.channels.iter().map(|c| c.name.clone()).collect();
    settings.alerting = alerting;
    settings.check().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = ingest_server::start(settings, listener).await.unwrap();
    let base = format!("http://{}", running.addr);
    std::mem::forget(running);
    let store = Tls::load(Some(&trusted.pem_path()))
        .unwrap()
        .clickhouse()
        .with_url(&clickhouse)
        .with_database(&database);
    let http = reqwest::Client::new();
    let (health, untrusted_health) = (format!("{https}/health"), format!("{elsewhere}/health"));

    // Firing: half of cart's loads fail (availability 0.5 < 0.9).
    for id in 0..6 {
        common::post_view(
            &http,
            &base,
            common::registering_view(id, id % 2 == 0, &health, &untrusted_health),
        )
        .await;
    }
    eventually("the firing webhook", || async {
        webhook_statuses(&requests, "/webhook").contains(&"firing".to_owned())
    })
    .await;
    eventually("Alertmanager to list the alert as active", || async {
        alertmanager_state(&alertmanager).await.as_deref() == Some("active")
    })
    .await;

    // Recovery: failures age out of the 12 s window while good loads go on.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut id = 100;
    while !webhook_statuses(&requests, "/webhook").contains(&"resolved".to_owned()) {
        assert!(Instant::now() < deadline, "no resolved notice within 60 s");
        for _ in 0..3 {
            common::post_view(
                &http,
                &base,
                common::registering_view(id, false, &health, &untrusted_health),
            )
            .await;
            id += 1;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Every channel got both notices, each logged once as delivered.
    let delivered = || async {
        let rows: Vec<(String, String)> = store
            .query("SELECT channel, notice FROM notifications WHERE ok ORDER BY at")
            .fetch_all()
            .await
            .unwrap();
        rows
    };
    eventually(
        "firing and resolved delivered on every documented channel",
        || async {
            let rows = delivered().await;
            DOCUMENTED_KINDS.iter().all(|c| {
                ["firing", "resolved"]
                    .iter()
                    .all(|n| rows.iter().filter(|(ch, no)| ch == c && no == n).count() == 1)
            })
        },
    )
    .await;

    // Slack: Block Kit, red then green.
    let slack = bodies(&requests, "/slack/services/T0/B0/slack-tok3n");
    assert_eq!(slack[0]["attachments"][0]["color"], "#E01E5A");
    assert_eq!(
        slack[0]["attachments"][0]["blocks"][0]["text"]["text"],
        "[FIRING] critical: cart-availability on cart"
    );
    let fields = slack[0]["attachments"][0]["blocks"][1]["fields"].to_string();
    assert!(
        fields.contains("availability = 50.00 % (threshold: &lt; 90.00 %)"),
        "{fields}"
    );
    assert_eq!(slack[1]["attachments"][0]["color"], "#2EB67D");

    // PagerDuty: trigger then resolve, one dedup_key: the alert's fingerprint.
    let pagerduty = bodies(&requests, "/pagerduty/v2/enqueue");
    let webhook = bodies(&requests, "/webhook");
    let fingerprint = webhook[0]["alerts"][0]["fingerprint"].clone();
    assert_eq!(pagerduty[0]["event_action"], "trigger");
    assert_eq!(pagerduty[0]["routing_key"], "pd-routing-k3y");
    assert_eq!(pagerduty[0]["payload"]["severity"], "critical");
    assert_eq!(pagerduty[1]["event_action"], "resolve");
    assert_eq!(
        (&pagerduty[0]["dedup_key"], &pagerduty[1]["dedup_key"]),
        (&fingerprint, &fingerprint)
    );

    // DingTalk: signed (the receiver checked the signature: errcode 0 is
    // what made these deliveries count), markdown.
    let dingtalk = paths_starting(&requests, "/dingtalk/");
    assert!(dingtalk
        .iter()
        .all(|(path, _)| path.contains("&timestamp=") && path.contains("&sign=")));
    assert_eq!(dingtalk[0].1["msgtype"], "markdown");
    assert!(dingtalk[1].1["markdown"]["text"]
        .as_str()
        .unwrap()
        .contains("**RESOLVED**"));

    // WeCom: markdown, status coloured.
    let wecom = bodies(&requests, "/wecom/");
    assert!(wecom[0]["markdown"]["content"]
        .as_str()
        .unwrap()
        .contains("<font color=\"warning\">FIRING</font>"));
    assert!(wecom[1]["markdown"]["content"]
        .as_str()
        .unwrap()
        .contains("[Runbook](https://runbooks.example/cart)"));

    // Webhook: Alertmanager's webhook body, with the links.
    assert_eq!(
        webhook_statuses(&requests, "/webhook"),
        ["firing", "resolved"]
    );
    let firing = &webhook[0]["alerts"][0];
    assert_eq!(
        firing["generatorURL"],
        "https://canopy.example/dashboard#/app/cart"
    );
    assert_eq!(
        firing["annotations"]["runbook_url"],
        "https://runbooks.example/cart"
    );
    assert_eq!(firing["endsAt"], "0001-01-01T00:00:00Z");

    // Alertmanager: resolved in its own words, and no longer listed.
    eventually("Alertmanager's resolved notification", || async {
        webhook_statuses(&requests, "/am-hook").contains(&"resolved".to_owned())
    })
    .await;
    let from_alertmanager = bodies(&requests, "/am-hook");
    assert_eq!(from_alertmanager[0]["status"], "firing");
    assert_eq!(
        from_alertmanager[0]["alerts"][0]["labels"]["alertname"],
        RULE
    );
    assert_eq!(
        from_alertmanager[0]["alerts"][0]["generatorURL"],
        "https://canopy.example/dashboard#/app/cart"
    );
    assert_eq!(alertmanager_state(&alertmanager).await, None);

    // Email: one mail per notice, to both recipients, text and HTML.
    let mails = receivers::mails(smtp_dir.path());
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(
        mails[0]["to"],
        json!(["oncall@example.com", "cart-team@example.com"])
    );
    let first = mails[0]["data"].as_str().unwrap();
    assert!(
        first.contains("Subject: [FIRING] critical: cart-availability on cart"),
        "{first}"
    );
    assert!(
        first.contains("multipart/alternative")
            && first.contains("text/plain")
            && first.contains("text/html")
    );
    assert!(
        first.contains("Runbook: https://runbooks.example/cart"),
        "{first}"
    );
    assert!(mails[1]["data"]
        .as_str()
        .unwrap()
        .contains("Subject: [RESOLVED] critical: cart-availability on cart"));

    // A wrong password: refused, logged, not retried.
    let wrong: Vec<(u8, String, String)> = store
        .query("SELECT attempt, outcome, error FROM notifications WHERE channel = 'email-wrong-password' ORDER BY at")
        .fetch_all()
        .await
        .unwrap();
    assert!(
        !wrong.is_empty()
            && wrong
                .iter()
                .all(|(attempt, outcome, _)| *attempt == 1 && outcome == "failed"),
        "{wrong:?}"
    );
    assert!(wrong[0].2.contains("535"), "{}", wrong[0].2);

    // An untrusted certificate: refused at every attempt, said so, no token shown.
    eventually("the untrusted receiver given up on", || async {
        let n: u64 = store
            .query("SELECT count() FROM notifications WHERE channel = 'untrusted' AND outcome = 'failed'")
            .fetch_one()
            .await
            .unwrap();
        n >= 1
    })
    .await;
    let refused: Vec<(bool, String)> = store
        .query("SELECT ok, error FROM notifications WHERE channel = 'untrusted'")
        .fetch_all()
        .await
        .unwrap();
    assert!(
        refused
            .iter()
            .all(|(ok, error)| !ok && error.contains("invalid peer certificate: UnknownIssuer")),
        "{refused:?}"
    );
    assert!(paths_starting(&requests, "/untrusted").is_empty());

    // Probes over HTTPS: the trusted one answers; the untrusted one is refused.
    let probe = |app: &'static str| {
        let store = store.clone();
        async move {
            let rows: Vec<(u8, u16, String)> = store
                .query(
                    "SELECT ok, status, error FROM probes WHERE app = ? ORDER BY at DESC LIMIT 1",
                )
                .bind(app)
                .fetch_all()
                .await
                .unwrap();
            rows.into_iter().next()
        }
    };
    assert_eq!(probe("cart").await, Some((1, 200, String::new())));
    let (ok, status, error) = probe("catalog").await.unwrap();
    assert_eq!((ok, status), (0, 0));
    assert!(
        error.contains("invalid peer certificate: UnknownIssuer"),
        "{error}"
    );

    // No secret in the delivery log or the API.
    let errors: Vec<String> = store
        .query("SELECT error FROM notifications")
        .fetch_all()
        .await
        .unwrap();
    let rules = http
        .get(format!("{base}/api/rules"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logged.contains("notification failed"),
        "the refused deliveries are logged: {logged}"
    );
    for secret in SECRETS {
        assert!(
            errors.iter().all(|e| !e.contains(secret)),
            "{secret} in the delivery log"
        );
        assert!(!rules.contains(secret), "{secret} in /api/rules");
        assert!(!logged.contains(secret), "{secret} in the server's log");
    }
}

#[tokio::test]
async fn a_clickhouse_whose_certificate_does_not_verify_stops_the_server_saying_why() {
    let ca = TestCa::new("Unknown CA");
    let port = ca.terminate_tls_for(socket_of(&clickhouse_url())).await;
    let spool = tempfile::tempdir().unwrap();
    let settings = common::settings(
        &format!("https://localhost:{port}"),
        spool.path().to_owned(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = format!(
        "{:#}",
        ingest_server::start(settings, listener)
            .await
            .err()
            .unwrap()
    );
    assert!(
        error.contains("cannot prepare ClickHouse at https://localhost:"),
        "{error}"
    );
    assert!(
        error.contains("invalid peer certificate: UnknownIssuer"),
        "{error}"
    );
}
