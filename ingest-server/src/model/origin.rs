//! Origin allow-lists: which page origins something accepts. Patterns are
//! parsed once and compared as scheme, host and port, never as text, so a
//! wildcard matches whole labels only.

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
