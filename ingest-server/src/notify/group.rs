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
//!
//! Each member keeps the outbox keys of the notices not yet told of it
//! ([`GroupNotice::settles`]); a notice that brings nothing to tell (a
//! repeat of a member still firing, the resolution of one never told, a
//! muted member's) is settled at once ([`Groups::add`] and
//! [`Groups::mute`] return it).

use std::collections::BTreeMap;

use crate::model::alert::{Dispatch, Millis, Notice, NoticeKey};
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
    /// The notices this one tells, settled once it is delivered.
    pub settles: Vec<NoticeKey>,
}

struct Member {
    dispatch: Dispatch,
    /// Told firing in an earlier notice.
    told: bool,
    resolved: bool,
    /// Notices about it not yet told.
    untold: Vec<NoticeKey>,
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
    /// Takes a notice about an alert for the group `key`, at `now`; returns
    /// the notices settled by it (nothing left to tell of them).
    pub fn add(
        &mut self,
        key: GroupKey,
        timing: &Grouping,
        dispatch: Dispatch,
        now: Millis,
    ) -> Vec<NoticeKey> {
        let group = self.groups.entry(key).or_insert_with(|| Group {
            timing: timing.clone(),
            members: BTreeMap::new(),
            next_look: now + ms(timing.group_wait),
            last_notice: None,
            changed: false,
        });
        let fingerprint = dispatch.alert.fingerprint.clone();
        let notice_key = dispatch.key();
        let mut settled = Vec::new();
        match (dispatch.notice, group.members.get_mut(&fingerprint)) {
            // Still firing: newer values, nothing new to tell.
            (Notice::Repeat, Some(member)) if !member.resolved => {
                member.dispatch = dispatch;
                settled.push(notice_key);
            }
            // Resolved before anyone heard of it: nothing to tell.
            (Notice::Resolved, Some(member)) if !member.told => {
                settled.append(&mut member.untold);
                settled.push(notice_key);
                group.members.remove(&fingerprint);
            }
            (Notice::Resolved, Some(member)) => {
                member.resolved = true;
                member.dispatch = dispatch;
                member.untold.push(notice_key);
                group.changed = true;
            }
            // Firing anew, or heard of first in a repeat or a resolution
            // (the notifier restarted, or took over): tell.
            (notice, existing) => {
                let mut untold = existing
                    .map(|m| std::mem::take(&mut m.untold))
                    .unwrap_or_default();
                untold.push(notice_key);
                let member = Member {
                    dispatch,
                    told: false,
                    resolved: notice == Notice::Resolved,
                    untold,
                };
                group.members.insert(fingerprint, member);
                group.changed = true;
            }
        }
        if group.members.is_empty() && group.last_notice.is_none() {
            // Nothing was said and nothing is left to say.
            group.changed = false;
        }
        settled
    }

    /// Drops a silenced alert from the group `key` without a word: the group
    /// stops repeating it; once unsilenced it comes back as news. Returns
    /// the notices about it that are now never to be told.
    pub fn mute(&mut self, key: &GroupKey, fingerprint: &str) -> Vec<NoticeKey> {
        self.groups
            .get_mut(key)
            .and_then(|group| group.members.remove(fingerprint))
            .map(|member| member.untold)
            .unwrap_or_default()
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
                let settles = group
                    .members
                    .values_mut()
                    .flat_map(|member| std::mem::take(&mut member.untold))
                    .collect();
                notices.push(GroupNotice {
                    key: key.clone(),
                    members,
                    repeat_interval: group.timing.repeat_interval,
                    settles,
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
