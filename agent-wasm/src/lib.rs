//! Canopy's browser agent.
//!
//! The flow, one module per step: [`observe`] hooks the browser, [`attribute`]
//! decides which micro-frontend each observation belongs to, [`batch`] queues
//! and packs encoded events, [`send`] delivers them. [`agent`] holds the page's
//! single agent; the functions below are its JavaScript API, wrapped by the npm
//! package, which makes sure every bundle on a page shares one instance.

mod agent;
pub mod attribute;
pub mod batch;
pub mod config;
mod observe;
mod send;
mod session;
pub mod vitals;

use canopy_wire::{AppLifecycle, AppPhase, EventBody};
use wasm_bindgen::prelude::*;

use crate::agent::{with_agent, Agent};
use crate::config::{AppOptions, InitOptions};

/// Starts the agent. A second call is refused: the page has one agent.
#[wasm_bindgen]
pub fn init(options: JsValue) -> Result<(), JsError> {
    if agent::is_started() {
        return Err(JsError::new("init: the agent is already running on this page"));
    }
    let options: InitOptions =
        serde_wasm_bindgen::from_value(options).map_err(|e| JsError::new(&format!("init: {e}")))?;
    let config = options.into_config().map_err(|e| JsError::new(&format!("init: {e}")))?;
    let window = web_sys::window().ok_or_else(|| JsError::new("init: no window (is this a worker?)"))?;
    let flush_interval_ms = config.flush_interval_ms;
    agent::start(Agent::new(window.clone(), config));
    observe::install(&window, flush_interval_ms);
    Ok(())
}

/// Registers a micro-frontend so events can be attributed to it.
#[wasm_bindgen(js_name = registerApp)]
pub fn register_app(app: JsValue) -> Result<(), JsError> {
    let options: AppOptions =
        serde_wasm_bindgen::from_value(app).map_err(|e| JsError::new(&format!("registerApp: {e}")))?;
    let app = options.into_app().map_err(|e| JsError::new(&format!("registerApp: {e}")))?;
    with_agent(|agent| {
        let name = app.name.clone();
        agent.apps.register(app);
        let registered = AppLifecycle { phase: AppPhase::Registered, detail: String::new() };
        let now = web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0);
        agent.record(&name, now, EventBody::App(registered));
    })
    .ok_or_else(|| JsError::new("registerApp: call init first"))
}

/// Sends everything queued now (also happens on an interval and when the page hides).
#[wasm_bindgen]
pub fn flush() {
    with_agent(|agent| agent.flush());
}
