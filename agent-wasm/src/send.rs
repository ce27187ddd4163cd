//! Send: deliver request bodies to the collector without holding up the page.
//!
//! `sendBeacon` survives page unload and needs no response handling, so it
//! goes first. When the browser refuses it (the page's 64 KiB budget of
//! in-flight keepalive bytes, shared with beacons, is spent), `fetch` is the
//! fallback: a plain one while the page is visible (it needs no budget), one
//! with `keepalive` when the page is hiding and the agent's own keepalive
//! bytes in flight leave room. On that path the agent sees the answer: a 429
//! or 503 (or no answer at all) holds every send back until the body has
//! been retried after `Retry-After` or an exponential backoff; a body refused
//! five times, or refused while another waits for its retry, is dropped and
//! its events counted.
//! Bodies are gzipped first where the page asked for it, the browser has
//! `CompressionStream` and the page is visible (compressing is asynchronous,
//! a hidden page may not live to finish it); the server learns the encoding
//! from the URL, as `sendBeacon` cannot set headers. A retry adds
//! `&sent_at=` to the URL: its body is the first attempt's, sent_at included,
//! and so is its `id`, by which the server stores a body once however often
//! it arrives (the first attempt may have been stored, its answer lost).

use canopy_wire::concat;
use wasm_bindgen::prelude::*;
use web_sys::Window;

use crate::agent::with_agent;
use crate::config::Config;
use crate::observe::{call2, get, once};

/// What browsers allow in flight for all keepalive requests of a page.
const KEEPALIVE_BUDGET: usize = 64 * 1024;
/// Attempts of a body that keeps being refused, the first one included.
const MAX_ATTEMPTS: u32 = 5;
/// Backoff after the first refusal without `Retry-After` (ms), doubled each time.
const FIRST_BACKOFF_MS: f64 = 1_000.0;
/// Longest wait before a retry (ms), whatever `Retry-After` says.
const MAX_BACKOFF_MS: f64 = 60_000.0;

// Promise plumbing in JS: each callback is called exactly once, so one Rust
// closure ([`once`]) serves both `then` branches.
#[wasm_bindgen(inline_js = r#"
export function gzip(text, done) {
  try {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    new Response(stream).arrayBuffer().then((buffer) => done(new Uint8Array(buffer)), () => done(null));
  } catch {
    done(null);
  }
}
export function post(url, body, keepalive, done) {
  try {
    fetch(url, { method: 'POST', body, keepalive }).then((response) => done(response), () => done(null));
  } catch {
    done(null);
  }
}
"#)]
extern "C" {
    /// Gzips `text` and calls `done` with the bytes, or `null` if that failed.
    fn gzip(text: &str, done: &js_sys::Function);
    /// POSTs `body` to `url` with `fetch`, then calls `done` with the
    /// response, or `null` if there was none.
    fn post(url: &str, body: &JsValue, keepalive: bool, done: &js_sys::Function);
}

/// A request body and where it goes.
#[derive(Clone)]
struct Request {
    url: String,
    /// A string, or the gzipped bytes.
    body: JsValue,
    len: usize,
    /// Events in the body.
    events: u64,
}

/// The delivery state: keepalive bytes in flight and the body waiting to be retried.
#[derive(Default)]
pub struct Delivery {
    keepalive_in_flight: usize,
    retry: Option<(Request, u32)>,
    /// Bodies given up on, with the events they held.
    pub dropped_events: u64,
}

impl Delivery {
    /// Whether sends are held back until a refused body is retried.
    pub fn is_waiting(&self) -> bool {
        self.retry.is_some()
    }

    /// Sends `body` (JSON text of `events` events), compressed if configured.
    pub fn send(&mut self, window: &Window, config: &Config, body: String, events: u64) {
        let url = config.beacon_url.clone();
        let visible = is_visible(window);
        let plain = Request {
            url: url.clone(),
            len: body.len(),
            body: JsValue::from_str(&body),
            events,
        };
        if !(config.compress
            && visible
            && crate::observe::global("CompressionStream").is_function())
        {
            return self.deliver(window, plain);
        }
        let on_compressed = once(move |bytes| {
            let request = match get(&bytes, "length").as_f64() {
                Some(len) => Request {
                    url: concat(&[url.as_str(), "&encoding=gzip"]),
                    body: bytes,
                    len: len as usize,
                    events,
                },
                None => plain,
            };
            with_window(|window| {
                with_agent(|agent| agent.delivery().deliver(window, request));
            });
        });
        gzip(&body, &on_compressed);
    }

