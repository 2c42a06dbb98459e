//! Building the application from its configuration, and serving it.

use crate::config::Config;
use crate::router;
use anyhow::Context;
use rapport_store::Store;
use rapport_store::clock::Clock;
use std::future::Future;
use tokio::net::TcpListener;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub config: Config,
    /// Stores inbound mail from concurrent deliveries in shared transactions.
    pub intake: crate::intake::MailIntake,
    /// Sign-in tries per address and client, to slow down password guessing.
    pub sign_ins: std::sync::Arc<crate::session::SignInLimiter>,
    /// Live updates and presence for open pages.
    pub live: crate::live::Live,
    /// Posts webhook deliveries (one HTTP client, with the rules of where they may go).
    pub webhooks: crate::webhooks::Sender,
}

impl App {
    /// Opens (and for SQLite creates) the database and applies pending migrations.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        App::build_with_clock(config, Clock::System).await
    }

    /// The same, with a given clock (tests move a manual clock to drive timers).
    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<App> {
        if config.database_url.is_none() {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!(
                    "could not create the data directory {}",
                    config.data_dir.display()
                )
            })?;
        }
        let store = Store::connect(&config.database_url(), config.max_connections)
            .await?
            .with_clock(clock)
            .with_public_url(&config.public_url)
            .with_files(config.files()?);
        store
            .migrate()
            .await
            .context("could not apply the database migrations")?;
        store
            .optimize()
            .await
            .context("could not refresh the database's statistics")?;
        // Files kept in the database rows before the file store existed move into it.
        let moved = store
            .move_blobs_to_files(|moved| {
                if moved % 1_000 < 200 {
                    tracing::info!(moved, "moving stored files out of the database");
                }
            })
            .await
            .with_context(|| {
                format!(
                    "could not move the files kept in the database to {}",
                    store.files().describe()
                )
            })?;
        if moved > 0 {
            tracing::info!(moved, files = %store.files().describe(), "moved stored files out of the database");
        }
        // Messages queued for sending take their sender address from the workspace settings:
        // the one an admin chose, else the configuration's. The same for the public address.
        let chosen = store
            .setting(crate::settings::mail::MAIL_FROM_CHOSEN_SETTING)
            .await?
            .filter(|from| !from.trim().is_empty());
        let from = match chosen {
            Some(from) => from,
            None => rapport_domain::validate::email(&config.mail_from)
                .map_err(|err| anyhow::anyhow!("`mail_from` in the configuration: {err}"))?,
        };
        store
            .set_setting(rapport_store::mail_outbox::MAIL_FROM_SETTING, &from)
            .await?;
        if let Some(url) = store
            .setting(crate::settings::mail::PUBLIC_URL_SETTING)
            .await?
            .filter(|url| !url.trim().is_empty())
        {
            store.set_public_url(&url);
        }
        let intake = crate::intake::MailIntake::start(store.clone());
        let webhooks = crate::webhooks::Sender::new(config.webhooks_allow_private)
            .context("could not set up the webhook sender")?;
        Ok(App {
            webhooks,
            sign_ins: std::sync::Arc::new(crate::session::SignInLimiter::new(store.clone())),
            store,
            config,
            intake,
            live: Default::default(),
        })
    }
}

/// Serves HTTP on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let live = app.live.clone();
    let tail = tokio::spawn(
        live.clone()
            .tail(app.store.clone(), app.config.database_url()),
    );
    let (router, _openapi) = router::router(app);
    // Open live streams never end by themselves; closing them lets the server stop.
    let shutdown = async move {
        shutdown.await;
        live.close();
    };
    // The peer's address is what the sign-in limit counts clients by.
    let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    tail.abort();
    served.context("the HTTP server failed")
}

/// Finished jobs are kept this long, for looking into what happened, then forgotten.
const JOBS_KEPT_DAYS: i64 = 30;

/// Runs due jobs (check-ins, promise deadlines, follow-ups, surveys, health) and sends due
/// mail every
/// `interval` until `shutdown` completes. Jobs live in the database, so nothing is lost when
/// the process stops; they run when it comes back.
pub async fn work(
    app: App,
    interval: std::time::Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    tokio::pin!(shutdown);
    // The mailboxes watched now; an admin's change of them restarts the watchers.
    let mut watching: Option<String> = None;
    let mut watchers: Vec<tokio::task::JoinHandle<()>> = Vec::new();
    let mut last_prune: Option<std::time::Instant> = None;
    loop {
        // Mail settings an admin changed on any node reach this one within a round.
        match crate::settings::mail::in_force(&app).await {
            Ok(mail) => {
                app.store.set_public_url(&mail.public_url);
                let now = serde_json::to_string(&mail.imap).ok();
                if now != watching {
                    for watcher in watchers.drain(..) {
                        watcher.abort();
                    }
                    watchers = mail
                        .imap
                        .into_iter()
                        .map(|mailbox| tokio::spawn(crate::imap::watch(app.clone(), mailbox)))
                        .collect();
                    watching = now;
                }
            }
            Err(error) => tracing::error!(error = ?error, "could not read the mail settings"),
        }
        if last_prune.is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(3600)) {
            last_prune = Some(std::time::Instant::now());
            match app.store.prune_jobs(JOBS_KEPT_DAYS).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "forgot finished jobs"),
                Err(error) => tracing::error!(%error, "could not prune finished jobs"),
            }
            if let Err(error) = app
                .store
                .prune_sign_in_limits(crate::session::SIGN_IN_RULES)
                .await
            {
                tracing::error!(%error, "could not forget old sign-in counts");
            }
            // A growing workspace keeps SQLite's query plans right (see Store::optimize).
            if let Err(error) = app.store.optimize().await {
                tracing::error!(%error, "could not refresh the database's statistics");
            }
        }
        match crate::jobs::run_due(&app.store).await {
            Ok(0) => {}
            Ok(ran) => tracing::debug!(ran, "ran due jobs"),
            Err(error) => {
                tracing::error!(%error, "the worker could not run jobs; it will try again")
            }
        }
        // Outbound mail: replies, check-ins, surveys, sign-in links.
        match crate::smtp::send_due_emails(&app).await {
            Ok(0) => {}
            Ok(sent) => tracing::debug!(sent, "sent mail"),
            Err(error) => tracing::warn!(%error, "could not send mail; it stays queued"),
        }
        // Webhooks: each delivery posted, retried on the domain's schedule.
        match crate::webhooks::send::send_due(&app).await {
            Ok(0) => {}
            Ok(attempts) => tracing::debug!(attempts, "posted webhook deliveries"),
            Err(error) => tracing::warn!(%error, "could not send webhooks; they stay queued"),
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    for watcher in watchers {
        watcher.abort();
    }
}
