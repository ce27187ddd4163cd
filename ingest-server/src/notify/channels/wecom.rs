//! A WeCom (企业微信) group robot: a `markdown` message, its status in
//! WeCom's own colours (`warning` is red-orange, `info` green).

use serde_json::{json, Value};

use super::super::notification::Notification;
use super::markdown;

/// WeCom refuses markdown content over 4096 bytes.
const CONTENT_MAX_BYTES: usize = 4096;

pub fn payload(notification: &Notification) -> Value {
    let colour = if notification.is_resolved() {
        "info"
    } else {
        "warning"
    };
    let status = format!(
        "<font color=\"{colour}\">{}</font>",
        notification.status_label()
    );
    let mut content = markdown::render(notification, &status);
    if content.len() > CONTENT_MAX_BYTES {
        let mut end = CONTENT_MAX_BYTES;
        while !content.is_char_boundary(end) {
            end -= 1;
        }
        content.truncate(end);
    }
    json!({"msgtype": "markdown", "markdown": {"content": content}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};
    use crate::notify::message::Message;

    #[test]
    fn markdown_with_coloured_status() {
        let (alert, rule) = (alert(), rule());
        let body = payload(&Notification::alone(Message::new(
            &alert,
            Notice::Resolved,
            &rule,
            "https://c",
        )));
        let content = body["markdown"]["content"].as_str().unwrap();
        assert!(
            content.contains("<font color=\"info\">RESOLVED</font>"),
            "{content}"
        );
        assert!(
            content.contains("- **Value**: availability = 50.00 %"),
            "{content}"
        );
    }
}
