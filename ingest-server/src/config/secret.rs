//! Secrets in channel settings: webhook URLs with tokens, routing keys, robot
//! secrets, SMTP passwords. Written as `env:NAME` (an environment variable),
//! `file:/path` (a file's contents, trailing newline dropped: a mounted
//! Kubernetes or Docker secret) or the value itself. Read once at startup; a
//! secret never appears in Debug output, logs, the API or the delivery log.

use std::fmt;

use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(from = "String")]
pub struct Secret {
    /// As written, for messages: `env:NAME`, `file:/path` or "an inline value".
    source: String,
    /// The value, or why it could not be read (reported by the channel's check,
    /// which names the field).
    value: Result<String, String>,
}

impl From<String> for Secret {
    fn from(written: String) -> Self {
        let (source, value) = if let Some(name) = written.strip_prefix("env:") {
            let value =
                std::env::var(name).map_err(|_| format!("environment variable {name} is not set"));
            (written.clone(), value)
        } else if let Some(path) = written.strip_prefix("file:") {
            let value = std::fs::read_to_string(path)
                .map(|text| text.trim_end_matches(['\r', '\n']).to_owned())
                .map_err(|error| format!("cannot read {path}: {error}"));
            (written.clone(), value)
        } else {
            ("an inline value".to_owned(), Ok(written))
        };
        let value = value.and_then(|v| {
            if v.is_empty() {
                Err(format!("{source} is empty"))
            } else {
                Ok(v)
            }
        });
        Self { source, value }
    }
}

impl Secret {
    /// The value; empty if it could not be read (which `check` refuses at startup).
    pub fn expose(&self) -> &str {
        self.value.as_deref().unwrap_or_default()
    }

    /// Whether the value could be read; if not, why.
    pub fn check(&self) -> Result<(), String> {
        self.value.as_ref().map(|_| ()).map_err(Clone::clone)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_from_a_file_an_inline_value_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "R0UT1NG\n").unwrap();
        let from_file = Secret::from(format!("file:{}", path.display()));
        assert_eq!(from_file.expose(), "R0UT1NG");
        assert!(!format!("{from_file:?}").contains("R0UT1NG"));

        let inline = Secret::from("https://hooks.slack.com/services/T/B/tok".to_owned());
        assert_eq!(format!("{inline:?}"), "Secret(an inline value)");

        let unset = Secret::from("env:CANOPY_TEST_SURELY_UNSET".to_owned());
        assert_eq!(
            unset.check().unwrap_err(),
            "environment variable CANOPY_TEST_SURELY_UNSET is not set"
        );
        let missing = Secret::from("file:/nonexistent/key".to_owned());
        assert!(missing.check().unwrap_err().contains("/nonexistent/key"));
    }
}
