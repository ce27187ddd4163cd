//! Repeats: an error that happens again in the same view is counted, not
//! sent again. The first occurrence goes out at once; repeats are sent as
//! one report with their count when the queue is next flushed. A page stuck
//! in an error loop thus costs one report per flush, and a page throwing ever
//! new errors at most [`MAX_DISTINCT`] per view.

use canopy_wire::{ErrorReport, Frame};

/// Distinct errors per view past which the agent stays quiet.
pub const MAX_DISTINCT: usize = 100;

#[derive(Debug, Default)]
pub struct Repeats {
    seen: Vec<Seen>,
}

#[derive(Debug)]
struct Seen {
    app: String,
    /// The first report, without its stack text (the frames stay): what a
    /// count is sent with.
    report: ErrorReport,
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

impl Repeats {
    pub fn check(&mut self, app: &str, report: &ErrorReport) -> Verdict {
        if let Some(seen) = self
            .seen
            .iter_mut()
            .find(|seen| seen.app == app && same_error(&seen.report, report))
        {
            seen.unsent = seen.unsent.saturating_add(1);
            return Verdict::Counted;
        }
        if self.seen.len() >= MAX_DISTINCT {
            return Verdict::Drop;
        }
        let report = ErrorReport {
            stack: String::new(),
            count: 1,
            ..report.clone()
        };
        self.seen.push(Seen {
            app: app.to_owned(),
            report,
            unsent: 0,
        });
        Verdict::Send
    }

    /// The counted repeats since the last call, as reports with their count.
    pub fn take_counts(&mut self) -> Vec<(String, ErrorReport)> {
        let mut counts = Vec::new();
        for seen in &mut self.seen {
            if seen.unsent > 0 {
                counts.push((
                    seen.app.clone(),
                    ErrorReport {
                        count: seen.unsent,
                        ..seen.report.clone()
                    },
                ));
                seen.unsent = 0;
            }
        }
        counts
    }
}

/// The same error: same kind, level, type and message, thrown (or reported)
/// from the same place.
fn same_error(a: &ErrorReport, b: &ErrorReport) -> bool {
    fn top(report: &ErrorReport) -> Option<(&str, u32, u32)> {
        report
            .frames
            .first()
            .map(|f: &Frame| (f.file.as_str(), f.line, f.column))
    }
    a.source == b.source
        && a.level == b.level
        && a.error_type == b.error_type
        && a.message == b.message
        && (a.url.as_str(), a.line, a.column) == (b.url.as_str(), b.line, b.column)
        && top(a) == top(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_wire::{ErrorSource, Level};

    fn error(message: &str, line: u32) -> ErrorReport {
        ErrorReport {
            source: ErrorSource::Error,
            error_type: "TypeError".into(),
            message: message.into(),
            stack: "at f (https://x/a.js:1:1)".into(),
            url: "https://x/a.js".into(),
            line,
            column: 1,
            frames: vec![Frame {
                function: "f".into(),
                file: "https://x/a.js".into(),
                line,
                column: 1,
            }],
            count: 1,
            level: Level::Error,
            attrs: Default::default(),
        }
    }

    #[test]
    fn repeats_are_counted_then_sent_as_one_report() {
        let mut repeats = Repeats::default();
        assert_eq!(repeats.check("cart", &error("boom", 1)), Verdict::Send);
        for _ in 0..4 {
            assert_eq!(repeats.check("cart", &error("boom", 1)), Verdict::Counted);
        }
        // Same message from elsewhere, or in another app: a different error.
        assert_eq!(repeats.check("cart", &error("boom", 2)), Verdict::Send);
        assert_eq!(repeats.check("catalog", &error("boom", 1)), Verdict::Send);
        let warning = ErrorReport {
            level: Level::Warning,
            ..error("boom", 1)
        };
        assert_eq!(repeats.check("cart", &warning), Verdict::Send);
        let counts = repeats.take_counts();
        assert_eq!(counts.len(), 1);
        assert_eq!(
            (
                counts[0].0.as_str(),
                counts[0].1.count,
                counts[0].1.stack.as_str()
            ),
            ("cart", 4, "")
        );
        assert_eq!(counts[0].1.frames, error("boom", 1).frames);
        assert!(repeats.take_counts().is_empty(), "counts are sent once");
        assert_eq!(repeats.check("cart", &error("boom", 1)), Verdict::Counted);
        assert_eq!(repeats.take_counts()[0].1.count, 1);
    }

    #[test]
    fn distinct_errors_are_capped_per_view() {
        let mut repeats = Repeats::default();
        for line in 0..MAX_DISTINCT as u32 {
            assert_eq!(repeats.check("cart", &error("boom", line)), Verdict::Send);
        }
        assert_eq!(repeats.check("cart", &error("boom", 9_999)), Verdict::Drop);
        assert_eq!(repeats.check("cart", &error("boom", 0)), Verdict::Counted);
    }
}
