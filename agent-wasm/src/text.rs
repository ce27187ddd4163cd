//! The text side: what the agent asks of its JavaScript (npm-package/agent/),
//! which does every piece of work on text — URL scrubbing, attribution by
//! URL, DOM node or stack, selectors, reading error events, the events'
//! JSON, session storage. The wasm passes handles and numbers and gets
//! handles, numbers and app numbers back.

use crate::browser::{imports, Js};

/// An app, numbered by the text side's registry in registration order; 0 is the shell.
pub type App = u32;
pub const SHELL: App = 0;

imports! { "t" {
    fn scrub(url: u32) -> u32;
    /// Whether the URL is the agent's own traffic (its beacons).
    fn is_own(url: u32) -> u32;
    /// The app serving `url` by its asset prefixes, or -1.
    fn owner_of_url(url: u32) -> i32;
    /// The app whose container (`data-canopy-app`) holds the node, or -1.
    fn owner_of_node(node: u32) -> i32;
    fn selector(node: u32) -> u32;
    /// `#id`, naming an element by its id.
    fn id_selector(id: u32) -> u32;
    /// The element whose change moved a layout shift's sources.
    fn shift_cause(sources: u32) -> u32;
    /// Keeps a resource entry for [`lcp_resource`].
    fn keep_resource(entry: u32);
    /// The request of the LCP image (`url`) made before it `rendered`.
    fn lcp_resource(url: u32, rendered: f64) -> u32;
    /// An `error` or `unhandledrejection` event read into what was caught
    /// (its report, and the failed chunk's URL), or undefined.
    fn read_error(event: u32) -> u32;
    /// The app a caught error's URLs or stack name, or -1.
    fn claimant(caught: u32) -> i32;
    /// The app (not the shell) whose chunk failed to load, or -1.
    fn chunk_owner(caught: u32) -> i32;
    /// The "chunk failed to load" lifecycle event of a caught error.
    fn chunk_failed(caught: u32) -> u32;
    /// A hash of what makes two errors the same.
    fn fingerprint(caught: u32) -> u32;
    fn report_of(caught: u32) -> u32;
    /// The report with a count of repeats.
    fn with_count(report: u32, count: u32) -> u32;
    fn vital_event(name: u32, value: f64, rating: u32, target: u32, resource: u32, event_type: u32, owner: i32, restored: u32, parts: u32, scripts: u32) -> u32;
    /// The parts of a vital: INP's three phases or LCP's four sub-parts (`d` NaN for INP).
    fn parts(a: f64, b: f64, c: f64, d: f64) -> u32;
    fn script(url: u32, function: u32, invoker: u32, duration: f64) -> u32;
    fn navigation_event(kind: u32, dns: f64, tcp: f64, tls: f64, ttfb: f64, download: f64, dom_parse: f64, dom_ready: f64, load: f64, transfer_size: f64) -> u32;
    fn resource_event(url: u32, initiator: u32, duration: f64, transfer_size: f64, cache_hit: u32) -> u32;
    fn resource_summary_event(count: f64, transfer_size: f64, cache_hits: f64, duration: f64) -> u32;
    fn long_frame_event(duration: f64, blocking: f64, scripts: u32) -> u32;
    fn api_summary_event(calls: f64, failed: f64, duration: f64) -> u32;
    /// An event as JSON text for `app`, `at` epoch ms, after the page's
    /// `beforeSend`; undefined when the hook dropped it.
    fn encode(app: u32, at: f64, event: u32) -> u32;
    /// UTF-8 bytes of a string.
    fn byte_length(text: u32) -> f64;
    fn array() -> u32;
    fn push(array: u32, item: u32);
    /// The envelope of a body (JSON with `"events":[]`), and the body itself.
    fn envelope(session: u32, view: u32, page: u32, dropped: f64) -> u32;
    fn assemble(envelope: u32, events: u32) -> u32;
    fn random_id() -> u32;
    /// The tab's stored session (`{ id, started, lastActive }`) or undefined.
    fn stored_session() -> u32;
    fn save_session(id: u32, started: f64, last_active: f64);
    /// Where in [0, 1) this session falls for `app`'s sampling, and its rate.
    fn sample_point(session: u32, app: u32) -> f64;
    fn sample_rate(app: u32) -> f64;
    /// The page's URL, scrubbed; and whether two strings are equal.
    fn page_url() -> u32;
    fn same(a: u32, b: u32) -> u32;
    /// Route changes (pushState, replaceState, popstate), reported with `tag`
    /// and the new URL scrubbed.
    fn watch_history(tag: u32);
}}

