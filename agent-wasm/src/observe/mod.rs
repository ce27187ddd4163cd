//! Observe: the browser hooks. Each hook turns what the browser reports into
//! an attributed event and hands it to the agent; none of them lets an
//! exception or panic reach the page.
//!
//! Entries and events are read by property name through `Reflect.get` rather
//! than web-sys's typed getters: each typed getter is one more JS import and
//! glue function in what every page downloads, while reads by name share one,
//! and cover the entry types web-sys does not describe (LCP, layout shifts,
//! event timing).

mod errors;
mod lifecycle;
mod performance;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Window};

pub fn install(window: &Window, flush_interval_ms: u32) {
    performance::install();
    errors::install(window);
    lifecycle::install(window, flush_interval_ms);
}

/// Calls `handle` with the first argument of each call, for as long as the
/// page lives. One closure type for every hook: each type costs glue.
fn callback(handle: impl FnMut(JsValue) + 'static) -> js_sys::Function {
    Closure::<dyn FnMut(JsValue)>::new(handle).into_js_value().unchecked_into()
}

/// `value[key]` for an object; `undefined` when absent, when reading it
/// throws, or when `value` is not an object (a thrown string, a null node).
fn get(value: &JsValue, key: &str) -> JsValue {
    if !value.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// A numeric property; 0 when absent.
fn number(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap_or(0.0)
}

/// A string property, if there is one.
fn string(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).as_string()
}

/// The registered app whose DOM container (`data-canopy-app`) holds `node`.
fn owner_of_node(node: &JsValue) -> Option<String> {
    let element = match node.dyn_ref::<Element>() {
        Some(element) => element.clone(),
        None => get(node, "parentElement").dyn_into::<Element>().ok()?,
    };
    element.closest("[data-canopy-app]").ok()??.get_attribute("data-canopy-app")
}
