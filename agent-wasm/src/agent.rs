//! The one agent of a page: its state, and the path from an attributed
//! observation to a queued, encoded event.

use std::cell::RefCell;

use canopy_wire::limits::{truncate, MAX_BEACON_BYTES, MAX_EVENTS_PER_BEACON, MAX_TEXT_BYTES};
use canopy_wire::{
    concat, ApiCall, AppLifecycle, AppPhase, Beacon, ErrorReport, EventBody, LongFrame, Resource,
    Vital, SCHEMA_VERSION,
};
use wasm_bindgen::JsValue;
use web_sys::Window;

use crate::api_calls::ApiCalls;
use crate::attribute::AppRegistry;
use crate::batch::Queue;
use crate::config::Config;
use crate::observe::{call, get, performance, string};
use crate::repeats::{Repeats, Verdict};
use crate::resources::{AppResources, ResourceSummaries, MAX_UNATTRIBUTED};
use crate::send::Delivery;
use crate::session::{self, Session};
use crate::vitals::PendingVitals;
use crate::{json, privacy};

/// Long frames per view past which the agent stays quiet (a janky page has
/// one every frame).
const MAX_LONG_FRAMES_PER_VIEW: u32 = 100;

/// Queued bytes that trigger a flush before the interval comes round.
const FLUSH_THRESHOLD_BYTES: usize = MAX_BEACON_BYTES / 2;

/// How long an error that no app claims waits for its app to register (ms):
/// an app's code can fail before its `registerApp` has run.
const CLAIM_WAIT_MS: f64 = 1_000.0;

/// Unclaimed errors kept waiting at most; past it they are the shell's at once.
const MAX_UNCLAIMED_ERRORS: usize = 32;

thread_local! {
    static AGENT: RefCell<Option<Agent>> = const { RefCell::new(None) };
}

// The agent is reached with `try_with` and `try_borrow*`, never `with` and
// `borrow*`: nothing here may panic, and the panicking forms would also link
// their messages and formatting into the wasm.

/// Runs `f` on the page's agent, if it is started. Never panics: a re-entrant
/// call (an observer firing while the agent is busy) is skipped.
pub fn with_agent<R>(f: impl FnOnce(&mut Agent) -> R) -> Option<R> {
    AGENT
        .try_with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
        .ok()?
}

pub fn is_started() -> bool {
    AGENT
        .try_with(|cell| {
            cell.try_borrow()
                .map(|agent| agent.is_some())
                .unwrap_or(true)
        })
        .unwrap_or(true)
}

pub fn start(agent: Agent) {
    let _ = AGENT.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = Some(agent);
        }
    });
}

pub struct Agent {
    pub config: Config,
    pub apps: AppRegistry,
    pub vitals: PendingVitals,
    resources: ResourceSummaries,
    window: Window,
    queue: Queue,
    delivery: Delivery,
    session: Session,
    view_id: String,
    page_url: String,
    /// Numbers this page's views: queued events carry the number of theirs.
    view_number: u32,
    /// Session, view and page URL of earlier views whose events are still
    /// queued (behind a retry), by view number: their envelopes name them.
    earlier_views: Vec<(u32, [String; 3])>,
    repeats: Repeats,
    api_calls: ApiCalls,
    /// Errors no app claimed yet (when, the failed chunk's URL, the report).
    unclaimed_errors: Vec<(f64, Option<String>, ErrorReport)>,
    /// Whether this page load's navigation timing was queued (it is sent once).
    pub navigation_sent: bool,
    long_frames_this_view: u32,
    /// The queue's drop count when the last beacon reported it.
    dropped_reported: u64,
}

