//! INP: Event Timing entries grouped by interaction id (the longest entry
//! is the interaction's latency); the value is the longest interaction,
//! skipping one per 50 interactions on the page (web-vitals' p98 estimate).
//! Its phases span the handlers of every event presented in its frame.

use super::{Parts, Text, Vital, VitalName};
use crate::frames::RecentFrames;
use crate::App;

/// INP candidates kept: the longest interactions (web-vitals keeps 10).
const MAX_INTERACTIONS: usize = 10;
/// One interaction is skipped per this many on the page: ~p98.
const INTERACTIONS_PER_SKIP: f64 = 50.0;
/// Event entries presented within this many ms of each other were in one frame.
const FRAME_GROUP_MS: f64 = 8.0;
/// Frames whose event entries are kept for grouping (web-vitals keeps 10).
const MAX_PENDING_FRAMES: usize = 10;
/// What web-vitals reports for a restored page whose interactions were all
/// too short to be observed (ms).
const RESTORED_SHORT_INP_MS: f64 = 8.0;

/// One Event Timing entry.
#[derive(Debug, Clone)]
pub struct InteractionEntry<T> {
    /// `interactionId`: 0 for an event that is no interaction's (`mouseover`, `dblclick`).
    pub id: f64,
    /// When the input happened, and when its handlers started and ended (ms since the time origin).
    pub start: f64,
    pub processing_start: f64,
    pub processing_end: f64,
    pub duration: f64,
    /// The event type (`pointerdown`, `click`, `keydown`…).
    pub name: T,
    /// Selector of the event's target; `T::default()` when it has none.
    pub target: T,
}

/// The event handlers of one presented frame: the entries whose render
/// time (`startTime + duration`) is within 8 ms of the first one's.
#[derive(Debug, Clone, Copy)]
pub(super) struct EventFrame {
    render: f64,
    processing_start: f64,
    processing_end: f64,
}

#[derive(Debug, Default)]
pub(super) struct EventFrames(Vec<EventFrame>);

impl EventFrames {
    /// Adds `entry`'s handlers to its frame; the frame as it now is.
    pub(super) fn add<T>(&mut self, entry: &InteractionEntry<T>) -> EventFrame {
        let render = entry.start + entry.duration;
        let found = self
            .0
            .iter_mut()
            .rev()
            .find(|f| (render - f.render).abs() <= FRAME_GROUP_MS);
        match found {
            Some(frame) => {
                frame.processing_start = frame.processing_start.min(entry.processing_start);
                frame.processing_end = frame.processing_end.max(entry.processing_end);
                *frame
            }
            None => {
                let frame = EventFrame {
                    render,
                    processing_start: entry.processing_start,
                    processing_end: entry.processing_end,
                };
                if self.0.len() == MAX_PENDING_FRAMES {
                    self.0.remove(0);
                }
                self.0.push(frame);
                frame
            }
        }
    }
}

#[derive(Debug)]
pub(super) struct Interactions<T> {
    /// The longest interactions, longest first; among equals, the earliest first.
    longest: Vec<Interaction<T>>,
    /// Interactions seen (ids only grow, so a new largest id is a new one).
    pub(super) count: f64,
    last_id: f64,
}

impl<T> Default for Interactions<T> {
    fn default() -> Self {
        Self {
            longest: Vec::new(),
            count: 0.0,
            last_id: 0.0,
        }
    }
}

#[derive(Debug)]
struct Interaction<T> {
    id: f64,
    latency: f64,
    event_type: T,
    target: T,
    owner: App,
    /// The longest entry's input time; the handlers of its frame, and when it was presented.
    start: f64,
    processing_start: f64,
    processing_end: f64,
    frame: f64,
}

impl<T: Text> Interaction<T> {
    fn timed_by(&mut self, entry: &InteractionEntry<T>, frame: &EventFrame) {
        self.latency = entry.duration;
        self.event_type.clone_from(&entry.name);
        self.start = entry.start;
        self.in_frame(frame);
    }

    /// The handlers of the frame its longest entry was presented in: every
    /// event's (a click's `pointerdown`, `pointerup` and `click`, a
    /// `dblclick`), as web-vitals groups them.
    fn in_frame(&mut self, frame: &EventFrame) {
        self.frame = frame.render;
        self.processing_start = frame.processing_start;
        self.processing_end = frame.processing_end;
    }

