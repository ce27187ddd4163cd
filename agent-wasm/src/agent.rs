//! The one agent of a page: its state, and the path from an attributed
//! observation to a queued, encoded event.

use std::cell::RefCell;

use canopy_wire::limits::{MAX_BEACON_BYTES, MAX_EVENTS_PER_BEACON};
use canopy_wire::{Beacon, Event, EventBody, Vital, SCHEMA_VERSION};
use web_sys::Window;

use crate::attribute::AppRegistry;
use crate::batch::Queue;
use crate::config::Config;
use crate::vitals::PendingVitals;
use crate::{json, send, session};

/// Error reports per view past which the agent stays quiet: a page stuck in an
/// error loop must not turn into a request loop.
const MAX_ERRORS_PER_VIEW: u32 = 100;

/// Queued bytes that trigger a flush before the interval comes round.
const FLUSH_THRESHOLD_BYTES: usize = MAX_BEACON_BYTES / 2;

thread_local! {
    static AGENT: RefCell<Option<Agent>> = const { RefCell::new(None) };
}

// The agent is reached with `try_with` and `try_borrow*`, never `with` and
// `borrow*`: nothing here may panic, and the panicking forms would also link
// their messages and formatting into the wasm.

/// Runs `f` on the page's agent, if it is started. Never panics: a re-entrant
/// call (an observer firing while the agent is busy) is skipped.
pub fn with_agent<R>(f: impl FnOnce(&mut Agent) -> R) -> Option<R> {
    AGENT.try_with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f)).ok()?
}

pub fn is_started() -> bool {
    AGENT.try_with(|cell| cell.try_borrow().map(|agent| agent.is_some()).unwrap_or(true)).unwrap_or(true)
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
    window: Window,
    queue: Queue,
    session_id: String,
    view_id: String,
    page_url: String,
    errors_this_view: u32,
}

impl Agent {
    pub fn new(window: Window, config: Config) -> Self {
        let page_url = window.location().href().map(|url| scrub_url(&url).to_owned()).unwrap_or_default();
        Self {
            apps: AppRegistry::new(config.shell.clone()),
            queue: Queue::new(config.max_queue_bytes),
            vitals: PendingVitals::default(),
            session_id: session::session_id(&window),
            view_id: session::random_id(),
            page_url,
            errors_this_view: 0,
            window,
            config,
        }
    }

    /// Epoch milliseconds for a `performance.now()`-relative timestamp.
    pub fn epoch_ms(&self, relative: f64) -> f64 {
        self.window.performance().map(|p| p.time_origin() + relative).unwrap_or(relative)
    }

    /// Milliseconds since the time origin (`performance.now()`).
    pub fn now(&self) -> f64 {
        self.window.performance().map(|p| p.now()).unwrap_or(0.0)
    }

    /// Whether a URL is the agent's own traffic, which it must not observe.
    pub fn is_own_request(&self, url: &str) -> bool {
        url.starts_with(&self.config.beacon_url)
    }

    /// Queues an event for `app`, `relative_at` ms after the time origin.
    pub fn record(&mut self, app: &str, relative_at: f64, body: EventBody) {
        let event = Event { app: app.to_owned(), at: self.epoch_ms(relative_at), body };
        if let Some(encoded) = json::to_string(&event) {
            self.queue.push(encoded);
        }
        if self.queue.bytes() >= FLUSH_THRESHOLD_BYTES {
            self.flush();
        }
    }

    /// Queues an error report unless this view already sent its share.
    pub fn record_error(&mut self, app: &str, relative_at: f64, body: EventBody) {
        if self.errors_this_view < MAX_ERRORS_PER_VIEW {
            self.errors_this_view += 1;
            self.record(app, relative_at, body);
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

    /// Starts a new view of the same page (a back/forward-cache restore):
    /// a new view id, a fresh error allowance, new vitals measurements.
    pub fn restart_view(&mut self, first_hidden: f64, interactions_before: f64) {
        self.view_id = session::random_id();
        self.errors_this_view = 0;
        self.vitals.restart(true, first_hidden, interactions_before);
    }

    /// Sends everything queued, in as many requests as it takes.
    pub fn flush(&mut self) {
        let Some(envelope) = json::to_string(&self.envelope()) else { return };
        loop {
            let batch = self.queue.take_batch(envelope.len(), MAX_BEACON_BYTES, MAX_EVENTS_PER_BEACON);
            if batch.is_empty() {
                break;
            }
            if let Some(body) = canopy_wire::assemble(&envelope, batch.iter().map(String::as_str)) {
                send::send(&self.window, &self.config.beacon_url, &body);
            }
        }
    }

    fn envelope(&self) -> Beacon {
        Beacon {
            schema: SCHEMA_VERSION,
            session_id: self.session_id.clone(),
            view_id: self.view_id.clone(),
            page_url: self.page_url.clone(),
            sent_at: js_sys::Date::now(),
            apps: self.apps.infos(),
            events: Vec::new(),
        }
    }
}

/// Query strings and fragments often carry tokens and personal data: drop them.
pub fn scrub_url(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::scrub_url;

    #[test]
    fn scrub_drops_query_and_fragment() {
        assert_eq!(scrub_url("https://x.example/cart?token=1#top"), "https://x.example/cart");
        assert_eq!(scrub_url("https://x.example/a#b?c"), "https://x.example/a");
        assert_eq!(scrub_url("https://x.example/"), "https://x.example/");
    }
}
