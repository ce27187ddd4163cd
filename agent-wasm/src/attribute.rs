//! Attribute: decide which micro-frontend an observation belongs to.
//!
//! Script errors, resources and stack traces carry URLs: the app whose asset
//! prefix is the longest match of the URL owns the event. DOM-bound vitals
//! (layout shifts, LCP elements) are attributed by the element's nearest
//! `data-canopy-app` container in the browser-only part of the agent. Anything
//! no app claims belongs to the page's shell app.

use canopy_wire::AppInfo;

/// One app as registered, with the URL prefixes its assets are served under.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredApp {
    pub name: String,
    pub version: String,
    pub asset_prefixes: Vec<String>,
}

/// Every app registered on the page, plus the shell that owns the rest.
#[derive(Debug, Clone)]
pub struct AppRegistry {
    shell: String,
    apps: Vec<RegisteredApp>,
}

impl AppRegistry {
    pub fn new(shell: impl Into<String>) -> Self {
        Self { shell: shell.into(), apps: Vec::new() }
    }

    pub fn shell(&self) -> &str {
        &self.shell
    }

    /// Registers an app; registering the same name again replaces it (an MFE
    /// that remounts, or a second bundled copy, must not appear twice).
    pub fn register(&mut self, app: RegisteredApp) {
        match self.apps.iter_mut().find(|known| known.name == app.name) {
            Some(known) => *known = app,
            None => self.apps.push(app),
        }
    }

    pub fn is_registered(&self, name: &str) -> bool {
        name == self.shell || self.apps.iter().any(|app| app.name == name)
    }

    /// The apps as the beacon lists them.
    pub fn infos(&self) -> Vec<AppInfo> {
        self.apps.iter().map(|app| AppInfo { name: app.name.clone(), version: app.version.clone() }).collect()
    }

    /// The app owning `url` by longest asset prefix, if any app claims it.
    /// On a tie (two apps with the same prefix) the later registered wins.
    pub fn owner_of_url(&self, url: &str) -> Option<&str> {
        let mut owner: Option<(usize, &str)> = None;
        for app in &self.apps {
            for prefix in &app.asset_prefixes {
                let not_shorter = owner.is_none_or(|(longest, _)| prefix.len() >= longest);
                if not_shorter && !prefix.is_empty() && url.starts_with(prefix.as_str()) {
                    owner = Some((prefix.len(), &app.name));
                }
            }
        }
        owner.map(|(_, name)| name)
    }

    /// The app owning an error: the one its script URL points at, else the
    /// first frame of its stack that an app claims, else the shell.
    pub fn owner_of_error(&self, script_url: &str, stack: &str) -> &str {
        self.owner_of_url(script_url)
            .or_else(|| stack_urls(stack).find_map(|url| self.owner_of_url(url)))
            .unwrap_or(&self.shell)
    }

    /// The app owning a URL-bearing event, else the shell.
    pub fn owner_of_url_or_shell(&self, url: &str) -> &str {
        self.owner_of_url(url).unwrap_or(&self.shell)
    }
}

/// The script URLs a stack trace mentions, top frame first. Handles Chrome's
/// `at f (https://x/a.js:1:2)` and Firefox/Safari's `f@https://x/a.js:1:2`.
pub fn stack_urls(stack: &str) -> impl Iterator<Item = &str> {
    // `split('\n')`, not `lines()`: a '\r' left at a line's end ends the URL
    // like any whitespace, and `lines()` costs more wasm.
    stack.split('\n').filter_map(|line| {
        let start = ["https://", "http://", "file://"].iter().filter_map(|scheme| find(line, scheme)).min()?;
        let url = line.get(start..)?.split(|c: char| c == ')' || c.is_whitespace()).next()?;
        Some(strip_line_and_column(url))
    })
}

/// The byte offset of `needle` in `haystack`, like `haystack.find(needle)`.
/// A plain scan: core's two-way searcher costs 2 KB of wasm, and the needles
/// here are a few bytes long.
pub(crate) fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.as_bytes().windows(needle.len()).position(|window| window == needle.as_bytes())
}

