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
    /// Where the SQLite database and (unless configured elsewhere) the files live.
    pub data_dir: PathBuf,
    /// Where the files (attachments, raw mail) live: `None` for `<data_dir>/files`.
    pub files_dir: Option<PathBuf>,
    /// Keep the files in an S3-compatible bucket instead of a directory.
    pub s3: Option<S3Config>,
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
    /// Let webhooks post to loopback, private and link-local addresses (a receiver on this
    /// machine or the local network). Off by default, so an admin's webhook cannot reach
    /// services that only trust the inside network (cloud metadata, databases, admin pages).
    pub webhooks_allow_private: bool,
    /// The bearer token `GET /metrics` asks for; `None` turns `/metrics` off (404).
    pub metrics_token: Option<String>,
    /// `text` (default) or `json`: one JSON object per log line.
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people reading a terminal.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<LogFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" | "" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => anyhow::bail!("the log format must be text or json, not `{other}`"),
        }
    }
}

/// One IMAP mailbox to take inbound mail from.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
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

/// An S3-compatible object store for the files (`[s3]` in the file, or `RAPPORT_S3_*`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub bucket: String,
    /// The service's address, e.g. `http://127.0.0.1:9000` for MinIO; leave out for AWS.
    pub endpoint: Option<String>,
    #[serde(default = "default_s3_region")]
    pub region: String,
    /// Better given as `RAPPORT_S3_ACCESS_KEY_ID` than written in the file.
    pub access_key_id: Option<String>,
    /// Better given as `RAPPORT_S3_SECRET_ACCESS_KEY` than written in the file.
    pub secret_access_key: Option<String>,
    /// Keys start with this, e.g. `rapport/`.
    pub prefix: Option<String>,
}

fn default_s3_region() -> String {
    "us-east-1".to_owned()
}

impl S3Config {
    pub fn settings(&self) -> rapport_store::files::S3Settings {
        rapport_store::files::S3Settings {
            bucket: self.bucket.clone(),
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            prefix: self.prefix.clone(),
        }
    }
}

/// The SMTP server for outbound mail.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
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
            files_dir: None,
            s3: None,
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
            webhooks_allow_private: false,
            metrics_token: None,
            log_format: LogFormat::Text,
        }
    }
}

