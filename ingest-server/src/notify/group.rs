//! Grouping with Alertmanager's timers, as a pure state machine over a
//! clock value passed in (the notifier passes the time; tests a number):
//! - a new group waits `group_wait` for more members before its first notice;
//! - after a notice, a group is looked at every `group_interval`: it is told
//!   again if a member was added, fired again or resolved since, or if it
//!   still fires and `repeat_interval` has passed since its last notice;
//! - a notice lists every member: new ones as firing, known ones as still
//!   firing, resolved ones once (then they leave the group); a group left
//!   without members is forgotten;
//! - a silenced member leaves its group unsaid ([`Groups::mute`]).

use std::collections::BTreeMap;

use crate::model::alert::{Dispatch, Millis, Notice};
use crate::model::route::Grouping;

/// What makes a group: the route it was routed by, its receiver, and the
/// values of its `group_by` labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    pub route: String,
    pub receiver: String,
    pub labels: Vec<(String, String)>,
}

impl GroupKey {
    /// `{}/0.1:{alertname="error-rate"}`, in the spirit of Alertmanager's group keys.
    pub fn text(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(name, value)| format!("{name}={value:?}"))
            .collect();
        format!("{{}}/{}:{{{}}}", self.route, labels.join(", "))
    }
}

/// One notice about a group: its members, each with what it says of them.
#[derive(Debug, Clone)]
pub struct GroupNotice {
    pub key: GroupKey,
    pub members: Vec<Dispatch>,
    /// The route's, for receivers that must know when to expect the next.
    pub repeat_interval: std::time::Duration,
}

struct Member {
    dispatch: Dispatch,
    /// Told firing in an earlier notice.
    told: bool,
    resolved: bool,
}

struct Group {
    timing: Grouping,
    /// By alert fingerprint.
    members: BTreeMap<String, Member>,
    /// When the group is next looked at.
    next_look: Millis,
    last_notice: Option<Millis>,
    /// Something to tell since the last notice.
    changed: bool,
}

#[derive(Default)]
pub struct Groups {
    groups: BTreeMap<GroupKey, Group>,
}

fn ms(duration: std::time::Duration) -> Millis {
    duration.as_millis() as Millis
}

impl Groups {
    /// Takes a notice about an alert for the group `key`, at `now`.
    pub fn add(&mut self, key: GroupKey, timing: &Grouping, dispatch: Dispatch, now: Millis) {
        let group = self.groups.entry(key).or_insert_with(|| Group {
            timing: timing.clone(),
            members: BTreeMap::new(),
            next_look: now + ms(timing.group_wait),
            last_notice: None,
            changed: false,
        });
        let fingerprint = dispatch.alert.fingerprint.clone();
        match (dispatch.notice, group.members.get_mut(&fingerprint)) {
            // Still firing: newer values, nothing new to tell.
            (Notice::Repeat, Some(member)) if !member.resolved => member.dispatch = dispatch,
            // Resolved before anyone heard of it: nothing to tell.
            (Notice::Resolved, Some(member)) if !member.told => {
                group.members.remove(&fingerprint);
            }
            (Notice::Resolved, Some(member)) => {
                member.resolved = true;
                member.dispatch = dispatch;
                group.changed = true;
            }
            // Firing anew, or heard of first in a repeat or a resolution
            // (the notifier restarted): tell.
            (notice, _) => {
                let member = Member {
                    dispatch,
                    told: false,
                    resolved: notice == Notice::Resolved,
                };
                group.members.insert(fingerprint, member);
                group.changed = true;
            }
        }
        if group.members.is_empty() && group.last_notice.is_none() {
            // Nothing was said and nothing is left to say.
            group.changed = false;
        }
    }

    /// Drops a silenced alert from the group `key` without a word: the group
    /// stops repeating it; once unsilenced it comes back as news.
    pub fn mute(&mut self, key: &GroupKey, fingerprint: &str) {
        if let Some(group) = self.groups.get_mut(key) {
            group.members.remove(fingerprint);
        }
    }

    /// The notices due at `now`; advances the groups' timers.
    pub fn due(&mut self, now: Millis) -> Vec<GroupNotice> {
        let mut notices = Vec::new();
        for (key, group) in &mut self.groups {
            if group.next_look > now {
                continue;
            }
            let firing = group.members.values().any(|m| !m.resolved);
            let repeat_due = group
                .last_notice
                .is_some_and(|last| now - last >= ms(group.timing.repeat_interval));
            if group.changed || (firing && repeat_due) {
                let members = group
                    .members
                    .values()
                    .map(|member| {
                        let mut dispatch = member.dispatch.clone();
                        dispatch.notice = match (member.resolved, member.told) {
                            (true, _) => Notice::Resolved,
                            (false, false) => Notice::Firing,
                            (false, true) => Notice::Repeat,
                        };
                        dispatch
                    })
                    .collect();
                notices.push(GroupNotice {
                    key: key.clone(),
                    members,
                    repeat_interval: group.timing.repeat_interval,
                });
                group.members.retain(|_, member| !member.resolved);
                group.members.values_mut().for_each(|m| m.told = true);
                group.last_notice = Some(now);
                group.changed = false;
            }
            group.next_look = now + ms(group.timing.group_interval);
        }
        self.groups
            .retain(|_, group| !group.members.is_empty() || group.changed);
        notices
    }

    /// When the next group is due to be looked at.
    pub fn next_due(&self) -> Option<Millis> {
        self.groups.values().map(|g| g.next_look).min()
    }
}

#[cfg(test)]
mod tests;
