//! Privacy: what leaves the page. URLs lose their fragment and every query
//! parameter not on the page's keep-list (tokens and personal data ride in
//! both), and the page's `beforeSend` hook sees each event last.

use wasm_bindgen::prelude::*;

use crate::text::{before, split, split_once};

/// `url` without its fragment and without query parameters not in `keep`.
pub fn scrub_url(url: &str, keep: &[String]) -> String {
    let url = before(url, b'#');
    let Some((base, query)) = split_once(url, b'?') else {
        return url.to_owned();
    };
    let mut scrubbed = base.to_owned();
    for pair in split(query, b'&') {
        let name = before(pair, b'=');
        if !name.is_empty() && keep.iter().any(|kept| kept == name) {
            scrubbed.push(if scrubbed.len() == base.len() {
                '?'
            } else {
                '&'
            });
            scrubbed.push_str(pair);
        }
    }
    scrubbed
}

// The hook runs in JS: the event is parsed, handed over and written back
// there, without a round trip through the wasm for each step.
#[wasm_bindgen(inline_js = r#"
export function before_send(hook, encoded) {
  try {
    const event = JSON.parse(encoded), returned = hook.call(null, event);
    if (returned === null) return null;
    const changed = returned === undefined ? event : returned;
    const json = typeof changed == 'object' ? JSON.stringify(changed) : undefined;
    return typeof json == 'string' ? json : encoded;
  } catch {
    return encoded;
  }
}
"#)]
extern "C" {
    /// Runs the page's `beforeSend` on an encoded event: `None` drops it. The
    /// hook gets the event as an object and may return it (changed or not) or a
    /// new one; `null` drops it; `undefined` keeps the object as the hook left
    /// it. A hook that throws, or returns something that is not JSON, leaves the
    /// event as it was: the page's bug must not cost its data.
    pub fn before_send(hook: &js_sys::Function, encoded: &str) -> Option<String>;
}

#[cfg(test)]
mod tests {
    use super::scrub_url;

    #[test]
    fn fragments_and_unlisted_parameters_go() {
        let none: [String; 0] = [];
        assert_eq!(
            scrub_url("https://x.example/cart?token=1#top", &none),
            "https://x.example/cart"
        );
        assert_eq!(
            scrub_url("https://x.example/a#b?c", &none),
            "https://x.example/a"
        );
        assert_eq!(scrub_url("https://x.example/", &none), "https://x.example/");
        let keep = ["page".to_owned(), "tab".to_owned()];
        assert_eq!(
            scrub_url("https://x.example/l?token=s&page=2&tab&pager=9#f", &keep),
            "https://x.example/l?page=2&tab"
        );
        assert_eq!(
            scrub_url("https://x.example/l?token=s", &keep),
            "https://x.example/l"
        );
        assert_eq!(
            scrub_url("https://x.example/l?tab=1", &keep),
            "https://x.example/l?tab=1"
        );
    }
}
