//! The beacon: the one definition of what the Canopy agent sends and the ingest
//! server accepts. Both sides depend on these types, so a field cannot drift.
//!
//! A beacon is JSON. Unknown fields are ignored (an older server accepts a newer
//! agent's additions); a breaking change bumps [`SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

mod api;
mod envelope;
mod level;
pub mod limits;
mod pairs;

pub use api::{ApiCall, ApiSummary};
pub use envelope::{assemble, body_len};
pub use level::Level;
pub use pairs::{Attrs, Pairs, Parts};

/// `parts.concat()`, for the messages and URLs the browser agent builds: std's
/// version (`join_generic_copy`) checks for overflow at every part and links
/// its panics, 400 bytes of the agent's wasm for what a loop of `push_str` does.
pub fn concat(parts: &[&str]) -> String {
    let mut joined = String::new();
    for part in parts {
        joined.push_str(part);
    }
    joined
}

/// Bumped only for changes an older server cannot read.
pub const SCHEMA_VERSION: u32 = 1;

/// One request from a page: who sent it, and the events it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Beacon {
    pub schema: u32,
    /// This body's id, the same on every attempt to send it, so the server
    /// stores a retried body once ([`limits::check_beacon_id`] gives its
    /// form). Absent from older agents: their bodies are stored each time
    /// they arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Stable for a browsing session (agent-defined lifetime).
    pub session_id: String,
    /// One page view; SPA route changes start a new one.
    pub view_id: String,
    /// The page URL, already scrubbed of query and fragment by the agent.
    pub page_url: String,
    /// When the agent built this beacon, in epoch milliseconds by the browser's clock.
    pub sent_at: f64,
    /// The apps registered on the page when the beacon was built.
    #[serde(default)]
    pub apps: Vec<AppInfo>,
    /// Events the agent dropped since its previous beacon (its queue was
    /// full, or an event could never fit a request).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
    /// Kept last: [`assemble`] appends already-encoded events after the envelope.
    pub events: Vec<Event>,
}

/// A micro-frontend as it registered itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppInfo {
    pub name: String,
    #[serde(default)]
    pub version: String,
    /// The share of sessions the app reports from (its `sampleRate`); 1 when absent.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub sample_rate: f64,
    /// The app's own attributes (`registerApp({ attributes })`), for every event of it.
    #[serde(default, skip_serializing_if = "Attrs::is_empty")]
    pub attrs: Attrs,
}

/// Something that happened on the page, attributed to one app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The registered app this event belongs to (the shell when no app claims it).
    pub app: String,
    /// When it happened, in epoch milliseconds by the browser's clock.
    pub at: f64,
    #[serde(flatten)]
    pub body: EventBody,
}

/// What kind of event, and its fields. Tagged by `kind` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    Vital(Vital),
    Navigation(Navigation),
    Resource(Resource),
    /// An app's resources of one view, summed up (the slowest are sent as `Resource`).
    ResourceSummary(ResourceSummary),
    /// A long animation frame (or, where the browser lacks those, a long task).
    LongFrame(LongFrame),
    Error(ErrorReport),
    App(AppLifecycle),
    /// A number an app measured itself (`pushMetric`).
    Metric(CustomMetric),
    /// Something an app wants counted (`pushEvent`).
    Custom(CustomEvent),
    /// One failed `fetch` or `XMLHttpRequest` call.
    ApiCall(ApiCall),
    /// An app's finished API calls of one view since the previous summary.
    ApiSummary(ApiSummary),
}

/// `pushMetric(name, value, attrs)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomMetric {
    pub name: String,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Attrs::is_empty")]
    pub attrs: Attrs,
}

/// `pushEvent(name, attrs)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomEvent {
    pub name: String,
    #[serde(default, skip_serializing_if = "Attrs::is_empty")]
    pub attrs: Attrs,
}

