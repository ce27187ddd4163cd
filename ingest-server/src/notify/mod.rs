//! Notify: tell people about alerts, on the channels their rules name and
//! where the route tree (`alerting.route`) sends them.
//!
//! [`message`] says what a notice means to a person, [`notification`] what
//! one notification says (an alert alone, or a route's group); [`channels`]
//! lays it out for each receiver (Alertmanager, Slack, PagerDuty, DingTalk,
//! WeCom, email, a webhook); [`group`] times the route's groups;
//! [`delivery`] sends, decides on retries and logs every attempt in
//! ClickHouse (`notifications`). Each notification goes to each channel in
//! a task of its own, with the channel's timeout per attempt, so a slow
//! receiver holds up no other.

pub mod channels;
pub mod delivery;
pub mod group;
pub mod message;
pub mod notification;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::clock::now_millis;
use crate::config::channels::Channel;
use crate::model::alert::{Alert, Dispatch, Notice};
use crate::model::labels::Labels;
use crate::model::route::Route;
use crate::store::Store;
use crate::tls::{describe_request_error, Tls, TlsError};
use channels::Outgoing;
use delivery::Answer;
use group::{GroupKey, GroupNotice, Groups};
use message::Message;
use notification::Notification;

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
    /// None: every alert notified alone, on its rule's channels only.
    route: Option<Arc<Route>>,
}

impl Notifier {
    pub fn new(
        channels: Vec<Channel>,
        route: Option<Route>,
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
            route: route.map(Arc::new),
        })
    }

    /// Delivers what evaluate dispatches until evaluate stops (its sender is
    /// dropped), then gives deliveries in flight [`SHUTDOWN_GRACE`] to end.
    /// Groups still waiting for their timers then are not told (as a crash
    /// between storing and sending loses a notice rather than repeating it).
    pub async fn run(self, mut dispatches: mpsc::Receiver<Dispatch>) {
        let mut deliveries = JoinSet::new();
        let mut groups = Groups::default();
        loop {
            let next_group = groups.next_due();
            let group_due = async {
                match next_group {
                    Some(at) => {
                        let wait = u64::try_from(at - now_millis()).unwrap_or(0);
                        tokio::time::sleep(Duration::from_millis(wait)).await
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                dispatch = dispatches.recv() => match dispatch {
                    Some(dispatch) => self.dispatch(dispatch, &mut groups, &mut deliveries),
                    None => break,
                },
                Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
                () = group_due => {
                    for notice in groups.due(now_millis()) {
                        self.tell_group(&notice, &mut deliveries);
                    }
                }
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

    /// Puts the notice in the groups of the routes it takes, and sends it
    /// alone to its rule's channels that no route reached.
    /// A silenced alert's dispatch is said nowhere and leaves its groups.
    fn dispatch(&self, dispatch: Dispatch, groups: &mut Groups, deliveries: &mut JoinSet<()>) {
        let silenced = !dispatch.alert.silenced_by.is_empty();
        let mut routed = Vec::new();
        if let Some(route) = &self.route {
            let labels = Labels::of(&dispatch.alert, &dispatch.rule);
            for destination in route.destinations(&labels) {
                let grouping = destination.grouping;
                routed.push(grouping.receiver.clone());
                let key = GroupKey {
                    route: destination.path,
                    receiver: grouping.receiver.clone(),
                    labels: grouping.group_labels(&labels),
                };
                match silenced {
                    true => groups.mute(&key, &dispatch.alert.fingerprint),
                    false => groups.add(key, &grouping, dispatch.clone(), now_millis()),
                }
            }
        }
        if silenced {
            return;
        }
        let Dispatch {
            alert,
            notice,
            rule,
        } = &dispatch;
        let message = Message::new(alert, *notice, rule, &self.public_url);
        let notification = Notification::alone(message);
        for channel in rule.channels.iter().filter(|c| !routed.contains(c)) {
            self.send(
                channel,
                &notification,
                vec![(alert.clone(), *notice)],
                deliveries,
            );
        }
    }

    /// One notification listing a group's members, to the group's receiver.
    fn tell_group(&self, notice: &GroupNotice, deliveries: &mut JoinSet<()>) {
        let messages = notice
            .members
            .iter()
            .map(|d| Message::new(&d.alert, d.notice, &d.rule, &self.public_url))
            .collect();
        let notification = Notification {
            messages,
            group: Some(notification::Group {
                labels: notice.key.labels.clone(),
                key: notice.key.text(),
                repeat_interval: notice.repeat_interval,
            }),
        };
        let told = notice
            .members
            .iter()
            .map(|d| (d.alert.clone(), d.notice))
            .collect();
        tracing::info!(group = %notice.key.text(), receiver = %notice.key.receiver, alerts = notice.members.len(), "group notice");
        self.send(&notice.key.receiver, &notification, told, deliveries);
    }

    /// Starts the delivery of `notification` to the channel named `name`,
    /// logged for each alert it tells of.
    fn send(
        &self,
        name: &str,
        notification: &Notification,
        told: Vec<(Alert, Notice)>,
        deliveries: &mut JoinSet<()>,
    ) {
        let Some(index) = self.channels.iter().position(|c| c.name == name) else {
            return;
        };
        let channel = &self.channels[index];
        let outgoing = match channels::outgoing(channel, notification, now_millis(), &self.tls) {
            Ok(outgoing) => outgoing,
            Err(error) => {
                tracing::warn!(channel = %channel.name, %error, "cannot write the notification");
                return;
            }
        };
        let notifier = self.clone();
        deliveries.spawn(async move {
            let channel = &notifier.channels[index];
            delivery::deliver(&notifier.store, &told, &channel.name, || {
                notifier.attempt(channel, &outgoing)
            })
            .await;
        });
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
