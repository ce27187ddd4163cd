use std::time::Duration;

use super::*;
use crate::notify::message::tests::{alert, rule};

const SECOND: Millis = 1000;
const T0: Millis = 1_800_000_000_000;

fn timing() -> Grouping {
    Grouping {
        receiver: "ops".into(),
        group_by: Some(vec!["alertname".into()]),
        group_wait: Duration::from_secs(30),
        group_interval: Duration::from_secs(300),
        repeat_interval: Duration::from_secs(3600),
    }
}

fn key() -> GroupKey {
    GroupKey {
        route: "0".into(),
        receiver: "ops".into(),
        labels: vec![("alertname".into(), "error-rate".into())],
    }
}

fn dispatch(app: &str, notice: Notice) -> Dispatch {
    Dispatch {
        alert: Alert {
            fingerprint: format!("fp-{app}"),
            app: app.into(),
            ..alert()
        },
        notice,
        rule: rule(),
        term: 1,
        decided_at: T0,
    }
}

use crate::model::alert::Alert;

/// What each due notice says: (app, notice) per member.
fn said(groups: &mut Groups, now: Millis) -> Vec<Vec<(String, Notice)>> {
    groups
        .due(now)
        .into_iter()
        .map(|n| {
            n.members
                .into_iter()
                .map(|d| (d.alert.app, d.notice))
                .collect()
        })
        .collect()
}

fn members(list: &[(&str, Notice)]) -> Vec<Vec<(String, Notice)>> {
    vec![list.iter().map(|(a, n)| ((*a).to_owned(), *n)).collect()]
}

#[test]
fn group_wait_collects_the_members_of_a_new_group() {
    let mut groups = Groups::default();
    for (index, app) in ["a", "b", "c"].iter().enumerate() {
        groups.add(
            key(),
            &timing(),
            dispatch(app, Notice::Firing),
            T0 + index as Millis * SECOND,
        );
    }
    assert_eq!(
        groups.next_due(),
        Some(T0 + 30 * SECOND),
        "from the first member"
    );
    assert!(said(&mut groups, T0 + 29 * SECOND).is_empty());
    assert_eq!(
        said(&mut groups, T0 + 30 * SECOND),
        members(&[
            ("a", Notice::Firing),
            ("b", Notice::Firing),
            ("c", Notice::Firing)
        ])
    );
    assert!(said(&mut groups, T0 + 31 * SECOND).is_empty(), "told once");
}

#[test]
fn group_interval_paces_news_of_a_group_already_told() {
    let mut groups = Groups::default();
    groups.add(key(), &timing(), dispatch("a", Notice::Firing), T0);
    assert_eq!(said(&mut groups, T0 + 30 * SECOND).len(), 1);
    // A new member 10 s later waits for the group's next look, 5 min after the notice.
    groups.add(
        key(),
        &timing(),
        dispatch("b", Notice::Firing),
        T0 + 40 * SECOND,
    );
    assert_eq!(groups.next_due(), Some(T0 + 330 * SECOND));
    assert!(said(&mut groups, T0 + 329 * SECOND).is_empty());
    assert_eq!(
        said(&mut groups, T0 + 330 * SECOND),
        members(&[("a", Notice::Repeat), ("b", Notice::Firing)])
    );
    // Nothing new at the next look: nothing said.
    assert!(said(&mut groups, T0 + 630 * SECOND).is_empty());
    assert_eq!(groups.next_due(), Some(T0 + 930 * SECOND));
}

#[test]
fn resolved_members_are_told_in_the_next_notice_then_leave() {
    let mut groups = Groups::default();
    groups.add(key(), &timing(), dispatch("a", Notice::Firing), T0);
    groups.add(key(), &timing(), dispatch("b", Notice::Firing), T0);
    said(&mut groups, T0 + 30 * SECOND);
    groups.add(
        key(),
        &timing(),
        dispatch("a", Notice::Resolved),
        T0 + 60 * SECOND,
    );
    assert_eq!(
        said(&mut groups, T0 + 330 * SECOND),
        members(&[("a", Notice::Resolved), ("b", Notice::Repeat)])
    );
    groups.add(
        key(),
        &timing(),
        dispatch("b", Notice::Resolved),
        T0 + 400 * SECOND,
    );
    assert_eq!(
        said(&mut groups, T0 + 630 * SECOND),
        members(&[("b", Notice::Resolved)])
    );
    assert_eq!(groups.next_due(), None, "an empty group is forgotten");
    // Firing again later: a new group, with its group_wait.
    groups.add(
        key(),
        &timing(),
        dispatch("a", Notice::Firing),
        T0 + 700 * SECOND,
    );
    assert_eq!(groups.next_due(), Some(T0 + 730 * SECOND));
}

#[test]
fn a_member_resolved_before_the_first_notice_is_never_told() {
    let mut groups = Groups::default();
    groups.add(key(), &timing(), dispatch("a", Notice::Firing), T0);
    groups.add(key(), &timing(), dispatch("b", Notice::Firing), T0);
    groups.add(
        key(),
        &timing(),
        dispatch("a", Notice::Resolved),
        T0 + SECOND,
    );
    assert_eq!(
        said(&mut groups, T0 + 30 * SECOND),
        members(&[("b", Notice::Firing)])
    );
    let mut lone = Groups::default();
    lone.add(key(), &timing(), dispatch("a", Notice::Firing), T0);
    lone.add(
        key(),
        &timing(),
        dispatch("a", Notice::Resolved),
        T0 + SECOND,
    );
    assert!(said(&mut lone, T0 + 30 * SECOND).is_empty());
    assert_eq!(lone.next_due(), None);
}

