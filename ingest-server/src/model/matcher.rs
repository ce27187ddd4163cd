//! Label matchers in Alertmanager's syntax: `name="value"`, `name!="value"`,
//! `name=~"regex"`, `name!~"regex"`. Regular expressions match the whole
//! value (anchored, as Alertmanager's do); a missing label is empty.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::model::labels::{is_label_name, Labels};

#[derive(Debug, Clone)]
pub enum Match {
    Equal(String),
    NotEqual(String),
    Regex(regex::Regex),
    NotRegex(regex::Regex),
}

/// One matcher of a route (or a silence): a label and a condition on its value.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Matcher {
    pub label: String,
    pub condition: Match,
    /// As written, for messages.
    text: String,
}

impl Matcher {
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.label);
        match &self.condition {
            Match::Equal(expected) => value == expected,
            Match::NotEqual(expected) => value != expected,
            Match::Regex(pattern) => pattern.is_match(value),
            Match::NotRegex(pattern) => !pattern.is_match(value),
        }
    }
}

/// Written as it was read (`app="cart"`).
impl Serialize for Matcher {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Matcher {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("bad matcher {text:?}: {why}");
        let text = text.trim();
        let name_end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let label = &text[..name_end];
        if !is_label_name(label) {
            return Err(bad(
                "expected a label name, then =, !=, =~ or !~ and a value",
            ));
        }
        let rest = text[name_end..].trim_start();
        let (operator, value) = ["=~", "!~", "!=", "="]
            .into_iter()
            .find_map(|op| Some((op, rest.strip_prefix(op)?)))
            .ok_or_else(|| bad("expected =, !=, =~ or !~ after the label name"))?;
        let value = unquote(value.trim()).map_err(|why| bad(&why))?;
        let pattern = || {
            regex::Regex::new(&format!("^(?:{value})$"))
                .map_err(|e| bad(&format!("not a regular expression: {e}")))
        };
        let condition = match operator {
            "=" => Match::Equal(value.clone()),
            "!=" => Match::NotEqual(value.clone()),
            "=~" => Match::Regex(pattern()?),
            _ => Match::NotRegex(pattern()?),
        };
        Ok(Self {
            label: label.to_owned(),
            condition,
            text: text.to_owned(),
        })
    }
}

impl TryFrom<String> for Matcher {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

/// A double-quoted value with `\"`, `\\` and `\n` escapes, or a bare one
/// (no spaces, quotes or commas).
fn unquote(value: &str) -> Result<String, String> {
    let Some(inner) = value.strip_prefix('"') else {
        if value.contains(['"', ' ', ',']) {
            return Err("an unquoted value cannot hold quotes, spaces or commas".into());
        }
        return Ok(value.to_owned());
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if chars.as_str().is_empty() => return Ok(out),
            '"' => return Err("text after the closing quote".into()),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some(escaped @ ('"' | '\\')) => out.push(escaped),
                _ => return Err("unknown escape (\\\", \\\\ or \\n)".into()),
            },
            c => out.push(c),
        }
    }
    Err("no closing quote".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(matcher: &str, pairs: &[(&str, &str)]) -> bool {
        matcher
            .parse::<Matcher>()
            .unwrap()
            .matches(&Labels::of_pairs(pairs))
    }

    #[test]
    fn the_four_operators() {
        let cart = [("app", "cart"), ("alertname", "error-rate")];
        assert!(matches("app=\"cart\"", &cart) && !matches("app=\"catalog\"", &cart));
        assert!(matches("app != \"catalog\"", &cart) && !matches("app!=\"cart\"", &cart));
        assert!(matches("app=~\"ca.*\"", &cart) && matches("app=~cart|shop", &cart));
        assert!(!matches("app=~\"ar\"", &cart), "regexes are anchored");
        assert!(matches("app!~\"cat.*\"", &cart) && !matches("app!~\"c.*\"", &cart));
        assert!(matches("rule=\"error-rate\"", &cart), "rule is alertname");
        assert!(matches("team=\"\"", &cart), "a missing label is empty");
        assert!(matches("team!~\".+\"", &cart));
        assert!(matches(r#"note="say \"hi\"""#, &[("note", "say \"hi\"")]));
    }

    #[test]
    fn bad_matchers_say_why() {
        let error = |text: &str| text.parse::<Matcher>().unwrap_err();
        assert!(
            error("app=~\"(\"").contains("not a regular expression"),
            "{}",
            error("app=~\"(\"")
        );
        assert!(error("1app=\"x\"").contains("label name"));
        assert!(error("app ~ \"x\"").contains("expected ="));
        assert!(error("app=\"x").contains("no closing quote"));
        assert!(error("app=\"x\" y").contains("after the closing quote"));
        assert_eq!(
            "app =~ \"c.*\"".parse::<Matcher>().unwrap().to_string(),
            "app =~ \"c.*\""
        );
    }
}
