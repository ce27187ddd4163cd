//! Session and view identity.

use js_sys::Math;

const SESSION_KEY: &str = "canopy.session";

/// A random 128-bit id in hex. Math.random is enough: ids group events, they
/// protect nothing.
pub fn random_id() -> String {
    (0..4).map(|_| format!("{:08x}", (Math::random() * 4_294_967_296.0) as u32)).collect()
}

/// The tab's session id, kept in sessionStorage so reloads and route changes
/// share it; a fresh one when storage is unavailable.
pub fn session_id(window: &web_sys::Window) -> String {
    let storage = window.session_storage().ok().flatten();
    if let Some(id) = storage.as_ref().and_then(|s| s.get_item(SESSION_KEY).ok().flatten()) {
        return id;
    }
    let id = random_id();
    if let Some(storage) = storage {
        let _ = storage.set_item(SESSION_KEY, &id);
    }
    id
}
