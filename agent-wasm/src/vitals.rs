//! The vitals that are only final when the page hides (CLS, INP, LCP),
//! computed as web-vitals 6 computes them, page-wide and per app.
//!
//! The shell holds the page-level values, so its CLS, INP and LCP are the
//! page's: every layout shift, every interaction, the page's LCP element. Each
//! other app holds the CLS and INP of what its own DOM caused (a shift's
//! cause, an interaction's target inside its `data-canopy-app` container),
//! which is what its team can fix. Each value is reported again
//! only if it changed since the last report.
//!
//! Pure logic, no browser calls: the observers in `observe/` feed it, and the
//! host tests below pin the rules (session windows, the p98 interaction).

use canopy_wire::{Pairs, Vital, VitalName};

pub use crate::long_frames::RecentFrames;

/// A new session window starts after this gap between shifts (ms)…
const SESSION_GAP_MS: f64 = 1_000.0;
/// …or once the window has lasted this long (ms).
const SESSION_CAP_MS: f64 = 5_000.0;
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

/// The page's vitals state: per-app accumulators and the page's lifecycle
/// facts that decide which entries count.
#[derive(Debug)]
pub struct PendingVitals {
    apps: Vec<AppVitals>,
    lcp: Option<Vital>,
    /// The view was restored from the back/forward cache.
    pub restored: bool,
    /// FCP was reported in this view; CLS is reported only after it (as web-vitals and CrUX do).
    pub painted: bool,
    /// When the page was first hidden (ms since the time origin); paints after it do not count.
    pub first_hidden: f64,
    /// LCP is final (first input, hidden or restored): later candidates are ignored.
    pub lcp_final: bool,
    /// `performance.interactionCount` when this view started (a restore starts a new count).
    pub interactions_before: f64,
    /// Recent long animation frames: the scripts behind a slow interaction.
    pub frames: RecentFrames,
    /// The handlers of recently presented frames.
    event_frames: EventFrames,
}

impl Default for PendingVitals {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            lcp: None,
            restored: false,
            painted: false,
            first_hidden: f64::INFINITY,
            lcp_final: false,
            interactions_before: 0.0,
            frames: RecentFrames::default(),
            event_frames: EventFrames::default(),
        }
    }
}

/// One Event Timing entry of an interaction.
#[derive(Debug, Clone, Default)]
pub struct InteractionEntry {
    pub id: f64,
    /// When the input happened, and when its handlers started and ended (ms since the time origin).
    pub start: f64,
    pub processing_start: f64,
    pub processing_end: f64,
    pub duration: f64,
    /// The event type (`pointerdown`, `click`, `keydown`…).
    pub name: String,
    /// Selector of the event's target, empty when it has none.
    pub target: String,
}

#[derive(Debug)]
struct AppVitals {
    app: String,
    cls: SessionWindows,
    inp: Interactions,
    /// Values last reported: CLS, INP, LCP; NaN when never.
    reported: [f64; 3],
}

const CLS: usize = 0;
const INP: usize = 1;
const LCP: usize = 2;

impl AppVitals {
    /// Adds `vital` to `changed` unless it is what slot `slot` last reported.
    fn report(&mut self, changed: &mut Vec<(String, Vital)>, slot: usize, vital: Option<Vital>) {
        let Some(vital) = vital else { return };
        if let Some(reported) = self.reported.get_mut(slot) {
            if *reported != vital.value {
                *reported = vital.value;
                changed.push((self.app.clone(), vital));
            }
        }
    }
}

impl PendingVitals {
    /// A layout shift without recent input, `start` ms after the time origin:
    /// it counts for the page (the shell) and for the app whose DOM moved.
    pub fn add_layout_shift(
        &mut self,
        shell: &str,
        owner: &str,
        start: f64,
        value: f64,
        target: &str,
    ) {
        self.app(shell).cls.add(start, value, target, owner);
        if owner != shell {
            self.app(owner).cls.add(start, value, target, owner);
        }
    }

