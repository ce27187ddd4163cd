//! Observe: the browser hooks. Each hook reads what the browser reports
//! (numbers, and text as handles) into an [`Observation`] and gives it to the
//! function it was handed; it never touches the agent. None lets an
//! exception reach the page: the loader catches around every call.

pub mod errors;
mod frames;
mod lifecycle;
mod performance;

use crate::browser::{performance_now, Js, Word};
use crate::frames::Script;
use crate::text::App;
use crate::vitals::{InteractionEntry, LcpCandidate, NavigationTiming};

/// What a hook saw, for the agent to handle.
pub enum Observation {
    /// The first contentful paint, `start` ms after the time origin.
    Paint {
        start: f64,
        activation: f64,
    },
    Lcp(LcpCandidate<Js>),
    LayoutShift {
        start: f64,
        value: f64,
        /// Its selector (undefined: none).
        target: Js,
        owner: Option<App>,
    },
    Event {
        entry: InteractionEntry<Js>,
        owner: Option<App>,
    },
    /// A trusted click or keydown, or the page hid: LCP is final.
    LcpFinal,
    Navigation {
        kind: Js,
        timing: NavigationTiming,
    },
    Resource {
        started: f64,
        url: Js,
        initiator: Js,
        duration: f64,
        transfer_size: f64,
        cache_hit: bool,
    },
    LongFrame {
        start: f64,
        duration: f64,
        blocking: f64,
        scripts: Vec<Script<Js>>,
    },
    /// An error or rejection, `at` ms after the time origin; `sandbox`: the
    /// app whose sandbox it happened in.
    Error {
        at: f64,
        caught: crate::text::Caught,
        sandbox: Option<App>,
    },
    /// When the page was first hidden (infinity: not yet), as the observers start.
    FirstHidden {
        at: f64,
    },
    /// The view ends: the page hid (`hidden_at`, a `visibilitychange`) or
    /// is going away (`pagehide`); `interactions`: `performance.interactionCount`.
    ViewEnds {
        hidden_at: Option<f64>,
        interactions: Option<f64>,
    },
    /// Restored from the back/forward cache `at`; `hidden`: it is hidden now.
    Restored {
        at: f64,
        hidden: bool,
        interactions: f64,
    },
    /// The second frame after a restore: its FCP and LCP.
    RestoredPaint {
        at: f64,
    },
    /// An SPA route change to `url` (scrubbed).
    RouteChange {
        url: Js,
        interactions: Option<f64>,
    },
    /// Time to send what is queued.
    FlushDue,
}

/// The function observers report through.
pub type Report<'a> = &'a mut dyn FnMut(Observation);

/// What each callback from the browser is (`tag`'s low byte); the rest of
/// the tag is a parameter (a sandbox's app, a request's number).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Navigation,
    Paint,
    Lcp,
    LayoutShift,
    Event,
    FirstInput,
    Resource,
    LongFrame,
    LongTask,
    SandboxResource,
    Error,
    Rejection,
    Input,
    Activated,
    Visibility,
    PageHide,
    PageShow,
    RestoreFrame,
    RestorePaint,
    Route,
    Flush,
    /// Delivery's own: a fetch answered, a body gzipped, a retry due.
    Answer,
    Gzipped,
    Retry,
}

impl Tag {
    /// The tag with a parameter, as the loader hands it back.
    pub fn with(self, parameter: u32) -> u32 {
        self as u32 | parameter << 8
    }

    /// The tag and its parameter.
    pub fn split(raw: u32) -> Option<(Tag, u32)> {
        // Each number to its own variant: compiled to a range check, no table.
        let tag = match raw & 0xff {
            0 => Tag::Navigation,
            1 => Tag::Paint,
            2 => Tag::Lcp,
            3 => Tag::LayoutShift,
            4 => Tag::Event,
            5 => Tag::FirstInput,
            6 => Tag::Resource,
            7 => Tag::LongFrame,
            8 => Tag::LongTask,
            9 => Tag::SandboxResource,
            10 => Tag::Error,
            11 => Tag::Rejection,
            12 => Tag::Input,
            13 => Tag::Activated,
            14 => Tag::Visibility,
            15 => Tag::PageHide,
            16 => Tag::PageShow,
            17 => Tag::RestoreFrame,
            18 => Tag::RestorePaint,
            19 => Tag::Route,
            20 => Tag::Flush,
            21 => Tag::Answer,
            22 => Tag::Gzipped,
            23 => Tag::Retry,
            _ => return None,
        };
        Some((tag, raw >> 8))
    }
}

