//! Limits both sides agree on: the agent packs and truncates to them, the
//! server rejects what exceeds them.

/// Largest request body the agent sends. Browsers give all keepalive requests of
/// a page a shared 64 KiB budget; staying below it leaves room for a second
/// request in flight.
pub const MAX_BEACON_BYTES: usize = 60_000;

/// Most events one beacon may carry.
pub const MAX_EVENTS_PER_BEACON: usize = 1_000;

/// Most apps one beacon may list (registered micro-frontends on a page); the
/// server looks an event's app up in this list.
pub const MAX_APPS_PER_BEACON: usize = 64;

/// Longest stack trace, in bytes; longer ones are cut by the agent.
pub const MAX_STACK_BYTES: usize = 8_192;

/// Longest value of any other string field, in bytes (messages, URLs, names).
pub const MAX_TEXT_BYTES: usize = 2_048;

/// Longest app name (and version) in bytes (the messages below say 64 too).
pub const MAX_APP_NAME_BYTES: usize = 64;

/// Longest session or view id in bytes.
pub const MAX_ID_BYTES: usize = 64;

/// Shortest and longest beacon id in bytes: long enough that random ids do
/// not collide, short enough to remember many.
pub const MIN_BEACON_ID_BYTES: usize = 16;
pub const MAX_BEACON_ID_BYTES: usize = 64;

/// A beacon id: 16 to 64 ASCII letters, digits, '-' or '_' (the agent sends
/// 32 hex digits; a UUID fits).
pub fn check_beacon_id(id: &str) -> Result<(), &'static str> {
    if !(MIN_BEACON_ID_BYTES..=MAX_BEACON_ID_BYTES).contains(&id.len()) {
        return Err("must be 16 to 64 characters");
    }
    if !id
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
    {
        return Err("may hold only letters, digits, '-' and '_'");
    }
    Ok(())
}

/// App names become ClickHouse keys and dashboard labels: short and plain.
pub fn check_app_name(name: &str) -> Result<(), String> {
    check_plain_name("app name", name)
}

/// Custom metric and event names follow the app-name rule.
pub fn check_metric_name(name: &str) -> Result<(), String> {
    check_plain_name("name", name)
}

fn check_plain_name(what: &str, name: &str) -> Result<(), String> {
    // Messages are built with `concat`: `format!` with `{:?}` would link
    // Unicode escaping tables into the browser agent.
    if name.is_empty() || name.len() > MAX_APP_NAME_BYTES {
        return Err(crate::concat(&[
            what,
            " must be 1 to 64 characters, got \"",
            name,
            "\"",
        ]));
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return Err(crate::concat(&[
            what,
            " may hold only letters, digits, '-', '_' and '.', got \"",
            name,
            "\"",
        ]));
    }
    Ok(())
}

/// Most custom attributes on one event, and the longest key and value (bytes).
pub const MAX_ATTRS: usize = 16;
pub const MAX_ATTR_KEY_BYTES: usize = 64;
pub const MAX_ATTR_VALUE_BYTES: usize = 256;

/// Most stack frames one error carries (the top ones), and most scripts one
/// long frame or interaction names (the longest).
pub const MAX_FRAMES: usize = 40;
pub const MAX_SCRIPTS: usize = 8;

/// Longest HTTP method of an API call, in bytes (the agent upper-cases it).
pub const MAX_METHOD_BYTES: usize = 16;

/// A W3C trace id: 32 lower-case hex digits, not all zero.
pub const TRACE_ID_HEX_DIGITS: usize = 32;

/// Failed API calls per view past which the agent only counts them (in the
/// summary), like the errors of a view.
pub const MAX_API_FAILURES_PER_VIEW: u32 = 100;

/// A trace id as the agent sends it: empty, or [`TRACE_ID_HEX_DIGITS`]
/// lower-case hex digits not all zero.
pub fn check_trace_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        return Ok(());
    }
    let hex = id
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
    if id.len() != TRACE_ID_HEX_DIGITS || !hex || id.bytes().all(|c| c == b'0') {
        return Err("must be 32 lower-case hex digits, not all zero");
    }
    Ok(())
}

/// Ends a value that was cut, so a reader knows it is not whole.
pub const TRUNCATION_MARK: &str = "…";

/// Cuts `text` to at most `max` bytes on a character boundary, ending with
/// [`TRUNCATION_MARK`]. Returns whether it cut.
pub fn truncate(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max.saturating_sub(TRUNCATION_MARK.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(TRUNCATION_MARK);
    true
}

#[cfg(test)]
mod tests {
    use super::{check_app_name, check_beacon_id, check_trace_id, truncate};

    #[test]
    fn trace_ids_are_empty_or_32_lower_case_hex_digits() {
        assert!(check_trace_id("").is_ok());
        assert!(check_trace_id("4bf92f3577b34da6a3ce929d0e0e4736").is_ok());
        assert!(check_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736").is_err());
        assert!(check_trace_id(&"0".repeat(32)).is_err());
        assert!(check_trace_id(&"a".repeat(31)).is_err());
        assert!(check_trace_id("4bf92f3577b34da6a3ce929d0e0e473g").is_err());
    }

    #[test]
    fn beacon_ids_are_16_to_64_plain_characters() {
        assert!(check_beacon_id("0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_beacon_id("123e4567-e89b-12d3-a456-426614174000").is_ok());
        assert!(check_beacon_id(&"a".repeat(64)).is_ok());
        assert!(check_beacon_id(&"a".repeat(15)).is_err());
        assert!(check_beacon_id(&"a".repeat(65)).is_err());
        assert!(check_beacon_id("0123456789abcdef 0123456789abcde").is_err());
        assert!(check_beacon_id("0123456789abcdéf0123456789abcdef").is_err());
    }

    #[test]
    fn app_names_are_short_and_plain() {
        assert!(check_app_name("cart-v2.eu_1").is_ok());
        assert!(check_app_name("").is_err());
        assert!(check_app_name("cart app").is_err());
        assert!(check_app_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn truncate_marks_and_respects_char_boundaries() {
        let mut text = String::from("abcé and more"); // 'é' is two bytes
        assert!(truncate(&mut text, 7));
        assert_eq!(text, "abc…");
        assert!(text.len() <= 7);
        let mut short = String::from("ok");
        assert!(!truncate(&mut short, 10));
        assert_eq!(short, "ok");
    }
}
