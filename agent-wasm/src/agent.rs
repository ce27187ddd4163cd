//! The agent: the one place an observation is handled — attributed to its
//! app, sampled, encoded (by the text side) and queued — and the one owner
//! of a view's lifecycle (its start, its end, what it reports).

use canopy_wire::limits::{MAX_BEACON_BYTES, MAX_EVENTS_PER_BEACON};

use crate::api_calls::ApiCalls;
use crate::batch::Queue;
use crate::browser::{date_now, performance_now, Js, Word};
use crate::claims::Unclaimed;
use crate::deliver::Delivery;
use crate::frames::{longest_first, Script};
use crate::observe::Observation;
use crate::repeats::{Repeats, Verdict};
use crate::resources::{AppResources, ResourceSummaries, ResourceTiming, MAX_UNATTRIBUTED};
use crate::session::Session;
use crate::text::{self, App, Caught, SHELL};
use crate::views::{Allowance, Views, MAX_LONG_FRAMES_PER_VIEW};
use crate::vitals::{Vital, Vitals};

/// Queued bytes that trigger a flush before the interval comes round.
const FLUSH_THRESHOLD_BYTES: usize = MAX_BEACON_BYTES / 2;

/// What `init` set that the wasm needs (the rest stays with the text side).
pub struct Settings {
    pub max_queue_bytes: usize,
    /// Send every resource, not a summary per app and the slowest few.
    pub all_resources: bool,
    pub compress: bool,
}

/// A resource's text: its URL (scrubbed) and initiator type.
#[derive(Clone)]
pub struct ResourceText {
    url: Js,
    initiator: Js,
}

pub struct Agent {
    all_resources: bool,
    time_origin: f64,
    vitals: Vitals<Js>,
    resources: ResourceSummaries<ResourceText>,
    repeats: Repeats<Js>,
    api_calls: ApiCalls,
    claims: Unclaimed<Caught>,
    queue: Queue<Js>,
    views: Views<Js>,
    session: Session<Js>,
    delivery: Delivery,
    /// Whether this page load's navigation timing was queued (it is sent once).
    navigation_sent: bool,
    long_frames: Allowance,
    /// The drop count when the last body reported it.
    dropped_reported: u64,
}

impl Agent {
    pub fn new(settings: Settings) -> Self {
        let now = date_now();
        let session = match text::restore_session() {
            Some((id, started, last_active)) => Session::stored(id, started, last_active),
            None => Session::new(text::new_id(), now),
        };
        let mut agent = Self {
            all_resources: settings.all_resources,
            time_origin: Js::global(Word::performance).num(Word::timeOrigin),
            vitals: Vitals::default(),
            resources: ResourceSummaries::default(),
            repeats: Repeats::default(),
            api_calls: ApiCalls::default(),
            claims: Unclaimed::default(),
            queue: Queue::new(settings.max_queue_bytes),
            views: Views::new(text::new_id(), text::current_page_url()),
            session,
            delivery: Delivery::new(settings.compress),
            navigation_sent: false,
            long_frames: Allowance::new(MAX_LONG_FRAMES_PER_VIEW),
            dropped_reported: 0,
        };
        agent.touch_session(now);
        agent.save_session();
        agent
    }

    /// Handles what an observer saw.
    pub fn handle(&mut self, observation: Observation) {
        match observation {
            Observation::FirstHidden { at } => self.vitals.first_hidden(at),
            Observation::Paint { start, activation } => {
                if let Some(fcp) = self.vitals.paint(start, activation) {
                    self.record_vital(SHELL, start, &fcp);
                }
            }
            Observation::Lcp(candidate) => self.vitals.lcp(candidate),
            Observation::LayoutShift {
                start,
                value,
                target,
                owner,
            } => self
                .vitals
                .layout_shift(start, value, target, owner.unwrap_or(SHELL)),
            Observation::Event { entry, owner } => {
                self.vitals.event(&entry, owner.unwrap_or(SHELL))
            }
            Observation::LcpFinal => self.vitals.finalize_lcp(),
            Observation::Navigation { kind, timing } => {
                if !self.navigation_sent {
                    self.navigation_sent = true;
                    let fields = timing.fields();
                    self.record(SHELL, 0.0, text::navigation(&kind, fields));
                    let ttfb = self.vitals.ttfb(timing.ttfb());
                    self.record_vital(SHELL, 0.0, &ttfb);
                }
            }
            Observation::Resource {
                started,
                url,
                initiator,
                duration,
                transfer_size,
                cache_hit,
            } => {
                let waiting = self.resources.see(ResourceTiming {
                    started,
                    resource: ResourceText { url, initiator },
                    duration,
                    transfer_size: transfer_size as u64,
                    cache_hit,
                });
                if waiting >= MAX_UNATTRIBUTED {
                    self.attribute_resources();
                }
            }
            Observation::LongFrame {
                start,
                duration,
                blocking,
                scripts,
            } => self.long_frame(start, duration, blocking, scripts),
            Observation::Error {
                at,
                caught,
                sandbox,
            } => self.caught(at, caught, true, sandbox),
            Observation::ViewEnds {
                hidden_at,
                interactions,
            } => {
                if let Some(at) = hidden_at {
                    self.vitals.hidden(at);
                }
                self.end_view(interactions);
            }
            Observation::Restored {
                at,
                hidden,
                interactions,
            } => {
                self.start_view(None);
                let ttfb = self.vitals.restore(at, hidden, interactions);
                self.record_vital(SHELL, performance_now(), &ttfb);
            }
            Observation::RestoredPaint { at } => {
                if let Some(fcp) = self.vitals.restored_paint(at) {
                    self.record_vital(SHELL, at, &fcp);
                }
            }
            Observation::RouteChange { url, interactions } => {
                if !text::same_text(&url, self.views.page_url()) {
                    self.end_view(interactions);
                    self.start_view(Some(url));
                    self.vitals.route_changed(interactions.unwrap_or(0.0));
                }
            }
            Observation::FlushDue => self.flush(),
        }
    }

