//! JS built-ins the agent calls directly.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// JS's `String(value)`. Throws for an object whose `toString` does.
    #[wasm_bindgen(js_name = String, catch)]
    fn js_string(value: &JsValue) -> Result<String, JsValue>;
}

/// `String(value)`: a number's shortest round-trip text, a symbol's
/// description, what a template literal would show. `None` if it throws.
pub fn string_of(value: &JsValue) -> Option<String> {
    js_string(value).ok()
}
