//! A DingTalk group robot: a `markdown` message; with a signing secret, the
//! URL carries `timestamp` (ms) and `sign` = Base64(HMAC-SHA256(secret,
//! "{timestamp}\n{secret}")), as DingTalk's robot security settings require.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::super::notification::Notification;
use super::markdown;

pub fn payload(notification: &Notification) -> Value {
    let status = format!("**{}**", notification.status_label());
    json!({
        "msgtype": "markdown",
        "markdown": {"title": notification.title(), "text": markdown::render(notification, &status)},
    })
}

/// The robot's URL, signed at `timestamp_ms` when a secret is set.
pub fn signed_url(url: &str, secret: Option<&str>, timestamp_ms: i64) -> String {
    let Some(secret) = secret else {
        return url.to_owned();
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let sign: String = url::form_urlencoded::byte_serialize(sign.as_bytes()).collect();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}timestamp={timestamp_ms}&sign={sign}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};
    use crate::notify::message::Message;

    #[test]
    fn signature_matches_dingtalks_recipe() {
        // Computed with Python's hmac/base64/urllib.parse.quote_plus.
        assert_eq!(
            signed_url(
                "https://oapi.dingtalk.com/robot/send?access_token=t",
                Some("SECtest"),
                1_800_000_000_000
            ),
            "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1800000000000\
             &sign=ZAd9Sq5C0S2ByQxP%2F0ho5EcwLyPZrxc5IYmuYxebCjs%3D"
        );
        assert_eq!(
            signed_url("https://x/send?access_token=t", None, 1),
            "https://x/send?access_token=t"
        );
    }

    #[test]
    fn markdown_message() {
        let (alert, rule) = (alert(), rule());
        let body = payload(&Notification::alone(Message::new(
            &alert,
            Notice::Firing,
            &rule,
            "https://c",
        )));
        assert_eq!(body["msgtype"], "markdown");
        let text = body["markdown"]["text"].as_str().unwrap();
        assert!(
            text.starts_with("#### [FIRING] critical: cart-availability on cart\n**FIRING**"),
            "{text}"
        );
        assert!(
            text.contains("[Runbook](https://runbooks.example/cart)"),
            "{text}"
        );
        let alerts = crate::notify::notification::tests::ten_alerts();
        let group = payload(&crate::notify::notification::tests::group(&alerts, &rule));
        let text = group["markdown"]["text"].as_str().unwrap();
        assert!(text.starts_with("#### [FIRING:9, RESOLVED:1]"), "{text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("- **")).count(),
            10,
            "{text}"
        );
        assert!(
            text.contains("- **RESOLVED** app9: availability = 50.00 %"),
            "{text}"
        );
    }
}
