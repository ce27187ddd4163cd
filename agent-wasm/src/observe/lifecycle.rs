//! Page lifecycle hooks: when a view ends and what a back/forward-cache
//! restore or an SPA route change starts.
//!
//! Hidden is the last moment a page is reliably alive (mobile browsers may
//! discard it without unload), so the view ends on `visibilitychange` →
//! hidden and on `pagehide`. A `pageshow` with `persisted` is a page
//! restored from the back/forward cache: a new view, measured afresh, whose
//! FCP and LCP come at the second frame after the restore (as web-vitals
//! measures them). A route change (pushState, replaceState, popstate) to
//! another URL starts a new view too.

use super::{Observation, Report, Tag};
use crate::browser::{next_frame, performance_now, Js, Word};
use crate::text;

pub fn install() {
    let document = Js::global(Word::document);
    document.listen(Word::visibilitychange, Tag::Visibility as u32, false);
    let window = Js::global(Word::window);
    window.listen(Word::pagehide, Tag::PageHide as u32, false);
    window.listen(Word::pageshow, Tag::PageShow as u32, false);
    text::on_route_change(Tag::Route as u32);
}

/// `performance.interactionCount`, where the browser has it.
pub fn interaction_count() -> Option<f64> {
    Js::global(Word::performance).number(Word::interactionCount)
}

pub fn is_hidden() -> bool {
    Js::global(Word::document).is(Word::visibilityState, Word::hidden)
}

/// A restore, and its two frames.
pub fn on(tag: Tag, value: &Js, report: Report) {
    match tag {
        Tag::PageShow if value.is(Word::persisted, Word::True) => {
            report(Observation::Restored {
                at: value.num(Word::timeStamp),
                hidden: is_hidden(),
                interactions: interaction_count().unwrap_or(0.0),
            });
            next_frame(Tag::RestoreFrame as u32);
        }
        Tag::RestoreFrame => next_frame(Tag::RestorePaint as u32),
        Tag::RestorePaint => report(Observation::RestoredPaint {
            at: performance_now(),
        }),
        _ => {}
    }
}
