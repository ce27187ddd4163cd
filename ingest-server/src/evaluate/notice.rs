//! Which notice about an alert goes out this tick, once its step is taken
//! and inhibition, dependency causes and silences are known.

use crate::clock::Millis;
use crate::model::alert::{Alert, Notice};

use super::lifecycle::is_notified;

/// The notice to hand to notify about `alert` after this tick's step (which
/// said `notice`), its suppression and its silences:
/// - silenced (`silenced_by`): no one is told, firing, repeat or resolved,
///   as in Alertmanager; the notice still goes to notify, marked by
///   `silenced_by` (a repeat when the silence begins on an alert already
///   told), for its groups to drop the alert;
/// - a resolution is news only to whoever heard of the firing;
/// - inhibited or caused by a dependency: not told.
///
/// A firing or repeat held back is not recorded as said, so the first tick
/// after the silence or suppression tells it (as firing if it was never told).
pub fn notice_to_send(
    alert: &mut Alert,
    notice: Option<Notice>,
    previously_notified: Option<Millis>,
    was_silenced: bool,
) -> Option<Notice> {
    let held_back = |alert: &mut Alert| alert.last_notified = previously_notified;
    if !alert.silenced_by.is_empty() {
        if notice.is_some_and(|n| n != Notice::Resolved) {
            held_back(alert);
        }
        let groups_know_it = previously_notified.is_some() && !was_silenced;
        return notice.or(groups_know_it.then_some(Notice::Repeat));
    }
    match notice {
        Some(Notice::Resolved) => previously_notified.map(|_| Notice::Resolved),
        // The first notice anyone hears of it, held back until now, is news.
        Some(Notice::Repeat) if is_notified(alert) && previously_notified.is_none() => {
            Some(Notice::Firing)
        }
        Some(notice) if is_notified(alert) => Some(notice),
        Some(_) => {
            held_back(alert);
            None
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::lifecycle::step;
    use crate::evaluate::lifecycle::tests::{measure, rule, MINUTE};

    /// Runs (minute, value, silenced) through `step` and `notice_to_send`,
    /// as a tick does; returns what notify is handed: (minute, notice, silenced).
    fn run_silenced(values: &[(i64, f64, bool)]) -> Vec<(i64, Notice, bool)> {
        let mut alert: Option<Alert> = None;
        let mut handed = Vec::new();
        for (minute, value, silenced) in values {
            let step = step(
                &rule(),
                "cart",
                alert.as_ref(),
                measure(*value),
                minute * MINUTE,
            );
            let previously_notified = alert.as_ref().and_then(|a| a.last_notified);
            let mut next = step.alert.unwrap();
            let was_silenced = !next.silenced_by.is_empty();
            next.silenced_by = if *silenced { vec!["s1".into()] } else { vec![] };
            let notice = notice_to_send(&mut next, step.notice, previously_notified, was_silenced);
            if let Some(notice) = notice {
                handed.push((*minute, notice, *silenced));
            }
            alert = Some(next);
        }
        handed
    }

    #[test]
    fn firing_during_a_silence_is_told_at_the_first_tick_after_it() {
        let breached = |minute, silenced| (minute, 0.1, silenced);
        let handed = run_silenced(&[
            breached(0, true),
            breached(2, true),
            breached(3, true),
            breached(4, false),
            breached(5, false),
        ]);
        assert_eq!(
            handed,
            [
                (2, Notice::Firing, true),
                (3, Notice::Repeat, true),
                (4, Notice::Firing, false),
            ],
            "told firing once the silence ended, then not again before repeat_interval"
        );
    }

    #[test]
    fn a_silence_mutes_repeats_and_the_resolution() {
        let handed = run_silenced(&[
            (0, 0.1, false),
            (2, 0.1, false),
            (3, 0.1, true),
            (4, 0.1, true),
            (62, 0.1, true),
            (63, 0.01, true),
            (64, 0.01, false),
        ]);
        assert_eq!(
            handed,
            [
                (2, Notice::Firing, false),
                (3, Notice::Repeat, true),
                (62, Notice::Repeat, true),
                (63, Notice::Resolved, true),
            ],
            "silenced from minute 3: notify hears of it (for its groups) but tells no one"
        );
    }

    #[test]
    fn a_repeat_due_during_a_silence_is_told_when_it_ends() {
        let handed = run_silenced(&[
            (0, 0.1, false),
            (2, 0.1, false),
            (30, 0.1, true),
            (62, 0.1, true),
            (70, 0.1, false),
            (71, 0.1, false),
        ]);
        let told: Vec<_> = handed.iter().filter(|(_, _, silenced)| !silenced).collect();
        assert_eq!(
            told,
            [&(2, Notice::Firing, false), &(70, Notice::Repeat, false)]
        );
    }
}
