//! Session and view identity.

use js_sys::Math;

const SESSION_KEY: &str = "canopy.session";

/// A random 128-bit id in hex. Math.random is enough: ids group events, they
/// protect nothing.
pub fn random_id() -> String {
    let mut id = String::with_capacity(32);
    for _ in 0..4 {
        push_hex8(&mut id, (Math::random() * 4_294_967_296.0) as u32);
    }
    id
}

/// Appends `format!("{:08x}", value)`, without core's formatting machinery.
fn push_hex8(out: &mut String, value: u32) {
    for shift in (0..32).step_by(4).rev() {
        out.push(char::from(b"0123456789abcdef"[(value >> shift) as usize & 0xf]));
    }
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

#[cfg(test)]
mod tests {
    use super::push_hex8;

    #[test]
    fn hex8_matches_format() {
        for value in [0, 1, 0xabc, 0xdead_beef, u32::MAX] {
            let mut hex = String::new();
            push_hex8(&mut hex, value);
            assert_eq!(hex, format!("{value:08x}"));
        }
    }
}
