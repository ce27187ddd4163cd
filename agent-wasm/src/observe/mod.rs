//! Observe: the browser hooks. Each hook turns what the browser reports into
//! an attributed event and hands it to the agent; none of them lets an
//! exception or panic reach the page.

mod entries;
mod errors;
mod lifecycle;
mod performance;

use wasm_bindgen::JsCast;
use web_sys::{Node, Window};

pub fn install(window: &Window, flush_interval_ms: u32) {
    performance::install();
    errors::install(window);
    lifecycle::install(window, flush_interval_ms);
}

/// The registered app whose DOM container (`data-canopy-app`) holds `node`.
fn owner_of_node(node: &Node) -> Option<String> {
    let element = match node.dyn_ref::<web_sys::Element>() {
        Some(element) => element.clone(),
        None => node.parent_element()?,
    };
    element.closest("[data-canopy-app]").ok()??.get_attribute("data-canopy-app")
}
