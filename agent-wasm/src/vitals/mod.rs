//! The vitals of one view: CLS, INP and LCP, final only when the view ends,
//! computed as web-vitals 6 computes them, page-wide and per app; and the
//! FCP and TTFB rules. Pure logic, generic over the text type `T` (a JS
//! handle in the wasm): the observers feed it one method per observation,
//! and every lifecycle flag of the view changes here alone.
//!
//! The shell ([`SHELL`]) holds the page-level values, so its CLS, INP and
//! LCP are the page's: every layout shift, every interaction, the page's LCP
//! element. Each other app holds the CLS and INP of what its own DOM caused
//! (a shift's cause, an interaction's target inside its container), which is
//! what its team can fix. Each value is reported again only if it changed
//! since the last report.

mod cls;
mod inp;
mod lcp;
mod navigation;
#[cfg(test)]
mod tests;

pub use canopy_wire::{Rating, VitalName};
pub use inp::InteractionEntry;
pub use lcp::{parts as lcp_parts, LcpCandidate, LcpResource};
pub use navigation::NavigationTiming;

use crate::frames::{RecentFrames, Script};
use crate::{App, SHELL};
use cls::SessionWindows;
use inp::{EventFrames, Interactions};

/// Text as the vitals hold it: a JS handle in the wasm. Its default is
/// "none" (the handle of `undefined`): an `Option` around a handle would
/// only add a tag to test and drop.
pub trait Text: Clone + Default + PartialEq {}

impl<T: Clone + Default + PartialEq> Text for T {}

/// A vital to report, with its attribution (text as `T`; absent: `T::default()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Vital<T> {
    pub name: VitalName,
    pub value: f64,
    /// The element: the largest shift's, the interaction's target, the LCP element.
    pub target: T,
    /// LCP: its resource's URL.
    pub resource: T,
    /// INP: the longest entry's event type.
    pub event_type: T,
    /// The app whose DOM caused it.
    pub owner: Option<App>,
    /// Measured after the page was restored from the back/forward cache.
    pub restored: bool,
    pub parts: Parts,
    /// INP: the scripts of the long animation frames of the interaction, longest first.
    pub scripts: Vec<Script<T>>,
}

/// A vital's breakdown (ms): INP's phases, LCP's sub-parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parts {
    None,
    Inp {
        input_delay: f64,
        processing: f64,
        presentation: f64,
    },
    Lcp {
        ttfb: f64,
        load_delay: f64,
        load_duration: f64,
        render_delay: f64,
    },
}

impl Parts {
    /// The numbers in the wire's order; INP's three phases are followed by
    /// NaN, which tells the text side the parts are INP's.
    pub fn numbers(&self) -> Option<[f64; 4]> {
        match *self {
            Parts::None => None,
            Parts::Inp {
                input_delay,
                processing,
                presentation,
            } => Some([input_delay, processing, presentation, f64::NAN]),
            Parts::Lcp {
                ttfb,
                load_delay,
                load_duration,
                render_delay,
            } => Some([ttfb, load_delay, load_duration, render_delay]),
        }
    }
}

impl<T: Default> Vital<T> {
    /// A value without attribution.
    pub fn new(name: VitalName, value: f64) -> Self {
        Self {
            name,
            value,
            target: T::default(),
            resource: T::default(),
            event_type: T::default(),
            owner: None,
            restored: false,
            parts: Parts::None,
            scripts: Vec::new(),
        }
    }
}

impl<T> Vital<T> {
    /// How it compares with web-vitals' thresholds.
    pub fn rating(&self) -> Rating {
        self.name.rating(self.value)
    }
}

/// `time` counted from a prerendered page's activation (0 if before it).
fn since_activation(time: f64, activation: f64) -> f64 {
    (time - activation).max(0.0)
}

