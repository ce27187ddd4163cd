//! Long animation frames: frames the main thread took over 50 ms to
//! render, with the scripts that ran in them. Each is reported for the app
//! whose script ran longest in it (by the script's URL), and kept a while so
//! a slow interaction can name its scripts (INP attribution). Browsers
//! without them report long tasks, which name no scripts: those go to the shell.

use canopy_wire::limits::{truncate, MAX_TEXT_BYTES};
use canopy_wire::{LongFrame, ScriptTiming};
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

use super::performance::observe;
use super::{call, get, global, number, string};
use crate::agent::Agent;

/// The main thread's budget per frame (ms): time beyond it blocks input.
const FRAME_BUDGET_MS: f64 = 50.0;

pub fn install() {
    let types = get(&global("PerformanceObserver"), "supportedEntryTypes");
    if call(&types, "includes", &"long-animation-frame".into()).as_bool() == Some(true) {
        observe("long-animation-frame", on_frame);
    } else {
        observe("longtask", on_long_task);
    }
}

fn on_frame(agent: &mut Agent, frame: JsValue) {
    let start = number(&frame, "startTime");
    let duration = number(&frame, "duration");
    let mut scripts = Vec::new();
    for script in get(&frame, "scripts")
        .dyn_into::<Array>()
        .unwrap_or_default()
        .iter()
    {
        let mut function = string(&script, "sourceFunctionName").unwrap_or_default();
        let mut invoker = string(&script, "invoker").unwrap_or_default();
        truncate(&mut function, MAX_TEXT_BYTES);
        truncate(&mut invoker, MAX_TEXT_BYTES);
        let url = agent.scrub(&string(&script, "sourceURL").unwrap_or_default());
        scripts.push(ScriptTiming {
            url,
            function,
            invoker,
            duration: number(&script, "duration"),
        });
    }
    crate::long_frames::longest_first(&mut scripts);
    let longest = scripts
        .first()
        .map(|script| script.url.as_str())
        .unwrap_or_default();
    let app = agent.apps.owner_of_url_or_shell(longest).to_owned();
    agent
        .vitals
        .frames
        .add(start, start + duration, scripts.clone());
    let blocking = number(&frame, "blockingDuration");
    agent.record_long_frame(
        &app,
        start,
        LongFrame {
            duration,
            blocking,
            scripts,
        },
    );
}

fn on_long_task(agent: &mut Agent, task: JsValue) {
    let duration = number(&task, "duration");
    let shell = agent.apps.shell().to_owned();
    let frame = LongFrame {
        duration,
        blocking: (duration - FRAME_BUDGET_MS).max(0.0),
        scripts: Vec::new(),
    };
    agent.record_long_frame(&shell, number(&task, "startTime"), frame);
}