fn app(found: i32) -> Option<App> {
    u32::try_from(found).ok()
}

fn js(handle: u32) -> Js {
    Js::from_raw(handle)
}

// SAFETY (every `unsafe` below): the imports take and return plain numbers.

pub fn scrub_url(url: &Js) -> Js {
    js(unsafe { scrub(url.raw()) })
}

pub fn is_own_request(url: &Js) -> bool {
    unsafe { is_own(url.raw()) != 0 }
}

pub fn owner_by_url(url: &Js) -> Option<App> {
    app(unsafe { owner_of_url(url.raw()) })
}

pub fn owner_by_node(node: &Js) -> Option<App> {
    app(unsafe { owner_of_node(node.raw()) })
}

pub fn node_selector(node: &Js) -> Js {
    js(unsafe { selector(node.raw()) })
}

pub fn selector_of_id(id: &Js) -> Js {
    js(unsafe { self::id_selector(id.raw()) })
}

pub fn cause_of_shift(sources: &Js) -> Js {
    js(unsafe { shift_cause(sources.raw()) })
}

pub fn remember_resource(entry: &Js) {
    unsafe { keep_resource(entry.raw()) }
}

pub fn resource_of_lcp(url: &Js, rendered: f64) -> Js {
    js(unsafe { lcp_resource(url.raw(), rendered) })
}

/// What an error event caught: its report and failed chunk, held in JS.
pub struct Caught(pub Js);

impl Caught {
    pub fn read(event: &Js) -> Option<Caught> {
        let caught = js(unsafe { read_error(event.raw()) });
        // Branches, not `then_some` (see browser::observe_entries).
        if caught.is_some() {
            Some(Caught(caught))
        } else {
            None
        }
    }
    pub fn claimant(&self) -> Option<App> {
        app(unsafe { claimant(self.0.raw()) })
    }
    pub fn chunk_owner(&self) -> Option<App> {
        app(unsafe { chunk_owner(self.0.raw()) })
    }
    pub fn chunk_failed(&self) -> Js {
        js(unsafe { chunk_failed(self.0.raw()) })
    }
    pub fn fingerprint(&self) -> u32 {
        unsafe { fingerprint(self.0.raw()) }
    }
    pub fn report(&self) -> Js {
        js(unsafe { report_of(self.0.raw()) })
    }
}

pub fn counted(report: &Js, count: u32) -> Js {
    js(unsafe { with_count(report.raw(), count) })
}

/// The parts of a vital, as the text side writes them.
pub fn vital_parts(parts: [f64; 4]) -> Js {
    let [a, b, c, d] = parts;
    js(unsafe { self::parts(a, b, c, d) })
}

pub struct VitalFields<'a> {
    /// `VitalName` and `Rating` in the wire's order of variants.
    pub name: u32,
    pub value: f64,
    pub rating: u32,
    pub target: &'a Js,
    pub resource: &'a Js,
    pub event_type: &'a Js,
    pub owner: Option<App>,
    pub restored: bool,
    /// Undefined when it has none.
    pub parts: Js,
    pub scripts: Js,
}

