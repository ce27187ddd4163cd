//! Who may send: public ingest keys, and the page origins each key accepts.
//!
//! The key is public (it is in every page), so it identifies rather than
//! authenticates; the origin allow-list stops other sites from sending with
//! it. A request without an `Origin` header comes from outside a browser and
//! is judged by its key alone.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};

use crate::config::Project;

/// An origin as compared: scheme, host and port (the scheme's default when
/// not written), after parsing, never as text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    /// Lower case, IDNA-encoded.
    host: String,
    port: u16,
}

impl Origin {
    /// `http(s)://host[:port]` and nothing more: a path, query, fragment or
    /// credentials make it no origin.
    fn parse(text: &str) -> Option<Self> {
        let url = url::Url::parse(text).ok()?;
        let bare = url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        // `*` is a valid host character to the URL standard; here it would
        // be a misplaced wildcard.
        let host = url.host_str().filter(|host| !host.contains('*'))?;
        if !bare || !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        Some(Self {
            scheme: url.scheme().to_owned(),
            host: host.to_owned(),
            port: url.port_or_known_default()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum OriginPattern {
    Any,
    Exact(Origin),
    /// `https://*.shop.example`: one or more whole labels before the domain
    /// `shop.example`, same scheme and port.
    Subdomain(Origin),
}

/// A request's `Origin` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOrigin<'a> {
    /// None: a client outside a browser.
    Absent,
    /// Sent twice, or not visible ASCII: refused, never taken for absent.
    Invalid,
    Sent(&'a str),
}

impl<'a> RequestOrigin<'a> {
    pub fn of_headers(headers: &'a HeaderMap) -> Self {
        let mut values = headers.get_all(header::ORIGIN).iter();
        match (values.next(), values.next()) {
            (None, _) => Self::Absent,
            (Some(value), None) => Self::of(value),
            (Some(_), Some(_)) => Self::Invalid,
        }
    }

    pub fn of(value: &'a HeaderValue) -> Self {
        value.to_str().map_or(Self::Invalid, Self::Sent)
    }
}

/// Origins something is allowed for: exact, `https://*.domain`, or `*`.
#[derive(Debug, Clone, Default)]
pub struct OriginAllowList(Vec<OriginPattern>);

impl OriginAllowList {
    /// The patterns that parse (configuration checks reject the others).
    pub fn new(patterns: &[String]) -> Self {
        Self(patterns.iter().filter_map(|p| parse_pattern(p)).collect())
    }

    /// Whether `origin` is allowed; `None` if it is no origin at all. The
    /// opaque origin `null` (sandboxed frames, files) matches only `*`.
    pub fn allows(&self, origin: &str) -> Option<bool> {
        let any = self.0.contains(&OriginPattern::Any);
        if origin == "null" {
            return Some(any);
        }
        let origin = Origin::parse(origin)?;
        Some(any || self.0.iter().any(|pattern| matches(pattern, &origin)))
    }
}

fn matches(pattern: &OriginPattern, origin: &Origin) -> bool {
    match pattern {
        OriginPattern::Any => true,
        OriginPattern::Exact(exact) => exact == origin,
        OriginPattern::Subdomain(domain) => {
            domain.scheme == origin.scheme
                && domain.port == origin.port
                && origin
                    .host
                    .strip_suffix(domain.host.as_str())
                    .and_then(|labels| labels.strip_suffix('.'))
                    .is_some_and(|labels| !labels.is_empty() && !labels.ends_with('.'))
        }
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
    InvalidOrigin,
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
    pub fn check(
        &self,
        key: Option<&str>,
        origin: RequestOrigin,
    ) -> Result<&ProjectAccess, Denied> {
        let project = key
            .and_then(|key| self.by_key.get(key))
            .ok_or(Denied::UnknownKey)?;
        let allowed = match origin {
            RequestOrigin::Absent => Some(true),
            RequestOrigin::Invalid => None,
            RequestOrigin::Sent(origin) => project.origins.allows(origin),
        };
        match allowed {
            Some(true) => Ok(project),
            Some(false) => Err(Denied::OriginNotAllowed),
            None => Err(Denied::InvalidOrigin),
        }
    }
}

/// Whether configuration text is an origin pattern this module understands.
pub fn is_origin_pattern(text: &str) -> bool {
    parse_pattern(text).is_some()
}

fn parse_pattern(text: &str) -> Option<OriginPattern> {
    let text = text.trim();
    if text == "*" {
        return Some(OriginPattern::Any);
    }
    let (scheme, host) = text.split_once("://")?;
    match host.strip_prefix("*.") {
        Some(domain) => {
            let origin = Origin::parse(&format!("{scheme}://{domain}"))?;
            // Labels under an IP address are no subdomains.
            let is_domain = url::Host::parse(&origin.host)
                .is_ok_and(|host| matches!(host, url::Host::Domain(_)));
            is_domain.then_some(OriginPattern::Subdomain(origin))
        }
        None => Origin::parse(text).map(OriginPattern::Exact),
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
        let sent = RequestOrigin::Sent;
        assert_eq!(
            access
                .check(Some("shop-key-1"), sent("https://shop.example"))
                .unwrap()
                .name,
            "shop"
        );
        assert!(access
            .check(Some("shop-key-1"), sent("https://eu.cdn.example"))
            .is_ok());
        assert!(access
            .check(Some("shop-key-1"), RequestOrigin::Absent)
            .is_ok());
        assert_eq!(
            access
                .check(Some("nope"), sent("https://shop.example"))
                .unwrap_err(),
            Denied::UnknownKey
        );
        assert_eq!(
            access.check(None, RequestOrigin::Absent).unwrap_err(),
            Denied::UnknownKey
        );
        for origin in [
            "https://evil.example",
            "http://shop.example",
            "https://cdn.example",
            "https://x.cdn.example.evil",
        ] {
            assert_eq!(
                access.check(Some("shop-key-1"), sent(origin)).unwrap_err(),
                Denied::OriginNotAllowed,
                "{origin}"
            );
        }
        assert_eq!(
            access
                .check(Some("shop-key-1"), RequestOrigin::Invalid)
                .unwrap_err(),
            Denied::InvalidOrigin
        );
    }

    #[test]
    fn origins_are_compared_after_parsing() {
        let list = OriginAllowList::new(&[
            "https://shop.example".into(),
            "https://*.shop.example".into(),
            "http://127.0.0.1:8080".into(),
        ]);
        for allowed in [
            "https://shop.example",
            "https://SHOP.example",
            "https://shop.example:443",
            "https://eu.shop.example",
            "https://a.b.shop.example",
            "http://127.0.0.1:8080",
        ] {
            assert_eq!(list.allows(allowed), Some(true), "{allowed}");
        }
        for refused in [
            "https://evilshop.example",
            "https://shop.example.evil",
            "http://eu.shop.example",
            "https://eu.shop.example:8443",
            "https://shop.example:444",
            "http://127.0.0.1:8081",
            "null",
        ] {
            assert_eq!(list.allows(refused), Some(false), "{refused}");
        }
        for invalid in [
            "https://evil.example#.shop.example",
            "https://evil.example/.shop.example",
            "https://evil.example?.shop.example",
            "https://user@eu.shop.example",
            "eu.shop.example",
            "ftp://eu.shop.example",
            "",
        ] {
            assert_eq!(list.allows(invalid), None, "{invalid}");
        }
        let any = OriginAllowList::new(&["*".into()]);
        assert_eq!(any.allows("null"), Some(true));
    }

    #[test]
    fn a_second_or_non_ascii_origin_header_is_invalid_not_absent() {
        let mut headers = HeaderMap::new();
        assert_eq!(RequestOrigin::of_headers(&headers), RequestOrigin::Absent);
        headers.append(
            header::ORIGIN,
            HeaderValue::from_static("https://shop.example"),
        );
        assert_eq!(
            RequestOrigin::of_headers(&headers),
            RequestOrigin::Sent("https://shop.example")
        );
        headers.append(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert_eq!(RequestOrigin::of_headers(&headers), RequestOrigin::Invalid);
        let non_ascii = HeaderValue::from_bytes("https://shöp.example".as_bytes()).unwrap();
        assert_eq!(RequestOrigin::of(&non_ascii), RequestOrigin::Invalid);
    }

    #[test]
    fn patterns() {
        for good in [
            "*",
            "https://a.example",
            "http://127.0.0.1:8080",
            "https://*.a.example",
            "https://*.a.example:8443",
        ] {
            assert!(is_origin_pattern(good), "{good}");
        }
        for bad in [
            "a.example",
            "https://a.example/path",
            "ftp://a.example",
            "https://*a.example",
            "https://",
            "https://*.127.0.0.1",
            "https://a.example#x",
        ] {
            assert!(!is_origin_pattern(bad), "{bad}");
        }
    }
}