/// A Core Web Vital or related page metric, measured as web-vitals 6 does.
/// Everything after `value` is optional on the wire (older agents send
/// neither), and attribution fields are sent only when known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vital {
    pub name: VitalName,
    /// Milliseconds, except CLS which is unitless.
    pub value: f64,
    /// The value's rating by [`VitalName::rating`]; absent from older agents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// CSS selector (as web-vitals' attribution builds it) of the LCP element,
    /// the INP interaction's target, or the largest shift's source in the CLS window.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// LCP: the URL of the image or video that painted, scrubbed of query and fragment.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    /// INP: the event type of the interaction's longest entry (`pointerup`, `click`, `keydown`…).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub event_type: String,
    /// On the shell's page-level values: the app whose DOM caused the value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// Measured after the page was restored from the back/forward cache.
    #[serde(default, skip_serializing_if = "is_false")]
    pub restored: bool,
    /// LCP's sub-parts (`ttfb`, `load_delay`, `load_duration`, `render_delay`)
    /// or INP's phases (`input_delay`, `processing`, `presentation`), in ms.
    #[serde(default, skip_serializing_if = "Parts::is_empty")]
    pub parts: Parts,
    /// INP: the scripts that ran in the long animation frames of the interaction, longest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<ScriptTiming>,
}

impl Vital {
    /// A value without rating or attribution.
    pub fn new(name: VitalName, value: f64) -> Self {
        Self {
            name,
            value,
            rating: None,
            target: String::new(),
            resource: String::new(),
            event_type: String::new(),
            owner: String::new(),
            restored: false,
            parts: Parts::default(),
            scripts: Vec::new(),
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero<N: Default + PartialEq>(value: &N) -> bool {
    *value == N::default()
}

fn one() -> f64 {
    1.0
}

fn is_one(value: &f64) -> bool {
    *value == 1.0
}

fn one_u32() -> u32 {
    1
}

fn is_one_u32(value: &u32) -> bool {
    *value == 1
}

/// How a value compares with the Core Web Vitals thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rating {
    Good,
    NeedsImprovement,
    Poor,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::NeedsImprovement => "needs-improvement",
            Rating::Poor => "poor",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VitalName {
    Lcp,
    Cls,
    Inp,
    Fcp,
    Ttfb,
}

impl VitalName {
    pub const ALL: [VitalName; 5] = [
        VitalName::Lcp,
        VitalName::Inp,
        VitalName::Cls,
        VitalName::Fcp,
        VitalName::Ttfb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VitalName::Lcp => "lcp",
            VitalName::Cls => "cls",
            VitalName::Inp => "inp",
            VitalName::Fcp => "fcp",
            VitalName::Ttfb => "ttfb",
        }
    }

    /// The upper bounds of good and of needs-improvement (web-vitals' thresholds).
    pub fn thresholds(self) -> (f64, f64) {
        match self {
            VitalName::Lcp => (2500.0, 4000.0),
            VitalName::Cls => (0.1, 0.25),
            VitalName::Inp => (200.0, 500.0),
            VitalName::Fcp => (1800.0, 3000.0),
            VitalName::Ttfb => (800.0, 1800.0),
        }
    }

    /// The rating of `value`: a value equal to a threshold is still the better rating.
    pub fn rating(self, value: f64) -> Rating {
        let (good, needs_improvement) = self.thresholds();
        if value > needs_improvement {
            Rating::Poor
        } else if value > good {
            Rating::NeedsImprovement
        } else {
            Rating::Good
        }
    }
}

/// The page's navigation timing, broken into phases (all milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Navigation {
    /// navigate, reload, back_forward or prerender.
    pub nav_type: String,
    pub dns: f64,
    pub tcp: f64,
    pub tls: f64,
    pub ttfb: f64,
    pub download: f64,
    /// responseEnd → domInteractive.
    pub dom_parse: f64,
    /// domContentLoadedEventEnd, from the start of navigation.
    pub dom_ready: f64,
    /// loadEventEnd, from the start of navigation.
    pub load: f64,
    pub transfer_size: u64,
}

/// One loaded resource (script, stylesheet, image, fetch…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub url: String,
    pub initiator: String,
    pub duration: f64,
    pub transfer_size: u64,
    /// Served from the browser's cache (nothing transferred, something decoded).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cache_hit: bool,
}

