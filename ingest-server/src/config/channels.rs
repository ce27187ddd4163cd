//! `[[alerting.channels]]`: a name, a kind with its own settings, and a
//! timeout per attempt. Unknown fields for a kind are refused, and `check`
//! names the channel and the field of anything that cannot work.

use std::time::Duration;

use serde::Deserialize;

use super::secret::Secret;

/// PagerDuty's Events API v2 (events.eu.pagerduty.com for EU accounts).
const PAGERDUTY_EVENTS: &str = "https://events.pagerduty.com/v2/enqueue";

#[derive(Debug, Clone, Deserialize)]
pub struct Channel {
    pub name: String,
    /// How long one attempt may take (connect, send, answer): a slow receiver
    /// holds up only its own deliveries.
    #[serde(default = "ten_seconds", with = "humantime_serde")]
    pub timeout: Duration,
    #[serde(flatten)]
    pub kind: Kind,
}

fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// Alertmanager's webhook JSON, posted to `url`.
    Webhook(Url),
    /// A Slack incoming webhook (Block Kit).
    Slack(Url),
    /// Prometheus Alertmanager: `url` is its base; alerts go to `/api/v2/alerts`.
    Alertmanager(Url),
    #[serde(rename = "pagerduty")]
    PagerDuty(PagerDuty),
    /// A DingTalk group robot (钉钉自定义机器人).
    #[serde(rename = "dingtalk")]
    DingTalk(DingTalk),
    /// A WeCom group robot (企业微信群机器人).
    #[serde(rename = "wecom")]
    WeCom(Url),
    Email(Email),
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Webhook(_) => "webhook",
            Kind::Slack(_) => "slack",
            Kind::Alertmanager(_) => "alertmanager",
            Kind::PagerDuty(_) => "pagerduty",
            Kind::DingTalk(_) => "dingtalk",
            Kind::WeCom(_) => "wecom",
            Kind::Email(_) => "email",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Url {
    /// Secret: webhook URLs carry their token.
    pub url: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDuty {
    /// The integration key of a PagerDuty service's Events API v2 integration.
    pub routing_key: Secret,
    #[serde(default = "pagerduty_events")]
    pub url: String,
}

fn pagerduty_events() -> String {
    PAGERDUTY_EVENTS.to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DingTalk {
    /// The robot's webhook, with its access_token.
    pub url: Secret,
    /// The robot's signing secret ("加签", SEC…): requests are then signed.
    #[serde(default)]
    pub secret: Option<Secret>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Implicit,
    /// No encryption: only for a relay on the same host.
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Email {
    pub host: String,
    /// Default: 587 with STARTTLS, 465 with implicit TLS, 25 without.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default = "starttls")]
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// The sender, e.g. `Canopy <canopy@example.com>`.
    pub from: String,
    /// The recipients: one mail per notice goes to all of them.
    pub to: Vec<String>,
}

fn starttls() -> SmtpTls {
    SmtpTls::Starttls
}

impl Email {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Implicit => 465,
            SmtpTls::None => 25,
        })
    }
}

impl Channel {
    /// Refuses settings that cannot work; the message starts with the field.
    pub fn check(&self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("name: must not be empty".into());
        }
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(300) {
            return Err("timeout: must be more than 0 and at most 5m".into());
        }
        let secret =
            |field: &str, secret: &Secret| secret.check().map_err(|why| format!("{field}: {why}"));
        let url = |field: &str, secret_url: &Secret| {
            secret(field, secret_url)?;
            check_url(field, secret_url.expose())
        };
        match &self.kind {
            Kind::Webhook(u) | Kind::Slack(u) | Kind::Alertmanager(u) | Kind::WeCom(u) => {
                url("url", &u.url)
            }
            Kind::PagerDuty(pd) => {
                secret("routing_key", &pd.routing_key)?;
                check_url("url", &pd.url)
            }
            Kind::DingTalk(dt) => {
                url("url", &dt.url)?;
                dt.secret.as_ref().map_or(Ok(()), |s| secret("secret", s))
            }
            Kind::Email(email) => check_email(email),
        }
    }
}

/// Only the scheme is named in the message: the rest may be a token.
fn check_url(field: &str, url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        Ok(parsed) => Err(format!(
            "{field}: must be an http(s) URL, not {}:",
            parsed.scheme()
        )),
        Err(error) => Err(format!("{field}: not a URL ({error})")),
    }
}

fn check_email(email: &Email) -> Result<(), String> {
    if email.host.is_empty() {
        return Err("host: must not be empty".into());
    }
    if email.port == Some(0) {
        return Err("port: must not be 0".into());
    }
    let mailbox = |field: &str, address: &str| {
        address
            .parse::<lettre::message::Mailbox>()
            .map(drop)
            .map_err(|error| format!("{field}: {address:?} is not an address ({error})"))
    };
    mailbox("from", &email.from)?;
    if email.to.is_empty() {
        return Err("to: must list at least one recipient".into());
    }
    for address in &email.to {
        mailbox("to", address)?;
    }
    match (&email.username, &email.password) {
        (Some(_), Some(password)) => password.check().map_err(|why| format!("password: {why}")),
        (None, None) => Ok(()),
        _ => Err("username / password: give both, or neither".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(text: &str) -> Result<Channel, String> {
        toml::from_str::<Channel>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_takes_its_own_fields() {
        let dingtalk = channel(
            "name = \"dt\"\nkind = \"dingtalk\"\nurl = \"https://oapi.dingtalk.com/robot/send?access_token=t\"\nsecret = \"SEC1\"\ntimeout = \"3s\"",
        )
        .unwrap();
        assert!(matches!(dingtalk.kind, Kind::DingTalk(_)));
        assert_eq!(dingtalk.timeout, Duration::from_secs(3));
        dingtalk.check().unwrap();

        let unknown =
            channel("name = \"s\"\nkind = \"slack\"\nurl = \"https://x\"\nsecret = \"no\"")
                .unwrap_err();
        assert!(unknown.contains("unknown field `secret`"), "{unknown}");
        let kind = channel("name = \"s\"\nkind = \"teams\"\nurl = \"https://x\"").unwrap_err();
        assert!(kind.contains("unknown variant `teams`"), "{kind}");
    }

    #[test]
    fn problems_name_the_field_and_never_the_secret() {
        let problem = |text: &str| channel(text).unwrap().check().unwrap_err();
        let scheme = problem("name = \"w\"\nkind = \"webhook\"\nurl = \"ftp://x/tok3n\"");
        assert_eq!(scheme, "url: must be an http(s) URL, not ftp:");
        assert!(problem(
            "name = \"p\"\nkind = \"pagerduty\"\nrouting_key = \"env:CANOPY_TEST_UNSET_KEY\""
        )
        .starts_with("routing_key: environment variable CANOPY_TEST_UNSET_KEY"));
        let email = "name = \"m\"\nkind = \"email\"\nhost = \"smtp.example\"\nfrom = \"canopy@example.com\"";
        assert!(problem(&format!("{email}\nto = []")).starts_with("to:"));
        assert!(problem(&format!("{email}\nto = [\"nobody\"]")).starts_with("to:"));
        assert!(problem(&format!(
            "{email}\nto = [\"a@example.com\"]\nusername = \"u\""
        ))
        .starts_with("username / password"));
        let ok = channel(&format!(
            "{email}\nto = [\"a@example.com\"]\ntls = \"implicit\""
        ))
        .unwrap();
        ok.check().unwrap();
        let Kind::Email(settings) = ok.kind else {
            panic!()
        };
        assert_eq!(settings.port(), 465);
    }
}