    /// An Event Timing entry, whose target is in `owner`'s DOM: its handlers
    /// count in its frame's processing (with an interaction id or not, as
    /// web-vitals groups them); with an id, it is an interaction's.
    pub fn add_event(&mut self, shell: &str, owner: &str, entry: &InteractionEntry) {
        let frame = self.event_frames.add(entry);
        for app in &mut self.apps {
            app.inp.frame_grew(&frame);
        }
        if entry.id > 0.0 {
            self.app(shell).inp.add(entry, owner, &frame);
            if owner != shell {
                self.app(owner).inp.add(entry, owner, &frame);
            }
        }
    }

    /// The newest LCP candidate: the page's LCP, reported on the shell, and
    /// on the app whose DOM holds the element (its `owner`), as that app's.
    pub fn set_lcp(&mut self, lcp: Vital) {
        if !lcp.owner.is_empty() {
            self.app(&lcp.owner);
        }
        self.lcp = Some(lcp);
    }

    /// Starts the measurements of a new view (a back/forward-cache restore).
    pub fn restart(&mut self, restored: bool, first_hidden: f64, interactions_before: f64) {
        *self = Self {
            restored,
            first_hidden,
            interactions_before,
            lcp_final: true,
            ..Self::default()
        };
    }

    /// The values that changed since they were last taken, per app, with
    /// their attribution. `page_interactions` is `performance.interactionCount`
    /// where the browser has it; per app (and without it) the interactions
    /// seen count.
    pub fn take_changed(
        &mut self,
        shell: &str,
        page_interactions: Option<f64>,
    ) -> Vec<(String, Vital)> {
        // The shell holds the page's LCP, and its CLS once painted even when
        // nothing shifted (0), as web-vitals reports it.
        self.app(shell);
        let mut changed = Vec::new();
        for app in &mut self.apps {
            let is_shell = app.app == shell;
            if self.painted && (is_shell || app.cls.value > 0.0) {
                app.report(&mut changed, CLS, Some(app.cls.vital()));
            }
            let count = match page_interactions {
                Some(total) if is_shell => total - self.interactions_before,
                _ => app.inp.count,
            };
            app.report(
                &mut changed,
                INP,
                app.inp
                    .vital(count, self.restored && is_shell, &self.frames),
            );
            if let Some(lcp) = self
                .lcp
                .as_ref()
                .filter(|lcp| is_shell || lcp.owner == app.app)
            {
                app.report(&mut changed, LCP, Some(lcp.clone()));
            }
        }
        changed
    }

    fn app(&mut self, app: &str) -> &mut AppVitals {
        let index = match self.apps.iter().position(|a| a.app == app) {
            Some(index) => index,
            None => {
                self.apps.push(AppVitals {
                    app: app.to_owned(),
                    cls: SessionWindows::default(),
                    inp: Interactions::default(),
                    reported: [f64::NAN; 3],
                });
                self.apps.len() - 1
            }
        };
        &mut self.apps[index]
    }
}

/// CLS: shifts grouped in session windows (a gap under 1 s, at most 5 s
/// long); the largest window is the value. Attributed to the largest shift
/// of that window.
#[derive(Debug, Default)]
struct SessionWindows {
    /// The largest window so far.
    value: f64,
    target: String,
    owner: String,
    /// The current window: its sum, first and last shift, and largest shift.
    session: f64,
    first: f64,
    last: f64,
    largest: f64,
    largest_target: String,
    largest_owner: String,
}

impl SessionWindows {
    fn add(&mut self, start: f64, value: f64, target: &str, owner: &str) {
        if self.session > 0.0
            && start - self.last < SESSION_GAP_MS
            && start - self.first < SESSION_CAP_MS
        {
            self.session += value;
        } else {
            self.session = value;
            self.first = start;
            self.largest = f64::NEG_INFINITY;
        }
        self.last = start;
        // web-vitals' reduce keeps the later of two equal shifts.
        if value >= self.largest {
            self.largest = value;
            target.clone_into(&mut self.largest_target);
            owner.clone_into(&mut self.largest_owner);
        }
        if self.session > self.value {
            self.value = self.session;
            self.target.clone_from(&self.largest_target);
            self.owner.clone_from(&self.largest_owner);
        }
    }

