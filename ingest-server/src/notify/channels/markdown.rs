//! The Markdown both Chinese group robots render (DingTalk's and WeCom's
//! subsets agree on headings, bold, lists and links), and their answers: HTTP
//! 200 with `{"errcode": 0}`, or a non-zero errcode saying what is wrong.

use super::super::delivery::Answer;
use super::super::message::Message;
use super::super::notification::Notification;

/// A lone alert in full; a group as its title, status and a line per member.
/// `status_line` lets WeCom colour the status.
pub fn render(notification: &Notification, status_line: &str) -> String {
    if let Some(message) = notification.single() {
        return alone(message, status_line);
    }
    let line = |message: &Message| {
        format!(
            "- **{}** {}: {} ([Dashboard]({}))",
            message.status_label(),
            message.alert.app,
            message.measurement(),
            message.link
        )
    };
    let mut lines = vec![
        format!("#### {}", notification.title()),
        status_line.to_owned(),
    ];
    lines.extend(notification.listed(line));
    lines.join("\n")
}

/// `#### title`, then one bold-labelled line per fact, then links.
fn alone(message: &Message, status_line: &str) -> String {
    let alert = message.alert;
    let mut lines = vec![
        format!("#### {}", message.title()),
        status_line.to_owned(),
        format!("- **App**: {}", alert.app),
        format!("- **Rule**: {}", alert.rule),
        format!("- **Value**: {}", message.measurement()),
        format!("- **Since**: {}", message.since()),
    ];
    if let Some(description) = message.description() {
        lines.push(format!("\n> {description}"));
    }
    let mut links = vec![format!("[Dashboard]({})", message.link)];
    if let Some(runbook) = message.runbook() {
        links.push(format!("[Runbook]({runbook})"));
    }
    lines.push(format!("\n{}", links.join(" · ")));
    lines.join("\n")
}

/// Rate limits of DingTalk (130101, "send too fast") and WeCom (45009):
/// worth another try; any other errcode is a setting to fix.
const RATE_LIMITED: [i64; 2] = [130_101, 45_009];

/// The robot's verdict in a 200 answer's body.
pub fn judge(body: &str) -> Answer {
    let reply: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match reply["errcode"].as_i64() {
        Some(0) => Answer::Delivered,
        Some(code) => {
            let why = format!("errcode {code}: {}", reply["errmsg"].as_str().unwrap_or(""));
            if RATE_LIMITED.contains(&code) {
                Answer::Unreachable(why)
            } else {
                Answer::Refused(why)
            }
        }
        None => Answer::Refused(format!(
            "unexpected answer: {}",
            body.chars().take(200).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcodes() {
        assert!(matches!(
            judge(r#"{"errcode":0,"errmsg":"ok"}"#),
            Answer::Delivered
        ));
        assert!(
            matches!(judge(r#"{"errcode":310000,"errmsg":"sign not match"}"#), Answer::Refused(why) if why == "errcode 310000: sign not match")
        );
        assert!(matches!(
            judge(r#"{"errcode":130101,"errmsg":"send too fast"}"#),
            Answer::Unreachable(_)
        ));
        assert!(matches!(judge("<html>"), Answer::Refused(_)));
    }
}
