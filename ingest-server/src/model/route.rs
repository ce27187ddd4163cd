//! The route tree (`[alerting.route]`), with Alertmanager's semantics: the
//! root matches every alert; an alert descends into the first child whose
//! matchers all hold, and on to later siblings only while the matched
//! child says `continue`; where no child matches, the node itself is where
//! the alert goes. A child inherits every setting it leaves out from its
//! parent. Each place an alert ends up names a receiver (a channel) and
//! how its alerts are grouped and timed (see `notify/group.rs`).

use std::time::Duration;

use serde::Deserialize;

use crate::model::labels::{is_label_name, Labels};
use crate::model::matcher::Matcher;

/// `group_by = ["..."]`: every label, so each alert is a group of its own.
pub const ALL_LABELS: &str = "...";

/// Alertmanager's defaults.
pub const GROUP_WAIT: Duration = Duration::from_secs(30);
pub const GROUP_INTERVAL: Duration = Duration::from_secs(300);
pub const REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The channel notified; required at the root, inherited below.
    #[serde(default)]
    pub receiver: Option<String>,
    /// Labels whose values split alerts into groups (empty: one group).
    #[serde(default)]
    pub group_by: Option<Vec<String>>,
    /// How long a new group waits for more members before its first notice.
    #[serde(default, with = "humantime_serde")]
    pub group_wait: Option<Duration>,
    /// How long after a notice a group waits before telling of changes.
    #[serde(default, with = "humantime_serde")]
    pub group_interval: Option<Duration>,
    /// How long after a notice an unchanged firing group is told again.
    #[serde(default, with = "humantime_serde")]
    pub repeat_interval: Option<Duration>,
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    /// Matched: go on to the next siblings all the same.
    #[serde(default, rename = "continue")]
    pub continue_matching: bool,
    #[serde(default)]
    pub routes: Vec<Route>,
}

/// Where a route sends its alerts and how it groups them: a node's
/// settings with the inherited ones filled in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grouping {
    pub receiver: String,
    /// `None`: every label (`...`).
    pub group_by: Option<Vec<String>>,
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
}

/// A place an alert is routed to: the node (its path of child indexes
/// from the root, e.g. `0.2`) and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub path: String,
    pub grouping: Grouping,
}

impl Grouping {
    /// The values of the `group_by` labels: what makes two alerts one group.
    pub fn group_labels(&self, labels: &Labels) -> Vec<(String, String)> {
        match &self.group_by {
            None => labels.0.clone().into_iter().collect(),
            Some(names) => names
                .iter()
                .map(|name| (name.clone(), labels.get(name).to_owned()))
                .collect(),
        }
    }
}

impl Route {
    /// Every destination of an alert with these labels, in tree order.
    pub fn destinations(&self, labels: &Labels) -> Vec<Destination> {
        let root = Grouping {
            receiver: String::new(),
            group_by: Some(Vec::new()),
            group_wait: GROUP_WAIT,
            group_interval: GROUP_INTERVAL,
            repeat_interval: REPEAT_INTERVAL,
        };
        let mut found = Vec::new();
        self.walk(labels, &root, "", &mut found);
        found
    }

    /// Whether this node matched; adds where the alert goes to `found`.
    fn walk(
        &self,
        labels: &Labels,
        parent: &Grouping,
        path: &str,
        found: &mut Vec<Destination>,
    ) -> bool {
        if !self.matchers.iter().all(|m| m.matches(labels)) {
            return false;
        }
        let grouping = self.inherit(parent);
        let mut matched_child = false;
        for (index, child) in self.routes.iter().enumerate() {
            let child_path = if path.is_empty() {
                index.to_string()
            } else {
                format!("{path}.{index}")
            };
            if child.walk(labels, &grouping, &child_path, found) {
                matched_child = true;
                if !child.continue_matching {
                    break;
                }
            }
        }
        if !matched_child {
            found.push(Destination {
                path: path.to_owned(),
                grouping,
            });
        }
        true
    }

    fn inherit(&self, parent: &Grouping) -> Grouping {
        Grouping {
            receiver: self
                .receiver
                .clone()
                .unwrap_or_else(|| parent.receiver.clone()),
            group_by: match &self.group_by {
                Some(names) if names.iter().any(|n| n == ALL_LABELS) => None,
                Some(names) => Some(names.clone()),
                None => parent.group_by.clone(),
            },
            group_wait: self.group_wait.unwrap_or(parent.group_wait),
            group_interval: self.group_interval.unwrap_or(parent.group_interval),
            repeat_interval: self.repeat_interval.unwrap_or(parent.repeat_interval),
        }
    }

    /// The tree as the root: a receiver, no matchers, no `continue`, and
    /// every node's settings valid. Errors name the node
    /// (`routes[1].routes[0]`, empty for the root) and the field.
    pub fn check_root(&self, channels: &[String]) -> Result<(), (String, String)> {
        let at_root = |field: &str, why: &str| Err((String::new(), format!("{field}: {why}")));
        if self.receiver.is_none() {
            return at_root("receiver", "is required at the root (the default receiver)");
        }
        if !self.matchers.is_empty() {
            return at_root(
                "matchers",
                "the root route matches every alert and takes none",
            );
        }
        if self.continue_matching {
            return at_root("continue", "does not apply to the root route");
        }
        self.check("", channels)
    }

    fn check(&self, path: &str, channels: &[String]) -> Result<(), (String, String)> {
        let problem = |field: &str, why: String| Err((path.to_owned(), format!("{field}: {why}")));
        if let Some(receiver) = &self.receiver {
            if !channels.contains(receiver) {
                return problem("receiver", format!("no channel named {receiver:?}"));
            }
        }
        for name in self.group_by.iter().flatten() {
            if name == ALL_LABELS && self.group_by.as_ref().is_some_and(|g| g.len() > 1) {
                return problem(
                    "group_by",
                    "\"...\" stands alone (it means every label)".into(),
                );
            }
            if name != ALL_LABELS && !is_label_name(name) {
                return problem("group_by", format!("{name:?} is not a label name"));
            }
        }
        if self
            .group_interval
            .is_some_and(|d| d < Duration::from_secs(1))
        {
            return problem("group_interval", "must be at least 1s".into());
        }
        if self
            .repeat_interval
            .is_some_and(|d| d < Duration::from_secs(60))
        {
            return problem("repeat_interval", "must be at least 1m".into());
        }
        if self
            .group_wait
            .is_some_and(|d| d > Duration::from_secs(3600))
        {
            return problem("group_wait", "must be at most 1h".into());
        }
        for (index, child) in self.routes.iter().enumerate() {
            let child_path = if path.is_empty() {
                format!("routes[{index}]")
            } else {
                format!("{path}.routes[{index}]")
            };
            child.check(&child_path, channels)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