/// `https://x/a.js:10:5` → `https://x/a.js`. Strips up to two numeric suffixes.
fn strip_line_and_column(location: &str) -> &str {
    let mut url = location;
    for _ in 0..2 {
        match url.rsplit_once(':') {
            Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => url = head,
            _ => break,
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> AppRegistry {
        let mut apps = AppRegistry::new("shell");
        apps.register(RegisteredApp {
            name: "catalog".into(),
            version: "1.0.0".into(),
            asset_prefixes: vec!["https://cdn.example/mfe/".into()],
        });
        apps.register(RegisteredApp {
            name: "cart".into(),
            version: "2.1.0".into(),
            asset_prefixes: vec!["https://cdn.example/mfe/cart/".into()],
        });
        apps
    }

    #[test]
    fn longest_prefix_wins() {
        let apps = registry();
        assert_eq!(apps.owner_of_url("https://cdn.example/mfe/cart/main.js"), Some("cart"));
        assert_eq!(apps.owner_of_url("https://cdn.example/mfe/catalog/main.js"), Some("catalog"));
        assert_eq!(apps.owner_of_url("https://elsewhere.example/a.js"), None);
        assert_eq!(apps.owner_of_url_or_shell("https://elsewhere.example/a.js"), "shell");
    }

    #[test]
    fn the_later_of_two_equal_prefixes_wins() {
        let mut apps = registry();
        apps.register(RegisteredApp {
            name: "cart-v2".into(),
            version: "3.0.0".into(),
            asset_prefixes: vec!["https://cdn.example/mfe/cart/".into()],
        });
        assert_eq!(apps.owner_of_url("https://cdn.example/mfe/cart/main.js"), Some("cart-v2"));
    }

    #[test]
    fn reregistering_replaces_instead_of_duplicating() {
        let mut apps = registry();
        apps.register(RegisteredApp { name: "cart".into(), version: "2.2.0".into(), asset_prefixes: vec![] });
        let infos = apps.infos();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[1].version, "2.2.0");
        assert_eq!(apps.owner_of_url("https://cdn.example/mfe/cart/main.js"), Some("catalog"));
    }

    #[test]
    fn errors_fall_back_to_stack_frames_then_shell() {
        let apps = registry();
        let chrome = "TypeError: x is undefined\n    at render (https://cdn.example/mfe/cart/main.js:10:5)\n    at https://shell.example/app.js:1:1";
        assert_eq!(apps.owner_of_error("", chrome), "cart");
        let firefox = "render@https://elsewhere.example/lib.js:3:9\nmount@https://cdn.example/mfe/c.js:1:2";
        assert_eq!(apps.owner_of_error("", firefox), "catalog");
        assert_eq!(apps.owner_of_error("https://cdn.example/mfe/cart/x.js", firefox), "cart");
        assert_eq!(apps.owner_of_error("", "no urls here"), "shell");
    }

    #[test]
    fn find_agrees_with_str_find() {
        let cases = [("at https://x", "https://"), ("é http://", "http://"), ("abc", "abcd"), ("", "x"), ("ab", "")];
        for (haystack, needle) in cases {
            assert_eq!(find(haystack, needle), haystack.find(needle), "{haystack:?} {needle:?}");
        }
    }

    #[test]
    fn stack_urls_strip_line_and_column_but_keep_ports() {
        let stack = "at f (http://127.0.0.1:8080/a.js:10:5)\nat http://127.0.0.1:8080/b.js\ng@file:///c.js:7";
        let urls: Vec<_> = stack_urls(stack).collect();
        assert_eq!(urls, ["http://127.0.0.1:8080/a.js", "http://127.0.0.1:8080/b.js", "file:///c.js"]);
        let windows_lines = "f@https://x/a.js:1:2\r\ng@https://x/b.js\r\n";
        assert_eq!(stack_urls(windows_lines).collect::<Vec<_>>(), ["https://x/a.js", "https://x/b.js"]);
    }
}
