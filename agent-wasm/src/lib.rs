//! Canopy's browser agent.
//!
//! The flow, one module per step: [`observe`] hooks the browser, [`attribute`]
//! decides which micro-frontend each observation belongs to, [`batch`] queues
//! and packs encoded events, [`send`] delivers them. [`agent`] holds the page's
//! single agent; the functions below are its JavaScript API, wrapped by the npm
//! package, which makes sure every bundle on a page shares one instance.

mod agent;
mod api_calls;
pub mod attribute;
pub mod batch;
mod capture;
pub mod config;
mod fields;
mod js;
mod json;
mod long_frames;
mod observe;
mod privacy;
mod repeats;
mod resources;
mod send;
mod session;
mod stack;
mod text;
pub mod vitals;

use canopy_wire::{concat, AppLifecycle, AppPhase, ErrorSource, EventBody, Level};
use wasm_bindgen::prelude::*;

use crate::agent::{with_agent, Agent};
use crate::config::{AppOptions, InitOptions};

/// A free-list allocator, a tenth of the wasm of std's dlmalloc. The agent
/// makes few, small allocations (events of a few hundred bytes, a capped
/// queue), where dlmalloc's size classes buy nothing.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown (no atomics) runs the module on one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[wasm_bindgen]
extern "C" {
    /// The page's `window`, or `None` in a worker. Read directly rather than
    /// through `web_sys::window()`, which probes four globals to find it.
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: Option<web_sys::Window>;
}

/// Starts the agent. A second call is refused: the page has one agent.
#[wasm_bindgen]
pub fn init(options: JsValue) -> Result<(), JsError> {
    if agent::is_started() {
        return Err(JsError::new(
            "init: the agent is already running on this page",
        ));
    }
    let config = InitOptions::from_js(&options)
        .and_then(InitOptions::into_config)
        .map_err(|e| failure("init", &e))?;
    let window = WINDOW
        .with(Option::clone)
        .ok_or_else(|| JsError::new("init: no window (is this a worker?)"))?;
    let flush_interval_ms = config.flush_interval_ms;
    agent::start(Agent::new(window.clone(), config));
    observe::install(&window, flush_interval_ms);
    Ok(())
}

/// Registers a micro-frontend so events can be attributed to it.
#[wasm_bindgen(js_name = registerApp)]
pub fn register_app(app: JsValue) -> Result<(), JsError> {
    let (app, declared) = AppOptions::from_js(&app)
        .and_then(AppOptions::into_app)
        .map_err(|e| failure("registerApp", &e))?;
    with_agent(|agent| {
        let name = app.name.clone();
        agent.apps.register(app);
        let mut registered = AppLifecycle::new(AppPhase::Registered, "");
        registered.health_check = declared.health_check;
        registered.dependencies = declared.dependencies;
        registered.declared_rules = declared.rules;
        agent.record(&name, agent.now(), EventBody::App(registered));
    })
    .ok_or_else(|| JsError::new("registerApp: call init first"))
}

/// The app mounted: a successful load in the availability metric.
#[wasm_bindgen(js_name = appMounted)]
pub fn app_mounted(name: JsValue) -> Result<(), JsError> {
    let name = name
        .as_string()
        .ok_or_else(|| JsError::new("appMounted: the app name must be a string"))?;
    report_mount(
        "appMounted",
        &name,
        AppLifecycle::new(AppPhase::Mounted, ""),
    )
}

/// The app failed to mount: a failed load in the availability metric.
/// Takes `{ name, error }` (the npm package turns the error into text).
#[wasm_bindgen(js_name = appFailed)]
pub fn app_failed(report: JsValue) -> Result<(), JsError> {
    let mut fields = fields::Fields::read(&report, "the report", "Sname serror")
        .map_err(|e| failure("appFailed", &e))?;
    let name = fields.string().unwrap_or_default();
    let mut error = fields.string().unwrap_or_default();
    canopy_wire::limits::truncate(&mut error, canopy_wire::limits::MAX_TEXT_BYTES);
    // An app that failed before its code could register (its remote entry
    // did not load, a framework gave up on it) is registered here, so the
    // failed load counts against its availability and nobody else's.
    canopy_wire::limits::check_app_name(&name).map_err(|e| failure("appFailed", &e))?;
    with_agent(|agent| {
        if !agent.apps.is_registered(&name) {
            agent.apps.register(attribute::RegisteredApp {
                name: name.clone(),
                version: String::new(),
                asset_prefixes: Vec::new(),
                sample_rate: 1.0,
                attrs: Default::default(),
            });
            let registered = AppLifecycle::new(AppPhase::Registered, "");
            agent.record(&name, agent.now(), EventBody::App(registered));
        }
    });
    report_mount(
        "appFailed",
        &name,
        AppLifecycle::new(AppPhase::Failed, error),
    )
}

/// `pushMetric(name, value, attrs)`: the npm package passes `{ name, value,
/// attrs, stack }`, the stack telling which app's bundle made the call.
#[wasm_bindgen(js_name = pushMetric)]
pub fn push_metric(call: JsValue) -> Result<(), JsError> {
    let read = || -> Result<(String, EventBody), String> {
        let name = custom_name(&call, "the metric")?;
        // Read after the name is checked: a bad name is the error to report.
        let mut fields = fields::Fields::read(&call, "the metric", "nvalue aattrs sstack")?;
        let value = fields.number().unwrap_or_default();
        let attrs = fields.attrs();
        Ok((
            fields.string().unwrap_or_default(),
            EventBody::Metric(canopy_wire::CustomMetric { name, value, attrs }),
        ))
    };
    record_custom("pushMetric", read())
}

