//! How bad a reported error or message is, as logging libraries name it.

use serde::{Deserialize, Serialize};

/// `captureError` reports at `error` unless told otherwise, `captureMessage`
/// at `info`. Only `fatal` and `error` messages count as errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Fatal,
    #[default]
    Error,
    Warning,
    Info,
    Debug,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Fatal,
        Level::Error,
        Level::Warning,
        Level::Info,
        Level::Debug,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Fatal => "fatal",
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// The level named `name` (its wire form), if any.
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == name)
    }

    /// The default, which the wire leaves out.
    pub fn is_error(&self) -> bool {
        *self == Level::Error
    }
}

#[cfg(test)]
mod tests {
    use super::Level;
    use crate::{ErrorReport, ErrorSource, Pairs};

    #[test]
    fn handled_reports_carry_their_level_and_attributes() {
        let report = ErrorReport {
            level: Level::Warning,
            attrs: Pairs(vec![("order".into(), "42".into())]),
            ..ErrorReport::new(ErrorSource::Message, "Message".into(), "low stock".into())
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            (&json["source"], &json["level"], &json["attrs"]["order"]),
            (&"message".into(), &"warning".into(), &"42".into())
        );
        assert_eq!(serde_json::from_value::<ErrorReport>(json).unwrap(), report);
        let handled = ErrorReport::new(ErrorSource::Handled, "TypeError".into(), "x".into());
        assert_eq!(serde_json::to_value(&handled).unwrap()["source"], "handled");
    }

    #[test]
    fn levels_are_lower_case_on_the_wire_and_parse_back() {
        for level in Level::ALL {
            let json = serde_json::to_string(&level).unwrap();
            assert_eq!(json, format!("\"{}\"", level.as_str()));
            assert_eq!(Level::parse(level.as_str()), Some(level));
            assert_eq!(serde_json::from_str::<Level>(&json).unwrap(), level);
        }
        assert_eq!(Level::parse("Warning"), None);
        assert!(serde_json::from_str::<Level>("\"critical\"").is_err());
    }
}
