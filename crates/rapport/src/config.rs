//! Configuration, in rising order of precedence: built-in defaults, a TOML file
//! (`--config FILE` or `RAPPORT_CONFIG`), environment variables `RAPPORT_*`, then command-line
//! flags. With no configuration at all Rapport runs on SQLite in `./rapport-data`.

use anyhow::Context;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATA_DIR: &str = "./rapport-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the SQLite database and (later) attachments live.
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL; `None` for SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub listen: SocketAddr,
    pub max_connections: u32,
    /// The address customers reach Rapport at, used in the links we send them.
    pub public_url: String,
    /// How often the worker looks for due jobs (timers, follow-ups).
    pub worker_interval_seconds: u64,
    /// The address our mail comes from; replies go to its plus-address per ticket.
    pub mail_from: String,
    /// Mail larger than this is kept raw for admins but opens nothing.
    pub max_email_bytes: usize,
    /// Where outbound mail goes; `None` keeps it queued until a server is configured.
    pub smtp: Option<SmtpConfig>,
    /// IMAP mailboxes the worker polls for inbound mail.
    pub imap: Vec<ImapConfig>,
    /// How often each IMAP mailbox is polled.
    pub imap_poll_seconds: u64,
    /// Reverse proxies in front of Rapport: for a request from one of them, the client is the
    /// address it names in `X-Forwarded-For` (used to limit sign-in tries per client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// One IMAP mailbox to take inbound mail from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    /// A name for the mailbox, recorded with each mail.
    pub name: String,
    pub host: String,
    #[serde(default = "default_imap_port")]
    pub port: u16,
    /// `tls` (default) or `none`.
    #[serde(default = "default_imap_security")]
    pub security: String,
    pub username: String,
    /// Better given as `RAPPORT_IMAP_PASSWORD` than written in the file.
    pub password: Option<String>,
    #[serde(default = "default_imap_folder")]
    pub folder: String,
}

fn default_imap_port() -> u16 {
    993
}

fn default_imap_security() -> String {
    "tls".to_owned()
}

fn default_imap_folder() -> String {
    "INBOX".to_owned()
}

/// The SMTP server for outbound mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `none`, `starttls` (default) or `tls`.
    #[serde(default = "default_smtp_security")]
    pub security: String,
    pub username: Option<String>,
    /// Better given as `RAPPORT_SMTP_PASSWORD` than written in the file.
    pub password: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_security() -> String {
    "starttls".to_owned()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
            max_connections: 10,
            public_url: rapport_store::DEFAULT_PUBLIC_URL.to_owned(),
            worker_interval_seconds: 5,
            mail_from: rapport_store::mail_outbox::DEFAULT_MAIL_FROM.to_owned(),
            max_email_bytes: 25 * 1024 * 1024,
            smtp: None,
            imap: Vec::new(),
            imap_poll_seconds: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The settings a TOML file may hold; every one is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<SocketAddr>,
    pub max_connections: Option<u32>,
    pub public_url: Option<String>,
    pub worker_interval_seconds: Option<u64>,
    pub mail_from: Option<String>,
    pub max_email_bytes: Option<usize>,
    pub smtp: Option<SmtpConfig>,
    #[serde(default)]
    pub imap: Vec<ImapConfig>,
    pub imap_poll_seconds: Option<u64>,
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("the configuration file {} is not valid", path.display()))
    }
}

impl Config {
    /// Layers a file's settings over the defaults.
    pub fn with_file(mut self, file: FileConfig) -> Config {
        if let Some(data_dir) = file.data_dir {
            self.data_dir = data_dir;
        }
        if file.database_url.is_some() {
            self.database_url = file.database_url;
        }
        if let Some(listen) = file.listen {
            self.listen = listen;
        }
        if let Some(max_connections) = file.max_connections {
            self.max_connections = max_connections;
        }
        if let Some(public_url) = file.public_url {
            self.public_url = public_url;
        }
        if let Some(seconds) = file.worker_interval_seconds {
            self.worker_interval_seconds = seconds.max(1);
        }
        if let Some(from) = file.mail_from {
            self.mail_from = from;
        }
        if let Some(bytes) = file.max_email_bytes {
            self.max_email_bytes = bytes;
        }
        if file.smtp.is_some() {
            self.smtp = file.smtp;
        }
        if !file.imap.is_empty() {
            self.imap = file.imap;
        }
        if let Some(seconds) = file.imap_poll_seconds {
            self.imap_poll_seconds = seconds.max(1);
        }
        if !file.trusted_proxies.is_empty() {
            self.trusted_proxies = file.trusted_proxies;
        }
        self
    }

    /// Without a configured `public_url`, links in mail (sign-in, "did this fix it?",
    /// surveys) point at the address Rapport listens on, so a server moved to another port
    /// does not send customers to the default one. An unspecified address (0.0.0.0) becomes
    /// 127.0.0.1: set `public_url` for anything reached from other machines.
    pub fn settle_public_url(&mut self) {
        if self.public_url != rapport_store::DEFAULT_PUBLIC_URL {
            return;
        }
        let host = if self.listen.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            match self.listen {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            }
        };
        self.public_url = format!("http://{host}:{}", self.listen.port());
    }

    /// The URL to connect to: the configured one, or SQLite inside the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => rapport_store::sqlite_url(&self.data_dir),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_defaults_only_where_it_speaks() {
        let file: FileConfig = toml::from_str("listen = \"0.0.0.0:9000\"").expect("valid toml");
        let config = Config::default().with_file(file);
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        assert!(config.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn links_follow_the_listening_port_unless_a_public_url_is_set() {
        let mut moved = Config {
            listen: "0.0.0.0:9000".parse().expect("address"),
            ..Config::default()
        };
        moved.settle_public_url();
        assert_eq!(moved.public_url, "http://127.0.0.1:9000");

        let mut set = Config {
            listen: "0.0.0.0:9000".parse().expect("address"),
            public_url: "https://help.example.com".to_owned(),
            ..Config::default()
        };
        set.settle_public_url();
        assert_eq!(set.public_url, "https://help.example.com");
    }

    #[test]
    fn unknown_settings_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"0.0.0.0:9000\"").is_err());
    }
}