impl Agent {
    pub fn new(window: Window, config: Config) -> Self {
        let href = string(&get(&window, "location"), "href").unwrap_or_default();
        let page_url = privacy::scrub_url(&href, &config.keep_query_params);
        Self {
            apps: AppRegistry::new(config.shell.clone()),
            queue: Queue::new(config.max_queue_bytes),
            delivery: Delivery::default(),
            vitals: PendingVitals::default(),
            resources: ResourceSummaries::default(),
            session: Session::restore(&window, js_sys::Date::now()),
            view_id: session::random_id(),
            page_url,
            view_number: 0,
            earlier_views: Vec::new(),
            repeats: Repeats::default(),
            api_calls: ApiCalls::default(),
            unclaimed_errors: Vec::new(),
            navigation_sent: false,
            long_frames_this_view: 0,
            dropped_reported: 0,
            window,
            config,
        }
    }

    /// The current view's URL, scrubbed.
    pub fn page_url(&self) -> &str {
        &self.page_url
    }

    /// Epoch milliseconds for a `performance.now()`-relative timestamp.
    pub fn epoch_ms(&self, relative: f64) -> f64 {
        get(&performance(), "timeOrigin")
            .as_f64()
            .map_or(relative, |origin| origin + relative)
    }

    /// Milliseconds since the time origin (`performance.now()`).
    pub fn now(&self) -> f64 {
        call(&performance(), "now", &JsValue::UNDEFINED)
            .as_f64()
            .unwrap_or(0.0)
    }

    /// Whether a URL is the agent's own traffic, which it must not observe.
    pub fn is_own_request(&self, url: &str) -> bool {
        url.starts_with(&self.config.beacon_url)
    }

    /// `url` as it may leave the page (see [`privacy::scrub_url`]), cut to the text limit.
    pub fn scrub(&self, url: &str) -> String {
        let mut url = privacy::scrub_url(url, &self.config.keep_query_params);
        truncate(&mut url, MAX_TEXT_BYTES);
        url
    }

    /// Queues an event for `app`, `relative_at` ms after the time origin,
    /// unless the app is sampled out of this session or `beforeSend` drops it.
    pub fn record(&mut self, app: &str, relative_at: f64, body: EventBody) {
        if let Some(ended) = self.session.touch(js_sys::Date::now()) {
            // Thirty idle minutes (or four hours) ended the session: what
            // follows is a new session's, and a new view of it.
            self.next_view(ended);
        }
        if !session::is_sampled(&self.session.id, app, self.apps.sample_rate(app)) {
            return;
        }
        let mut encoded = json::event(app, self.epoch_ms(relative_at), &body);
        if let Some(hook) = &self.config.before_send {
            let Some(changed) = privacy::before_send(hook, &encoded) else {
                return;
            };
            encoded = changed;
        }
        self.queue.push(self.view_number, encoded);
        if self.queue.bytes() >= FLUSH_THRESHOLD_BYTES {
            self.flush();
        }
    }

    /// Queues an error the hooks caught, for the app that claims it: by its
    /// URL (`chunk`, the failed chunk's, else the report's) or stack. One no
    /// app claims waits a little for its app to register (see
    /// [`Self::attribute_waiting`]) unless `may_wait` is false; then it is
    /// the shell's. A failed chunk of an app (not the shell) is also a failed
    /// load of it. `owner`: the app whose sandbox the error happened in, which
    /// claims it whatever its URLs say.
    pub fn record_caught(
        &mut self,
        at: f64,
        chunk: Option<String>,
        report: ErrorReport,
        may_wait: bool,
        owner: Option<&str>,
    ) {
        let url = chunk.as_deref().unwrap_or(&report.url);
        let claimant = owner.or_else(|| self.apps.claimant_of_error(url, &report.frames));
        let Some(app) = claimant else {
            if may_wait && self.unclaimed_errors.len() < MAX_UNCLAIMED_ERRORS {
                self.unclaimed_errors.push((at, chunk, report));
            } else {
                let shell = self.apps.shell().to_owned();
                self.record_error(&shell, at, report);
            }
            return;
        };
        let app = app.to_owned();
        if let Some(chunk) = chunk {
            // The shell is running: its prefix (often the whole origin) also
            // covers the chunks of apps that never registered.
            let owner = self.apps.owner_of_url(&chunk);
            if let Some(owner) = owner.filter(|o| *o != self.apps.shell()).map(str::to_owned) {
                let detail = concat(&["chunk failed to load: ", &chunk]);
                self.record(
                    &owner,
                    at,
                    EventBody::App(AppLifecycle::new(AppPhase::Failed, detail)),
                );
            }
        }
        self.record_error(&app, at, report);
    }