/// One app's resources in one view, summed up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    pub count: u32,
    pub transfer_size: u64,
    pub cache_hits: u32,
    /// Sum of the resources' durations (ms).
    pub duration: f64,
}

/// A frame the main thread took more than 50 ms to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LongFrame {
    /// ms, from the frame's start to its render.
    pub duration: f64,
    /// ms the frame blocked input beyond the 50 ms budget.
    pub blocking: f64,
    /// The scripts that ran in it, longest first (none for a long task).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<ScriptTiming>,
}

/// A script that ran in a long animation frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptTiming {
    /// The script's URL, scrubbed of query and fragment; empty for inline code.
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub function: String,
    /// What ran it: `DIV.onclick`, `Window.setTimeout`, `Response.json.then`…
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub invoker: String,
    pub duration: f64,
}

/// An uncaught error, an unhandled rejection, a failed resource load, or
/// what an app reported itself (`captureError`, `captureMessage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    pub source: ErrorSource,
    /// The error's constructor name (`TypeError`…), or the element for a failed load.
    pub error_type: String,
    pub message: String,
    #[serde(default)]
    pub stack: String,
    /// The script (or failed resource) URL the error points at, if known.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub line: u32,
    #[serde(default)]
    pub column: u32,
    /// The stack, parsed; top frame first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<Frame>,
    /// Occurrences this report stands for: the same error repeated in a view is
    /// counted by the agent and sent again only as a count.
    #[serde(default = "one_u32", skip_serializing_if = "is_one_u32")]
    pub count: u32,
    /// How bad it is; `error` unless the app said otherwise.
    #[serde(default, skip_serializing_if = "Level::is_error")]
    pub level: Level,
    /// The app's own attributes of this report (`captureError(e, { attributes })`).
    #[serde(default, skip_serializing_if = "Attrs::is_empty")]
    pub attrs: Attrs,
}

impl ErrorReport {
    /// A report that happened once, with no stack or location yet.
    pub fn new(source: ErrorSource, error_type: String, message: String) -> Self {
        Self {
            source,
            error_type,
            message,
            stack: String::new(),
            url: String::new(),
            line: 0,
            column: 0,
            frames: Vec::new(),
            count: 1,
            level: Level::Error,
            attrs: Attrs::default(),
        }
    }
}

/// One frame of a stack trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub function: String,
    /// The script URL (or `<anonymous>`, `native`…).
    pub file: String,
    #[serde(default)]
    pub line: u32,
    #[serde(default)]
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSource {
    Error,
    Rejection,
    ResourceLoad,
    /// A cross-origin script's error the browser hid ("Script error."): it
    /// says neither what nor where, so it is counted, not grouped.
    Muted,
    /// An error the app caught and reported (`captureError`).
    Handled,
    /// A message the app reported (`captureMessage`).
    Message,
}

impl ErrorSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorSource::Error => "error",
            ErrorSource::Rejection => "rejection",
            ErrorSource::ResourceLoad => "resource_load",
            ErrorSource::Muted => "muted",
            ErrorSource::Handled => "handled",
            ErrorSource::Message => "message",
        }
    }
}

/// An app's own lifecycle: the raw material of availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppLifecycle {
    pub phase: AppPhase,
    #[serde(default)]
    pub detail: String,
    /// On `registered`: the URL the server may probe for the app's health.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub health_check: String,
    /// On `registered`: apps this one depends on (their alerts explain its own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// On `registered`: alert rules the app asks for, as a JSON array. The
    /// server records them and applies them only where its config allows.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub declared_rules: String,
}

impl AppLifecycle {
    pub fn new(phase: AppPhase, detail: impl Into<String>) -> Self {
        Self {
            phase,
            detail: detail.into(),
            health_check: String::new(),
            dependencies: Vec::new(),
            declared_rules: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppPhase {
    Registered,
    Mounted,
    Failed,
}

impl AppPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            AppPhase::Registered => "registered",
            AppPhase::Mounted => "mounted",
            AppPhase::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests;
