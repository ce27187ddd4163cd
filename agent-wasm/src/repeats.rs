//! Repeats: an error that happens again in the same view is counted, not
//! sent again. The first occurrence goes out at once; repeats are sent as
//! one report with their count when the queue is next flushed. A page stuck
//! in an error loop thus costs one report per flush, and a page throwing ever
//! new errors at most [`MAX_DISTINCT`] per view.
//!
//! Errors are told apart by a fingerprint the JS side hashes from what makes
//! two reports the same error: kind, level, type and message, thrown (or
//! reported) from the same place (URL, line, column and top stack frame).
//! The report `R` is opaque here (a JS handle in the agent): the first one
//! is what a count is sent with.

use crate::App;

/// Distinct errors per view past which the agent stays quiet.
pub const MAX_DISTINCT: usize = 100;

#[derive(Debug)]
pub struct Repeats<R> {
    seen: Vec<Seen<R>>,
}

#[derive(Debug)]
struct Seen<R> {
    app: App,
    fingerprint: u32,
    report: R,
    unsent: u32,
}

/// What to do with an error.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// First of its kind in this view: send it.
    Send,
    /// Counted, to be sent with the next flush.
    Counted,
    /// Over the view's allowance: drop it.
    Drop,
}

impl<R> Default for Repeats<R> {
    fn default() -> Self {
        Self { seen: Vec::new() }
    }
}

impl<R: Clone> Repeats<R> {
    /// Checks an error of `app`; keeps `report` (a copy) if it is the first of its kind.
    pub fn check(&mut self, app: App, fingerprint: u32, report: &R) -> Verdict {
        if let Some(seen) = self
            .seen
            .iter_mut()
            .find(|seen| seen.app == app && seen.fingerprint == fingerprint)
        {
            seen.unsent = seen.unsent.saturating_add(1);
            return Verdict::Counted;
        }
        if self.seen.len() >= MAX_DISTINCT {
            return Verdict::Drop;
        }
        self.seen.push(Seen {
            app,
            fingerprint,
            report: report.clone(),
            unsent: 0,
        });
        Verdict::Send
    }

    /// The counted repeats since the last call: each app, first report and count.
    pub fn take_counts(&mut self) -> Vec<(App, R, u32)> {
        let mut counts = Vec::new();
        for seen in &mut self.seen {
            if seen.unsent > 0 {
                counts.push((seen.app, seen.report.clone(), seen.unsent));
                seen.unsent = 0;
            }
        }
        counts
    }

    /// A new view sends its errors afresh. Repeats not taken yet are forgotten.
    pub fn start_view(&mut self) {
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CART: App = 1;
    const CATALOG: App = 2;
    /// Fingerprints: "boom" thrown from line 1, from line 2, reported as a warning.
    const BOOM_1: u32 = 0xb001;
    const BOOM_2: u32 = 0xb002;
    const BOOM_WARNING: u32 = 0xb0a1;

    #[test]
    fn repeats_are_counted_then_sent_as_one_report() {
        let mut repeats = Repeats::default();
        assert_eq!(repeats.check(CART, BOOM_1, &"boom@1"), Verdict::Send);
        for _ in 0..4 {
            assert_eq!(
                repeats.check(CART, BOOM_1, &"boom@1 again"),
                Verdict::Counted
            );
        }
        // Same message from elsewhere, or in another app: a different error.
        assert_eq!(repeats.check(CART, BOOM_2, &"boom@2"), Verdict::Send);
        assert_eq!(repeats.check(CATALOG, BOOM_1, &"boom@1"), Verdict::Send);
        assert_eq!(repeats.check(CART, BOOM_WARNING, &"warning"), Verdict::Send);
        assert_eq!(
            repeats.take_counts(),
            [(CART, "boom@1", 4)],
            "sent with the first report"
        );
        assert!(repeats.take_counts().is_empty(), "counts are sent once");
        assert_eq!(repeats.check(CART, BOOM_1, &"boom@1"), Verdict::Counted);
        assert_eq!(repeats.take_counts()[0].2, 1);
    }

    #[test]
    fn distinct_errors_are_capped_per_view() {
        let mut repeats = Repeats::default();
        for line in 0..MAX_DISTINCT as u32 {
            assert_eq!(repeats.check(CART, line, &"boom"), Verdict::Send);
        }
        assert_eq!(repeats.check(CART, 9_999, &"boom"), Verdict::Drop);
        assert_eq!(repeats.check(CART, 0, &"boom"), Verdict::Counted);
    }

    #[test]
    fn a_new_view_sends_its_errors_afresh() {
        let mut repeats = Repeats::default();
        for line in 0..MAX_DISTINCT as u32 {
            repeats.check(CART, line, &"boom");
        }
        repeats.check(CART, 0, &"boom");
        repeats.start_view();
        assert!(repeats.take_counts().is_empty());
        assert_eq!(repeats.check(CART, 0, &"boom"), Verdict::Send);
        assert_eq!(repeats.check(CART, 9_999, &"boom"), Verdict::Send);
    }
}