    /// Queues an event for `app`, `relative_at` ms after the time origin,
    /// unless the app is sampled out of this session or `beforeSend` drops it.
    pub fn record(&mut self, app: App, relative_at: f64, event: Js) {
        self.touch_session(date_now());
        let (point, rate) = text::sampling(self.session.id(), app);
        if !crate::session::is_sampled(point, rate) {
            return;
        }
        let Some(encoded) = text::encode_event(app, self.time_origin + relative_at, &event) else {
            return;
        };
        let bytes = text::bytes_of(&encoded);
        self.queue.push(self.views.number(), encoded, bytes);
        if self.queue.bytes() >= FLUSH_THRESHOLD_BYTES {
            self.flush();
        }
    }

    /// Records activity; a session that expired (thirty idle minutes, or
    /// four hours) ends, and what follows is a new session's, and a new view.
    fn touch_session(&mut self, now: f64) {
        if let Some(ended) = self.session.touch(now, text::new_id) {
            self.views
                .next_view(ended, self.queue.first_view(), text::new_id(), None);
        }
    }

    fn save_session(&self) {
        let session = &self.session;
        text::store_session(session.id(), session.started(), session.last_active());
    }

    /// Queues an error the hooks (or `captureError`) caught, for the app
    /// that claims it: `owner` (a sandbox's app, the caller's), else by its
    /// URLs or stack. One no app claims waits a little for its app to
    /// register unless `may_wait` is false; then it is the shell's. A failed
    /// chunk of an app (not the shell) is also a failed load of it.
    pub fn caught(&mut self, at: f64, caught: Caught, may_wait: bool, owner: Option<App>) {
        let Some(app) = owner.or_else(|| caught.claimant()) else {
            if may_wait {
                if let Some(caught) = self.claims.wait(at, caught) {
                    self.record_error(SHELL, at, &caught);
                }
            } else {
                self.record_error(SHELL, at, &caught);
            }
            return;
        };
        if let Some(chunk_owner) = caught.chunk_owner() {
            self.record(chunk_owner, at, caught.chunk_failed());
        }
        self.record_error(app, at, &caught);
    }

    /// Queues an error report, unless it repeats one this view already sent
    /// (then it is counted) or the view sent its share of errors.
    fn record_error(&mut self, app: App, at: f64, caught: &Caught) {
        let report = caught.report();
        if self.repeats.check(app, caught.fingerprint(), &report) == Verdict::Send {
            self.record(app, at, report);
        }
    }

    /// Counts a finished API call of `app` that started `at`, and queues it
    /// (`event`) if it failed and the view has not sent its share.
    pub fn api_call(&mut self, app: App, at: f64, duration: f64, failed: bool, event: Js) {
        if self.api_calls.count(app, duration, failed) {
            self.record(app, at, event);
        }
    }

    /// A long frame, for the app whose script ran longest in it (by the
    /// script's URL), kept a while so a slow interaction can name its scripts.
    fn long_frame(
        &mut self,
        start: f64,
        duration: f64,
        blocking: f64,
        mut scripts: Vec<Script<Js>>,
    ) {
        longest_first(&mut scripts);
        let app = scripts
            .first()
            .and_then(|script| text::owner_by_url(&script.url))
            .unwrap_or(SHELL);
        if self.long_frames.take() {
            let event = text::long_frame(duration, blocking, &scripts_list(&scripts));
            self.record(app, start, event);
        }
        self.vitals.long_frame(start, start + duration, scripts);
    }

    /// Queues a vital with its rating, tagged if the view was restored.
    fn record_vital(&mut self, app: App, at: f64, vital: &Vital<Js>) {
        let event = vital_event(vital);
        self.record(app, at, event);
    }

