//! The labels an alert carries for routing, grouping and receivers: the
//! built-in ones (`alertname`, also matched as `rule`, `app`, `severity`,
//! `metric`, `source`) and its rule's custom `labels`.

use std::collections::BTreeMap;

use crate::model::alert::Alert;
use crate::model::rule::Rule;

/// Label names Canopy sets itself; a rule's custom labels cannot take them.
pub const BUILT_IN: [&str; 6] = ["alertname", "rule", "app", "severity", "metric", "source"];

/// An alert's labels, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(pub BTreeMap<String, String>);

impl Labels {
    /// The alert's built-in labels and its rule's custom ones.
    pub fn of(alert: &Alert, rule: &Rule) -> Self {
        let mut labels = rule.labels.clone();
        for (name, value) in [
            ("alertname", alert.rule.as_str()),
            ("app", alert.app.as_str()),
            ("severity", alert.severity.as_str()),
            ("metric", alert.metric.as_str()),
            ("source", "canopy"),
        ] {
            labels.insert(name.to_owned(), value.to_owned());
        }
        Self(labels)
    }

    /// A label's value; `rule` is another name for `alertname`, and a label
    /// the alert lacks reads as empty, as in Alertmanager.
    pub fn get(&self, name: &str) -> &str {
        let name = if name == "rule" { "alertname" } else { name };
        self.0.get(name).map_or("", String::as_str)
    }
}

#[cfg(test)]
impl Labels {
    /// Labels from `(name, value)` pairs, for tests.
    pub fn of_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }
}

/// A label name as Prometheus allows it: a letter or `_`, then letters,
/// digits and `_`.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A rule's custom labels: valid names, none of the built-in ones.
pub fn check_custom(labels: &BTreeMap<String, String>) -> Result<(), String> {
    for name in labels.keys() {
        if !is_label_name(name) {
            return Err(format!(
                "{name:?} is not a label name (a letter or '_', then letters, digits or '_')"
            ));
        }
        if BUILT_IN.contains(&name.as_str()) {
            return Err(format!(
                "{name:?} is set by Canopy and cannot be overridden"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_reserved_labels() {
        assert!(is_label_name("team") && is_label_name("_x1") && !is_label_name("1x"));
        assert!(!is_label_name("") && !is_label_name("a-b"));
        let labels = |name: &str| BTreeMap::from([(name.to_owned(), "v".to_owned())]);
        assert!(check_custom(&labels("team")).is_ok());
        assert!(check_custom(&labels("severity"))
            .unwrap_err()
            .contains("set by Canopy"));
        assert!(check_custom(&labels("a-b"))
            .unwrap_err()
            .contains("not a label name"));
    }
}
