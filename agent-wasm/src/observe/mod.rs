//! Observe: the browser hooks. Each hook turns what the browser reports into
//! an attributed event and hands it to the agent; none of them lets an
//! exception or panic reach the page.
//!
//! Entries and events are read, and browser methods called, by name (`get`,
//! `call` below) rather than through web-sys's typed getters and methods:
//! each typed one is one more JS import and glue function in what every page
//! downloads, while reads by name share one, and cover the entry types
//! web-sys does not describe (LCP, layout shifts, event timing).

pub(crate) mod errors;
mod frames;
mod history;
mod lifecycle;
mod performance;

use wasm_bindgen::prelude::*;
use web_sys::Window;

pub fn install(window: &Window, flush_interval_ms: u32) {
    performance::install(window);
    errors::listen(window, None);
    lifecycle::install(window, flush_interval_ms);
    history::install();
}

/// Watches where a framework runs `app`'s code: a window (a sandbox
/// iframe's) or a shadow root, told apart by `performance`.
pub(crate) fn watch(target: &JsValue, app: String) {
    if get(target, "performance").is_object() {
        performance::observe_resources_of(target);
    }
    errors::listen(target.unchecked_ref(), Some(app));
}

/// Calls `handle` with the first argument of each call, for as long as the
/// page lives. One closure type for every hook: each type costs glue.
pub(crate) fn callback(handle: impl FnMut(JsValue) + 'static) -> js_sys::Function {
    Closure::<dyn FnMut(JsValue)>::new(handle)
        .into_js_value()
        .unchecked_into()
}

/// Calls `handle` with the first argument of the first call only (a promise
/// branch, a timer, a frame). The same closure type as [`callback`]: freed,
/// like it, when the browser collects the JS function.
pub(crate) fn once(handle: impl FnOnce(JsValue) + 'static) -> js_sys::Function {
    let mut handle = Some(handle);
    callback(move |value| {
        if let Some(handle) = handle.take() {
            handle(value);
        }
    })
}

// Properties are read and browser methods called by name through these, in
// JS: each typed web-sys getter or method would be one more import and glue
// function, and `Reflect.get` with the checks around it costs more wasm.
// `call` passes on exactly the arguments it is given.
#[wasm_bindgen(inline_js = r#"
export function get(value, key) {
  try {
    return Object(value) === value ? value[key] : undefined;
  } catch {}
}
export function call(target, method, ...args) {
  const f = get(target, method);
  try {
    return typeof f == 'function' ? f.apply(target, args) : undefined;
  } catch {}
}
"#)]
extern "C" {
    /// `value[key]` for an object or function; `undefined` when absent, when
    /// reading it throws, or when `value` is neither (a thrown string, a null node).
    pub(crate) fn get(value: &JsValue, key: &str) -> JsValue;
    /// `target[method](argument)`; `undefined` when there is no such method or it throws.
    pub(crate) fn call(target: &JsValue, method: &str, argument: &JsValue) -> JsValue;
    /// `target[method](first, second)`, as [`call`].
    #[wasm_bindgen(js_name = call)]
    pub(crate) fn call2(
        target: &JsValue,
        method: &str,
        first: &JsValue,
        second: &JsValue,
    ) -> JsValue;
}

/// A global of the page (`window[name]`).
pub(crate) fn global(name: &str) -> JsValue {
    crate::WINDOW.with(|window| {
        window
            .as_ref()
            .map_or(JsValue::UNDEFINED, |window| get(window, name))
    })
}

/// The page's `performance`.
pub(crate) fn performance() -> JsValue {
    global("performance")
}

/// `performance.getEntriesByType(entry_type)`, as an array (empty if unsupported).
fn entries_by_type(entry_type: &str) -> js_sys::Array {
    call(&performance(), "getEntriesByType", &entry_type.into())
        .dyn_into()
        .unwrap_or_default()
}

/// When a prerendered page was activated (ms since the time origin); 0 if it was not prerendered.
fn activation_start() -> f64 {
    number(&entries_by_type("navigation").get(0), "activationStart")
}

/// A numeric property; 0 when absent.
fn number(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap_or(0.0)
}

/// A string property, if there is one.
pub(crate) fn string(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).as_string()
}

// The CSS selector web-vitals' attribution gives a node (its `getSelector`,
// Apache-2.0): `tag.classes` (or `#id`, where the walk stops) joined by `>`
// from the outermost part kept, at most 100 characters unless one part alone
// is longer; empty for no node. In JS, as web-vitals has it: the same
// results to the character, and ~700 bytes (gzip) less than the Rust walk
// through `Reflect.get` it replaced.
#[wasm_bindgen(inline_js = r#"
export function selector(node) {
  let selector = '';
  try {
    while (node && node.nodeType !== 9) {
      const part = node.id
        ? '#' + node.id
        : [node.nodeType === 1 ? node.nodeName.toLowerCase() : node.nodeName.toUpperCase().replace(/^#/, ''),
           ...Array.from(node.classList || []).sort()].join('.');
      if (selector.length + part.length > 99) return selector || part;
      selector = selector ? part + '>' + selector : part;
      if (node.id) break;
      node = node.parentNode;
    }
  } catch {}
  return selector;
}
export function shift_cause(sources) {
  let first, inside;
  try {
    for (const source of sources) {
      let node = source.node, hidden = false;
      if (node && node.nodeType !== 1) node = node.parentElement;
      // Content that moved inside a shadow root is reported as an ancestor
      // outside it, or as no node at all (wujie's sandboxed DOM, micro-app's
      // inline element): the host at the top of the moved area is nearer. An
      // element whose own top is the moved area's moved whole: it is the
      // source, not a host inside it.
      const rect = source.currentRect;
      const host = rect && document.elementFromPoint(rect.x + rect.width / 2, rect.y + 1);
      if (host && host.shadowRoot && (!node || (host !== node && node.contains(host) && node.getBoundingClientRect().top !== rect.top))) node = host, hidden = true;
      if (node && (!first || node.compareDocumentPosition(first) & 4)) first = node, inside = hidden;
    }
    // What grew inside a host is the host's own content.
    return first && (inside ? first : first.previousElementSibling || first.parentElement);
  } catch {}
}
export function owner_of_node(node) {
  try {
    // Out through each shadow root to its host: a node in one is the app's
    // whose container holds the host. nodeType, not instanceof: a sandbox
    // iframe's nodes are another realm's.
    for (let element = node.nodeType === 1 ? node : node.parentElement; element; element = element.getRootNode().host) {
      const container = element.closest('[data-canopy-app]');
      if (container) return container.getAttribute('data-canopy-app');
    }
  } catch {}
}
"#)]
extern "C" {
    fn selector(node: &JsValue) -> String;
    /// The app whose DOM container (`data-canopy-app`) holds `node` (or,
    /// for a text node, its parent element), looking out through shadow
    /// roots to their hosts.
    fn owner_of_node(node: &JsValue) -> Option<String>;
    /// The element whose change moved a layout shift's sources: the one just
    /// before the source that comes first in the document (else its parent).
    /// Content that grew or appeared there pushed everything after it, so
    /// one app's late banner is that app's shift, not the shift of the app
    /// below it that moved most. A source moved inside a shadow root is
    /// the host's own: the host is the cause.
    fn shift_cause(sources: &JsValue) -> JsValue;
}
