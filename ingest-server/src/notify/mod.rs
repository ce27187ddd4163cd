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
//!
//! Only the evaluator lease's holder sends, and only notices of the term it
//! holds ([`Leadership`]); what it has told is marked settled ([`outbox`]).

pub mod channels;
pub mod delivery;
pub mod group;
pub mod message;
pub mod notification;
pub mod outbox;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::clock::now_millis;
use crate::config::channels::Channel;
use crate::evaluate::leadership::Leadership;
use crate::model::alert::{Alert, Dispatch, Notice, NoticeKey};
use crate::model::labels::Labels;
use crate::model::route::Route;
use crate::store::Store;
use crate::tls::{describe_request_error, Tls, TlsError};
use channels::Outgoing;
use delivery::Answer;
use group::{GroupKey, GroupNotice, Groups};
use message::Message;
use notification::Notification;
use outbox::Outbox;

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
    leadership: Leadership,
}

/// A delivery task's result: the notices it carried, now released.
type Deliveries = JoinSet<Vec<NoticeKey>>;

/// What the notifier keeps for the lease term it serves.
#[derive(Default)]
struct TermState {
    term: Option<u64>,
    groups: Groups,
    outbox: Outbox,
}

impl Notifier {
    pub fn new(
        channels: Vec<Channel>,
        route: Option<Route>,
        store: Arc<Store>,
        tls: &Tls,
        public_url: &str,
        leadership: Leadership,
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
            leadership,
        })
    }

    /// Delivers what evaluate dispatches until evaluate stops (its sender is
    /// dropped), then gives deliveries in flight [`SHUTDOWN_GRACE`] to end.
    /// Groups still waiting for their timers then are not told: their
    /// notices stay unsettled, for the next holder of the lease.
    pub async fn run(self, mut dispatches: mpsc::Receiver<Dispatch>) {
        let mut deliveries = Deliveries::new();
        let mut state = TermState::default();
        loop {
            let next_group = state.groups.next_due();
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
                    Some(dispatch) => self.dispatch(dispatch, &mut state, &mut deliveries),
                    None => break,
                },
                Some(done) = deliveries.join_next(), if !deliveries.is_empty() => {
                    let released = done.unwrap_or_default();
                    self.settle(state.outbox.release(released), state.term, &mut deliveries);
                }
                () = group_due => {
                    for notice in state.groups.due(now_millis()) {
                        self.tell_group(notice, &mut state, &mut deliveries);
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

    /// Marks `keys` settled in ClickHouse, while still holding `term` (a
    /// process that lost the lease leaves its notices to the new holder).
    fn settle(&self, keys: Vec<NoticeKey>, term: Option<u64>, deliveries: &mut Deliveries) {
        if keys.is_empty() || term.is_none() || self.leadership.term() != term {
            return;
        }
        let store = self.store.clone();
        deliveries.spawn(async move {
            if let Err(error) = store.settle_notices(&keys).await {
                tracing::warn!(%error, notices = keys.len(), "cannot mark notices settled");
            }
            Vec::new()
        });
    }

    /// Puts the notice in the groups of the routes it takes, and sends it
    /// alone to its rule's channels that no route reached. A silenced
    /// alert's dispatch is said nowhere and leaves its groups. A notice of
    /// another term than the one served starts the groups afresh (a new
    /// holding: the predecessor's unsettled notices come again).
    fn dispatch(&self, dispatch: Dispatch, state: &mut TermState, deliveries: &mut Deliveries) {
        if state.term != Some(dispatch.term) {
            *state = TermState {
                term: Some(dispatch.term),
                ..TermState::default()
            };
        }
        if self.leadership.term() != Some(dispatch.term) {
            tracing::warn!(alert = %dispatch.alert.id, term = dispatch.term, "no longer holds the evaluator lease; notice left to the next holder");
            return;
        }
        let silenced = !dispatch.alert.silenced_by.is_empty();
        let key = dispatch.key();
        // The dispatch's own hold: released below, so a notice nothing
        // else holds settles at once.
        state.outbox.hold(&key);
        let groups = &mut state.groups;
        let mut routed = Vec::new();
        if let Some(route) = &self.route {
            let labels = Labels::of(&dispatch.alert, &dispatch.rule);
            for destination in route.destinations(&labels) {
                let grouping = destination.grouping;
                routed.push(grouping.receiver.clone());
                let group = GroupKey {
                    route: destination.path,
                    receiver: grouping.receiver.clone(),
                    labels: grouping.group_labels(&labels),
                };
                let told_nothing = if silenced {
                    groups.mute(&group, &dispatch.alert.fingerprint)
                } else {
                    state.outbox.hold(&key); // the group's
                    groups.add(group, &grouping, dispatch.clone(), now_millis())
                };
                let settled = state.outbox.release(told_nothing);
                self.settle(settled, state.term, deliveries);
            }
        }
        let Dispatch {
            alert,
            notice,
            rule,
            ..
        } = &dispatch;
        let message = Message::new(alert, *notice, rule, &self.public_url);
        let notification = Notification::alone(message);
        let unrouted = rule.channels.iter().filter(|c| !routed.contains(c));
        for channel in unrouted.filter(|_| !silenced) {
            let told = vec![(alert.clone(), *notice)];
            if self.send(channel, &notification, told, vec![key.clone()], deliveries) {
                state.outbox.hold(&key);
            }
        }
        let settled = state.outbox.release([key]);
        self.settle(settled, state.term, deliveries);
    }

    /// One notification listing a group's members, to the group's receiver.
    fn tell_group(&self, notice: GroupNotice, state: &mut TermState, deliveries: &mut Deliveries) {
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
        let settles = notice.settles.clone();
        // The group's hold passes to the delivery; without one it ends here.
        if !self.send(
            &notice.key.receiver,
            &notification,
            told,
            settles,
            deliveries,
        ) {
            let settled = state.outbox.release(notice.settles);
            self.settle(settled, state.term, deliveries);
        }
    }

    /// Starts the delivery of `notification` to the channel named `name`,
    /// logged for each alert it tells of; the task releases `carried` when
    /// it ends. Returns whether it started.
    fn send(
        &self,
        name: &str,
        notification: &Notification,
        told: Vec<(Alert, Notice)>,
        carried: Vec<NoticeKey>,
        deliveries: &mut Deliveries,
    ) -> bool {
        let Some(term) = self.leadership.term() else {
            return false; // left unsettled, to the next holder
        };
        let Some(index) = self.channels.iter().position(|c| c.name == name) else {
            return false;
        };
        let channel = &self.channels[index];
        let outgoing = match channels::outgoing(channel, notification, now_millis(), &self.tls) {
            Ok(outgoing) => outgoing,
            Err(error) => {
                tracing::warn!(channel = %channel.name, %error, "cannot write the notification");
                return false;
            }
        };
        let notifier = self.clone();
        deliveries.spawn(async move {
            let channel = &notifier.channels[index];
            delivery::deliver(&notifier.store, &told, &channel.name, || {
                notifier.attempt(channel, &outgoing, term)
            })
            .await;
            carried
        });
        true
    }

    /// One attempt, if this process still holds lease `term`: the HTTP
    /// status (0 without one) and what it means.
    async fn attempt(&self, channel: &Channel, outgoing: &Outgoing, term: u64) -> (u16, Answer) {
        if self.leadership.term() != Some(term) {
            return (
                0,
                Answer::Refused("no longer holds the evaluator lease".to_owned()),
            );
        }
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
