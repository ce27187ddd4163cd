//! Limits both sides agree on: the agent packs and truncates to them, the
//! server rejects what exceeds them.

/// Largest request body the agent sends. Browsers give all keepalive requests of
/// a page a shared 64 KiB budget; staying below it leaves room for a second
/// request in flight.
pub const MAX_BEACON_BYTES: usize = 60_000;

/// Most events one beacon may carry.
pub const MAX_EVENTS_PER_BEACON: usize = 1_000;

/// Longest stack trace, in bytes; longer ones are cut by the agent.
pub const MAX_STACK_BYTES: usize = 8_192;

/// Longest value of any other string field, in bytes (messages, URLs, names).
pub const MAX_TEXT_BYTES: usize = 2_048;

/// Longest app name (and version) in bytes.
pub const MAX_APP_NAME_BYTES: usize = 64;

/// Longest session or view id in bytes.
pub const MAX_ID_BYTES: usize = 64;

/// App names become ClickHouse keys and dashboard labels: short and plain.
pub fn check_app_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_APP_NAME_BYTES {
        return Err(format!("app name must be 1 to {MAX_APP_NAME_BYTES} characters, got {name:?}"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(format!("app name may hold only letters, digits, '-', '_' and '.', got {name:?}"));
    }
    Ok(())
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::{check_app_name, truncate};

    #[test]
    fn app_names_are_short_and_plain() {
        assert!(check_app_name("cart-v2.eu_1").is_ok());
        assert!(check_app_name("").is_err());
        assert!(check_app_name("cart app").is_err());
        assert!(check_app_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        let mut text = String::from("aé"); // 'é' is two bytes
        truncate(&mut text, 2);
        assert_eq!(text, "a");
        let mut short = String::from("ok");
        truncate(&mut short, 10);
        assert_eq!(short, "ok");
    }
}