/// The page's observers and listeners: every callback from the browser
/// comes through [`Observers::on`].
#[derive(Default)]
pub struct Observers {
    /// The PerformanceObservers, by the tag of their entries, kept so the
    /// entries still queued in them can be taken when the view ends.
    observing: Vec<(Tag, Js)>,
}

impl Observers {
    /// Starts observing: now, or when a prerendered page is activated.
    pub fn install(&mut self, report: Report) {
        let document = Js::global(Word::document);
        if document.is(Word::prerendering, Word::True) {
            document.listen(Word::prerenderingchange, Tag::Activated as u32, false);
        } else {
            performance::start(report, &mut self.observing);
        }
        lifecycle::install();
        errors::listen(&Js::global(Word::window), None);
    }

    /// A callback from the browser: `tag`, its parameter and its value.
    pub fn on(&mut self, tag: Tag, parameter: u32, value: &Js, report: Report) {
        match tag {
            Tag::Activated => performance::start(report, &mut self.observing),
            Tag::Input => {
                if value.is(Word::isTrusted, Word::True) {
                    self.finalize_lcp(report);
                }
            }
            Tag::Error | Tag::Rejection => {
                errors::caught(value, performance_now(), parameter, report);
            }
            Tag::Visibility | Tag::PageHide => {
                let hidden = lifecycle::is_hidden();
                if tag == Tag::PageHide || hidden {
                    self.end_view(report);
                    report(Observation::ViewEnds {
                        hidden_at: (tag == Tag::Visibility).then(|| value.num(Word::timeStamp)),
                        interactions: lifecycle::interaction_count(),
                    });
                }
            }
            Tag::Route => {
                self.take_records(report);
                report(Observation::RouteChange {
                    url: value.clone(),
                    interactions: lifecycle::interaction_count(),
                });
            }
            Tag::PageShow | Tag::RestoreFrame | Tag::RestorePaint => {
                lifecycle::on(tag, value, report)
            }
            Tag::Flush => report(Observation::FlushDue),
            Tag::SandboxResource => {
                let list = value.call(Word::getEntries, &Js::UNDEFINED);
                performance::entries(tag, &list, f64::from(parameter), report);
            }
            _ => {
                let list = value.call(Word::getEntries, &Js::UNDEFINED);
                performance::entries(tag, &list, 0.0, report);
            }
        }
    }

    /// Before a view ends: the entries the browser has not delivered yet
    /// still count (web-vitals takes them too), LCP is final, and the
    /// navigation of a page hidden before its load ended is as it is.
    fn end_view(&mut self, report: Report) {
        self.take_records(report);
        self.finalize_lcp(report);
        performance::unfinished_navigation(report);
    }

    fn take_records(&self, report: Report) {
        for (tag, observer) in &self.observing {
            let list = observer.call(Word::takeRecords, &Js::UNDEFINED);
            performance::entries(*tag, &list, 0.0, report);
        }
    }

    /// LCP is final: take what is queued, then stop observing it.
    fn finalize_lcp(&mut self, report: Report) {
        if let Some(index) = self.observing.iter().position(|(tag, _)| *tag == Tag::Lcp) {
            let (tag, observer) = self.observing.remove(index);
            let list = observer.call(Word::takeRecords, &Js::UNDEFINED);
            performance::entries(tag, &list, 0.0, report);
            observer.call(Word::disconnect, &Js::UNDEFINED);
        }
        report(Observation::LcpFinal);
    }
}

/// Watches where a framework runs `app`'s code: a window (a sandbox
/// iframe's) or a shadow root, told apart by `performance`.
pub fn watch(target: &Js, app: App) {
    if target.get(Word::performance).is_object() {
        performance::observe_resources_of(target);
    }
    errors::listen(target, Some(app));
}

#[cfg(test)]
mod tests {
    use super::Tag;

    #[test]
    fn a_tag_splits_into_itself_and_its_parameter() {
        for number in 0..=Tag::Retry as u32 {
            let (tag, parameter) = Tag::split(number | 77 << 8).expect("a tag");
            assert_eq!((tag as u32, parameter), (number, 77));
        }
        assert_eq!(Tag::split(Tag::Retry as u32 + 1), None);
        assert_eq!(
            Tag::split(Tag::Gzipped.with(0xff_ffff)),
            Some((Tag::Gzipped, 0xff_ffff))
        );
    }
}
