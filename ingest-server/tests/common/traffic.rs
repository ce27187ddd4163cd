//! The demo-shaped traffic several tests load (dashboard, cluster).

use serde_json::{json, Value};

use super::{beacon, CHROME_UA};

pub const FIREFOX_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

/// Demo-shaped traffic: several views of cart and catalog, on two pages and
/// two browsers, with vitals (LCP sub-parts, INP phases and scripts),
/// resources and their per-view summaries, long frames, errors (three
/// fingerprints, one from parsed frames; repeats sent as counts), a failed
/// mount and a failed chunk load. Views are `minutes_apart` (the last one
/// now), so traffic can span hours. Each view's beacon and the user agent
/// sending it.
pub fn demo_views(minutes_apart: u32) -> Vec<(Value, &'static str)> {
    let mut views = Vec::new();
    for view in 0..12u32 {
        let at = 1_799_999_999_000.0_f64 - f64::from((11 - view) * minutes_apart * 60_000);
        let page = if view % 3 == 0 {
            "http://shop.example/cart"
        } else {
            "http://shop.example/"
        };
        let mut events = vec![
            json!({"app": "cart", "at": at, "kind": "app", "phase": "registered"}),
            json!({"app": "catalog", "at": at, "kind": "app", "phase": "registered"}),
            json!({"app": "shell", "at": at, "kind": "vital", "name": "lcp", "value": 900.0 + 310.0 * f64::from(view)}),
            json!({"app": "shell", "at": at, "kind": "vital", "name": "ttfb", "value": 20.0 + f64::from(view)}),
            json!({"app": "cart", "at": at, "kind": "vital", "name": "cls", "value": 0.02 * f64::from(view)}),
            json!({"app": "cart", "at": at, "kind": "vital", "name": "inp", "value": 40.0 + 37.0 * f64::from(view),
                   "parts": {"input_delay": 5.0 + f64::from(view), "processing": 30.0 + 30.0 * f64::from(view), "presentation": 5.0 + 6.0 * f64::from(view)},
                   "scripts": [{"url": "http://shop.example/mfe/cart/cart.js", "function": "addToCart", "invoker": "BUTTON.onclick", "duration": 30.0 * f64::from(view)}]}),
            json!({"app": "cart", "at": at, "kind": "vital", "name": "lcp", "value": 1500.0 + 200.0 * f64::from(view),
                   "parts": {"ttfb": 20.0, "load_delay": 400.0, "load_duration": 900.0 + 200.0 * f64::from(view), "render_delay": 180.0}}),
            json!({"app": "cart", "at": at, "kind": "resource_summary", "count": 2, "transfer_size": 5500,
                   "cache_hits": view % 2, "duration": 110.0 + 10.0 * f64::from(view)}),
            json!({"app": "cart", "at": at, "kind": "resource", "url": "http://shop.example/mfe/cart/cart.js",
                   "initiator": "script", "duration": 10.0 + f64::from(view), "transfer_size": 5300}),
            json!({"app": "cart", "at": at, "kind": "resource", "url": "http://shop.example/api/cart",
                   "initiator": "fetch", "duration": 100.0 + 9.0 * f64::from(view), "transfer_size": 200}),
        ];
        if view % 4 == 0 {
            // The agent sends a repeat as a count: 1, 2 and 3 occurrences.
            events.push(json!({"app": "cart", "at": at, "kind": "error", "source": "error", "error_type": "TypeError",
                "message": "Checkout failed", "stack": "TypeError: Checkout failed\n    at pay (http://shop.example/mfe/cart/cart.js:1:2)\n    at x (y.js:3:4)",
                "url": "http://shop.example/mfe/cart/cart.js", "line": 1, "column": 2, "count": view / 4 + 1}));
        }
        if view % 6 == 5 {
            events.push(json!({"app": "cart", "at": at, "kind": "error", "source": "error", "error_type": "RangeError",
                "message": "total out of range", "url": "http://shop.example/mfe/cart/cart.js", "line": 20, "column": 7,
                "frames": [{"function": "total", "file": "http://shop.example/mfe/cart/cart.js", "line": 20, "column": 7},
                           {"file": "http://shop.example/mfe/cart/cart.js", "line": 31, "column": 2}],
                "count": 2}));
        }
        if view % 3 == 0 {
            events.push(json!({"app": "cart", "at": at, "kind": "long_frame", "duration": 90.0 + 10.0 * f64::from(view),
                "blocking": 40.0 + 10.0 * f64::from(view),
                "scripts": [{"url": "http://shop.example/mfe/cart/cart.js", "function": "render", "invoker": "DIV.onclick", "duration": 70.0},
                            {"url": "http://shop.example/mfe/cart/vendor.js", "invoker": "Window.setTimeout", "duration": 15.0}]}));
        }
        if view % 5 == 1 {
            events.push(json!({"app": "cart", "at": at, "kind": "error", "source": "rejection", "error_type": "Error",
                "message": "price service down", "stack": "fetchPrice@http://shop.example/mfe/cart/cart.js:9:1",
                "url": "", "line": 0, "column": 0}));
        }
        // Cart's API calls: a summary each view, a failure every fourth.
        events.push(json!({"app": "cart", "at": at, "kind": "api_summary", "calls": 3, "failed": u32::from(view % 4 == 2),
            "duration": 150.0 + f64::from(view)}));
        if view % 4 == 2 {
            events.push(json!({"app": "cart", "at": at, "kind": "api_call", "method": "POST", "url": "http://shop.example/api/cart",
                "status": 503, "duration": 80.0, "message": ""}));
        }
        if view == 7 {
            events.push(json!({"app": "catalog", "at": at, "kind": "app", "phase": "failed", "detail": "mount threw"}));
        }
        if view == 8 {
            events.push(json!({"app": "catalog", "at": at, "kind": "error", "source": "resource_load", "error_type": "script",
                "message": "failed to load", "stack": "", "url": "http://shop.example/mfe/catalog/chunk.js", "line": 0, "column": 0}));
        }
        let mut body = beacon(Value::Array(events));
        body["apps"][0]["attrs"] = json!({"team": "checkout"});
        body["view_id"] = json!(format!("view-{view}"));
        body["session_id"] = json!(format!("sess-{}", view / 2));
        body["page_url"] = json!(page);
        let ua = if view % 2 == 0 { CHROME_UA } else { FIREFOX_UA };
        views.push((body, ua));
    }
    views
}

/// The rows [`demo_views`] stores per table, with `barriers` barrier
/// beacons (`TestServer::barrier`: one row in each of the first four).
pub fn demo_rows(barriers: u64) -> [(&'static str, u64); 6] {
    [
        ("app_events", 25 + barriers),
        ("vitals", 60 + barriers),
        ("resources", 24 + barriers),
        ("errors", 9 + barriers),
        ("resource_summaries", 12),
        ("long_frames", 4),
    ]
}
