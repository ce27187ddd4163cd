//! Canopy's browser agent.
//!
//! Dependencies point one way, down this list: [`browser`] (the bindings)
//! and [`text`] (the JS text side) at the bottom; pure modules ([`vitals`],
//! [`frames`], [`batch`], [`retry`], [`session`], [`views`], [`repeats`],
//! [`resources`], [`api_calls`], [`claims`]) above them; [`observe`], whose
//! hooks report what they see through a function they are given; [`agent`],
//! the one place an observation is handled; [`deliver`]. This file alone
//! owns the page's agent: the exports below are what the npm package's
//! loader calls (npm-package/agent/start.js), which checks every argument's
//! text first and defers a call made while another is running (a
//! `beforeSend` hook calling `pushEvent`), so none re-enters the agent.

pub mod api_calls;
pub mod batch;
pub mod browser;
pub mod claims;
pub mod frames;
pub mod repeats;
pub mod resources;
pub mod retry;
pub mod session;
pub mod text;
pub mod views;
pub mod vitals;

mod agent;
mod deliver;
mod observe;

use std::cell::RefCell;

pub use text::{App, SHELL};

use agent::{Agent, Settings};
use browser::{after, Js};
use observe::{Observers, Tag};

/// A free-list allocator, a tenth of the wasm of std's dlmalloc. The agent
/// makes few, small allocations, where dlmalloc's size classes buy nothing.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown (no atomics) runs the module on one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// The page's agent and the observers that feed it.
struct Page {
    agent: Agent,
    observers: Observers,
}

thread_local! {
    static PAGE: RefCell<Option<Page>> = const { RefCell::new(None) };
}

/// Runs `f` on the page's agent, if it runs. The loader never re-enters
/// (see above); `try_*` keeps even a bug from panicking into the page.
fn with_page(f: impl FnOnce(&mut Page)) {
    let _ = PAGE.try_with(|cell| {
        if let Ok(mut page) = cell.try_borrow_mut() {
            if let Some(page) = page.as_mut() {
                f(page);
            }
        }
    });
}

fn with_running_agent(f: impl FnOnce(&mut Agent)) {
    with_page(|page| f(&mut page.agent));
}

/// Starts the agent with the numbers of the checked options (the text side
/// keeps the rest). 0 if it already runs.
#[no_mangle]
pub extern "C" fn start(
    flush_interval_ms: f64,
    max_queue_bytes: f64,
    all_resources: u32,
    compress: u32,
) -> u32 {
    let mut started = 0;
    let _ = PAGE.try_with(|cell| {
        let Ok(mut page) = cell.try_borrow_mut() else {
            return;
        };
        if page.is_some() {
            return;
        }
        // Not `insert`: it would drop the (empty) page it replaces, and link that.
        let mut page = page.get_or_insert_with(|| Page {
            agent: Agent::new(Settings {
                max_queue_bytes: max_queue_bytes as usize,
                all_resources: all_resources != 0,
                compress: compress != 0,
            }),
            observers: Observers::default(),
        });
        let Page { agent, observers } = &mut page;
        observers.install(&mut |observation| agent.handle(observation));
        after(Tag::Flush as u32, flush_interval_ms, true);
        started = 1;
    });
    started
}

/// A callback from the browser: the tag it was given and its value.
#[no_mangle]
pub extern "C" fn on(tag: u32, value: u32) {
    let value = Js::from_raw(value);
    let Some((tag, parameter)) = Tag::split(tag) else {
        return;
    };
    with_page(|Page { agent, observers }| match tag {
        Tag::Answer | Tag::Gzipped | Tag::Retry => {
            if agent.delivery().on(tag, parameter, &value) {
                agent.flush();
            }
        }
        _ => observers.on(tag, parameter, &value, &mut |observation| {
            agent.handle(observation)
        }),
    });
}

/// Queues an event the text side built for `app` (a registration, a mount,
/// a custom event or metric), `at` ms after the time origin.
#[no_mangle]
pub extern "C" fn record(app: u32, at: f64, event: u32) {
    let event = Js::from_raw(event);
    with_running_agent(|agent| agent.record(app, at, event));
}

/// An error the app reported itself (`captureError`, `captureMessage`),
/// read by the text side: counted with the hooks' errors.
#[no_mangle]
pub extern "C" fn record_caught(app: u32, at: f64, caught: u32) {
    let caught = text::Caught(Js::from_raw(caught));
    with_running_agent(|agent| agent.caught(at, caught, false, Some(app)));
}

/// An API call the package's `fetch`/`XMLHttpRequest` wrappers saw finish.
#[no_mangle]
pub extern "C" fn api_call(app: u32, at: f64, duration: f64, failed: u32, event: u32) {
    let event = Js::from_raw(event);
    with_running_agent(|agent| agent.api_call(app, at, duration, failed != 0, event));
}

/// Errors and rejections the page raised before the agent started, kept by the hub.
#[no_mangle]
pub extern "C" fn record_early(events: u32) {
    let events = Js::from_raw(events);
    with_running_agent(|agent| {
        observe::errors::replay(&events, &mut |observation| agent.handle(observation))
    });
}

/// `target` is where a framework runs the registered `app`'s code (its
/// sandbox iframe's window, a shadow root): its errors and resources are that app's.
#[no_mangle]
pub extern "C" fn watch(target: u32, app: u32) {
    let target = Js::from_raw(target);
    with_page(|_| observe::watch(&target, app));
}

/// Sends everything queued now.
#[no_mangle]
pub extern "C" fn flush() {
    with_running_agent(Agent::flush);
}

/// The agent's own health: 0 queued events, 1 queued bytes, 2 events lost; NaN before it runs.
#[no_mangle]
pub extern "C" fn stat(which: u32) -> f64 {
    let mut value = f64::NAN;
    with_running_agent(|agent| value = agent.held(which));
    value
}