/// The settings a TOML file may hold; every one is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub files_dir: Option<PathBuf>,
    pub s3: Option<S3Config>,
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
    pub webhooks_allow_private: Option<bool>,
    pub metrics_token: Option<String>,
    pub log_format: Option<LogFormat>,
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
        if file.files_dir.is_some() {
            self.files_dir = file.files_dir;
        }
        if file.s3.is_some() {
            self.s3 = file.s3;
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
        if let Some(allow) = file.webhooks_allow_private {
            self.webhooks_allow_private = allow;
        }
        if file.metrics_token.is_some() {
            self.metrics_token = file.metrics_token;
        }
        if let Some(format) = file.log_format {
            self.log_format = format;
        }
        self
    }

    /// Layers `RAPPORT_WEBHOOKS_ALLOW_PRIVATE` (`1`/`true`), `RAPPORT_METRICS_TOKEN` and
    /// `RAPPORT_LOG_FORMAT` (as `lookup` gives them) over the file's settings.
    pub fn with_environment(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        if let Some(allow) = lookup("RAPPORT_WEBHOOKS_ALLOW_PRIVATE") {
            self.webhooks_allow_private = matches!(allow.trim(), "1" | "true" | "yes" | "on");
        }
        if let Some(token) = lookup("RAPPORT_METRICS_TOKEN") {
            self.metrics_token = Some(token).filter(|token| !token.trim().is_empty());
        }
        if let Some(format) = lookup("RAPPORT_LOG_FORMAT") {
            self.log_format = format.parse()?;
        }
        Ok(self)
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

    /// Layers the `RAPPORT_S3_*` environment variables (as `lookup` gives them) over the S3
    /// settings: `RAPPORT_S3_BUCKET` alone turns S3 on; the others change one setting.
    pub fn with_s3_environment(mut self, lookup: impl Fn(&str) -> Option<String>) -> Config {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        if let Some(bucket) = get("RAPPORT_S3_BUCKET") {
            let s3 = self.s3.get_or_insert_with(|| S3Config {
                bucket: bucket.clone(),
                endpoint: None,
                region: default_s3_region(),
                access_key_id: None,
                secret_access_key: None,
                prefix: None,
            });
            s3.bucket = bucket;
        }
        if let Some(s3) = self.s3.as_mut() {
            if let Some(endpoint) = get("RAPPORT_S3_ENDPOINT") {
                s3.endpoint = Some(endpoint);
            }
            if let Some(region) = get("RAPPORT_S3_REGION") {
                s3.region = region;
            }
            if let Some(key) = get("RAPPORT_S3_ACCESS_KEY_ID") {
                s3.access_key_id = Some(key);
            }
            if let Some(secret) = get("RAPPORT_S3_SECRET_ACCESS_KEY") {
                s3.secret_access_key = Some(secret);
            }
            if let Some(prefix) = get("RAPPORT_S3_PREFIX") {
                s3.prefix = Some(prefix);
            }
        }
        self
    }

    /// Where the files are kept, as configured.
    pub fn files(&self) -> anyhow::Result<rapport_store::files::Files> {
        match &self.s3 {
            Some(s3) => Ok(rapport_store::files::Files::s3(&s3.settings())?),
            None => Ok(rapport_store::files::Files::directory(
                self.files_dir
                    .clone()
                    .unwrap_or_else(|| self.data_dir.join("files")),
            )),
        }
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
    fn s3_comes_from_the_file_and_the_environment_wins() {
        let file: FileConfig = toml::from_str(
            "[s3]\nbucket = \"files\"\nendpoint = \"http://127.0.0.1:9000\"\naccess_key_id = \"from-file\"",
        )
        .expect("valid toml");
        let config = Config::default().with_file(file);
        let s3 = config.s3.clone().expect("s3");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.access_key_id.as_deref(), Some("from-file"));

        let environment = |name: &str| match name {
            "RAPPORT_S3_SECRET_ACCESS_KEY" => Some("secret".to_owned()),
            "RAPPORT_S3_ACCESS_KEY_ID" => Some("from-env".to_owned()),
            _ => None,
        };
        let s3 = config.with_s3_environment(environment).s3.expect("s3");
        assert_eq!(s3.bucket, "files");
        assert_eq!(s3.access_key_id.as_deref(), Some("from-env"));
        assert_eq!(s3.secret_access_key.as_deref(), Some("secret"));

        // Without a bucket anywhere, files stay in the data directory.
        let plain = Config::default().with_s3_environment(environment);
        assert!(plain.s3.is_none());
        assert!(plain.files().is_ok());
        let bucket = |name: &str| (name == "RAPPORT_S3_BUCKET").then(|| "b".to_owned());
        assert_eq!(
            Config::default()
                .with_s3_environment(bucket)
                .s3
                .map(|s3| s3.bucket),
            Some("b".to_owned())
        );
    }

    #[test]
    fn webhooks_metrics_and_log_format_come_from_the_file_and_the_environment() {
        let file: FileConfig = toml::from_str(
            "webhooks_allow_private = true\nmetrics_token = \"t\"\nlog_format = \"json\"",
        )
        .expect("valid");
        let config = Config::default().with_file(file);
        assert!(config.webhooks_allow_private);
        assert_eq!(config.metrics_token.as_deref(), Some("t"));
        assert_eq!(config.log_format, LogFormat::Json);
        let env = |name: &str| match name {
            "RAPPORT_LOG_FORMAT" => Some("text".to_owned()),
            "RAPPORT_WEBHOOKS_ALLOW_PRIVATE" => Some("0".to_owned()),
            "RAPPORT_METRICS_TOKEN" => Some("from-env".to_owned()),
            _ => None,
        };
        let config = config.with_environment(env).expect("valid");
        assert!(!config.webhooks_allow_private);
        assert_eq!(config.metrics_token.as_deref(), Some("from-env"));
        assert_eq!(config.log_format, LogFormat::Text);
        let bad = |name: &str| (name == "RAPPORT_LOG_FORMAT").then(|| "yaml".to_owned());
        assert!(Config::default().with_environment(bad).is_err());
    }

    #[test]
    fn unknown_settings_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"0.0.0.0:9000\"").is_err());
    }
}
