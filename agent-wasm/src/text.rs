//! Searching text for ASCII delimiters by scanning bytes. `str`'s own
//! `find(&str)`, `split(char)`, `split_once(char)` and `rsplit_once(char)` go
//! through core's two-way and char searchers: kilobytes of wasm for what a
//! byte scan does when the needle is ASCII (an ASCII byte in UTF-8 is always
//! a whole character, so the results are the same). Also whole numbers from
//! ASCII digits.

/// The byte offset of `needle` in `haystack`, like `haystack.find(needle)`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

/// `text.split_once(delimiter)`.
pub fn split_once(text: &str, delimiter: u8) -> Option<(&str, &str)> {
    around(text, text.bytes().position(|byte| byte == delimiter)?)
}

/// `text.rsplit_once(delimiter)`.
pub fn rsplit_once(text: &str, delimiter: u8) -> Option<(&str, &str)> {
    around(text, text.bytes().rposition(|byte| byte == delimiter)?)
}

/// The text before and after the one-byte delimiter at `at`.
fn around(text: &str, at: usize) -> Option<(&str, &str)> {
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `text.split(delimiter).next()`: the text before the first delimiter, or all of it.
pub fn before(text: &str, delimiter: u8) -> &str {
    split_once(text, delimiter).map_or(text, |(head, _)| head)
}

/// `text.split(delimiter)`.
pub fn split(text: &str, delimiter: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let (piece, tail) = split_once(current, delimiter)
            .map_or((current, None), |(head, tail)| (head, Some(tail)));
        rest = tail;
        Some(piece)
    })
}

/// A whole number written in ASCII digits only (no sign, no spaces), like
/// `text.parse::<u64>()` for such text; None if empty, anything else, or too large.
/// core's `parse` handles signs and every integer width: a few hundred bytes of wasm.
pub fn digits(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for byte in text.bytes() {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_agree_with_parse_for_unsigned_digits() {
        for text in [
            "0",
            "7",
            "0042",
            "18446744073709551615",
            "18446744073709551616",
            "",
            "+1",
            "-1",
            " 1",
            "1a",
            "١",
        ] {
            let expected = if text.bytes().all(|b| b.is_ascii_digit()) {
                text.parse::<u64>().ok()
            } else {
                None
            };
            assert_eq!(digits(text), expected, "{text:?}");
        }
    }

    #[test]
    fn find_agrees_with_str_find() {
        let cases = [
            ("at https://x", "https://"),
            ("é http://", "http://"),
            ("abc", "abcd"),
            ("", "x"),
            ("ab", ""),
        ];
        for (haystack, needle) in cases {
            assert_eq!(
                find(haystack, needle),
                haystack.find(needle),
                "{haystack:?} {needle:?}"
            );
        }
    }

    #[test]
    fn splits_agree_with_str() {
        for text in ["", "a", "/", "é/ü/", "//x//", "no delimiter", "a/b/c"] {
            assert_eq!(split_once(text, b'/'), text.split_once('/'), "{text:?}");
            assert_eq!(rsplit_once(text, b'/'), text.rsplit_once('/'), "{text:?}");
            assert_eq!(Some(before(text, b'/')), text.split('/').next(), "{text:?}");
            assert_eq!(
                split(text, b'/').collect::<Vec<_>>(),
                text.split('/').collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }
}
