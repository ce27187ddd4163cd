//! The beacon every mode sends, and how the server would log it.
use anyhow::Context;
use ingest_server::clock::now_millis;
use ingest_server::enrich::{enrich, Accepted};
use ingest_server::validate::validate;
use serde_json::json;

use crate::*;

/// The one beacon every mode sends: 10 events, every kind, ~3 KB of JSON.
pub(crate) fn beacon_template() -> String {
    let sent_at = 1_800_000_000_000.0_f64;
    let stack = (0..6)
        .map(|i| {
            format!(
                "    at handler{i} (https://shop.example/mfe/cart/cart.4f2a9c.js:{}:{})",
                100 + i,
                20 * i + 3
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    json!({
        "schema": 1, "id": "BEACON_ID", "session_id": "SESSION", "view_id": "view-7f3a", "page_url": "https://shop.example/checkout",
        "sent_at": sent_at,
        "apps": [{"name": "shell", "version": "3.2.0"}, {"name": "catalog", "version": "2.3.1"}, {"name": "cart", "version": "1.4.0"}],
        "events": [
            {"app": "catalog", "at": sent_at - 4000.0, "kind": "vital", "name": "lcp", "value": 1840.5},
            {"app": "cart", "at": sent_at - 100.0, "kind": "vital", "name": "cls", "value": 0.08},
            {"app": "cart", "at": sent_at - 100.0, "kind": "vital", "name": "inp", "value": 120.0},
            {"app": "shell", "at": sent_at - 5000.0, "kind": "navigation", "nav_type": "navigate", "dns": 12.1, "tcp": 20.4,
             "tls": 31.0, "ttfb": 180.2, "download": 12.0, "dom_parse": 240.0, "dom_ready": 610.5, "load": 1320.0, "transfer_size": 18234},
            {"app": "catalog", "at": sent_at - 4500.0, "kind": "resource", "url": "https://shop.example/mfe/catalog/catalog.91bc.js",
             "initiator": "script", "duration": 88.4, "transfer_size": 48211},
            {"app": "cart", "at": sent_at - 4400.0, "kind": "resource", "url": "https://shop.example/mfe/cart/cart.4f2a9c.js",
             "initiator": "script", "duration": 61.0, "transfer_size": 30122},
            {"app": "catalog", "at": sent_at - 3900.0, "kind": "resource", "url": "https://cdn.shop.example/img/p/1234-800w.webp",
             "initiator": "img", "duration": 140.2, "transfer_size": 91002},
            {"app": "cart", "at": sent_at - 800.0, "kind": "error", "source": "error", "error_type": "TypeError",
             "message": "Cannot read properties of undefined (reading 'price')", "stack": stack,
             "url": "https://shop.example/mfe/cart/cart.4f2a9c.js", "line": 100, "column": 3},
            {"app": "catalog", "at": sent_at - 700.0, "kind": "error", "source": "rejection", "error_type": "Error",
             "message": "fetch /api/recommendations failed: 503", "stack": "", "url": "", "line": 0, "column": 0},
            {"app": "cart", "at": sent_at - 4300.0, "kind": "app", "phase": "mounted", "detail": "hydrated in 42 ms"},
        ],
    })
    .to_string()
}

/// The beacon body with its own session id, and its own beacon id as the
/// agent gives every body (so the server does its duplicate check).
pub(crate) fn beacon_body(template: &str, mode: &str, id: u64) -> String {
    let mode_letters: String = mode.chars().filter(char::is_ascii_alphanumeric).collect();
    template
        .replacen("BEACON_ID", &format!("{mode_letters}-{id:020}"), 1)
        .replacen("SESSION", &format!("{mode}-{id}"), 1)
}

/// The beacon as the server logs it: validated and enriched.
pub(crate) fn accepted(body: &str) -> anyhow::Result<Accepted> {
    let beacon = validate(body.as_bytes()).context("the benchmark beacon must validate")?;
    anyhow::ensure!(beacon.events.len() as u64 == EVENTS_PER_BEACON);
    Ok(enrich(beacon, Some(USER_AGENT), now_millis()))
}
