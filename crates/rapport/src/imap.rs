//! Inbound mail from IMAP mailboxes: the worker watches each configured mailbox (IDLE where the
//! server offers it, polling otherwise), stores every unseen message through the same
//! ingestion path as the HTTP endpoint, and marks a message seen only after it is committed. A message that could not be stored stays unseen and is
//! fetched again on the next poll; ingestion is idempotent, so a message stored just before a
//! crash is not stored twice.

use crate::app::App;
use crate::config::ImapConfig;
use anyhow::Context;
use futures_util::StreamExt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// At most this many messages are taken from a mailbox in one poll.
const MAX_PER_POLL: usize = 200;

/// Polls every configured mailbox once; returns how many new mails were stored.
pub async fn poll_all(app: &App) -> usize {
    let mut stored = 0;
    let mailboxes = match crate::settings::mail::in_force(app).await {
        Ok(mail) => mail.imap,
        Err(error) => {
            tracing::warn!(error = %error.message, "could not read the mail settings");
            return 0;
        }
    };
    for mailbox in &mailboxes {
        match poll_mailbox(app, mailbox).await {
            Ok(count) => stored += count,
            Err(error) => {
                tracing::warn!(mailbox = %mailbox.name, error = %format!("{error:#}"), "could not poll the IMAP mailbox; will try again")
            }
        }
    }
    stored
}

/// Polls one mailbox once.
pub async fn poll_mailbox(app: &App, mailbox: &ImapConfig) -> anyhow::Result<usize> {
    let address = (mailbox.host.as_str(), mailbox.port);
    let tcp = TcpStream::connect(address).await.with_context(|| {
        format!(
            "could not connect to the IMAP server {}:{}",
            mailbox.host, mailbox.port
        )
    })?;
    match mailbox.security.as_str() {
        "none" => poll_stream(app, mailbox, tcp).await,
        "tls" => {
            let mut roots = tokio_rustls::rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let tls = tokio_rustls::rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(mailbox.host.clone())
                .with_context(|| format!("`{}` is not a host name TLS can check", mailbox.host))?;
            let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
                .connect(name, tcp)
                .await
                .context("the TLS handshake failed")?;
            poll_stream(app, mailbox, stream).await
        }
        other => anyhow::bail!(
            "`security` of IMAP mailbox `{}` must be none or tls, not `{other}`",
            mailbox.name
        ),
    }
}

async fn poll_stream<S>(app: &App, mailbox: &ImapConfig, stream: S) -> anyhow::Result<usize>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut session = open(mailbox, stream).await?;
    let stored = store_unseen(app, mailbox, &mut session).await?;
    session.logout().await.ok();
    Ok(stored)
}

/// Logs in and opens the folder.
async fn open<S>(mailbox: &ImapConfig, stream: S) -> anyhow::Result<async_imap::Session<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .context("the IMAP server sent no greeting")?;
    // The configuration's password comes with RAPPORT_IMAP_PASSWORD already applied.
    let password = mailbox.password.clone().unwrap_or_default();
    let mut session = client
        .login(&mailbox.username, &password)
        .await
        .map_err(|(error, _)| {
            anyhow::anyhow!(
                "the IMAP server refused the login of `{}`: {error}",
                mailbox.username
            )
        })?;
    session
        .select(&mailbox.folder)
        .await
        .with_context(|| format!("could not open the folder `{}`", mailbox.folder))?;
    Ok(session)
}

/// Stores every unseen message, marking each seen once it is committed.
async fn store_unseen<S>(
    app: &App,
    mailbox: &ImapConfig,
    session: &mut async_imap::Session<S>,
) -> anyhow::Result<usize>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut unseen: Vec<u32> = session
        .uid_search("UNSEEN")
        .await
        .context("could not search for unseen mail")?
        .into_iter()
        .collect();
    unseen.sort_unstable();
    unseen.truncate(MAX_PER_POLL);

    let mut stored = 0;
    for uid in unseen {
        let raw = {
            let mut fetches = session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await
                .context("could not fetch a message")?;
            let mut raw = None;
            while let Some(fetch) = fetches.next().await {
                let fetch = fetch.context("could not read a fetched message")?;
                if let Some(body) = fetch.body() {
                    raw = Some(body.to_vec());
                }
            }
            raw
        };
        let Some(raw) = raw else { continue };
        let ingested = app
            .store
            .ingest_email(&raw, Some(&mailbox.name), app.config.max_email_bytes)
            .await?;
        if !ingested.duplicate {
            stored += 1;
        }
        // Only now, with the mail committed, is it marked seen.
        let mut flagged = session
            .uid_store(uid.to_string(), "+FLAGS (\\Seen)")
            .await
            .context("could not mark a message seen")?;
        while let Some(result) = flagged.next().await {
            result.context("could not mark a message seen")?;
        }
    }
    Ok(stored)
}

/// Watches one mailbox for as long as the task runs: stores what is unseen, then waits for new
/// mail with IDLE when the server offers it (so mail arrives in seconds), or polls every
/// `imap_poll_seconds` when it does not. Connection failures are retried after that interval.
pub async fn watch(app: App, mailbox: ImapConfig) {
    let interval = std::time::Duration::from_secs(app.config.imap_poll_seconds);
    loop {
        if let Err(error) = watch_connection(&app, &mailbox, interval).await {
            tracing::warn!(mailbox = %mailbox.name, error = %format!("{error:#}"), "IMAP mailbox unavailable; will try again");
        }
        tokio::time::sleep(interval).await;
    }
}

async fn watch_connection(
    app: &App,
    mailbox: &ImapConfig,
    interval: std::time::Duration,
) -> anyhow::Result<()> {
    let tcp = TcpStream::connect((mailbox.host.as_str(), mailbox.port))
        .await
        .with_context(|| {
            format!(
                "could not connect to the IMAP server {}:{}",
                mailbox.host, mailbox.port
            )
        })?;
    match mailbox.security.as_str() {
        "none" => watch_stream(app, mailbox, tcp, interval).await,
        _ => {
            // TLS watching reuses the one-shot poll on each interval.
            loop {
                let stored = poll_mailbox(app, mailbox).await?;
                if stored > 0 {
                    tracing::info!(mailbox = %mailbox.name, stored, "stored mail from IMAP");
                }
                tokio::time::sleep(interval).await;
            }
        }
    }
}

async fn watch_stream<S>(
    app: &App,
    mailbox: &ImapConfig,
    stream: S,
    interval: std::time::Duration,
) -> anyhow::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut session = open(mailbox, stream).await?;
    let idle = session
        .capabilities()
        .await
        .context("could not ask for the server's capabilities")?
        .has_str("IDLE");
    loop {
        let stored = store_unseen(app, mailbox, &mut session).await?;
        if stored > 0 {
            tracing::info!(mailbox = %mailbox.name, stored, "stored mail from IMAP");
        }
        if idle {
            // Servers drop an IDLE after 30 minutes; renew it well before.
            let mut handle = session.idle();
            handle.init().await.context("could not start IDLE")?;
            let (wait, _interrupt) =
                handle.wait_with_timeout(std::time::Duration::from_secs(25 * 60));
            wait.await.context("IDLE failed")?;
            session = handle.done().await.context("could not end IDLE")?;
        } else {
            tokio::time::sleep(interval).await;
        }
    }
}