    /// The phases as web-vitals' attribution names them: from the longest
    /// entry's input to the first handler of its frame, the handlers, then
    /// until the frame was presented. They add up to the latency.
    fn parts(&self) -> Parts {
        // Within the interaction, in order (max/min: `clamp` would link float formatting for its panic).
        let end = self.start + self.latency;
        let processing_start = self.processing_start.max(self.start).min(end);
        let processing_end = self.processing_end.max(processing_start).min(end);
        Parts::Inp {
            input_delay: processing_start - self.start,
            processing: processing_end - processing_start,
            presentation: end - processing_end,
        }
    }
}

impl<T: Text> Interactions<T> {
    /// Another entry presented in `frame`: the interactions timed by it see its handlers.
    pub(super) fn frame_grew(&mut self, frame: &EventFrame) {
        for interaction in self.longest.iter_mut().filter(|i| i.frame == frame.render) {
            interaction.in_frame(frame);
        }
    }

    /// An interaction's entry (`id` > 0) whose target is in `owner`'s DOM, presented in `frame`.
    pub(super) fn add(&mut self, entry: &InteractionEntry<T>, owner: App, frame: &EventFrame) {
        if entry.id > self.last_id {
            self.last_id = entry.id;
            self.count += 1.0;
        }
        let mut index = match self.longest.iter().position(|i| i.id == entry.id) {
            Some(index) => {
                let interaction = &mut self.longest[index];
                // Only the longest entries name the target (web-vitals reads
                // theirs alone); the first one named is kept.
                let longest = entry.duration > interaction.latency
                    || (entry.duration == interaction.latency && entry.start == interaction.start);
                if entry.duration > interaction.latency {
                    interaction.timed_by(entry, frame);
                }
                if longest && interaction.target == T::default() {
                    interaction.target.clone_from(&entry.target);
                    interaction.owner = owner;
                }
                index
            }
            None => {
                let shortest = self.longest.last().map_or(0.0, |i| i.latency);
                if self.longest.len() >= MAX_INTERACTIONS && entry.duration <= shortest {
                    return;
                }
                let mut interaction = Interaction {
                    id: entry.id,
                    latency: 0.0,
                    event_type: T::default(),
                    target: entry.target.clone(),
                    owner,
                    start: 0.0,
                    processing_start: 0.0,
                    processing_end: 0.0,
                    frame: 0.0,
                };
                interaction.timed_by(entry, frame);
                self.longest.push(interaction);
                self.longest.len() - 1
            }
        };
        // Move it up past every shorter one: what a stable sort by latency does.
        while index > 0 && self.longest[index - 1].latency < self.longest[index].latency {
            self.longest.swap(index - 1, index);
            index -= 1;
        }
        self.longest.truncate(MAX_INTERACTIONS);
    }

