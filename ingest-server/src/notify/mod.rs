//! Notify: deliver alert notices to webhooks, retrying with backoff, and log
//! every attempt in ClickHouse (`notifications`).

pub mod payload;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::evaluate::lifecycle::{Alert, Notice};
use crate::store::alerting::DeliveryRecord;
use crate::store::Store;

const ATTEMPTS: u8 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Alertmanager-compatible JSON.
    Webhook,
    /// A Slack incoming webhook.
    Slack,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
}

impl Channel {
    pub fn check(&self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("name: must not be empty".into());
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!("url: must be an http(s) URL, got {:?}", self.url));
        }
        Ok(())
    }
}

#[derive(Clone)]
pub struct Notifier {
    http: reqwest::Client,
    channels: Arc<Vec<Channel>>,
    store: Arc<Store>,
}

impl Notifier {
    pub fn new(channels: Vec<Channel>, store: Arc<Store>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            http,
            channels: Arc::new(channels),
            store,
        }
    }

    /// Sends `notice` about `alert` to the named channels, in the background.
    pub fn send(&self, alert: &Alert, notice: Notice, channel_names: &[String]) {
        for channel in self
            .channels
            .iter()
            .filter(|c| channel_names.contains(&c.name))
        {
            let body = match channel.kind {
                ChannelKind::Webhook => payload::alertmanager(alert, notice, &channel.name),
                ChannelKind::Slack => payload::slack(alert, notice),
            };
            let (notifier, channel, alert) = (self.clone(), channel.clone(), alert.clone());
            tokio::spawn(async move {
                notifier
                    .deliver(&channel, &alert, notice, body.to_string())
                    .await
            });
        }
    }

    async fn deliver(&self, channel: &Channel, alert: &Alert, notice: Notice, body: String) {
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=ATTEMPTS {
            let started = Instant::now();
            let result = self
                .http
                .post(&channel.url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            let (ok, http_status, error) = match result {
                Ok(response) if response.status().is_success() => {
                    (true, response.status().as_u16(), String::new())
                }
                Ok(response) => (
                    false,
                    response.status().as_u16(),
                    format!("HTTP {}", response.status()),
                ),
                Err(error) => (false, 0, error.to_string()),
            };
            let record = DeliveryRecord {
                alert,
                channel: &channel.name,
                notice,
                attempt,
                ok,
                http_status,
                error: &error,
                latency: started.elapsed(),
            };
            if let Err(log_error) = self.store.log_delivery(&record).await {
                tracing::warn!(error = %log_error, "cannot log a notification attempt");
            }
            if ok {
                return;
            }
            tracing::warn!(channel = %channel.name, attempt, %error, "notification failed");
            if attempt < ATTEMPTS {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
    }
}
