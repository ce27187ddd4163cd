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
use crate::model::origin::OriginAllowList;

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
}
