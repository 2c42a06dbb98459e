//! Outbound mail: the sender takes queued messages from the database and hands them to the
//! configured SMTP server. The Message-ID was fixed when the message was queued, so a retry
//! after an unknown outcome (a timeout, a crash) sends the same mail again, which mail programs
//! recognise as one.

use crate::app::App;
use crate::config::SmtpConfig;
use anyhow::Context;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rapport_store::mail_outbox::OutboundEmail;
use std::time::Duration;

/// How long a claimed mail is reserved for one sender before another may try.
const LEASE_SECONDS: i64 = 300;

/// How long a mail first waits after the server refused or could not be reached; each
/// further failure doubles it, up to an hour.
const RETRY_SECONDS: i64 = 60;

/// Sends every outbound mail that is due. Returns how many were accepted by the server.
pub async fn send_due_emails(app: &App) -> anyhow::Result<usize> {
    let mail = crate::settings::mail::in_force(app)
        .await
        .map_err(|err| anyhow::anyhow!("could not read the mail settings: {}", err.message))?;
    let Some(smtp) = &mail.smtp else {
        return Ok(0); // Queued mail waits until a server is configured; nothing is lost.
    };
    let transport = transport(smtp)?;
    let mut sent = 0;
    while let Some(mail) = app.store.claim_outbound_email(LEASE_SECONDS).await? {
        let attempt = match build(&mail) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|err| err.to_string()),
            Err(err) => Err(format!("{err:#}")),
        };
        match attempt {
            Ok(()) => {
                crate::metrics::mail_sent(true);
                app.store.outbound_sent(&mail).await?;
                sent += 1;
            }
            Err(error) => {
                crate::metrics::mail_sent(false);
                tracing::warn!(message = ?mail.message_id, %error, "could not send mail; it stays queued");
                app.store
                    .outbound_failed(&mail, &error, RETRY_SECONDS)
                    .await?;
                // The server is probably down: try the rest on the next round.
                break;
            }
        }
    }
    Ok(sent)
}

fn transport(smtp: &SmtpConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match smtp.security.as_str() {
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
            .context("the SMTP host is not valid for TLS")?,
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .context("the SMTP host is not valid for STARTTLS")?,
        other => anyhow::bail!("`smtp.security` must be none, starttls or tls, not `{other}`"),
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(30)));
    if let Some(username) = &smtp.username {
        // The configuration's password comes with RAPPORT_SMTP_PASSWORD already applied.
        let password = smtp.password.clone().unwrap_or_default();
        builder = builder.credentials(Credentials::new(username.clone(), password));
    }
    Ok(builder.build())
}

fn mailbox(address: &str) -> anyhow::Result<Mailbox> {
    address
        .parse()
        .with_context(|| format!("`{address}` is not a usable mail address"))
}

fn build(mail: &OutboundEmail) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(mailbox(&mail.from)?)
        .reply_to(mailbox(&mail.reply_to)?)
        .subject(&mail.subject)
        .message_id(Some(format!("<{}>", mail.rfc_message_id)));
    for to in &mail.to {
        builder = builder.to(mailbox(to)?);
    }
    for cc in &mail.cc {
        builder = builder.cc(mailbox(cc)?);
    }
    if let Some(parent) = &mail.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !mail.references.is_empty() {
        let references: Vec<String> = mail.references.iter().map(|id| format!("<{id}>")).collect();
        builder = builder.references(references.join(" "));
    }
    let mut message = match (&mail.html, mail.attachments.is_empty()) {
        (None, true) => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone()),
        (html, _) => {
            // The text and (when there is one) the HTML as alternatives, then the files.
            let mut mixed = match html {
                Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
                    mail.text.clone(),
                    html.clone(),
                )),
                None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
            };
            for file in &mail.attachments {
                // A type we cannot state goes as plain bytes.
                let content_type = ContentType::parse(&file.content_type)
                    .or_else(|_| ContentType::parse("application/octet-stream"))
                    .context("a file's content type")?;
                mixed = mixed.singlepart(
                    Attachment::new(file.filename.clone()).body(file.data.clone(), content_type),
                );
            }
            builder.multipart(mixed)
        }
    }
    .context("could not build the mail")?;
    if mail.automatic {
        // Written by the system (check-ins, surveys): tells other systems not to auto-reply.
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    }
    Ok(message)
}
