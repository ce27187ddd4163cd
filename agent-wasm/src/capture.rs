//! What apps report themselves: errors they caught (`captureError`),
//! messages (`captureMessage`), and the API calls the npm package's `fetch`
//! and `XMLHttpRequest` wrappers saw finish. Each is attributed by the stack
//! of the call, which the package passes (its first frame is the caller's),
//! unless the report names its app.

use canopy_wire::limits::{check_app_name, truncate, MAX_METHOD_BYTES, MAX_TEXT_BYTES};
use canopy_wire::{concat, ApiCall, ErrorReport, ErrorSource, Level};
use wasm_bindgen::JsValue;

use crate::agent::with_agent;
use crate::fields::Fields;
use crate::observe::errors;
use crate::stack;

/// Records a report of `captureError` (`{ message, type, stack, caller, app,
/// level, attributes }`, the error described by the package) or of
/// `captureMessage` (no type or stack of its own).
pub fn report(
    call: &JsValue,
    source: ErrorSource,
    level: Level,
    error_type: &str,
) -> Result<(), String> {
    let mut fields = Fields::read(
        call,
        "the report",
        "Smessage stype sstack scaller sapp slevel aattributes",
    )?;
    let message = fields.string().unwrap_or_default();
    let error_type = fields.string().unwrap_or_else(|| error_type.to_owned());
    let stack = fields.string().unwrap_or_default();
    let caller = fields.string().unwrap_or_default();
    let app = fields.string();
    let level = match fields.string() {
        None => level,
        Some(name) => Level::parse(&name).ok_or_else(|| {
            concat(&[
                "level must be \"fatal\", \"error\", \"warning\", \"info\" or \"debug\", got \"",
                &name,
                "\"",
            ])
        })?,
    };
    let attrs = fields.attrs();
    if let Some(app) = &app {
        check_app_name(app)?;
    }
    let mut report = ErrorReport::new(source, error_type, message);
    report.level = level;
    report.attrs = attrs;
    // A message, or a thrown value that is not an Error, has no stack of its
    // own: where it was reported from places it.
    report.stack = if stack.is_empty() {
        caller.clone()
    } else {
        stack
    };
    with_agent(|agent| {
        errors::finish(agent, &mut report);
        let app = app.unwrap_or_else(|| {
            let frames = stack::parse(&caller);
            agent.apps.owner_of_error("", &frames).to_owned()
        });
        agent.record_error(&app, agent.now(), report);
    })
    .ok_or_else(|| "call init first".to_owned())
}

/// Records an API call the package's wrappers saw finish: `{ method, url,
/// status, duration, message, traceId, caller, failed }`.
pub fn api_call(call: &JsValue) -> Result<(), String> {
    let mut fields = Fields::read(
        call,
        "the call",
        "Smethod Surl nstatus nduration smessage straceId scaller bfailed",
    )?;
    let mut method = fields.string().unwrap_or_default();
    let url = fields.string().unwrap_or_default();
    // Responses have a status from 200 to 599; `as` saturates anything else.
    let status = fields.number().unwrap_or_default() as u16;
    let duration = fields.number().unwrap_or_default().max(0.0);
    let mut message = fields.string().unwrap_or_default();
    let trace_id = fields.string().unwrap_or_default();
    let caller = fields.string().unwrap_or_default();
    let failed = fields.boolean().unwrap_or(false);
    truncate(&mut method, MAX_METHOD_BYTES);
    truncate(&mut message, MAX_TEXT_BYTES);
    with_agent(|agent| {
        let app = agent
            .apps
            .owner_of_error("", &stack::parse(&caller))
            .to_owned();
        let call = ApiCall {
            method,
            url: agent.scrub(&url),
            status,
            duration,
            message,
            trace_id,
        };
        let started = agent.now() - duration;
        agent.record_api_call(&app, started, call, failed);
    })
    .ok_or_else(|| "call init first".to_owned())
}
