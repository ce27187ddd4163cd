//! Long animation frames: frames the main thread took over 50 ms to render,
//! with the scripts that ran in them. Browsers without them report long
//! tasks, which name no scripts.

use super::{Observation, Report, Tag};
use crate::browser::{Js, Word};
use crate::frames::Script;
use crate::text;

/// The main thread's budget per frame (ms): time beyond it blocks input.
const FRAME_BUDGET_MS: f64 = 50.0;

/// The entry type to observe: long animation frames where the browser has them.
pub fn kind() -> (Word, Tag) {
    let types = Js::global(Word::PerformanceObserver).get(Word::supportedEntryTypes);
    if types
        .call(Word::includes, &Js::word(Word::long_animation_frame))
        .is_true()
    {
        (Word::long_animation_frame, Tag::LongFrame)
    } else {
        (Word::longtask, Tag::LongTask)
    }
}

pub fn frame(tag: Tag, entry: &Js, report: Report) {
    let start = entry.num(Word::startTime);
    let duration = entry.num(Word::duration);
    if tag == Tag::LongTask {
        report(Observation::LongFrame {
            start,
            duration,
            blocking: (duration - FRAME_BUDGET_MS).max(0.0),
            scripts: Vec::new(),
        });
        return;
    }
    // Pushed one by one: `collect` would link a sized allocation.
    let mut scripts = Vec::new();
    for script in entry.get(Word::scripts).items() {
        scripts.push(Script {
            url: text::scrub_url(&script.get(Word::sourceURL)),
            function: script.get(Word::sourceFunctionName),
            invoker: script.get(Word::invoker),
            duration: script.num(Word::duration),
        });
    }
    report(Observation::LongFrame {
        start,
        duration,
        blocking: entry.num(Word::blockingDuration),
        scripts,
    });
}
