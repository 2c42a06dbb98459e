//! Inbound mail from IMAP mailboxes: the worker polls each configured mailbox, stores every
//! unseen message through the same ingestion path as the HTTP endpoint, and marks a message
//! seen only after it is committed. A message that could not be stored stays unseen and is
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
    for mailbox in &app.config.imap {
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
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .context("the IMAP server sent no greeting")?;
    let password = std::env::var("RAPPORT_IMAP_PASSWORD")
        .ok()
        .or_else(|| mailbox.password.clone())
        .unwrap_or_default();
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
    session.logout().await.ok();
    Ok(stored)
}
