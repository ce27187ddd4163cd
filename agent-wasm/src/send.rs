//! Send: deliver a request body to the collector without holding up the page.
//!
//! `sendBeacon` survives page unload and needs no response handling. When the
//! browser refuses it (its keepalive budget is spent, or the body is too big),
//! a `fetch` with `keepalive` is the fallback. Its promise's rejection is
//! caught here: an unhandled rejection would be reported by our own listener.

use std::cell::OnceCell;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{RequestInit, Window};

thread_local! {
    static IGNORE_REJECTION: OnceCell<Closure<dyn FnMut(JsValue)>> = const { OnceCell::new() };
}

pub fn send(window: &Window, url: &str, body: &str) {
    let accepted = window.navigator().send_beacon_with_opt_str(url, Some(body)).unwrap_or(false);
    if !accepted {
        fetch_keepalive(window, url, body);
    }
}

fn fetch_keepalive(window: &Window, url: &str, body: &str) {
    // A plain object: web-sys's RequestInit has no stable `keepalive` setter.
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &"POST".into());
    let _ = Reflect::set(&init, &"body".into(), &body.into());
    let _ = Reflect::set(&init, &"keepalive".into(), &true.into());
    let request = window.fetch_with_str_and_init(url, init.unchecked_ref::<RequestInit>());
    let _ = IGNORE_REJECTION.try_with(|cell| {
        let ignore = cell.get_or_init(|| Closure::new(|_: JsValue| {}));
        let _ = request.catch(ignore);
    });
}
