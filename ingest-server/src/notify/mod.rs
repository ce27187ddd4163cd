//! Notify: tell people about alerts, on the channels their rules name.
//!
//! [`message`] says what a notice means to a person; [`channels`] lays it
//! out for each receiver (Alertmanager, Slack, PagerDuty, DingTalk, WeCom,
//! email, a webhook); [`delivery`] sends it, decides on retries and logs
//! every attempt in ClickHouse (`notifications`). Each notice goes to each
//! channel in a task of its own, with the channel's timeout per attempt, so
//! a slow receiver holds up no other.

pub mod channels;
pub mod delivery;
pub mod message;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::clock::now_millis;
use crate::config::channels::Channel;
use crate::model::alert::Dispatch;
use crate::store::Store;
use crate::tls::{describe_request_error, Tls, TlsError};
use channels::Outgoing;
use delivery::Answer;
use message::Message;

/// How long a stopping notifier waits for deliveries in flight (a delivery
/// retries for up to 3.5 s, longer only after a receiver's Retry-After).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How many notices may wait for the notifier before evaluate waits.
pub const QUEUE: usize = 1024;

/// Notify's service: takes [`Dispatch`]es from evaluate and delivers them.
#[derive(Clone)]
pub struct Notifier {
    http: reqwest::Client,
    tls: Tls,
    channels: Arc<Vec<Channel>>,
    store: Arc<Store>,
    /// Where people reach this server: links in messages.
    public_url: Arc<str>,
}

impl Notifier {
    pub fn new(
        channels: Vec<Channel>,
        store: Arc<Store>,
        tls: &Tls,
        public_url: &str,
    ) -> Result<Self, TlsError> {
        // Redirects are not followed: a webhook that moved should be
        // reconfigured, not have its token carried along to a new place.
        let http = tls
            .http()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            tls: tls.clone(),
            channels: Arc::new(channels),
            store,
            public_url: Arc::from(public_url),
        })
    }

    /// Delivers what evaluate dispatches until evaluate stops (its sender is
    /// dropped), then gives deliveries in flight [`SHUTDOWN_GRACE`] to end.
    pub async fn run(self, mut dispatches: mpsc::Receiver<Dispatch>) {
        let mut deliveries = JoinSet::new();
        loop {
            tokio::select! {
                dispatch = dispatches.recv() => match dispatch {
                    Some(dispatch) => self.dispatch(&dispatch, &mut deliveries),
                    None => break,
                },
                Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
            }
        }
        let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while deliveries.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                left = deliveries.len(),
                "stopping with notifications still being delivered"
            );
        }
    }

    /// Starts one delivery per channel of the dispatch's rule.
    fn dispatch(&self, dispatch: &Dispatch, deliveries: &mut JoinSet<()>) {
        let Dispatch {
            alert,
            notice,
            rule,
        } = dispatch;
        let notice = *notice;
        let message = Message::new(alert, notice, rule, &self.public_url);
        for (index, channel) in self.channels.iter().enumerate() {
            if !rule.channels.contains(&channel.name) {
                continue;
            }
            let outgoing = match channels::outgoing(channel, &message, now_millis(), &self.tls) {
                Ok(outgoing) => outgoing,
                Err(error) => {
                    tracing::warn!(channel = %channel.name, %error, "cannot write the notification");
                    continue;
                }
            };
            let (notifier, alert) = (self.clone(), alert.clone());
            deliveries.spawn(async move {
                let channel = &notifier.channels[index];
                delivery::deliver(&notifier.store, &alert, notice, &channel.name, || {
                    notifier.attempt(channel, &outgoing)
                })
                .await;
            });
        }
    }

    /// One attempt: the HTTP status (0 without one) and what it means.
    async fn attempt(&self, channel: &Channel, outgoing: &Outgoing) -> (u16, Answer) {
        let timeout = channel.timeout;
        match outgoing {
            Outgoing::Post { url, body } => {
                let sent = self
                    .http
                    .post(url)
                    .timeout(timeout)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                let response = match sent {
                    Ok(response) => response,
                    Err(error) => return (0, Answer::Unreachable(describe_request_error(error))),
                };
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| delivery::retry_after(v, std::time::SystemTime::now()));
                let body = response.text().await.unwrap_or_default();
                let answer = channels::judge(&channel.kind, status, retry_after, &body);
                (status, answer)
            }
            Outgoing::Mail(mail) => {
                use lettre::AsyncTransport;
                // lettre's timeout bounds each read and write; this bounds the whole exchange.
                let sending = mail.mailer.send(mail.mail.clone());
                match tokio::time::timeout(timeout, sending).await {
                    Ok(Ok(_)) => (0, Answer::Delivered),
                    Ok(Err(error)) => (0, channels::email::judge(&error)),
                    Err(_) => (0, Answer::Unreachable("timed out".to_owned())),
                }
            }
        }
    }
}