    fn deliver(&mut self, window: &Window, request: Request) {
        if !beacon(window, &request.url, &request.body) {
            self.fetch(window, request, 1);
        }
    }

    fn fetch(&mut self, window: &Window, request: Request, attempt: u32) {
        let keepalive =
            !is_visible(window) && self.keepalive_in_flight + request.len <= KEEPALIVE_BUDGET;
        if keepalive {
            self.keepalive_in_flight += request.len;
        }
        // A retried body still says when its first attempt was sent; the URL
        // says when this one is (the server dates events by it).
        let url = if attempt > 1 {
            let now = crate::json::decimal(js_sys::Date::now() as u64);
            concat(&[&request.url, "&sent_at=", &now])
        } else {
            request.url.clone()
        };
        let body = request.body.clone();
        let len = if keepalive { request.len } else { 0 };
        // No answer (`null`: the server is down, the network gone) reads as
        // status 0: like a 503 without Retry-After.
        let on_answer = once(move |response| {
            let status = get(&response, "status").as_f64().unwrap_or(0.0) as u16;
            let retry_after = retry_after_ms(&response);
            with_agent(|agent| agent.settled(len, request, attempt, status, retry_after));
        });
        post(&url, &body, keepalive, &on_answer);
    }

    /// A fetch ended with `status` (0: no answer). Returns whether sends
    /// held back for a retry may go again.
    fn settled(
        &mut self,
        keepalive_len: usize,
        request: Request,
        attempt: u32,
        status: u16,
        retry_after: Option<f64>,
    ) -> bool {
        self.keepalive_in_flight = self.keepalive_in_flight.saturating_sub(keepalive_len);
        let was_waiting = self.retry.is_some();
        if !matches!(status, 0 | 429 | 503) {
            // Accepted, or refused for good (a 4xx is the same on retry).
            self.retry = None;
            return was_waiting;
        }
        // Only one body waits for a retry (memory stays bounded); the first
        // attempt of another one, refused meanwhile, is given up on.
        let is_other = attempt == 1 && was_waiting;
        if attempt >= MAX_ATTEMPTS || is_other {
            if !is_other {
                self.retry = None;
            }
            self.dropped_events += request.events;
            return was_waiting && !is_other;
        }
        let delay = retry_after
            .unwrap_or(FIRST_BACKOFF_MS * f64::from(1u32 << (attempt - 1)))
            .min(MAX_BACKOFF_MS);
        self.retry = Some((request, attempt + 1));
        // The retry stays set while it is in flight: sends wait for its answer.
        let on_time = once(|_| {
            with_window(|window| {
                with_agent(|agent| {
                    let delivery = agent.delivery();
                    if let Some((request, attempt)) = delivery.retry.clone() {
                        delivery.fetch(window, request, attempt);
                    }
                });
            });
        });
        with_window(|window| {
            call2(window, "setTimeout", &on_time, &delay.into());
        });
        false
    }
}

impl crate::agent::Agent {
    /// A fetch of `request` was answered (or failed): a retry that succeeded
    /// lets the queue go.
    fn settled(
        &mut self,
        keepalive_len: usize,
        request: Request,
        attempt: u32,
        status: u16,
        retry_after: Option<f64>,
    ) {
        if self
            .delivery()
            .settled(keepalive_len, request, attempt, status, retry_after)
        {
            self.flush();
        }
    }
}

fn is_visible(window: &Window) -> bool {
    crate::observe::string(&get(window, "document"), "visibilityState").as_deref()
        == Some("visible")
}

/// `navigator.sendBeacon(url, body)`: whether the browser took it.
fn beacon(window: &Window, url: &str, body: &JsValue) -> bool {
    call2(&get(window, "navigator"), "sendBeacon", &url.into(), body)
        .as_bool()
        .unwrap_or(false)
}

/// `Retry-After` in ms, when the answer has one in seconds (the server's form).
fn retry_after_ms(response: &JsValue) -> Option<f64> {
    let headers = get(response, "headers");
    let value = crate::observe::call(&headers, "get", &"Retry-After".into()).as_string()?;
    let seconds = u32::try_from(crate::text::digits(value.trim_ascii())?).ok()?;
    Some(f64::from(seconds) * 1_000.0)
}

fn with_window(f: impl FnOnce(&Window)) {
    crate::WINDOW.with(|window| {
        if let Some(window) = window {
            f(window);
        }
    });
}
