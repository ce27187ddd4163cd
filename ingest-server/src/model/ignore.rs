//! Ignore rules (`[[ignore]]`): errors an operator does not want stored,
//! such as a browser extension's noise or a known third-party script's
//! failures. Applied on receipt (`noise.rs`); the beacon's other events stay.

use regex::Regex;
use serde::{Deserialize, Deserializer};

/// One rule: an error is ignored when every pattern given matches it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// Only this app's errors (default: every app's).
    #[serde(default)]
    pub app: Option<String>,
    /// A pattern the error's message matches (anywhere; anchor with `^…$`).
    #[serde(default, deserialize_with = "pattern")]
    pub message: Option<Regex>,
    /// A pattern the error's URL or the file of any of its stack frames matches.
    #[serde(default, deserialize_with = "pattern")]
    pub script_url: Option<Regex>,
}

/// A regular expression (the `regex` crate's syntax), refused with the
/// parser's explanation when it is not one.
fn pattern<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Regex>, D::Error> {
    let text = String::deserialize(deserializer)?;
    Regex::new(&text)
        .map(Some)
        .map_err(|error| serde::de::Error::custom(format!("not a regular expression: {error}")))
}

impl IgnoreRule {
    /// Refuses a rule that would ignore every error of its apps, or names
    /// an app that cannot exist.
    pub fn check(&self) -> Result<(), String> {
        if self.message.is_none() && self.script_url.is_none() {
            return Err("needs a message or script_url pattern".into());
        }
        match &self.app {
            Some(app) => {
                canopy_wire::limits::check_app_name(app).map_err(|why| format!("app: {why}"))
            }
            None => Ok(()),
        }
    }

    /// Whether an error of `app` with this message, URL and frame files is ignored.
    pub fn matches<'a>(
        &self,
        app: &str,
        message: &str,
        url: &str,
        mut files: impl Iterator<Item = &'a str>,
    ) -> bool {
        self.app.as_deref().is_none_or(|only| only == app)
            && self.message.as_ref().is_none_or(|m| m.is_match(message))
            && self
                .script_url
                .as_ref()
                .is_none_or(|s| s.is_match(url) || files.any(|file| s.is_match(file)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> IgnoreRule {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn every_pattern_given_must_match() {
        let extension = rule(r#"script_url = "^chrome-extension://""#);
        assert!(extension.matches("cart", "x", "chrome-extension://abc/x.js", [].into_iter()));
        assert!(
            extension.matches(
                "cart",
                "x",
                "",
                ["https://a/b.js", "chrome-extension://abc/c.js"].into_iter()
            ),
            "any frame's file"
        );
        assert!(!extension.matches(
            "cart",
            "x",
            "https://a/b.js",
            ["https://a/b.js"].into_iter()
        ));

        let both =
            rule("app = \"cart\"\nmessage = \"ResizeObserver loop\"\nscript_url = \"vendor\"");
        assert!(both.matches(
            "cart",
            "ResizeObserver loop limit exceeded",
            "https://x/vendor.js",
            [].into_iter()
        ));
        assert!(!both.matches(
            "catalog",
            "ResizeObserver loop limit exceeded",
            "https://x/vendor.js",
            [].into_iter()
        ));
        assert!(!both.matches("cart", "TypeError", "https://x/vendor.js", [].into_iter()));
        assert!(!both.matches(
            "cart",
            "ResizeObserver loop",
            "https://x/app.js",
            [].into_iter()
        ));
    }

    #[test]
    fn bad_rules_say_why() {
        let error = toml::from_str::<IgnoreRule>("message = \"(unclosed\"").unwrap_err();
        assert!(
            error.to_string().contains("not a regular expression"),
            "{error}"
        );
        assert!(rule("app = \"cart\"")
            .check()
            .unwrap_err()
            .contains("message or script_url"));
        assert!(rule("app = \"Not An App\"\nmessage = \"x\"")
            .check()
            .unwrap_err()
            .starts_with("app:"));
        assert!(
            toml::from_str::<IgnoreRule>("mesage = \"x\"").is_err(),
            "unknown keys refused"
        );
    }
}
