//! Which decided notices are still being told: a notice is settled once
//! nothing holds it any more (every group it joined has told it, every
//! delivery carrying it has ended, delivered or given up). Settled notices
//! are marked in `alert_notices`; what a holder dies holding stays unsettled
//! there and its successor sends it (see docs/ALERTING.md, "HA evaluation").

use std::collections::HashMap;

use crate::model::alert::NoticeKey;

/// Holds on the notices of one lease term.
#[derive(Debug, Default)]
pub struct Outbox {
    held: HashMap<NoticeKey, usize>,
}

impl Outbox {
    /// One more thing (a group, a delivery, the dispatch itself) holds `key`.
    pub fn hold(&mut self, key: &NoticeKey) {
        *self.held.entry(key.clone()).or_default() += 1;
    }

    /// Drops one hold on each of `keys`; returns those no longer held.
    pub fn release(&mut self, keys: impl IntoIterator<Item = NoticeKey>) -> Vec<NoticeKey> {
        let mut settled = Vec::new();
        for key in keys {
            if let Some(holds) = self.held.get_mut(&key) {
                *holds -= 1;
                if *holds == 0 {
                    self.held.remove(&key);
                    settled.push(key);
                }
            }
        }
        settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;

    fn key(alert: &str) -> NoticeKey {
        NoticeKey {
            alert_id: alert.into(),
            notice: Notice::Firing,
            decided_at: 1,
        }
    }

    #[test]
    fn a_notice_settles_when_its_last_hold_is_released() {
        let mut outbox = Outbox::default();
        outbox.hold(&key("a"));
        outbox.hold(&key("a"));
        outbox.hold(&key("b"));
        assert_eq!(outbox.release([key("a"), key("b")]), vec![key("b")]);
        assert_eq!(outbox.release([key("a")]), vec![key("a")]);
        assert_eq!(outbox.release([key("a")]), vec![], "released once only");
    }
}
