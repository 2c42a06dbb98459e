//! The command line: `rapport serve | migrate | admin ...`. Each command is a small function
//! over the library; failures come back as sentences and a non-zero exit.

mod bench;
mod coach;

use crate::app::{App, serve};
use crate::config::{Config, FileConfig};
use crate::demo;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use rapport_domain::{Actor, Role};
use rapport_store::agents::NewAgent;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;

/// The setting holding the public address the server last started with.
const SERVED_AT_SETTING: &str = "served_at";

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "Rapport: a help desk with a relationship memory."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// A TOML configuration file.
    #[arg(long, global = true, env = "RAPPORT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where Rapport keeps its SQLite database and files [default: ./rapport-data].
    #[arg(long, global = true, env = "RAPPORT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where the files (attachments, raw mail) live [default: DATA_DIR/files]. For an S3
    /// bucket instead, set `[s3]` in the configuration file or `RAPPORT_S3_BUCKET` (and
    /// `RAPPORT_S3_ENDPOINT`, `_REGION`, `_ACCESS_KEY_ID`, `_SECRET_ACCESS_KEY`, `_PREFIX`).
    #[arg(long, global = true, env = "RAPPORT_FILES_DIR")]
    pub files_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of SQLite, e.g. postgres://rapport@localhost/rapport.
    #[arg(long, global = true, env = "RAPPORT_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and, later, the agent workspace and the portal).
    Serve {
        /// The address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "RAPPORT_LISTEN")]
        listen: Option<SocketAddr>,
        /// Seed a small demo workspace (once) and print how to sign in.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the background worker alone (timers, follow-ups, surveys, health), for a deployment
    /// with several servers; `serve` runs one too.
    Worker,
    /// Administration: agents, tokens, mail intake tokens, backups and exports.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Move in from another help desk: a mail archive (mbox or Maildir), a Zendesk export, or a
    /// CSV of tickets and messages. History keeps its dates and sends nothing to anyone; run
    /// again (or after it was stopped), an import adds only what is not here yet.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Take one raw email on standard input, for an MTA pipe. Exits 0 once it is stored,
    /// 75 (try again later) when it could not be stored, 65 when the input is not an email.
    Ingest {
        /// Which mailbox the mail arrived at, for the record.
        #[arg(long)]
        mailbox: Option<String>,
    },
    /// Review agent replies with the coach: one draft from standard input, or one JSON object
    /// per line with --jsonl (`{"text": ..., "customer_message": ..., "customer_name": ...}`).
    Coach {
        /// Read one JSON object per line and write one review per line.
        #[arg(long)]
        jsonl: bool,
        /// Print the coach's speed: latency per 1 KB draft and JSON-lines throughput.
        #[arg(long, conflicts_with = "jsonl")]
        bench: bool,
        /// Print how far the coach agrees with people on a rated file (tab-separated kind,
        /// politeness, warmth, text; see crates/coach/data/rating-guide.md): accuracy on the
        /// top and bottom quarters, AUC, Pearson and Spearman correlation.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["jsonl", "bench"])]
        evaluate: Option<std::path::PathBuf>,
    },
    /// Generate a realistic workspace into an empty database (the data directory's, or the
    /// one --database-url names) and time the queries behind the pages: every inbox view with
    /// its counts, the ticket page, the customer page and search (median, p99, per second).
    Bench {
        /// How many tickets to generate (3 to 7 messages each).
        #[arg(long, default_value_t = 100_000)]
        tickets: u64,
        /// How many times each figure is measured.
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// Measure again the workspace an earlier `rapport bench` generated in this database
        /// (with the same --tickets) instead of generating one.
        #[arg(long)]
        again: bool,
    },
    /// Read customer messages: one from standard input, or one JSON object per line with
    /// --jsonl (`{"text": ...}`).
    Insight {
        #[arg(long)]
        jsonl: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a staff account.
    CreateAgent {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, supervisor or agent.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The email of the agent this one reports to (the escalation chain).
        #[arg(long)]
        reports_to: Option<String>,
        /// Read a password from the first line of standard input (for signing in to the web UI).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an API token for an agent; prints the token alone on standard output.
    CreateToken {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "CRM sync".
        #[arg(long, default_value = "command line")]
        label: String,
    },
    /// Create a mail intake token for a mail gateway that posts to `/api/v1/inbound/email`;
    /// it can post mail and nothing else. Prints the token alone on standard output.
    CreateIntakeToken {
        /// What the token is for, e.g. "Postfix on mx1".
        #[arg(long, default_value = "mail intake")]
        label: String,
    },
    /// Print a single-use link that signs a customer in to the portal (for 30 minutes),
    /// to hand over in person or to try the portal before mail is set up.
    PortalLink {
        #[arg(long)]
        email: String,
    },
    /// Write a consistent copy of the whole workspace to FILE while the server runs: the
    /// portable export with every file (attachments, raw mail), in a tar file.
    Backup {
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Restore a backup (or an export directory) into this database, which must be empty.
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Delete everything in this database first.
        #[arg(long)]
        force: bool,
    },
    /// Prove two copies hold the same data: rows and checksums per table and of every file.
    /// `--against FILE` compares this database with a copy; `verify A B` two copies (backup
    /// files or export directories). Exits 1 when they differ.
    Verify {
        #[arg(long, value_name = "FILE", conflicts_with = "copies")]
        against: Option<PathBuf>,
        #[arg(value_name = "COPY", num_args = 2, required_unless_present = "against")]
        copies: Vec<PathBuf>,
    },
    /// Export the whole workspace to a new directory in the portable format
    /// (docs/export-format.md), e.g. to move from SQLite to PostgreSQL.
    Export {
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Check the file store against the database: files the database names that are missing
    /// (exits 1), and files no row names.
    CheckFiles,
    /// Import an export directory into this database, which must be empty.
    Import {
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Delete everything in this database first.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// An mbox file (as Thunderbird, Gmail's Takeout or mutt write them): each mail threaded
    /// into tickets as live mail is, its sender made a customer.
    Mbox {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Once all is in, mark the tickets the archive opened resolved (old mail whose
        /// problems are long settled) instead of leaving them open in the inbox.
        #[arg(long)]
        resolved: bool,
        #[command(flatten)]
        run: ImportArgs,
    },
    /// A Maildir (its cur and new folders), or a folder of .eml files.
    Maildir {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Once all is in, mark the tickets the archive opened resolved.
        #[arg(long)]
        resolved: bool,
        #[command(flatten)]
        run: ImportArgs,
    },
    /// A Zendesk export: a folder holding organizations.json, users.json and tickets.json
    /// (JSON lines, or JSON arrays, as Zendesk's exports and API write them), with the
    /// tickets' comments; attachment files, if exported, under attachments/<id>/<file name>.
    Zendesk {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        run: ImportArgs,
    },
    /// A CSV file with one row per message; rows with the same ticket id make one ticket.
    /// Which column holds what is given by --mapping FILE (TOML) and/or --column
    /// FIELD=COLUMN; see "Move in from another help desk" in README.md.
    Csv {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// A TOML file naming the column of each field, e.g. `ticket_id = "Case number"`.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// One field's column, e.g. --column body=Message (wins over --mapping).
        #[arg(long = "column", value_name = "FIELD=COLUMN")]
        columns: Vec<String>,
        #[command(flatten)]
        run: ImportArgs,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// How many items each transaction stores.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Stop after this many batches, as if the import had been killed there.
    #[arg(long, hide = true)]
    stop_after_batches: Option<u64>,
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
        .map_err(|err: rapport_domain::Invalid| err.message)
}

impl GlobalArgs {
    /// Defaults, then the file, then environment and flags (clap has merged those two).
    fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::default();
        if let Some(path) = &self.config {
            config = config.with_file(FileConfig::load(path)?);
        }
        if let Some(data_dir) = &self.data_dir {
            config.data_dir = data_dir.clone();
        }
        if let Some(url) = &self.database_url {
            config.database_url = Some(url.clone());
        }
        if let Some(dir) = &self.files_dir {
            config.files_dir = Some(dir.clone());
        }
        config
            .with_s3_environment(|name| std::env::var(name).ok())
            .with_environment(|name| std::env::var(name).ok())
    }
}

/// How logs are written, as the configuration (file or `RAPPORT_LOG_FORMAT`) says; text when
/// it cannot be read (the command then says why).
pub fn log_format(cli: &Cli) -> crate::config::LogFormat {
    cli.global
        .config()
        .map(|config| config.log_format)
        .unwrap_or_default()
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = cli.global.config()?;
    if let Command::Serve {
        listen: Some(listen),
        ..
    } = &cli.command
    {
        config.listen = *listen;
    }
    config.settle_public_url();
    match cli.command {
        Command::Serve { demo, .. } => run_serve(config, demo).await,
        Command::Worker => {
            let interval = std::time::Duration::from_secs(config.worker_interval_seconds);
            let app = App::build(config).await?;
            eprintln!("Rapport's worker is running (Ctrl-C to stop).");
            crate::app::work(app, interval, shutdown_signal()).await;
            Ok(())
        }
        Command::Migrate => {
            let app = App::build(config).await?;
            eprintln!("The database is up to date.");
            app.store.close().await;
            Ok(())
        }
        Command::Ingest { mailbox } => ingest(config, mailbox.as_deref()).await,
        Command::Import(command) => {
            let max_bytes = config.max_email_bytes;
            let app = App::build(config).await?;
            let result = import(&app.store, command, max_bytes).await;
            app.store.close().await;
            result
        }
        Command::Bench {
            tickets,
            runs,
            again,
        } => {
            let app = App::build(config).await?;
            let result = bench::run(&app.store, bench::Size { tickets }, runs.max(1), again).await;
            app.store.close().await;
            result
        }
        Command::Coach { bench: true, .. } => coach::bench(),
        Command::Coach {
            evaluate: Some(file),
            ..
        } => coach::evaluate(&file),
        Command::Coach { jsonl, .. } => coach::run(coach::Analysis::Reply, jsonl),
        Command::Insight { jsonl } => coach::run(coach::Analysis::Message, jsonl),
        Command::Admin(AdminCommand::Verify {
            against: None,
            copies,
        }) => match copies.as_slice() {
            [a, b] => crate::backup::verify_copies(a, b).await,
            _ => bail!("give two copies to compare, or --against FILE"),
        },
        Command::Admin(command) => {
            let app = App::build(config).await?;
            let result = run_admin(&app, command).await;
            app.store.close().await;
            result
        }
    }
}

async fn run_serve(config: Config, seed_demo: bool) -> anyhow::Result<()> {
    let listen = config.listen;
    let app = App::build(config).await?;
    // The address this server is reached at, for commands run beside it (a portal link made
    // by `rapport admin portal-link` without the server's flags still points here).
    app.store
        .set_setting(SERVED_AT_SETTING, &app.store.public_url())
        .await?;
    if seed_demo {
        demo::seed(&app.store).await?.print(listen);
    } else if app.store.agent_count().await? == 0 {
        eprintln!(
            "No agents exist yet. Create the first admin and a token with:\n\
             \n    rapport admin create-agent --email you@example.com --name \"Your Name\" --role admin --password-stdin\
             \n    rapport admin create-token --email you@example.com\n\
             \nor start with --demo to explore a ready-made workspace.\n"
        );
    }
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("could not listen on {listen}; is another server using it? Choose another address with --listen")
    })?;
    tracing::info!(address = %listen, "listening");
    eprintln!(
        "Rapport is running at http://{listen}/ for agents and http://{listen}/portal for customers (Ctrl-C to stop)."
    );
    let mail = crate::settings::mail::in_force(&app)
        .await
        .map_err(|err| anyhow::anyhow!("could not read the mail settings: {}", err.message))?;
    match &mail.smtp {
        Some(smtp) => eprintln!(
            "Outbound mail goes through {}:{} from {}.",
            smtp.host, smtp.port, mail.mail_from
        ),
        None => eprintln!(
            "No SMTP server is configured: replies to customers are kept queued and go out once one is \
             (see \"Email\" in README.md)."
        ),
    }
    if !mail.imap.is_empty() {
        let names: Vec<&str> = mail.imap.iter().map(|m| m.name.as_str()).collect();
        eprintln!("Watching IMAP mailboxes: {}.", names.join(", "));
    }
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let interval = std::time::Duration::from_secs(app.config.worker_interval_seconds);
    let worker = tokio::spawn(crate::app::work(app.clone(), interval, async {
        let _ = worker_stopped.await;
    }));
    let served = serve(listener, app, shutdown_signal()).await;
    let _ = stop_worker.send(());
    let _ = worker.await;
    served
}

async fn run_admin(app: &App, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateAgent {
            email,
            name,
            role,
            reports_to,
            password_stdin,
        } => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let new = NewAgent {
                email: &email,
                name: &name,
                role,
                reports_to: reports_to.as_deref(),
                password: password.as_deref(),
            };
            let agent = app.store.create_agent(new, Actor::System).await?;
            eprintln!(
                "Created {} {} <{}> with id {}.",
                agent.role, agent.name, agent.email, agent.id
            );
            Ok(())
        }
        AdminCommand::CreateToken { email, label } => {
            let agent = app.store.agent_by_email(&email).await.map_err(|err| match err {
                rapport_store::StoreError::NotFound { .. } => {
                    anyhow::anyhow!("there is no agent with the email {email}; create one with `rapport admin create-agent`")
                }
                other => other.into(),
            })?;
            let issued = app.store.create_token(agent.id, &label).await?;
            eprintln!(
                "Created a token for {}. It is shown only this once; keep it somewhere safe.",
                agent.email
            );
            println!("{}", issued.token);
            Ok(())
        }
        AdminCommand::CreateIntakeToken { label } => {
            let issued = app.store.create_intake_token(&label).await?;
            eprintln!(
                "Created a mail intake token ({label}). It can only post mail to /api/v1/inbound/email. \
                 It is shown only this once; keep it somewhere safe."
            );
            println!("{}", issued.token);
            Ok(())
        }
        AdminCommand::PortalLink { email } => {
            // The public address an admin chose, else the one the server last ran at, else
            // this command's configuration; the command says which.
            let chosen = app
                .store
                .setting(crate::settings::mail::PUBLIC_URL_SETTING)
                .await?
                .filter(|url| !url.trim().is_empty());
            let served = app
                .store
                .setting(SERVED_AT_SETTING)
                .await?
                .filter(|url| !url.trim().is_empty());
            let source = match (&chosen, &served) {
                (Some(url), _) => {
                    app.store.set_public_url(url);
                    "the public address set on /admin/settings"
                }
                (None, Some(url)) => {
                    app.store.set_public_url(url);
                    "the address the server last ran at; set the public address on /admin/settings if customers reach Rapport elsewhere"
                }
                (None, None) => {
                    "this command's configuration (public_url, or the listening address); set the public address on /admin/settings if customers reach Rapport elsewhere"
                }
            };
            let minutes = app
                .store
                .timing(rapport_domain::timings::PORTAL_LINK_MINUTES)
                .await?;
            let link = app.store.portal_link_for(&email).await.map_err(|err| match err {
                rapport_store::StoreError::NotFound { .. } => anyhow::anyhow!(
                    "there is no customer with the email {email}; a customer exists once they have written to us or an agent has added them"
                ),
                other => other.into(),
            })?;
            eprintln!(
                "A sign-in link for {email}; it works once, within {minutes} minutes. It starts with {} ({source}):",
                app.store.public_url()
            );
            println!("{link}");
            Ok(())
        }
        AdminCommand::Backup { to } => crate::backup::backup(&app.store, &to).await,
        AdminCommand::Restore { from, force } => {
            crate::backup::restore(&app.store, &from, force).await
        }
        AdminCommand::Verify { against, copies } => match (against, copies.as_slice()) {
            (Some(against), []) => crate::backup::verify_database(&app.store, &against).await,
            (None, [a, b]) => crate::backup::verify_copies(a, b).await,
            _ => bail!("give two copies to compare, or --against FILE"),
        },
        AdminCommand::Export { to } => crate::backup::export(&app.store, &to).await,
        AdminCommand::Import { from, force } => {
            crate::backup::import(&app.store, &from, force).await
        }
        AdminCommand::CheckFiles => check_files(app).await,
    }
}

/// `rapport import ...`: one importer, then its summary.
async fn import(
    store: &rapport_store::Store,
    command: ImportCommand,
    max_bytes: usize,
) -> anyhow::Result<()> {
    use crate::move_in;
    let settings = |args: &ImportArgs, resolved: bool| move_in::Run {
        batch: args.batch.max(1),
        stop_after_batches: args.stop_after_batches,
        resolved,
    };
    let (summary, json) = match command {
        ImportCommand::Mbox {
            file,
            resolved,
            run,
        } => (
            move_in::mail::import_mbox(store, &file, max_bytes, settings(&run, resolved)).await?,
            run.json,
        ),
        ImportCommand::Maildir { dir, resolved, run } => (
            move_in::mail::import_maildir(store, &dir, max_bytes, settings(&run, resolved)).await?,
            run.json,
        ),
        ImportCommand::Zendesk { dir, run } => (
            move_in::zendesk::import(store, &dir, settings(&run, false)).await?,
            run.json,
        ),
        ImportCommand::Csv {
            file,
            mapping,
            columns,
            run,
        } => {
            let mapping = move_in::csv::Mapping::read(mapping.as_deref(), &columns)?;
            (
                move_in::csv::import(store, &file, &mapping, settings(&run, false)).await?,
                run.json,
            )
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).context("could not write the summary")?
        );
    } else {
        print!("{summary}");
    }
    Ok(())
}

