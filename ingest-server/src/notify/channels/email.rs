//! Email over SMTP (lettre): one mail per notice to every recipient, with a
//! plain-text and an HTML part; STARTTLS (required, never optional) or
//! implicit TLS, verified against the server's roots; optional login.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::Tls as SmtpTlsMode;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use super::super::delivery::Answer;
use super::super::message::Message;
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

fn html(message: &Message) -> String {
    let alert = message.alert;
    let colour = if message.is_resolved() {
        "#2EB67D"
    } else {
        "#E01E5A"
    };
    let row = |name: &str, value: &str| {
        format!(
            "<tr><th align=\"left\">{name}</th><td>{}</td></tr>",
            html_escape(value)
        )
    };
    let mut body = format!(
        "<h2 style=\"color:{colour}\">{}</h2><table>{}{}{}{}</table>",
        html_escape(&message.title()),
        row("App", &alert.app),
        row("Rule", &alert.rule),
        row("Value", &message.measurement()),
        row("Since", &message.since()),
    );
    if let Some(description) = message.description() {
        body.push_str(&format!("<p>{}</p>", html_escape(description)));
    }
    body.push_str(&format!(
        "<p><a href=\"{}\">Dashboard</a>",
        html_escape(&message.link)
    ));
    if let Some(runbook) = message.runbook() {
        body.push_str(&format!(
            " · <a href=\"{}\">Runbook</a>",
            html_escape(runbook)
        ));
    }
    format!("<!doctype html><html><body>{body}</p></body></html>")
}

/// The mail for one notice.
pub fn mail(message: &Message, settings: &Email) -> Result<lettre::Message, String> {
    let mailbox = |address: &str| {
        address
            .parse::<Mailbox>()
            .map_err(|e| format!("{address:?}: {e}"))
    };
    let mut builder = lettre::Message::builder()
        .from(mailbox(&settings.from)?)
        .subject(message.title());
    for to in &settings.to {
        builder = builder.to(mailbox(to)?);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(message.text()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html(message)),
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
            &Message::new(&alert, Notice::Firing, &rule, "https://c"),
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
    }
}