/// The view's vitals state: per-app accumulators and the view's lifecycle
/// facts that decide which entries count.
#[derive(Debug)]
pub struct Vitals<T> {
    apps: Vec<AppVitals<T>>,
    lcp: Option<Vital<T>>,
    /// The view was restored from the back/forward cache.
    restored: bool,
    /// When it was restored, until its first paint is reported.
    restored_at: Option<f64>,
    /// FCP was reported in this view; CLS is reported only after it (as web-vitals and CrUX do).
    painted: bool,
    /// When the page was first hidden (ms since the time origin); paints after it do not count.
    first_hidden: f64,
    /// LCP is final (first input, hidden or restored): later candidates are ignored.
    lcp_final: bool,
    /// `performance.interactionCount` when this view started (a restore starts a new count).
    interactions_before: f64,
    /// Recent long animation frames: the scripts behind a slow interaction.
    frames: RecentFrames<T>,
    /// The handlers of recently presented frames.
    event_frames: EventFrames,
}

impl<T> Default for Vitals<T> {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            lcp: None,
            restored: false,
            restored_at: None,
            painted: false,
            first_hidden: f64::INFINITY,
            lcp_final: false,
            interactions_before: 0.0,
            frames: RecentFrames::default(),
            event_frames: EventFrames::default(),
        }
    }
}

#[derive(Debug)]
struct AppVitals<T> {
    app: App,
    cls: SessionWindows<T>,
    inp: Interactions<T>,
    /// Values last reported: CLS, INP, LCP; NaN when never.
    reported: [f64; 3],
}

const CLS: usize = 0;
const INP: usize = 1;
const LCP: usize = 2;

impl<T> AppVitals<T> {
    /// Adds `vital` to `changed` unless it is what slot `slot` last reported.
    fn report(&mut self, changed: &mut Vec<(App, Vital<T>)>, slot: usize, vital: Option<Vital<T>>) {
        let Some(vital) = vital else { return };
        if let Some(reported) = self.reported.get_mut(slot) {
            if *reported != vital.value {
                *reported = vital.value;
                changed.push((self.app, vital));
            }
        }
    }
}

impl<T: Text> Vitals<T> {
    /// When the page was first hidden as the observers start (infinity: not yet).
    pub fn first_hidden(&mut self, at: f64) {
        self.first_hidden = at;
    }

    /// The page hid `at` (ms since the time origin).
    pub fn hidden(&mut self, at: f64) {
        self.first_hidden = self.first_hidden.min(at);
    }

    /// The first contentful paint at `start`: its FCP, unless the page was
    /// hidden before it painted. CLS is reported from now on.
    pub fn paint(&mut self, start: f64, activation: f64) -> Option<Vital<T>> {
        if start >= self.first_hidden {
            return None;
        }
        self.painted = true;
        Some(self.vital(VitalName::Fcp, since_activation(start, activation)))
    }

    /// The navigation's TTFB (see [`NavigationTiming::ttfb`]).
    pub fn ttfb(&self, value: f64) -> Vital<T> {
        self.vital(VitalName::Ttfb, value)
    }

    /// Whether an LCP candidate rendered at `start` would count (an
    /// observer may skip reading one that would not).
    pub fn takes_lcp(&self, start: f64) -> bool {
        lcp::counts(start, self.first_hidden, self.lcp_final)
    }

    /// The newest LCP candidate: the page's LCP, reported on the shell, and
    /// on the app whose DOM holds the element (its owner), as that app's.
    pub fn lcp(&mut self, candidate: LcpCandidate<T>) {
        if self.takes_lcp(candidate.start) {
            let lcp = candidate.into_vital();
            self.app(lcp.owner.unwrap_or(SHELL));
            self.lcp = Some(lcp);
        }
    }

    /// Whether LCP is final (the observer takes its queued entries first, once).
    pub fn lcp_final(&self) -> bool {
        self.lcp_final
    }

    /// LCP is final: a trusted click or keydown, or the page hides.
    pub fn finalize_lcp(&mut self) {
        self.lcp_final = true;
    }

    /// A layout shift without recent input, `start` ms after the time origin,
    /// caused by `owner`'s DOM: it counts for the page (the shell) and for that app.
    pub fn layout_shift(&mut self, start: f64, value: f64, target: T, owner: App) {
        self.app(SHELL).cls.add(start, value, target.clone(), owner);
        if owner != SHELL {
            self.app(owner).cls.add(start, value, target, owner);
        }
    }

