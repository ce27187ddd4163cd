//! A Slack incoming webhook: Block Kit blocks in an attachment, whose bar
//! takes the severity's colour (green once resolved); `text` is what
//! notifications and clients without blocks show.

use serde_json::{json, Value};

use super::super::message::Message;
use crate::model::rule::Severity;

/// Slack's header blocks hold at most 150 characters.
const HEADER_MAX: usize = 150;

fn colour(message: &Message) -> &'static str {
    match (message.is_resolved(), message.severity()) {
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

pub fn payload(message: &Message) -> Value {
    let alert = message.alert;
    let field = |name: &str, value: &str| json!({"type": "mrkdwn", "text": format!("*{name}*\n{}", escape(value))});
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": message.title().chars().take(HEADER_MAX).collect::<String>()}}),
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
    json!({
        "text": escape(&format!("{} — {}", message.title(), message.measurement())),
        "attachments": [{"color": colour(message), "blocks": blocks}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};

    #[test]
    fn blocks_coloured_by_severity_with_buttons() {
        let (alert, rule) = (alert(), rule());
        let firing = payload(&Message::new(&alert, Notice::Firing, &rule, "https://c"));
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
        let resolved = payload(&Message::new(&alert, Notice::Resolved, &rule, "https://c"));
        assert_eq!(resolved["attachments"][0]["color"], "#2EB67D");
        assert!(resolved["text"].as_str().unwrap().starts_with("[RESOLVED]"));
    }
}
