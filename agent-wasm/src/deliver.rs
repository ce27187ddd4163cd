//! Deliver: request bodies to the collector, without holding up the page.
//!
//! `sendBeacon` survives page unload and needs no response handling, so it
//! goes first. When the browser refuses it (the page's 64 KiB budget of
//! in-flight keepalive bytes, shared with beacons, is spent), `fetch` is the
//! fallback: a plain one while the page is visible, one with `keepalive` when
//! the page is hiding and the agent's own keepalive bytes in flight leave
//! room. On that path the agent sees the answer, and [`crate::retry`] decides
//! what follows (retry after `Retry-After` or a backoff, or give up).
//! Bodies are gzipped first where the page asked for it, the browser has
//! `CompressionStream` and the page is visible (compressing is asynchronous,
//! a hidden page may not live to finish it); the text side adds
//! `&encoding=gzip` to the URL for bytes, and `&sent_at=` to a retry's.

use crate::browser::{after, imports, Js, Word};
use crate::observe::Tag;
use crate::retry::{Attempt, Delivery as Retries};

imports! { "t" {
    /// `navigator.sendBeacon` of the body to the beacon URL: whether the browser took it.
    fn send_beacon(body: u32) -> u32;
    /// POSTs the body with `fetch` (a retry says when it is sent), then
    /// reports the response (or undefined: no answer) with `tag`.
    fn post(body: u32, keepalive: u32, retry: u32, tag: u32);
    /// Gzips a string, then reports the bytes (or undefined) with `tag`.
    fn gzip(body: u32, tag: u32);
    /// Whether the browser can gzip (`CompressionStream`).
    fn can_gzip() -> u32;
    /// `Retry-After` in ms, when the answer has one in seconds; else NaN.
    fn retry_after(response: u32) -> f64;
}}

/// A request body: a string, or the gzipped bytes, and its length.
#[derive(Clone)]
pub struct Body {
    body: Js,
    len: usize,
}

pub struct Delivery {
    compress: bool,
    retries: Retries<Body>,
    /// Bodies waiting for their gzip or for an answer (with the keepalive
    /// bytes reserved for them), by number.
    pending: Vec<(u32, Attempt<Body>, usize)>,
    next_number: u32,
}

fn is_visible() -> bool {
    Js::global(Word::document).is(Word::visibilityState, Word::visible)
}

impl Delivery {
    pub fn new(compress: bool) -> Self {
        Self {
            compress,
            retries: Retries::default(),
            pending: Vec::new(),
            next_number: 0,
        }
    }

    /// Whether sends are held back until a refused body is retried.
    pub fn is_waiting(&self) -> bool {
        self.retries.is_waiting()
    }

    pub fn dropped_events(&self) -> u64 {
        self.retries.dropped_events()
    }

    /// Sends `body` (JSON text of `len` bytes, `events` events), compressed if configured.
    pub fn send(&mut self, body: Js, len: usize, events: u64) {
        let raw = body.raw();
        let attempt = Attempt {
            request: Body { body, len },
            events,
            number: 1,
        };
        // SAFETY: the imports take and return plain numbers; the body stays
        // held in `pending` until its callback.
        if self.compress && is_visible() && unsafe { can_gzip() } != 0 {
            let tag = self.hold(attempt, 0, Tag::Gzipped);
            unsafe { gzip(raw, tag) };
        } else {
            self.deliver(attempt);
        }
    }

    /// Keeps an attempt until its callback comes; the tag that brings it.
    fn hold(&mut self, attempt: Attempt<Body>, keepalive_len: usize, tag: Tag) -> u32 {
        self.next_number = (self.next_number + 1) & 0xff_ffff;
        self.pending
            .push((self.next_number, attempt, keepalive_len));
        tag.with(self.next_number)
    }

    fn take(&mut self, number: u32) -> Option<(Attempt<Body>, usize)> {
        let index = self.pending.iter().position(|(n, ..)| *n == number)?;
        let (_, attempt, keepalive_len) = self.pending.remove(index);
        Some((attempt, keepalive_len))
    }

    /// A callback of delivery's own: gzipped bytes, an answer, a retry due.
    /// Returns whether sends held back for a retry may go again.
    pub fn on(&mut self, tag: Tag, number: u32, value: &Js) -> bool {
        match tag {
            Tag::Gzipped => {
                if let Some((mut attempt, _)) = self.take(number) {
                    if value.is_object() {
                        attempt.request = Body {
                            body: value.clone(),
                            len: value.num(Word::length) as usize,
                        };
                    }
                    self.deliver(attempt);
                }
                false
            }
            Tag::Answer => {
                let Some((attempt, keepalive_len)) = self.take(number) else {
                    return false;
                };
                // No answer (the server is down, the network gone) reads as
                // status 0: like a 503 without Retry-After.
                let status = value.num(Word::status) as u16;
                // SAFETY: as above.
                let retry_after = unsafe { retry_after(value.raw()) };
                let retry_after = (!retry_after.is_nan()).then_some(retry_after);
                let settled = self
                    .retries
                    .settled(keepalive_len, attempt, status, retry_after);
                if let Some(delay) = settled.retry_in_ms {
                    after(Tag::Retry as u32, delay, false);
                }
                settled.release_queue
            }
            Tag::Retry => {
                if let Some(attempt) = self.retries.waiting().cloned() {
                    self.fetch(attempt);
                }
                false
            }
            _ => false,
        }
    }

    fn deliver(&mut self, attempt: Attempt<Body>) {
        // SAFETY: as above.
        if unsafe { send_beacon(attempt.request.body.raw()) } == 0 {
            self.fetch(attempt);
        }
    }

    fn fetch(&mut self, attempt: Attempt<Body>) {
        let len = attempt.request.len;
        let keepalive = self.retries.keepalive(is_visible(), len);
        let (raw, retry) = (attempt.request.body.raw(), attempt.number > 1);
        let tag = self.hold(attempt, if keepalive { len } else { 0 }, Tag::Answer);
        // SAFETY: as above; the body stays held in `pending` meanwhile.
        unsafe { post(raw, keepalive.into(), retry.into(), tag) };
    }
}
