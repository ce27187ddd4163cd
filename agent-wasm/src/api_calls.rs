//! API calls (`fetch`, `XMLHttpRequest`): every finished call is counted into
//! its app's summary of the view, sent at each flush; a failed one is also
//! sent on its own, at most [`MAX_API_FAILURES_PER_VIEW`] per view (past it
//! failures are only counted, like errors past their cap).

use canopy_wire::limits::MAX_API_FAILURES_PER_VIEW;
use canopy_wire::ApiSummary;

use crate::views::Allowance;
use crate::App;

#[derive(Debug)]
pub struct ApiCalls {
    /// Per app, the calls finished since the last summary.
    summaries: Vec<(App, ApiSummary)>,
    failures_to_send: Allowance,
}

impl Default for ApiCalls {
    fn default() -> Self {
        Self {
            summaries: Vec::new(),
            failures_to_send: Allowance::new(MAX_API_FAILURES_PER_VIEW),
        }
    }
}

impl ApiCalls {
    /// Counts a finished call of `app`; whether it is a failure to send.
    pub fn count(&mut self, app: App, duration: f64, failed: bool) -> bool {
        let index = match self.summaries.iter().position(|(known, _)| *known == app) {
            Some(index) => index,
            None => {
                self.summaries.push((app, ApiSummary::default()));
                self.summaries.len() - 1
            }
        };
        let Some((_, summary)) = self.summaries.get_mut(index) else {
            return false;
        };
        summary.calls = summary.calls.saturating_add(1);
        summary.duration += duration;
        if !failed {
            return false;
        }
        summary.failed = summary.failed.saturating_add(1);
        self.failures_to_send.take()
    }

    /// Each app's summary since the last call.
    pub fn take_summaries(&mut self) -> Vec<(App, ApiSummary)> {
        std::mem::take(&mut self.summaries)
    }

    /// A new view may send its own failures.
    pub fn start_view(&mut self) {
        self.failures_to_send.start_view();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: App = 2;
    const CART: App = 1;

    #[test]
    fn calls_are_summed_per_app_until_taken() {
        let mut calls = ApiCalls::default();
        assert!(!calls.count(CATALOG, 10.0, false));
        assert!(calls.count(CART, 30.0, true));
        assert!(!calls.count(CATALOG, 5.5, false));
        let summaries = calls.take_summaries();
        assert_eq!(
            summaries,
            [
                (
                    CATALOG,
                    ApiSummary {
                        calls: 2,
                        failed: 0,
                        duration: 15.5
                    }
                ),
                (
                    CART,
                    ApiSummary {
                        calls: 1,
                        failed: 1,
                        duration: 30.0
                    }
                ),
            ]
        );
        assert!(calls.take_summaries().is_empty(), "each call counted once");
    }

    #[test]
    fn failures_sent_are_capped_per_view_but_all_counted() {
        let mut calls = ApiCalls::default();
        for _ in 0..MAX_API_FAILURES_PER_VIEW {
            assert!(calls.count(CART, 1.0, true));
        }
        assert!(!calls.count(CART, 1.0, true), "over the cap");
        assert_eq!(
            calls.take_summaries()[0].1.failed,
            MAX_API_FAILURES_PER_VIEW + 1
        );
        calls.start_view();
        assert!(calls.count(CART, 1.0, true));
    }
}