    /// The end of a view: its vitals that changed, everything that waited
    /// for its app, each app's resources, then everything is sent.
    fn end_view(&mut self, interactions: Option<f64>) {
        let now = performance_now();
        for (app, vital) in &self.vitals.take_changed(interactions) {
            self.record_vital(*app, now, vital);
        }
        self.attribute_waiting(true);
        for AppResources {
            app,
            summary,
            slowest,
        } in &self.resources.take()
        {
            let app = *app;
            let event = text::resource_summary(
                summary.count.into(),
                summary.transfer_size as f64,
                summary.cache_hits.into(),
                summary.duration,
            );
            self.record(app, now, event);
            for timing in slowest {
                self.record(app, timing.started, resource_event(timing));
            }
        }
        self.flush();
    }

    /// Starts a new view: after a back/forward-cache restore, or an SPA
    /// route change to `page_url`.
    fn start_view(&mut self, page_url: Option<Js>) {
        let session = self.session.id().clone();
        self.views
            .next_view(session, self.queue.first_view(), text::new_id(), page_url);
        self.repeats.start_view();
        self.api_calls.start_view();
        self.long_frames.start_view();
    }

    /// Attributes what waited for its app: errors past their wait (or all of
    /// them, with `all`), and with `resources: "all"` the resources seen so far.
    fn attribute_waiting(&mut self, all: bool) {
        for (at, caught) in self.claims.take_due(performance_now(), all) {
            self.caught(at, caught, false, None);
        }
        if self.all_resources || all {
            self.attribute_resources();
        }
    }

    /// Gives each resource seen so far to the app that owns its URL now:
    /// queued one by one with `resources: "all"`, else summed up.
    fn attribute_resources(&mut self) {
        for timing in self.resources.take_seen() {
            let app = text::owner_by_url(&timing.resource.url).unwrap_or(SHELL);
            if self.all_resources {
                self.record(app, timing.started, resource_event(&timing));
            } else {
                self.resources.add(app, timing);
            }
        }
    }

    /// Sends everything queued, in as many requests as it takes; repeated
    /// errors and API call summaries go out first.
    pub fn flush(&mut self) {
        self.attribute_waiting(false);
        let now = performance_now();
        for (app, report, count) in &self.repeats.take_counts() {
            self.record(*app, now, text::counted(report, *count));
        }
        for (app, summary) in &self.api_calls.take_summaries() {
            let event = text::api_summary(
                summary.calls.into(),
                summary.failed.into(),
                summary.duration,
            );
            self.record(*app, now, event);
        }
        self.save_session();
        if self.delivery.is_waiting() {
            return;
        }
        loop {
            let dropped = self.dropped();
            let first_view = self.queue.first_view();
            let [session, view, page] = self.views.envelope_ids(first_view, self.session.id());
            let envelope =
                text::body_envelope(session, view, page, dropped - self.dropped_reported);
            let batch = self.queue.take_batch(
                text::bytes_of(&envelope),
                MAX_BEACON_BYTES,
                MAX_EVENTS_PER_BEACON,
            );
            if batch.events.is_empty() {
                break;
            }
            self.dropped_reported = dropped;
            let events = batch.events.len() as u64;
            let body = text::body(&envelope, &text::list(batch.events));
            self.delivery.send(body, batch.body_len, events);
        }
    }

    /// Events lost so far: dropped from the full queue, or in bodies the collector kept refusing.
    fn dropped(&self) -> u64 {
        self.queue.dropped() + self.delivery.dropped_events()
    }

    /// Queued events (0) and bytes (1), and events lost so far (2); NaN for another `which`.
    pub fn held(&self, which: u32) -> f64 {
        match which {
            0 => self.queue.len() as f64,
            1 => self.queue.bytes() as f64,
            2 => self.dropped() as f64,
            _ => f64::NAN,
        }
    }

    pub fn delivery(&mut self) -> &mut Delivery {
        &mut self.delivery
    }
}

fn resource_event(timing: &ResourceTiming<ResourceText>) -> Js {
    let ResourceText { url, initiator } = &timing.resource;
    text::resource(
        url,
        initiator,
        timing.duration,
        timing.transfer_size as f64,
        timing.cache_hit,
    )
}

fn scripts_list(scripts: &[Script<Js>]) -> Js {
    text::list(scripts.iter().map(|script| {
        text::script_timing(
            &script.url,
            &script.function,
            &script.invoker,
            script.duration,
        )
    }))
}

fn vital_event(vital: &Vital<Js>) -> Js {
    text::vital(text::VitalFields {
        name: vital.name as u32,
        value: vital.value,
        rating: vital.name.rating(vital.value) as u32,
        target: &vital.target,
        resource: &vital.resource,
        event_type: &vital.event_type,
        owner: vital.owner,
        restored: vital.restored,
        parts: vital
            .parts
            .numbers()
            .map_or(Js::UNDEFINED, text::vital_parts),
        scripts: if vital.scripts.is_empty() {
            Js::UNDEFINED
        } else {
            scripts_list(&vital.scripts)
        },
    })
}