    fn vital(&self) -> Vital {
        Vital {
            target: self.target.clone(),
            owner: self.owner.clone(),
            ..Vital::new(VitalName::Cls, self.value)
        }
    }
}

/// The event handlers of one presented frame: the entries whose render
/// time (`startTime + duration`) is within 8 ms of the first one's.
#[derive(Debug, Clone, Copy)]
struct EventFrame {
    render: f64,
    processing_start: f64,
    processing_end: f64,
}

#[derive(Debug, Default)]
struct EventFrames(Vec<EventFrame>);

impl EventFrames {
    /// Adds `entry`'s handlers to its frame; the frame as it now is.
    fn add(&mut self, entry: &InteractionEntry) -> EventFrame {
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

/// INP: Event Timing entries grouped by interaction id (the longest entry
/// is the interaction's latency); the value is the longest interaction,
/// skipping one per 50 interactions on the page (web-vitals' p98 estimate).
#[derive(Debug, Default)]
struct Interactions {
    /// The longest interactions, longest first; among equals, the earliest first.
    longest: Vec<Interaction>,
    /// Interactions seen (ids only grow, so a new largest id is a new one).
    count: f64,
    last_id: f64,
}

#[derive(Debug)]
struct Interaction {
    id: f64,
    latency: f64,
    event_type: String,
    target: String,
    owner: String,
    /// The longest entry's input time; the handlers of its frame, and when it was presented.
    start: f64,
    processing_start: f64,
    processing_end: f64,
    frame: f64,
}

impl Interaction {
    fn timed_by(&mut self, entry: &InteractionEntry, frame: &EventFrame) {
        self.latency = entry.duration;
        entry.name.clone_into(&mut self.event_type);
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
    fn parts(&self) -> Pairs<f64> {
        // Within the interaction, in order (max/min: `clamp` would link float formatting for its panic).
        let end = self.start + self.latency;
        let processing_start = self.processing_start.max(self.start).min(end);
        let processing_end = self.processing_end.max(processing_start).min(end);
        Pairs(vec![
            ("input_delay".into(), processing_start - self.start),
            ("processing".into(), processing_end - processing_start),
            (
                "presentation".into(),
                self.start + self.latency - processing_end,
            ),
        ])
    }
}

impl Interactions {
    /// Another entry presented in `frame`: the interactions timed by it see its handlers.
    fn frame_grew(&mut self, frame: &EventFrame) {
        for interaction in self.longest.iter_mut().filter(|i| i.frame == frame.render) {
            interaction.in_frame(frame);
        }
    }

    fn add(&mut self, entry: &InteractionEntry, owner: &str, frame: &EventFrame) {
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
                if longest && interaction.target.is_empty() {
                    entry.target.clone_into(&mut interaction.target);
                    owner.clone_into(&mut interaction.owner);
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
                    event_type: String::new(),
                    target: entry.target.clone(),
                    owner: owner.to_owned(),
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
    fn vital(&self, count: f64, restored: bool, frames: &RecentFrames) -> Option<Vital> {
        let skip = (count / INTERACTIONS_PER_SKIP) as usize;
        match self
            .longest
            .get(skip.min(self.longest.len().wrapping_sub(1)))
        {
            Some(worst) => Some(Vital {
                target: worst.target.clone(),
                event_type: worst.event_type.clone(),
                owner: worst.owner.clone(),
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
mod tests {
    use super::*;
    use canopy_wire::ScriptTiming;

    /// `entry` added as the only one presented in its frame.
    fn alone(inp: &mut Interactions, entry: &InteractionEntry, owner: &str) {
        let frame = EventFrames::default().add(entry);
        inp.add(entry, owner, &frame);
    }

    fn entry(id: f64, duration: f64, name: &str) -> InteractionEntry {
        InteractionEntry {
            id,
            start: 1_000.0,
            processing_start: 1_010.0,
            processing_end: 1_030.0,
            duration,
            name: name.into(),
            target: ["#", name].concat(),
        }
    }

    fn values(changed: &[(String, Vital)]) -> Vec<(&str, VitalName, f64)> {
        changed
            .iter()
            .map(|(app, v)| (app.as_str(), v.name, v.value))
            .collect()
    }

    #[test]
    fn cls_is_the_largest_session_window() {
        let mut cls = SessionWindows::default();
        // Window 1: 0.1 + 0.05 (gaps under 1 s).
        cls.add(100.0, 0.1, "#a", "shell");
        cls.add(900.0, 0.05, "#b", "shell");
        assert!((cls.value - 0.15).abs() < 1e-12);
        assert_eq!(cls.target, "#a");
        // A 1 s gap starts window 2: 0.08 + 0.09 + 0.02 = 0.19 wins, its largest shift is #d.
        cls.add(1_900.0, 0.08, "#c", "catalog");
        cls.add(2_500.0, 0.09, "#d", "catalog");
        assert!((cls.value - 0.17).abs() < 1e-12);
        cls.add(3_000.0, 0.02, "#e", "shell");
        assert!((cls.value - 0.19).abs() < 1e-12);
        assert_eq!((cls.target.as_str(), cls.owner.as_str()), ("#d", "catalog"));
        // A smaller later window does not replace it.
        cls.add(10_000.0, 0.05, "#f", "shell");
        assert!((cls.value - 0.19).abs() < 1e-12);
        assert_eq!(cls.target, "#d");
    }

    #[test]
    fn a_session_window_is_capped_at_five_seconds() {
        let mut cls = SessionWindows::default();
        // Shifts every 900 ms: the window closes once 5 s have passed since its first shift.
        for i in 0..8 {
            cls.add(f64::from(i) * 900.0, 0.01, "#x", "shell");
        }
        // 0, 900 … 4500 are one window (6 shifts); 5400 starts the next.
        assert!((cls.value - 0.06).abs() < 1e-12, "{}", cls.value);
        // Equal shifts: the later one is the largest (web-vitals' reduce).
        assert_eq!(cls.target, "#x");
    }

    #[test]
    fn equal_shifts_attribute_the_later_one() {
        let mut cls = SessionWindows::default();
        cls.add(0.0, 0.05, "#first", "shell");
        cls.add(10.0, 0.05, "#second", "shell");
        assert_eq!(cls.target, "#second");
    }

    #[test]
    fn page_cls_covers_every_app_and_each_app_its_own() {
        let mut vitals = PendingVitals {
            painted: true,
            ..PendingVitals::default()
        };
        vitals.add_layout_shift("shell", "catalog", 100.0, 0.2, "#grid");
        vitals.add_layout_shift("shell", "shell", 200.0, 0.05, "#hero");
        let changed = vitals.take_changed("shell", None);
        let found = values(&changed);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].0, found[0].1), ("shell", VitalName::Cls));
        assert!((found[0].2 - 0.25).abs() < 1e-12);
        assert_eq!(changed[0].1.owner, "catalog");
        assert_eq!(found[1], ("catalog", VitalName::Cls, 0.2));
        assert_eq!(
            vitals.take_changed("shell", None).len(),
            0,
            "only changes are reported again"
        );
    }

    #[test]
    fn cls_waits_for_the_first_paint_and_then_reports_zero() {
        let mut vitals = PendingVitals::default();
        assert!(vitals.take_changed("shell", None).is_empty());
        vitals.painted = true;
        assert_eq!(
            values(&vitals.take_changed("shell", None)),
            vec![("shell", VitalName::Cls, 0.0)]
        );
    }

    #[test]
    fn an_interaction_is_its_longest_entry() {
        let mut inp = Interactions::default();
        alone(&mut inp, &entry(7.0, 48.0, "pointerdown"), "shell");
        alone(&mut inp, &entry(7.0, 120.0, "click"), "shell");
        alone(&mut inp, &entry(7.0, 120.0, "pointerup"), "shell");
        let vital = inp.vital(1.0, false, &RecentFrames::default()).unwrap();
        assert_eq!((vital.value, vital.event_type.as_str()), (120.0, "click"));
        // The target is the first entry's.
        assert_eq!(vital.target, "#pointerdown");
        assert_eq!(inp.count, 1.0);
    }

    #[test]
    fn only_the_longest_entries_name_a_target_that_left_the_dom() {
        let mut inp = Interactions::default();
        let removed = InteractionEntry {
            target: String::new(),
            ..entry(3.0, 300.0, "keydown")
        };
        alone(&mut inp, &removed, "shell");
        // A shorter entry of the same interaction, on another element.
        alone(&mut inp, &entry(3.0, 96.0, "keyup"), "catalog");
        let vital = inp.vital(1.0, false, &RecentFrames::default()).unwrap();
        assert_eq!((vital.target.as_str(), vital.owner.as_str()), ("", "shell"));
        // A longer one names it, and owns it.
        alone(&mut inp, &entry(3.0, 320.0, "keypress"), "catalog");
        let vital = inp.vital(1.0, false, &RecentFrames::default()).unwrap();
        assert_eq!(
            (vital.target.as_str(), vital.owner.as_str()),
            ("#keypress", "catalog")
        );
    }

    #[test]
    fn inp_names_its_phases_and_the_scripts_of_its_frames() {
        let mut vitals = PendingVitals::default();
        let script = |url: &str, duration: f64| ScriptTiming {
            url: url.into(),
            function: String::new(),
            invoker: "BUTTON.onclick".into(),
            duration,
        };
        vitals
            .frames
            .add(900.0, 980.0, vec![script("https://x/before.js", 70.0)]);
        vitals.frames.add(
            990.0,
            1_200.0,
            vec![
                script("https://x/a.js", 60.0),
                script("https://x/b.js", 150.0),
            ],
        );
        vitals
            .frames
            .add(5_000.0, 5_100.0, vec![script("https://x/later.js", 90.0)]);
        vitals.add_event("shell", "shell", &entry(3.0, 136.0, "click"));
        let (_, inp) = vitals.take_changed("shell", Some(1.0)).pop().unwrap();
        let parts: Vec<(&str, f64)> = inp
            .parts
            .0
            .iter()
            .map(|(name, ms)| (name.as_str(), *ms))
            .collect();
        assert_eq!(
            parts,
            [
                ("input_delay", 10.0),
                ("processing", 20.0),
                ("presentation", 106.0)
            ]
        );
        let urls: Vec<&str> = inp.scripts.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, ["https://x/b.js", "https://x/a.js"]);
    }

    #[test]
    fn inp_processing_spans_the_handlers_of_its_frame() {
        let mut vitals = PendingVitals::default();
        // A mouseover (no interaction id) with a slow handler, the
        // pointerdown (longest), then the click's handlers in the same frame,
        // then a pointerup presented a frame later.
        let at = |id: f64, start: f64, duration: f64, processing: (f64, f64), name: &str| {
            InteractionEntry {
                id,
                start,
                processing_start: processing.0,
                processing_end: processing.1,
                duration,
                name: name.into(),
                target: String::new(),
            }
        };
        let mut add = |entry: InteractionEntry| vitals.add_event("shell", "shell", &entry);
        add(at(0.0, 990.0, 205.0, (992.0, 1_002.0), "mouseover"));
        add(at(4.0, 1_000.0, 200.0, (1_004.0, 1_010.0), "pointerdown"));
        add(at(4.0, 1_060.0, 136.0, (1_062.0, 1_150.0), "click"));
        add(at(4.0, 1_100.0, 130.0, (1_230.0, 1_231.0), "pointerup"));
        // A dblclick's handler in the same frame, after the interaction was timed.
        add(at(0.0, 1_070.0, 132.0, (1_150.0, 1_170.0), "dblclick"));
        let (_, inp) = vitals.take_changed("shell", Some(1.0)).pop().unwrap();
        let parts: Vec<f64> = inp.parts.0.iter().map(|(_, ms)| *ms).collect();
        // Processing from the mouseover's handler (before the input: from the input) to the dblclick's.
        assert_eq!(parts, [0.0, 170.0, 30.0]);
    }

    #[test]
    fn inp_skips_one_interaction_per_fifty() {
        let mut inp = Interactions::default();
        for (i, duration) in [200.0, 560.0, 96.0, 304.0, 48.0].into_iter().enumerate() {
            alone(
                &mut inp,
                &entry(i as f64 * 7.0 + 1.0, duration, "click"),
                "shell",
            );
        }
        assert_eq!(
            inp.vital(5.0, false, &RecentFrames::default())
                .unwrap()
                .value,
            560.0
        );
        assert_eq!(
            inp.vital(49.0, false, &RecentFrames::default())
                .unwrap()
                .value,
            560.0
        );
        assert_eq!(
            inp.vital(50.0, false, &RecentFrames::default())
                .unwrap()
                .value,
            304.0
        );
        assert_eq!(
            inp.vital(149.0, false, &RecentFrames::default())
                .unwrap()
                .value,
            200.0
        );
        assert_eq!(
            inp.vital(150.0, false, &RecentFrames::default())
                .unwrap()
                .value,
            96.0
        );
        // Never past the candidates kept.
        assert_eq!(
            inp.vital(10_000.0, false, &RecentFrames::default())
                .unwrap()
                .value,
            48.0
        );
    }

    #[test]
    fn inp_keeps_the_ten_longest_and_the_earliest_of_equals() {
        let mut inp = Interactions::default();
        for i in 0..30 {
            alone(
                &mut inp,
                &entry(
                    f64::from(i) + 1.0,
                    40.0 + f64::from(i % 12) * 8.0,
                    "keydown",
                ),
                "shell",
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
    fn page_inp_uses_the_page_interaction_count_and_apps_their_own() {
        let mut vitals = PendingVitals::default();
        vitals.add_event("shell", "cart", &entry(1.0, 400.0, "click"));
        vitals.add_event("shell", "shell", &entry(8.0, 200.0, "keydown"));
        let changed = vitals.take_changed("shell", Some(60.0));
        // 60 interactions on the page: the worst is skipped; the cart saw one.
        assert_eq!(
            values(&changed),
            vec![
                ("shell", VitalName::Inp, 200.0),
                ("cart", VitalName::Inp, 400.0)
            ]
        );
        assert_eq!(changed[0].1.owner, "shell");
    }

    #[test]
    fn a_restored_view_starts_over() {
        let mut vitals = PendingVitals {
            painted: true,
            ..PendingVitals::default()
        };
        vitals.add_event("shell", "shell", &entry(1.0, 400.0, "click"));
        vitals.set_lcp(Vital::new(VitalName::Lcp, 900.0));
        assert_eq!(vitals.take_changed("shell", Some(1.0)).len(), 3);
        vitals.restart(true, f64::INFINITY, 3.0);
        assert!(vitals.lcp_final && vitals.restored && !vitals.painted);
        assert!(vitals.take_changed("shell", Some(3.0)).is_empty());
        // Interactions after the restore too short to observe: web-vitals' 8 ms.
        assert_eq!(
            values(&vitals.take_changed("shell", Some(4.0))),
            vec![("shell", VitalName::Inp, 8.0)]
        );
    }

    #[test]
    fn lcp_is_the_shells_and_its_owners_and_reported_when_it_changes() {
        let mut vitals = PendingVitals::default();
        vitals.set_lcp(Vital {
            owner: "cart".into(),
            ..Vital::new(VitalName::Lcp, 700.0)
        });
        vitals.set_lcp(Vital {
            owner: "catalog".into(),
            ..Vital::new(VitalName::Lcp, 900.0)
        });
        let changed = vitals.take_changed("shell", None);
        assert_eq!(
            values(&changed),
            vec![
                ("catalog", VitalName::Lcp, 900.0),
                ("shell", VitalName::Lcp, 900.0)
            ]
        );
        assert!(changed.iter().all(|(_, lcp)| lcp.owner == "catalog"));
        assert!(vitals.take_changed("shell", None).is_empty());
    }
}
