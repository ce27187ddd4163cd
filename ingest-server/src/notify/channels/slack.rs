//! A Slack incoming webhook: Block Kit blocks in an attachment, whose bar
//! takes the severity's colour (green once resolved); `text` is what
//! notifications and clients without blocks show.

use serde_json::{json, Value};

use super::super::message::Message;
use super::super::notification::Notification;
use crate::model::rule::Severity;

/// Slack's header blocks hold at most 150 characters.
const HEADER_MAX: usize = 150;

fn colour(notification: &Notification) -> &'static str {
    match (notification.is_resolved(), notification.severity()) {
        (true, _) => "#2EB67D",
        (false, Severity::Critical) => "#E01E5A",
        (false, Severity::Warning) => "#ECB22E",
        (false, Severity::Info) => "#36C5F0",
    }
}

/// Slack's mrkdwn treats these three as control characters.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn header(title: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": title.chars().take(HEADER_MAX).collect::<String>()}})
}

/// A lone alert in full; a group as a header and a line per member (Slack
/// takes at most 50 blocks).
pub fn payload(notification: &Notification) -> Value {
    let blocks = match notification.single() {
        Some(message) => alone(message),
        None => {
            let line = |message: &Message| {
                format!(
                    "*{}*\n{} · {} · <{}|Dashboard>",
                    escape(&message.title()),
                    escape(&message.measurement()),
                    escape(&message.since()),
                    message.link
                )
            };
            std::iter::once(header(&notification.title()))
                .chain(notification.listed(line).into_iter().map(
                    |text| json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}),
                ))
                .collect()
        }
    };
    let text = match notification.single() {
        Some(message) => message.summary(),
        None => notification.title(),
    };
    json!({
        "text": escape(&text),
        "attachments": [{"color": colour(notification), "blocks": blocks}],
    })
}

fn alone(message: &Message) -> Vec<Value> {
    let alert = message.alert;
    let field = |name: &str, value: &str| json!({"type": "mrkdwn", "text": format!("*{name}*\n{}", escape(value))});
    let mut blocks = vec![
        header(&message.title()),
        json!({"type": "section", "fields": [
            field("App", &alert.app),
            field("Rule", &alert.rule),
            field("Value", &message.measurement()),
            field("Since", &message.since()),
        ]}),
    ];
    if let Some(description) = message.description() {
        blocks.push(
            json!({"type": "section", "text": {"type": "mrkdwn", "text": escape(description)}}),
        );
    }
    let mut buttons = vec![
        json!({"type": "button", "text": {"type": "plain_text", "text": "Dashboard"}, "url": message.link}),
    ];
    if let Some(runbook) = message.runbook() {
        buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": "Runbook"}, "url": runbook}));
    }
    blocks.push(json!({"type": "actions", "elements": buttons}));
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};

    #[test]
    fn blocks_coloured_by_severity_with_buttons() {
        let (alert, rule) = (alert(), rule());
        let firing = payload(&Notification::alone(Message::new(
            &alert,
            Notice::Firing,
            &rule,
            "https://c",
        )));
        assert_eq!(firing["attachments"][0]["color"], "#E01E5A");
        let blocks = firing["attachments"][0]["blocks"].as_array().unwrap();
        assert_eq!(
            blocks[0]["text"]["text"],
            "[FIRING] critical: cart-availability on cart"
        );
        assert_eq!(
            blocks[1]["fields"][2]["text"],
            "*Value*\navailability = 50.00 % (threshold: &lt; 90.00 %)"
        );
        assert_eq!(
            blocks[3]["elements"][1]["url"],
            "https://runbooks.example/cart"
        );
        let resolved = payload(&Notification::alone(Message::new(
            &alert,
            Notice::Resolved,
            &rule,
            "https://c",
        )));
        assert_eq!(resolved["attachments"][0]["color"], "#2EB67D");
        assert!(resolved["text"].as_str().unwrap().starts_with("[RESOLVED]"));
    }

    #[test]
    fn a_group_lists_its_members_under_one_header() {
        let (alerts, rule) = (crate::notify::notification::tests::ten_alerts(), rule());
        let body = payload(&crate::notify::notification::tests::group(&alerts, &rule));
        let blocks = body["attachments"][0]["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 11);
        assert!(blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("[FIRING:9, RESOLVED:1]"));
        assert!(blocks[10]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("*[RESOLVED] critical: cart-availability on app9*"));
        assert_eq!(body["attachments"][0]["color"], "#E01E5A");
    }
}
