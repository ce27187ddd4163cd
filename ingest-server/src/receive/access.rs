//! Who may send: public ingest keys, and the page origins each key accepts.
//!
//! The key is public (it is in every page), so it identifies rather than
//! authenticates; the origin allow-list stops other sites from sending with
//! it. A request without an `Origin` header comes from outside a browser and
//! is judged by its key alone.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Project;

#[derive(Debug, Clone, PartialEq)]
enum OriginPattern {
    Any,
    Exact(String),
    /// `https://*.shop.example` → scheme `https://`, suffix `.shop.example`.
    Subdomain {
        scheme: String,
        suffix: String,
    },
}

/// Origins something is allowed for: exact, `https://*.domain`, or `*`.
#[derive(Debug, Clone, Default)]
pub struct OriginAllowList(Vec<OriginPattern>);

impl OriginAllowList {
    /// The patterns that parse (configuration checks reject the others).
    pub fn new(patterns: &[String]) -> Self {
        Self(patterns.iter().filter_map(|p| parse_pattern(p)).collect())
    }

    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        self.0.iter().any(|pattern| match pattern {
            OriginPattern::Any => true,
            OriginPattern::Exact(exact) => *exact == origin,
            OriginPattern::Subdomain { scheme, suffix } => origin
                .strip_prefix(scheme.as_str())
                .and_then(|host| host.strip_suffix(suffix.as_str()))
                .is_some_and(|sub| !sub.is_empty() && !sub.contains('/')),
        })
    }
}

#[derive(Debug)]
pub struct ProjectAccess {
    pub name: String,
    origins: OriginAllowList,
}

/// The projects by key.
#[derive(Debug, Clone, Default)]
pub struct Access {
    by_key: Arc<HashMap<String, ProjectAccess>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    UnknownKey,
    OriginNotAllowed,
}

impl Access {
    pub fn new(projects: &[Project]) -> Self {
        let by_key = projects
            .iter()
            .map(|project| {
                let origins = OriginAllowList::new(&project.origins);
                (
                    project.key.clone(),
                    ProjectAccess {
                        name: project.name.clone(),
                        origins,
                    },
                )
            })
            .collect();
        Self {
            by_key: Arc::new(by_key),
        }
    }

    /// The project a request may send to, given its key and `Origin`.
    pub fn check(&self, key: Option<&str>, origin: Option<&str>) -> Result<&ProjectAccess, Denied> {
        let project = key
            .and_then(|key| self.by_key.get(key))
            .ok_or(Denied::UnknownKey)?;
        match origin {
            Some(origin) if !project.origins.allows(origin) => Err(Denied::OriginNotAllowed),
            _ => Ok(project),
        }
    }
}

/// Whether configuration text is an origin pattern this module understands.
pub fn is_origin_pattern(text: &str) -> bool {
    parse_pattern(text).is_some()
}

fn parse_pattern(text: &str) -> Option<OriginPattern> {
    let text = text.trim().to_ascii_lowercase();
    if text == "*" {
        return Some(OriginPattern::Any);
    }
    let (scheme, host) = text.split_once("://")?;
    if !matches!(scheme, "http" | "https") || host.is_empty() || host.contains('/') {
        return None;
    }
    match host.strip_prefix('*') {
        Some(suffix) if suffix.starts_with('.') && suffix.len() > 1 => {
            Some(OriginPattern::Subdomain {
                scheme: format!("{scheme}://"),
                suffix: suffix.to_owned(),
            })
        }
        Some(_) => None,
        None => Some(OriginPattern::Exact(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> Access {
        Access::new(&[Project {
            name: "shop".into(),
            key: "shop-key-1".into(),
            origins: vec![
                "https://shop.example".into(),
                "https://*.cdn.example".into(),
            ],
        }])
    }

    #[test]
    fn keys_and_origins() {
        let access = access();
        assert_eq!(
            access
                .check(Some("shop-key-1"), Some("https://shop.example"))
                .unwrap()
                .name,
            "shop"
        );
        assert!(access
            .check(Some("shop-key-1"), Some("https://eu.cdn.example"))
            .is_ok());
        assert!(access.check(Some("shop-key-1"), None).is_ok());
        assert_eq!(
            access
                .check(Some("nope"), Some("https://shop.example"))
                .unwrap_err(),
            Denied::UnknownKey
        );
        assert_eq!(access.check(None, None).unwrap_err(), Denied::UnknownKey);
        for origin in [
            "https://evil.example",
            "http://shop.example",
            "https://cdn.example",
            "https://x.cdn.example.evil",
        ] {
            assert_eq!(
                access.check(Some("shop-key-1"), Some(origin)).unwrap_err(),
                Denied::OriginNotAllowed,
                "{origin}"
            );
        }
    }

    #[test]
    fn patterns() {
        for good in [
            "*",
            "https://a.example",
            "http://127.0.0.1:8080",
            "https://*.a.example",
        ] {
            assert!(is_origin_pattern(good), "{good}");
        }
        for bad in [
            "a.example",
            "https://a.example/path",
            "ftp://a.example",
            "https://*a.example",
            "https://",
        ] {
            assert!(!is_origin_pattern(bad), "{bad}");
        }
    }
}
