//! Bindings for performance entries web-sys does not (yet) describe.

use wasm_bindgen::prelude::*;
use web_sys::{Node, PerformanceEntry};

#[wasm_bindgen]
extern "C" {

    #[wasm_bindgen(extends = PerformanceEntry)]
    pub type LayoutShift;
    #[wasm_bindgen(method, getter)]
    pub fn value(this: &LayoutShift) -> f64;
    #[wasm_bindgen(method, getter, js_name = hadRecentInput)]
    pub fn had_recent_input(this: &LayoutShift) -> bool;
    #[wasm_bindgen(method, getter)]
    pub fn sources(this: &LayoutShift) -> Option<js_sys::Array>;

    pub type LayoutShiftSource;
    #[wasm_bindgen(method, getter)]
    pub fn node(this: &LayoutShiftSource) -> Option<Node>;

    #[wasm_bindgen(extends = PerformanceEntry)]
    pub type LargestContentfulPaint;
    #[wasm_bindgen(method, getter)]
    pub fn element(this: &LargestContentfulPaint) -> Option<Node>;

    #[wasm_bindgen(extends = PerformanceEntry)]
    pub type EventTiming;
    #[wasm_bindgen(method, getter, js_name = interactionId)]
    pub fn interaction_id(this: &EventTiming) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    pub fn target(this: &EventTiming) -> Option<Node>;
}