    /// Attributes what waited for its app: errors older than
    /// [`CLAIM_WAIT_MS`] (or all of them, with `all`), and with `resources:
    /// "all"` the resources seen so far.
    fn attribute_waiting(&mut self, all: bool) {
        let now = self.now();
        for (at, chunk, report) in std::mem::take(&mut self.unclaimed_errors) {
            if all || now - at >= CLAIM_WAIT_MS {
                self.record_caught(at, chunk, report, false, None);
            } else {
                self.unclaimed_errors.push((at, chunk, report));
            }
        }
        if self.config.all_resources || all {
            self.attribute_resources();
        }
    }

    /// A resource the browser reported, attributed when it is reported (see
    /// `resources.rs`), or at once when too many wait.
    pub fn observe_resource(&mut self, started: f64, resource: Resource) {
        if self.resources.see(started, resource) >= MAX_UNATTRIBUTED {
            self.attribute_resources();
        }
    }

    /// Gives each resource seen so far to the app that owns its URL now:
    /// queued one by one with `resources: "all"`, else summed up.
    fn attribute_resources(&mut self) {
        for (started, resource) in self.resources.take_seen() {
            let app = self.apps.owner_of_url_or_shell(&resource.url).to_owned();
            if self.config.all_resources {
                self.record(&app, started, EventBody::Resource(resource));
            } else {
                self.resources.add(&app, started, resource);
            }
        }
    }

    /// Queues an error report, unless it repeats one this view already sent
    /// (then it is counted) or the view sent its share of errors.
    pub fn record_error(&mut self, app: &str, relative_at: f64, report: ErrorReport) {
        if self.repeats.check(app, &report) == Verdict::Send {
            self.record(app, relative_at, EventBody::Error(report));
        }
    }

    /// Counts a finished API call of `app` that started `relative_at`, and
    /// queues it if it failed (`call`) and the view has not sent its share.
    pub fn record_api_call(&mut self, app: &str, relative_at: f64, call: ApiCall, failed: bool) {
        if self.api_calls.count(app, call.duration, failed) {
            self.record(app, relative_at, EventBody::ApiCall(call));
        }
    }

    /// Queues a long frame unless the view sent its share of them.
    pub fn record_long_frame(&mut self, app: &str, relative_at: f64, frame: LongFrame) {
        if self.long_frames_this_view < MAX_LONG_FRAMES_PER_VIEW {
            self.long_frames_this_view += 1;
            self.record(app, relative_at, EventBody::LongFrame(frame));
        }
    }

    /// Queues the vitals that changed since they were last reported;
    /// `page_interactions` is `performance.interactionCount` if the browser has it.
    pub fn report_vitals(&mut self, page_interactions: Option<f64>) {
        let now = self.now();
        let shell = self.apps.shell().to_owned();
        for (app, vital) in self.vitals.take_changed(&shell, page_interactions) {
            self.record_vital(&app, now, vital);
        }
    }

    /// Queues a vital with its rating, tagged if the view was restored.
    pub fn record_vital(&mut self, app: &str, relative_at: f64, mut vital: Vital) {
        vital.rating = Some(vital.name.rating(vital.value));
        vital.restored = self.vitals.restored;
        self.record(app, relative_at, EventBody::Vital(vital));
    }