/// `rapport admin check-files`: every file the database names is in the file store; files no
/// row names (left by writes that never committed) are counted, and harmless.
async fn check_files(app: &App) -> anyhow::Result<()> {
    let check = app.store.check_files().await?;
    println!(
        "{} files named in the database, in {}.",
        check.named,
        app.store.files().describe()
    );
    println!(
        "{} files in the file store that no row names (harmless leftovers of writes that did not commit).",
        check.unnamed.len()
    );
    if check.missing.is_empty() {
        println!("No file is missing.");
        Ok(())
    } else {
        for sha256 in &check.missing {
            println!("missing: {sha256}");
        }
        bail!(
            "{} files named in the database are missing from {}",
            check.missing.len(),
            app.store.files().describe()
        )
    }
}

/// A failure with the exit code an MTA understands (sysexits.h).
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

/// EX_DATAERR: the input was not an email, or larger than `max_email_bytes`.
const EX_DATAERR: u8 = 65;
/// EX_TEMPFAIL: the MTA should keep the mail and try again.
const EX_TEMPFAIL: u8 = 75;

async fn ingest(config: Config, mailbox: Option<&str>) -> anyhow::Result<()> {
    use rapport_store::mail_intake::{Outcome, ParsedMail};
    use std::io::Read;
    let temporary = |message: String| Exit {
        code: EX_TEMPFAIL,
        message,
    };
    let max = config.max_email_bytes;
    let unreadable = |err: std::io::Error| {
        temporary(format!(
            "could not read the mail from standard input ({err}); it was not stored"
        ))
    };
    // Never more than the limit in memory or in the database: past it, the rest is counted
    // and dropped, and only the headers are kept.
    let mut stdin = std::io::stdin().lock();
    let mut raw = Vec::new();
    (&mut stdin)
        .take(max as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(unreadable)?;
    let too_large = raw.len() > max;
    let mail = if too_large {
        let rest = std::io::copy(&mut stdin, &mut std::io::sink()).map_err(unreadable)?;
        let size = raw.len() + rest as usize;
        ParsedMail::too_large(&raw, Some(size), max, mailbox.map(str::to_owned))
    } else {
        ParsedMail::read(raw, mailbox.map(str::to_owned), max)
    };
    let app = App::build(config).await.map_err(|err| {
        temporary(format!(
            "could not open the database ({err:#}); the mail was not stored, try again later"
        ))
    })?;
    let ingested = app.store.ingest_one(&mail).await;
    app.store.close().await;
    let ingested = ingested.map_err(|err| {
        temporary(format!(
            "could not store the mail ({err}); it was not stored, try again later"
        ))
    })?;
    match ingested.outcome {
        Outcome::Rejected => Err(Exit {
            code: EX_DATAERR,
            message: if too_large {
                format!(
                    "{} as inbound mail {}, so an admin can see it was refused",
                    ingested.reason.unwrap_or_default(),
                    ingested.inbound_id
                )
            } else {
                format!(
                    "{}; it was kept as inbound mail {}, listed with the filtered mail",
                    ingested.reason.unwrap_or_default(),
                    ingested.inbound_id
                )
            },
        }
        .into()),
        outcome => {
            let what = match (outcome, ingested.duplicate) {
                (_, true) => "a mail already received; nothing new was stored".to_owned(),
                (Outcome::NewTicket, _) => {
                    format!("a new ticket, {}", ingested.ticket_id.unwrap_or_default())
                }
                (Outcome::Reply, _) => format!(
                    "a reply on ticket {}",
                    ingested.ticket_id.unwrap_or_default()
                ),
                (_, _) => ingested.reason.unwrap_or_default(),
            };
            eprintln!("Stored: {what}.");
            Ok(())
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("--password-stdin was given but standard input held no password");
    }
    Ok(password)
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
