//! Enrich: what the server adds to a validated beacon before logging it —
//! when it arrived, and the browser, OS and device class from the
//! User-Agent. The client IP is used for rate limiting only and never stored.

use canopy_wire::Beacon;
use serde::{Deserialize, Serialize};

/// A beacon as the server accepted it: the unit of the write-ahead log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    pub received_at_ms: i64,
    pub client: Client,
    pub beacon: Beacon,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    /// woothee's classes: pc, smartphone, mobilephone, appliance, crawler, misc, UNKNOWN.
    pub device: String,
}

pub fn enrich(beacon: Beacon, user_agent: Option<&str>, received_at_ms: i64) -> Accepted {
    let client = user_agent.map(parse_user_agent).unwrap_or_default();
    Accepted {
        received_at_ms,
        client,
        beacon,
    }
}

fn parse_user_agent(user_agent: &str) -> Client {
    match woothee::parser::Parser::new().parse(user_agent) {
        Some(parsed) => Client {
            browser: parsed.name.to_owned(),
            browser_version: parsed
                .version
                .split('.')
                .next()
                .unwrap_or_default()
                .to_owned(),
            os: parsed.os.to_owned(),
            device: parsed.category.to_owned(),
        },
        None => Client::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_become_browser_os_and_device() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(
            parse_user_agent(chrome),
            Client {
                browser: "Chrome".into(),
                browser_version: "156".into(),
                os: "Linux".into(),
                device: "pc".into()
            }
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        let parsed = parse_user_agent(iphone);
        assert_eq!(
            (
                parsed.browser.as_str(),
                parsed.os.as_str(),
                parsed.device.as_str()
            ),
            ("Safari", "iPhone", "smartphone")
        );
        assert_eq!(parse_user_agent("curl/8.0").device, "misc");
    }
}
