//! `[alerting]`: the evaluator's role and pace, tokens, rules, channels and
//! health probes (see docs/ALERTING.md).

use serde::Deserialize;

use super::{invalid, ConfigError};

/// What this process does besides serving the read APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes beacons and evaluates alerts: one server does everything.
    All,
    /// Takes beacons only: many of these can share a ClickHouse.
    Ingest,
    /// Evaluates alerts and probes health checks; takes no beacons. Several
    /// may run: the one holding the evaluator lease notifies.
    Evaluator,
}

impl Role {
    pub fn takes_beacons(self) -> bool {
        self != Role::Evaluator
    }

    pub fn evaluates(self) -> bool {
        self != Role::Ingest
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertingConfig {
    pub role: Role,
    /// How often rules are evaluated.
    #[serde(with = "humantime_serde")]
    pub interval: std::time::Duration,
    /// This evaluator's name in the evaluator lease; unique per process.
    /// Empty: `<hostname>-<pid>`.
    pub instance_id: String,
    /// How long the evaluator lease lasts unrenewed: a dead holder is
    /// replaced within `lease` + interval / 2. None: 2 × interval.
    #[serde(with = "humantime_serde")]
    pub lease: Option<std::time::Duration>,
    /// Bearer token for acknowledging and resolving alerts; empty disables those.
    pub admin_token: String,
    /// Bearer token for the read APIs; empty leaves them open.
    pub read_token: String,
    /// Apply the product's default rules (error rate, availability, response time).
    pub default_rules: bool,
    pub rules: Vec<crate::model::rule::Rule>,
    pub channels: Vec<super::channels::Channel>,
    /// Channels the default rules notify.
    pub default_channels: Vec<String>,
    /// The route tree: which channels hear of which alerts, grouped how.
    /// None: each alert is notified alone, on its rule's channels.
    pub route: Option<crate::model::route::Route>,
    /// Apps whose rules declared in `registerApp` (untrusted) are applied.
    pub browser_rules_for: Vec<String>,
    #[serde(with = "humantime_serde")]
    pub probe_interval: std::time::Duration,
    #[serde(with = "humantime_serde")]
    pub probe_timeout: std::time::Duration,
    /// Origins of health-check URLs the server may request (same patterns as
    /// project origins). Registrations come from browsers: anything else is
    /// never requested, so the server cannot be made to forge requests.
    pub probe_origins: Vec<String>,
    /// Where people reach this server (e.g. `https://canopy.example`): the
    /// base of the dashboard links in notifications. Empty: `http://` and
    /// the listen address.
    pub public_url: String,
}

impl Default for AlertingConfig {
    fn default() -> Self {
        Self {
            role: Role::All,
            interval: std::time::Duration::from_secs(30),
            instance_id: String::new(),
            lease: None,
            admin_token: String::new(),
            read_token: String::new(),
            default_rules: true,
            rules: Vec::new(),
            channels: Vec::new(),
            default_channels: Vec::new(),
            route: None,
            browser_rules_for: Vec::new(),
            probe_interval: std::time::Duration::from_secs(30),
            probe_timeout: std::time::Duration::from_secs(5),
            probe_origins: Vec::new(),
            public_url: String::new(),
        }
    }
}

/// The longest `instance_id`.
const LONGEST_INSTANCE_ID: usize = 128;

impl AlertingConfig {
    /// The evaluator lease's length (see [`AlertingConfig::lease`]).
    pub fn lease_length(&self) -> std::time::Duration {
        self.lease.unwrap_or(2 * self.interval)
    }

    /// This process's name in the evaluator lease.
    pub fn evaluator_id(&self) -> String {
        if !self.instance_id.is_empty() {
            return self.instance_id.clone();
        }
        let host = hostname::get()
            .map_or_else(|_| "evaluator".into(), |h| h.to_string_lossy().into_owned());
        format!("{host}-{}", std::process::id())
    }

    fn check_lease(&self) -> Result<(), ConfigError> {
        let id = &self.instance_id;
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:-".contains(c);
        if id.len() > LONGEST_INSTANCE_ID || !id.chars().all(allowed) {
            return Err(invalid(
                "alerting.instance_id",
                format!("must be at most {LONGEST_INSTANCE_ID} letters, digits, '.', '_', ':' or '-', got {id:?}"),
            ));
        }
        if let Some(lease) = self.lease.filter(|lease| *lease < self.interval) {
            return Err(invalid(
                "alerting.lease",
                format!(
                    "must be at least alerting.interval ({}), got {}: the holder renews it every interval / 4",
                    humantime::format_duration(self.interval),
                    humantime::format_duration(lease)
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let alerting = self;
        alerting.check_lease()?;
        if alerting.interval < std::time::Duration::from_secs(1)
            || alerting.probe_interval < std::time::Duration::from_secs(1)
        {
            return Err(invalid(
                "alerting.interval / probe_interval",
                "must be at least 1s",
            ));
        }
        if alerting.probe_timeout.is_zero() || alerting.probe_timeout > alerting.probe_interval {
            return Err(invalid(
                "alerting.probe_timeout",
                "must be more than 0 and at most probe_interval",
            ));
        }
        let public = &alerting.public_url;
        if !(public.is_empty() || public.starts_with("http://") || public.starts_with("https://")) {
            return Err(invalid(
                "alerting.public_url",
                format!("must be an http(s) URL, got {public:?}"),
            ));
        }
        let mut names: Vec<String> = Vec::new();
        for (index, channel) in alerting.channels.iter().enumerate() {
            channel.check().map_err(|problem| {
                invalid(
                    format!("alerting.channels[{index}] ({})", channel.name),
                    problem,
                )
            })?;
            if names.contains(&channel.name) {
                return Err(invalid(
                    format!("alerting.channels[{index}]"),
                    format!("{:?} is defined twice", channel.name),
                ));
            }
            names.push(channel.name.clone());
        }
        if let Some(unknown) = alerting
            .default_channels
            .iter()
            .find(|c| !names.contains(c))
        {
            return Err(invalid(
                "alerting.default_channels",
                format!("no channel named {unknown:?}"),
            ));
        }
        if let Some(route) = &alerting.route {
            route.check_root(&names).map_err(|(node, problem)| {
                let separator = if node.is_empty() { "" } else { "." };
                invalid(format!("alerting.route{separator}{node}"), problem)
            })?;
        }
        let mut rule_names = Vec::new();
        for rule in &alerting.rules {
            rule.check(&names)
                .map_err(|problem| invalid("alerting.rules", problem))?;
            if rule_names.contains(&&rule.name) {
                return Err(invalid(
                    "alerting.rules",
                    format!("rule {:?} is defined twice", rule.name),
                ));
            }
            rule_names.push(&rule.name);
        }
        if let Some(bad) = alerting
            .probe_origins
            .iter()
            .find(|o| !crate::model::origin::is_origin_pattern(o))
        {
            return Err(invalid(
                "alerting.probe_origins",
                format!("{bad:?} is not an origin pattern"),
            ));
        }
        Ok(())
    }
}