#[test]
fn repeat_interval_retells_an_unchanged_firing_group() {
    let mut groups = Groups::default();
    groups.add(key(), &timing(), dispatch("a", Notice::Firing), T0);
    said(&mut groups, T0 + 30 * SECOND);
    // The evaluator's own repeats refresh the member without news.
    groups.add(
        key(),
        &timing(),
        dispatch("a", Notice::Repeat),
        T0 + 1000 * SECOND,
    );
    let mut told = Vec::new();
    let mut now = T0 + 30 * SECOND;
    while now < T0 + 2 * 3600 * SECOND {
        now += 300 * SECOND;
        if !said(&mut groups, now).is_empty() {
            told.push((now - T0) / SECOND);
        }
    }
    // Looked at every 5 min from 30 s; the first look at least 1 h after a notice retells.
    assert_eq!(told, [3630, 7230]);
}

#[test]
fn groups_are_timed_apart_and_a_restart_still_tells_a_resolution() {
    let mut groups = Groups::default();
    let other = GroupKey {
        labels: vec![("alertname".into(), "availability".into())],
        ..key()
    };
    groups.add(key(), &timing(), dispatch("a", Notice::Firing), T0);
    groups.add(
        other.clone(),
        &timing(),
        dispatch("a", Notice::Firing),
        T0 + 10 * SECOND,
    );
    assert_eq!(said(&mut groups, T0 + 30 * SECOND).len(), 1);
    assert_eq!(said(&mut groups, T0 + 40 * SECOND).len(), 1);
    // A notifier that restarted hears of a resolution of an alert it never saw: it tells.
    let mut fresh = Groups::default();
    fresh.add(
        other.clone(),
        &timing(),
        dispatch("z", Notice::Resolved),
        T0,
    );
    assert_eq!(
        said(&mut fresh, T0 + 30 * SECOND),
        members(&[("z", Notice::Resolved)])
    );
    assert_eq!(other.text(), "{}/0:{alertname=\"availability\"}");
}

#[test]
fn notices_settle_when_told_or_when_there_is_nothing_to_tell() {
    let mut groups = Groups::default();
    let firing = dispatch("a", Notice::Firing);
    assert_eq!(groups.add(key(), &timing(), firing.clone(), T0), vec![]);
    // Not told yet: a repeat adds nothing and settles at once.
    let repeat = Dispatch {
        decided_at: T0 + SECOND,
        ..dispatch("a", Notice::Repeat)
    };
    assert_eq!(
        groups.add(key(), &timing(), repeat.clone(), T0 + SECOND),
        vec![repeat.key()]
    );
    let told = groups.due(T0 + 30 * SECOND);
    assert_eq!(
        told[0].settles,
        vec![firing.key()],
        "the firing notice is settled by its telling"
    );
    // Told firing, then resolved: settled by the next notice, not before.
    let resolved = Dispatch {
        decided_at: T0 + 40 * SECOND,
        ..dispatch("a", Notice::Resolved)
    };
    assert_eq!(
        groups.add(key(), &timing(), resolved.clone(), T0 + 40 * SECOND),
        vec![]
    );
    assert_eq!(
        groups.due(T0 + 330 * SECOND)[0].settles,
        vec![resolved.key()]
    );
    // Resolved before its first notice: both settle, nothing is told.
    let b = dispatch("b", Notice::Firing);
    groups.add(key(), &timing(), b.clone(), T0 + 400 * SECOND);
    let b_resolved = Dispatch {
        decided_at: T0 + 401 * SECOND,
        ..dispatch("b", Notice::Resolved)
    };
    assert_eq!(
        groups.add(key(), &timing(), b_resolved.clone(), T0 + 401 * SECOND),
        vec![b.key(), b_resolved.key()]
    );
    // Silenced before its first notice: muted, its notice settles untold.
    let c = dispatch("c", Notice::Firing);
    groups.add(key(), &timing(), c.clone(), T0 + 500 * SECOND);
    assert_eq!(groups.mute(&key(), "fp-c"), vec![c.key()]);
    assert_eq!(groups.mute(&key(), "fp-c"), vec![], "muted once");
}

#[test]
fn a_muted_member_is_not_repeated_and_comes_back_as_news() {
    let mut groups = Groups::default();
    let hour = 3600 * SECOND;
    groups.add(key(), &timing(), dispatch("a", Notice::Firing), T0);
    groups.add(key(), &timing(), dispatch("b", Notice::Firing), T0);
    assert_eq!(said(&mut groups, T0 + 30 * SECOND).len(), 1);
    groups.mute(&key(), "fp-a");
    assert_eq!(
        said(&mut groups, T0 + 30 * SECOND + hour),
        members(&[("b", Notice::Repeat)]),
        "the repeat leaves the muted member out"
    );
    // Unsilenced, the evaluator's next notice about it is a repeat: news to the group.
    let later = T0 + 30 * SECOND + hour + 60 * SECOND;
    groups.add(key(), &timing(), dispatch("a", Notice::Repeat), later);
    assert_eq!(
        said(&mut groups, T0 + 30 * SECOND + hour + 300 * SECOND),
        members(&[("a", Notice::Firing), ("b", Notice::Repeat)])
    );
}