    /// At the end of a view: attributes everything that waited, and queues
    /// each app's resource summary and slowest resources.
    pub fn report_resources(&mut self) {
        self.attribute_waiting(true);
        let now = self.now();
        for AppResources {
            app,
            summary,
            slowest,
        } in self.resources.take()
        {
            self.record(&app, now, EventBody::ResourceSummary(summary));
            for (started, resource) in slowest {
                self.record(&app, started, EventBody::Resource(resource));
            }
        }
    }

    /// Starts a new view: after a back/forward-cache restore (`restored`,
    /// with vitals measured afresh) or an SPA route change to `page_url`.
    pub fn start_view(&mut self, page_url: Option<&str>) {
        self.next_view(self.session.id.clone());
        self.repeats = Repeats::default();
        self.api_calls.start_view();
        self.long_frames_this_view = 0;
        if let Some(url) = page_url {
            self.page_url = self.scrub(url);
        }
    }

    /// Gives the page a new view id (and number). The view that ends, of
    /// session `session_id`, keeps its ids for its events still queued.
    fn next_view(&mut self, session_id: String) {
        self.forget_finished_views();
        if !self.queue.is_empty() {
            let ids = [session_id, self.view_id.clone(), self.page_url.clone()];
            self.earlier_views.push((self.view_number, ids));
        }
        self.view_number += 1;
        self.view_id = session::random_id();
    }

    /// Sends everything queued, in as many requests as it takes; repeated
    /// errors go out as counts first.
    pub fn flush(&mut self) {
        self.attribute_waiting(false);
        let now = self.now();
        for (app, report) in self.repeats.take_counts() {
            self.record(&app, now, EventBody::Error(report));
        }
        for (app, summary) in self.api_calls.take_summaries() {
            self.record(&app, now, EventBody::ApiSummary(summary));
        }
        self.session.save(&self.window);
        if self.delivery.is_waiting() {
            return;
        }
        loop {
            let dropped = self.dropped();
            let envelope = json::envelope(&self.envelope(dropped - self.dropped_reported));
            let batch =
                self.queue
                    .take_batch(envelope.len(), MAX_BEACON_BYTES, MAX_EVENTS_PER_BEACON);
            if batch.is_empty() {
                break;
            }
            self.dropped_reported = dropped;
            if let Some(body) = canopy_wire::assemble(&envelope, batch.iter().map(String::as_str)) {
                self.delivery
                    .send(&self.window, &self.config, body, batch.len() as u64);
            }
        }
    }

    /// Events lost so far: dropped from the full queue, or in bodies the collector kept refusing.
    fn dropped(&self) -> u64 {
        self.queue.dropped() + self.delivery.dropped_events
    }

    /// Queued events and bytes, and events lost so far.
    pub fn held(&self) -> (usize, usize, u64) {
        (self.queue.len(), self.queue.bytes(), self.dropped())
    }

    pub fn delivery(&mut self) -> &mut Delivery {
        &mut self.delivery
    }

    /// Drops the ids of earlier views with no event left in the queue (sent,
    /// or dropped from a full queue): at most one entry per queued view.
    fn forget_finished_views(&mut self) {
        let first = self.queue.first_view();
        while let Some((view, _)) = self.earlier_views.first() {
            if first.is_some_and(|first| *view >= first) {
                break;
            }
            self.earlier_views.remove(0);
        }
    }

    /// The envelope for the oldest queued events: their view's.
    fn envelope(&mut self, dropped: u64) -> Beacon {
        self.forget_finished_views();
        let first = self.queue.first_view();
        let [session_id, view_id, page_url] = match self.earlier_views.first() {
            Some((view, ids)) if Some(*view) == first => ids.clone(),
            _ => [
                self.session.id.clone(),
                self.view_id.clone(),
                self.page_url.clone(),
            ],
        };
        Beacon {
            schema: SCHEMA_VERSION,
            // A retry sends the body as it is, so every attempt carries this id.
            id: Some(session::random_id()),
            session_id,
            view_id,
            page_url,
            sent_at: js_sys::Date::now(),
            apps: self.apps.infos(),
            dropped,
            events: Vec::new(),
        }
    }
}
