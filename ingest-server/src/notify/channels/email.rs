//! Email over SMTP (lettre): one mail per notice to every recipient, with a
//! plain-text and an HTML part; STARTTLS (required, never optional) or
//! implicit TLS, verified against the server's roots; optional login.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::Tls as SmtpTlsMode;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use super::super::delivery::Answer;
use super::super::message::Message;
use super::super::notification::Notification;
use crate::config::channels::{Email, SmtpTls};
use crate::tls::{describe, Tls};

pub type Mailer = AsyncSmtpTransport<Tokio1Executor>;

/// The connection settings of one email channel (checked settings: the
/// addresses parse).
pub fn mailer(
    settings: &Email,
    tls: &Tls,
    timeout: std::time::Duration,
) -> Result<Mailer, lettre::transport::smtp::Error> {
    let mode = match settings.tls {
        SmtpTls::Starttls => SmtpTlsMode::Required(tls.smtp(&settings.host)?),
        SmtpTls::Implicit => SmtpTlsMode::Wrapper(tls.smtp(&settings.host)?),
        SmtpTls::None => SmtpTlsMode::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port())
        .tls(mode)
        .timeout(Some(timeout));
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A heading coloured by status, then each alert's facts, description and
/// links (a group heads each alert with its own title).
fn html(notification: &Notification) -> String {
    let colour = if notification.is_resolved() {
        "#2EB67D"
    } else {
        "#E01E5A"
    };
    let mut body = format!(
        "<h2 style=\"color:{colour}\">{}</h2>",
        html_escape(&notification.title())
    );
    for message in &notification.messages {
        if notification.single().is_none() {
            body.push_str(&format!("<h3>{}</h3>", html_escape(&message.title())));
        }
        body.push_str(&facts(message));
    }
    format!("<!doctype html><html><body>{body}</body></html>")
}

fn facts(message: &Message) -> String {
    let alert = message.alert;
    let row = |name: &str, value: &str| {
        format!(
            "<tr><th align=\"left\">{name}</th><td>{}</td></tr>",
            html_escape(value)
        )
    };
    let mut html = format!(
        "<table>{}{}{}{}</table>",
        row("App", &alert.app),
        row("Rule", &alert.rule),
        row("Value", &message.measurement()),
        row("Since", &message.since()),
    );
    if let Some(description) = message.description() {
        html.push_str(&format!("<p>{}</p>", html_escape(description)));
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">Dashboard</a>",
        html_escape(&message.link)
    ));
    if let Some(runbook) = message.runbook() {
        html.push_str(&format!(
            " · <a href=\"{}\">Runbook</a>",
            html_escape(runbook)
        ));
    }
    html.push_str("</p>");
    html
}

/// The mail for one notification.
pub fn mail(notification: &Notification, settings: &Email) -> Result<lettre::Message, String> {
    let mailbox = |address: &str| {
        address
            .parse::<Mailbox>()
            .map_err(|e| format!("{address:?}: {e}"))
    };
    let mut builder = lettre::Message::builder()
        .from(mailbox(&settings.from)?)
        .subject(notification.title());
    for to in &settings.to {
        builder = builder.to(mailbox(to)?);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(notification.text()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html(notification)),
                ),
        )
        .map_err(|e| e.to_string())
}

/// What an SMTP failure means for another attempt: a 5xx reply (a wrong
/// password, a refused recipient) will not change by itself.
pub fn judge(error: &lettre::transport::smtp::Error) -> Answer {
    let why = describe(error);
    if error.is_permanent() {
        Answer::Refused(why)
    } else {
        Answer::Unreachable(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alert::Notice;
    use crate::notify::message::tests::{alert, rule};

    #[test]
    fn one_mail_with_text_and_html_to_every_recipient() {
        let settings: Email = toml::from_str(
            "host = \"smtp.example\"\nfrom = \"Canopy <canopy@example.com>\"\nto = [\"a@example.com\", \"b@example.com\"]",
        )
        .unwrap();
        let (alert, rule) = (alert(), rule());
        let mail = mail(
            &Notification::alone(Message::new(&alert, Notice::Firing, &rule, "https://c")),
            &settings,
        )
        .unwrap();
        let envelope = mail.envelope();
        assert_eq!(envelope.to().len(), 2);
        let text = String::from_utf8(mail.formatted()).unwrap();
        assert!(
            text.contains("Subject: [FIRING] critical: cart-availability on cart"),
            "{text}"
        );
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("Content-Type: text/plain") && text.contains("Content-Type: text/html"),
            "{text}"
        );
        assert!(
            text.contains("availability = 50.00 % (threshold: < 90.00 %)"),
            "{text}"
        );
        assert!(text.contains("<h2 style=3D\"color:#E01E5A\">"), "{text}");

        let alerts = crate::notify::notification::tests::ten_alerts();
        let group = crate::notify::notification::tests::group(&alerts, &rule);
        let page = html(&group);
        assert_eq!(page.matches("<h3>").count(), 10, "{page}");
        assert!(
            page.contains("<h3>[RESOLVED] critical: cart-availability on app9</h3>"),
            "{page}"
        );
        let subject = super::mail(&group, &settings)
            .unwrap()
            .headers()
            .get_raw("Subject")
            .unwrap()
            .to_owned();
        assert!(subject.starts_with("[FIRING:9, RESOLVED:1]"), "{subject}");
    }
}