/// `pushEvent(name, attrs)`, passed as `{ name, attrs, stack }`.
#[wasm_bindgen(js_name = pushEvent)]
pub fn push_event(call: JsValue) -> Result<(), JsError> {
    let read = || -> Result<(String, EventBody), String> {
        let name = custom_name(&call, "the event")?;
        let mut fields = fields::Fields::read(&call, "the event", "aattrs sstack")?;
        let attrs = fields.attrs();
        Ok((
            fields.string().unwrap_or_default(),
            EventBody::Custom(canopy_wire::CustomEvent { name, attrs }),
        ))
    };
    record_custom("pushEvent", read())
}

/// `captureError(error, { attributes, app, level })`: the npm package
/// passes the error described (`{ message, type, stack }`) with the options
/// and the call's stack (`caller`).
#[wasm_bindgen(js_name = captureError)]
pub fn capture_error(call: JsValue) -> Result<(), JsError> {
    capture::report(&call, ErrorSource::Handled, Level::Error, "Error")
        .map_err(|e| failure("captureError", &e))
}

/// `captureMessage(message, { level, attributes, app })`, passed as `{ message, … }`.
#[wasm_bindgen(js_name = captureMessage)]
pub fn capture_message(call: JsValue) -> Result<(), JsError> {
    capture::report(&call, ErrorSource::Message, Level::Info, "Message")
        .map_err(|e| failure("captureMessage", &e))
}

/// An API call the npm package's `fetch`/`XMLHttpRequest` wrappers saw finish.
#[wasm_bindgen(js_name = recordApiCall)]
pub fn record_api_call(call: JsValue) -> Result<(), JsError> {
    capture::api_call(&call).map_err(|e| failure("api calls", &e))
}

/// The `name` of a custom metric or event, checked.
fn custom_name(call: &JsValue, what: &str) -> Result<String, String> {
    let name = fields::Fields::read(call, what, "Sname")?
        .string()
        .unwrap_or_default();
    canopy_wire::limits::check_metric_name(&name)?;
    Ok(name)
}

/// Queues a custom metric or event for the app whose bundle called.
fn record_custom(call: &str, read: Result<(String, EventBody), String>) -> Result<(), JsError> {
    let (stack, body) = read.map_err(|e| failure(call, &e))?;
    let recorded = with_agent(|agent| {
        let app = agent
            .apps
            .owner_of_error("", &stack::parse(&stack))
            .to_owned();
        agent.record(&app, agent.now(), body);
    });
    recorded.ok_or_else(|| failure(call, "call init first"))
}

fn report_mount(call: &str, name: &str, outcome: AppLifecycle) -> Result<(), JsError> {
    let recorded = with_agent(|agent| {
        if !agent.apps.is_registered(name) {
            return Err(failure(
                call,
                &concat(&["\"", name, "\" is not registered; call registerApp first"]),
            ));
        }
        agent.record(name, agent.now(), EventBody::App(outcome));
        Ok(())
    });
    recorded.unwrap_or_else(|| Err(failure(call, "call init first")))
}

/// The error a call fails with: `{call}: {why}`.
fn failure(call: &str, why: &str) -> JsError {
    JsError::new(&concat(&[call, ": ", why]))
}

/// The agent's own health: events and bytes it holds, events it lost, and
/// the wasm memory it uses. For diagnostics and the delivery tests.
#[wasm_bindgen]
pub fn stats() -> JsValue {
    let Some((queued_events, queued_bytes, dropped)) = with_agent(|agent| agent.held()) else {
        return JsValue::NULL;
    };
    stats_object(
        queued_events as f64,
        queued_bytes as f64,
        dropped as f64,
        &wasm_bindgen::memory(),
    )
}

// An object built in JS: in the wasm, each field is a `Reflect.set`.
#[wasm_bindgen(inline_js = r#"
export function stats_object(queuedEvents, queuedBytes, dropped, memory) {
  return { queuedEvents, queuedBytes, dropped, memoryBytes: memory.buffer.byteLength };
}
"#)]
extern "C" {
    fn stats_object(
        queued_events: f64,
        queued_bytes: f64,
        dropped: f64,
        memory: &JsValue,
    ) -> JsValue;
}

/// Errors and rejections the page raised before the agent started, kept by
/// the hub: recorded as the hooks would have recorded them.
#[wasm_bindgen(js_name = recordEarly)]
pub fn record_early(events: JsValue) {
    observe::errors::replay(&events);
}

/// `watch({ target, app })`: `target` is where a framework runs the
/// registered `app`'s code (its sandbox iframe's window; any event target
/// works); the errors, rejections and failed resources there are that
/// app's, and a window's resources are observed (attributed by URL, as
/// every resource). The npm package calls it for a copy of itself running
/// in a window other than the agent's.
#[wasm_bindgen]
pub fn watch(call: JsValue) -> Result<(), JsError> {
    let app = observe::string(&call, "app").unwrap_or_default();
    if with_agent(|agent| agent.apps.is_registered(&app)) != Some(true) {
        return Err(JsError::new("watch: the app is not registered"));
    }
    observe::watch(&observe::get(&call, "target"), app);
    Ok(())
}

/// Sends everything queued now (also happens on an interval and when the page hides).
#[wasm_bindgen]
pub fn flush() {
    with_agent(|agent| agent.flush());
}
