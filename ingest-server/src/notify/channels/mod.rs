//! One module per kind of channel, each a pure function from a
//! [`Notification`] (one alert, or a route's group) to its receiver's
//! payload, tested without a network. This module picks the kind's payload
//! and URL, and reads HTTP answers.

pub mod alertmanager;
pub mod dingtalk;
pub mod email;
mod markdown;
pub mod pagerduty;
pub mod slack;
pub mod webhook;
pub mod wecom;

use std::time::Duration;

use serde_json::Value;

use super::delivery::Answer;
use super::notification::Notification;
use crate::config::channels::{Channel, Kind};
use crate::tls::{describe, Tls};

/// What to send for one notice.
pub enum Outgoing {
    /// JSON posted to a URL (which may hold a token: never logged).
    Post {
        url: String,
        body: Value,
    },
    Mail(Box<Mail>),
}

/// A mail, and the SMTP connection settings it goes through.
pub struct Mail {
    pub mail: lettre::Message,
    pub mailer: email::Mailer,
}

/// The request for `message` on `channel`; `now_ms` dates DingTalk's signature.
pub fn outgoing(
    channel: &Channel,
    message: &Notification,
    now_ms: i64,
    tls: &Tls,
) -> Result<Outgoing, String> {
    let post = |url: String, body: Value| Ok(Outgoing::Post { url, body });
    match &channel.kind {
        Kind::Webhook(u) => post(
            u.url.expose().to_owned(),
            webhook::payload(message, &channel.name),
        ),
        Kind::Slack(u) => post(u.url.expose().to_owned(), slack::payload(message)),
        Kind::Alertmanager(u) => post(
            alertmanager::endpoint(u.url.expose()),
            alertmanager::payload(message),
        ),
        Kind::PagerDuty(pd) => post(
            pd.url.clone(),
            pagerduty::payload(message, pd.routing_key.expose()),
        ),
        Kind::DingTalk(dt) => post(
            dingtalk::signed_url(
                dt.url.expose(),
                dt.secret.as_ref().map(|s| s.expose()),
                now_ms,
            ),
            dingtalk::payload(message),
        ),
        Kind::WeCom(u) => post(u.url.expose().to_owned(), wecom::payload(message)),
        Kind::Email(settings) => Ok(Outgoing::Mail(Box::new(Mail {
            mail: email::mail(message, settings)?,
            mailer: email::mailer(settings, tls, channel.timeout).map_err(|e| describe(&e))?,
        }))),
    }
}

/// An HTTP answer's meaning: the robots answer 200 with an error code in
/// the body; everyone else speaks in statuses.
pub fn judge(kind: &Kind, status: u16, retry_after: Option<Duration>, body: &str) -> Answer {
    match kind {
        _ if !(200..300).contains(&status) => Answer::Status {
            status,
            retry_after,
        },
        Kind::DingTalk(_) | Kind::WeCom(_) => markdown::judge(body),
        _ => Answer::Delivered,
    }
}