pub fn vital(fields: VitalFields) -> Js {
    js(unsafe {
        vital_event(
            fields.name,
            fields.value,
            fields.rating,
            fields.target.raw(),
            fields.resource.raw(),
            fields.event_type.raw(),
            fields.owner.map_or(-1, |app| app as i32),
            fields.restored.into(),
            fields.parts.raw(),
            fields.scripts.raw(),
        )
    })
}

pub fn script_timing(url: &Js, function: &Js, invoker: &Js, duration: f64) -> Js {
    js(unsafe { script(url.raw(), function.raw(), invoker.raw(), duration) })
}

/// The navigation event: its type, then the wire's numeric fields in order.
pub fn navigation(kind: &Js, timings: [f64; 9]) -> Js {
    let [dns, tcp, tls, ttfb, download, dom_parse, dom_ready, load, transfer] = timings;
    js(unsafe {
        navigation_event(
            kind.raw(),
            dns,
            tcp,
            tls,
            ttfb,
            download,
            dom_parse,
            dom_ready,
            load,
            transfer,
        )
    })
}

pub fn resource(
    url: &Js,
    initiator: &Js,
    duration: f64,
    transfer_size: f64,
    cache_hit: bool,
) -> Js {
    js(unsafe {
        resource_event(
            url.raw(),
            initiator.raw(),
            duration,
            transfer_size,
            cache_hit.into(),
        )
    })
}

pub fn resource_summary(count: f64, transfer_size: f64, cache_hits: f64, duration: f64) -> Js {
    js(unsafe { resource_summary_event(count, transfer_size, cache_hits, duration) })
}

pub fn long_frame(duration: f64, blocking: f64, scripts: &Js) -> Js {
    js(unsafe { long_frame_event(duration, blocking, scripts.raw()) })
}

pub fn api_summary(calls: f64, failed: f64, duration: f64) -> Js {
    js(unsafe { api_summary_event(calls, failed, duration) })
}

/// The event as JSON for `app`, or None when `beforeSend` dropped it.
pub fn encode_event(app: App, at: f64, event: &Js) -> Option<Js> {
    let encoded = js(unsafe { encode(app, at, event.raw()) });
    if encoded.is_some() {
        Some(encoded)
    } else {
        None
    }
}

pub fn bytes_of(text: &Js) -> usize {
    unsafe { byte_length(text.raw()) as usize }
}

/// A JS array of the values.
pub fn list(items: impl IntoIterator<Item = Js>) -> Js {
    let list = js(unsafe { array() });
    for item in items {
        unsafe { push(list.raw(), item.raw()) }
    }
    list
}

pub fn body_envelope(session: &Js, view: &Js, page: &Js, dropped: u64) -> Js {
    js(unsafe { envelope(session.raw(), view.raw(), page.raw(), dropped as f64) })
}

pub fn body(envelope: &Js, events: &Js) -> Js {
    js(unsafe { assemble(envelope.raw(), events.raw()) })
}

pub fn new_id() -> Js {
    js(unsafe { random_id() })
}

/// The stored session: its id, when it started and when it was last active.
pub fn restore_session() -> Option<(Js, f64, f64)> {
    let stored = js(unsafe { stored_session() });
    let id = stored.get(crate::browser::Word::id);
    let started = stored.number(crate::browser::Word::started)?;
    let last_active = stored.number(crate::browser::Word::lastActive)?;
    id.is_some().then_some((id, started, last_active))
}

pub fn store_session(id: &Js, started: f64, last_active: f64) {
    unsafe { save_session(id.raw(), started, last_active) }
}

pub fn sampling(session: &Js, app: App) -> (f64, f64) {
    unsafe { (sample_point(session.raw(), app), sample_rate(app)) }
}

pub fn current_page_url() -> Js {
    js(unsafe { page_url() })
}

pub fn same_text(a: &Js, b: &Js) -> bool {
    unsafe { same(a.raw(), b.raw()) != 0 }
}

pub fn on_route_change(tag: u32) {
    unsafe { watch_history(tag) }
}