    /// INP for `count` interactions on the page; `restored` pages report a
    /// short one when every interaction was too short to be observed.
    pub(super) fn vital(
        &self,
        count: f64,
        restored: bool,
        frames: &RecentFrames<T>,
    ) -> Option<Vital<T>> {
        let skip = (count / INTERACTIONS_PER_SKIP) as usize;
        match self
            .longest
            .get(skip.min(self.longest.len().wrapping_sub(1)))
        {
            Some(worst) => Some(Vital {
                target: worst.target.clone(),
                event_type: worst.event_type.clone(),
                owner: Some(worst.owner),
                parts: worst.parts(),
                scripts: frames.scripts_during(worst.start, worst.start + worst.latency),
                ..Vital::new(VitalName::Inp, worst.latency)
            }),
            None if restored && count > 0.0 => {
                Some(Vital::new(VitalName::Inp, RESTORED_SHORT_INP_MS))
            }
            None => None,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::vitals) type Entry = InteractionEntry<Option<&'static str>>;
    type Inp = Interactions<Option<&'static str>>;
    const SHELL: App = 0;
    const CATALOG: App = 1;

    /// An entry of interaction `id` named `name`, its target `#name`.
    pub(in crate::vitals) fn entry(id: f64, duration: f64, name: &'static str) -> Entry {
        InteractionEntry {
            id,
            start: 1_000.0,
            processing_start: 1_010.0,
            processing_end: 1_030.0,
            duration,
            name: Some(name),
            // Test-only: a `#name` that lives as long as the `&str` handles do.
            target: Some(Box::leak(["#", name].concat().into_boxed_str())),
        }
    }

    /// `entry` added as the only one presented in its frame.
    fn alone(inp: &mut Inp, entry: &Entry, owner: App) {
        let frame = EventFrames::default().add(entry);
        inp.add(entry, owner, &frame);
    }

    fn value(inp: &Inp, count: f64) -> f64 {
        inp.vital(count, false, &RecentFrames::default())
            .map_or(f64::NAN, |vital| vital.value)
    }

    #[test]
    fn an_interaction_is_its_longest_entry() {
        let mut inp = Inp::default();
        alone(&mut inp, &entry(7.0, 48.0, "pointerdown"), SHELL);
        alone(&mut inp, &entry(7.0, 120.0, "click"), SHELL);
        alone(&mut inp, &entry(7.0, 120.0, "pointerup"), SHELL);
        let vital = inp.vital(1.0, false, &RecentFrames::default()).unwrap();
        assert_eq!((vital.value, vital.event_type), (120.0, Some("click")));
        // The target is the first entry's.
        assert_eq!(vital.target, Some("#pointerdown"));
        assert_eq!(inp.count, 1.0);
    }

    #[test]
    fn only_the_longest_entries_name_a_target_that_left_the_dom() {
        let mut inp = Inp::default();
        let removed = InteractionEntry {
            target: None,
            ..entry(3.0, 300.0, "keydown")
        };
        alone(&mut inp, &removed, SHELL);
        // A shorter entry of the same interaction, on another element.
        alone(&mut inp, &entry(3.0, 96.0, "keyup"), CATALOG);
        let vital = inp.vital(1.0, false, &RecentFrames::default()).unwrap();
        assert_eq!((vital.target, vital.owner), (None, Some(SHELL)));
        // A longer one names it, and owns it.
        alone(&mut inp, &entry(3.0, 320.0, "keypress"), CATALOG);
        let vital = inp.vital(1.0, false, &RecentFrames::default()).unwrap();
        assert_eq!(
            (vital.target, vital.owner),
            (Some("#keypress"), Some(CATALOG))
        );
    }

    #[test]
    fn inp_skips_one_interaction_per_fifty() {
        let mut inp = Inp::default();
        for (i, duration) in [200.0, 560.0, 96.0, 304.0, 48.0].into_iter().enumerate() {
            alone(
                &mut inp,
                &entry(i as f64 * 7.0 + 1.0, duration, "click"),
                SHELL,
            );
        }
        assert_eq!(value(&inp, 5.0), 560.0);
        assert_eq!(value(&inp, 49.0), 560.0);
        assert_eq!(value(&inp, 50.0), 304.0);
        assert_eq!(value(&inp, 149.0), 200.0);
        assert_eq!(value(&inp, 150.0), 96.0);
        // Never past the candidates kept.
        assert_eq!(value(&inp, 10_000.0), 48.0);
    }

    #[test]
    fn inp_keeps_the_ten_longest_and_the_earliest_of_equals() {
        let mut inp = Inp::default();
        for i in 0..30 {
            let duration = 40.0 + f64::from(i % 12) * 8.0;
            alone(
                &mut inp,
                &entry(f64::from(i) + 1.0, duration, "keydown"),
                SHELL,
            );
        }
        assert_eq!(inp.longest.len(), MAX_INTERACTIONS);
        let latencies: Vec<f64> = inp.longest.iter().map(|i| i.latency).collect();
        assert_eq!(
            latencies,
            [128.0, 128.0, 120.0, 120.0, 112.0, 112.0, 104.0, 104.0, 96.0, 96.0]
        );
        // Of the equal 128 ms ones (ids 12 and 24), the earlier comes first.
        assert_eq!(inp.longest[0].id, 12.0);
        assert_eq!(inp.count, 30.0);
    }

    #[test]
    fn no_interaction_is_no_inp_unless_restored_after_short_ones() {
        let inp = Inp::default();
        let frames = RecentFrames::default();
        assert!(inp.vital(3.0, false, &frames).is_none());
        assert!(inp.vital(0.0, true, &frames).is_none());
        let short = inp.vital(3.0, true, &frames).unwrap();
        assert_eq!(
            (short.value, short.owner, short.parts),
            (8.0, None, Parts::None)
        );
    }
}