    /// An Event Timing entry, whose target is in `owner`'s DOM: its handlers
    /// count in its frame's processing (with an interaction id or not, as
    /// web-vitals groups them); with an id, it is an interaction's.
    pub fn event(&mut self, entry: &InteractionEntry<T>, owner: App) {
        let frame = self.event_frames.add(entry);
        for app in &mut self.apps {
            app.inp.frame_grew(&frame);
        }
        if entry.id > 0.0 {
            self.app(SHELL).inp.add(entry, owner, &frame);
            if owner != SHELL {
                self.app(owner).inp.add(entry, owner, &frame);
            }
        }
    }

    /// A long animation frame from `start` to `end`, its scripts longest first.
    pub fn long_frame(&mut self, start: f64, end: f64, scripts: Vec<Script<T>>) {
        self.frames.add(start, end, scripts);
    }

    /// A restore from the back/forward cache `at` (ms since the time
    /// origin), `hidden` or not, `interactions` on the page so far: a new
    /// view, whose TTFB (returned) is 0.
    pub fn restore(&mut self, at: f64, hidden: bool, interactions: f64) -> Vital<T> {
        self.restart(true, if hidden { 0.0 } else { f64::INFINITY }, interactions);
        self.restored_at = Some(at);
        self.ttfb(0.0)
    }

    /// The second frame after a restore, `at`: the restored view's FCP
    /// (returned, once) and LCP are the time to it, as web-vitals measures them.
    pub fn restored_paint(&mut self, at: f64) -> Option<Vital<T>> {
        let value = (at - self.restored_at.take()?).max(0.0);
        self.painted = true;
        self.lcp = Some(self.vital(VitalName::Lcp, value));
        Some(self.vital(VitalName::Fcp, value))
    }

    /// An SPA route change, `interactions` on the page so far: a new view
    /// measuring CLS and INP afresh (no navigation: no TTFB, FCP or LCP).
    pub fn route_changed(&mut self, interactions: f64) {
        self.restart(false, self.first_hidden, interactions);
        // The page is painted already: CLS counts from the route change.
        self.painted = true;
    }

    /// The values that changed since they were last taken, per app, with
    /// their attribution. `page_interactions` is `performance.interactionCount`
    /// where the browser has it; per app (and without it) the interactions
    /// seen count.
    pub fn take_changed(&mut self, page_interactions: Option<f64>) -> Vec<(App, Vital<T>)> {
        // The shell holds the page's LCP, and its CLS once painted even when
        // nothing shifted (0), as web-vitals reports it.
        self.app(SHELL);
        let mut changed = Vec::new();
        for app in &mut self.apps {
            let is_shell = app.app == SHELL;
            if self.painted && (is_shell || app.cls.value > 0.0) {
                app.report(&mut changed, CLS, Some(app.cls.vital()));
            }
            let count = match page_interactions {
                Some(total) if is_shell => total - self.interactions_before,
                _ => app.inp.count,
            };
            let inp = app
                .inp
                .vital(count, self.restored && is_shell, &self.frames);
            app.report(&mut changed, INP, inp);
            if let Some(lcp) = self
                .lcp
                .as_ref()
                .filter(|lcp| is_shell || lcp.owner == Some(app.app))
            {
                app.report(&mut changed, LCP, Some(lcp::copy(lcp)));
            }
        }
        for (_, vital) in &mut changed {
            vital.restored = self.restored;
        }
        changed
    }

    /// Starts the measurements of a new view.
    fn restart(&mut self, restored: bool, first_hidden: f64, interactions_before: f64) {
        *self = Self {
            restored,
            first_hidden,
            interactions_before,
            lcp_final: true,
            ..Self::default()
        };
    }

    /// A vital of this view, without attribution.
    fn vital(&self, name: VitalName, value: f64) -> Vital<T> {
        Vital {
            restored: self.restored,
            ..Vital::new(name, value)
        }
    }

    fn app(&mut self, app: App) -> &mut AppVitals<T> {
        let index = match self.apps.iter().position(|a| a.app == app) {
            Some(index) => index,
            None => {
                self.apps.push(AppVitals {
                    app,
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
