//! Mail settings an admin chooses in the browser: the public address customers reach Rapport
//! at, the address our mail comes from, the SMTP server outbound mail goes through, and the
//! IMAP mailboxes inbound mail comes from. Each part set here takes the place of the same part
//! of the configuration file (`[smtp]`, `[[imap]]`, `public_url`, `mail_from`); a part never
//! set here follows the file. Passwords are write-only: the API and pages say whether one is
//! set, never what it is.

use crate::app::App;
use crate::config::{ImapConfig, SmtpConfig};
use crate::error::{ApiError, ApiResult};
use rapport_domain::validate;
use rapport_store::letters::MANAGEMENT_ADDRESS_SETTING;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The setting holding the public address when an admin chose one.
pub const PUBLIC_URL_SETTING: &str = "public_url";
/// The setting holding the sender address when an admin chose one (the outbox reads the one in
/// force from `mail_outbox::MAIL_FROM_SETTING`).
pub const MAIL_FROM_CHOSEN_SETTING: &str = "mail_from_chosen";
/// The SMTP server as JSON (`null`: no server, mail stays queued).
pub const SMTP_SETTING: &str = "smtp";
/// The IMAP mailboxes as a JSON list.
pub const IMAP_SETTING: &str = "imap";

/// The mail settings in force.
#[derive(Debug, Clone)]
pub struct Mail {
    pub public_url: String,
    pub mail_from: String,
    /// Mail to this address is also a letter to management.
    pub management_address: Option<String>,
    pub smtp: Option<SmtpConfig>,
    pub imap: Vec<ImapConfig>,
}

/// The mail settings in force: each part an admin set, else the configuration's.
pub async fn in_force(app: &App) -> ApiResult<Mail> {
    let store = &app.store;
    let stored = |text: Option<String>| text.filter(|t| !t.trim().is_empty());
    let smtp = match stored(store.setting(SMTP_SETTING).await?) {
        Some(json) => serde_json::from_str::<Option<SmtpConfig>>(&json).unwrap_or(None),
        None => app.config.smtp.clone().map(|mut smtp| {
            smtp.password = std::env::var("RAPPORT_SMTP_PASSWORD")
                .ok()
                .or(smtp.password);
            smtp
        }),
    };
    let imap = match stored(store.setting(IMAP_SETTING).await?) {
        Some(json) => serde_json::from_str::<Vec<ImapConfig>>(&json).unwrap_or_default(),
        None => app
            .config
            .imap
            .iter()
            .cloned()
            .map(|mut mailbox| {
                mailbox.password = std::env::var("RAPPORT_IMAP_PASSWORD")
                    .ok()
                    .or(mailbox.password);
                mailbox
            })
            .collect(),
    };
    Ok(Mail {
        public_url: stored(store.setting(PUBLIC_URL_SETTING).await?)
            .unwrap_or_else(|| app.config.public_url.clone())
            .trim_end_matches('/')
            .to_owned(),
        mail_from: stored(store.setting(MAIL_FROM_CHOSEN_SETTING).await?)
            .unwrap_or_else(|| app.config.mail_from.clone()),
        management_address: stored(store.setting(MANAGEMENT_ADDRESS_SETTING).await?),
        smtp,
        imap,
    })
}

/// The SMTP server as the API shows it.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    pub username: Option<String>,
    /// Whether a password is set (it is never shown).
    pub password_set: bool,
}

/// One IMAP mailbox as the API shows it.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
pub struct ImapView {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// `none` or `tls`.
    pub security: String,
    pub username: String,
    pub folder: String,
    /// Whether a password is set (it is never shown).
    pub password_set: bool,
}

/// The mail settings as the API shows them.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
pub struct MailView {
    /// The address customers reach Rapport at; links in our mail start with it.
    pub public_url: String,
    /// The address our mail comes from; replies come back to its plus-address per ticket.
    pub mail_from: String,
    /// Mail sent to this address (To or Cc) is a letter to management as well as a message on
    /// the customer's ticket; `null` for none.
    pub management_address: Option<String>,
    /// `null` when no server is set: replies stay queued until one is.
    pub smtp: Option<SmtpView>,
    pub imap: Vec<ImapView>,
}

impl From<&Mail> for MailView {
    fn from(mail: &Mail) -> MailView {
        let set = |password: &Option<String>| password.as_deref().is_some_and(|p| !p.is_empty());
        MailView {
            public_url: mail.public_url.clone(),
            mail_from: mail.mail_from.clone(),
            management_address: mail.management_address.clone(),
            smtp: mail.smtp.as_ref().map(|smtp| SmtpView {
                host: smtp.host.clone(),
                port: smtp.port,
                security: smtp.security.clone(),
                username: smtp.username.clone(),
                password_set: set(&smtp.password),
            }),
            imap: mail
                .imap
                .iter()
                .map(|m| ImapView {
                    name: m.name.clone(),
                    host: m.host.clone(),
                    port: m.port,
                    security: m.security.clone(),
                    username: m.username.clone(),
                    folder: m.folder.clone(),
                    password_set: set(&m.password),
                })
                .collect(),
        }
    }
}

/// A new SMTP server. Leave `password` out to keep the one set; `""` removes it.
#[derive(Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct SmtpInput {
    pub host: String,
    /// Default 587.
    pub port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    pub security: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// One IMAP mailbox. Leave `password` out to keep the one set for the mailbox of that name.
#[derive(Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ImapInput {
    pub name: String,
    pub host: String,
    /// Default 993.
    pub port: Option<u16>,
    /// `tls` (default) or `none`.
    pub security: Option<String>,
    pub username: String,
    pub password: Option<String>,
    /// Default `INBOX`.
    pub folder: Option<String>,
}

/// A change of the mail settings; each part left out stays as it is.
#[derive(Deserialize, ToSchema, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct MailChange {
    pub public_url: Option<String>,
    pub mail_from: Option<String>,
    /// `""` or `null` for none.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>)]
    pub management_address: Option<Option<String>>,
    /// `null` removes the server (replies stay queued until one is set).
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<SmtpInput>)]
    pub smtp: Option<Option<SmtpInput>>,
    /// All the mailboxes: replaces the list.
    pub imap: Option<Vec<ImapInput>>,
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid(message)
}

fn host(what: &str, host: &str) -> ApiResult<String> {
    let host = host.trim();
    if host.is_empty()
        || host.len() > 253
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:[]".contains(c))
    {
        return Err(invalid(format!(
            "The {what} server's host “{host}” is not a host name or address, such as mail.example.com."
        )));
    }
    Ok(host.to_owned())
}

/// The public address, checked: `http(s)://host[:port][/path]`, without a trailing slash.
pub fn check_public_url(url: &str) -> ApiResult<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let fine = rest.is_some_and(|rest| {
        let authority = rest.split('/').next().unwrap_or_default();
        !authority.is_empty()
            && url.len() <= 200
            && !url.contains(['?', '#'])
            && url.chars().all(|c| c.is_ascii_graphic())
    });
    if !fine {
        return Err(invalid(format!(
            "“{url}” is not an address customers can open. Write it as https://help.example.com."
        )));
    }
    Ok(url.to_owned())
}

/// Checks a change against the settings in force; returns the settings to store, as
/// `(key, value)`, and the mail in force after it.
pub fn apply(before: &Mail, change: &MailChange) -> ApiResult<(Vec<(&'static str, String)>, Mail)> {
    let mut after = before.clone();
    let mut values = Vec::new();
    if let Some(url) = &change.public_url {
        after.public_url = check_public_url(url)?;
        values.push((PUBLIC_URL_SETTING, after.public_url.clone()));
    }
    if let Some(from) = &change.mail_from {
        after.mail_from = validate::email(from).map_err(|_| {
            invalid(format!(
                "“{}” is not an email address our mail can come from, such as help@example.com.",
                from.trim()
            ))
        })?;
        values.push((MAIL_FROM_CHOSEN_SETTING, after.mail_from.clone()));
    }
    if let Some(address) = &change.management_address {
        after.management_address = match address.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(address) => Some(validate::email(address).map_err(|_| {
                invalid(format!(
                    "“{address}” is not an email address for letters to management, such as management@example.com."
                ))
            })?),
        };
        values.push((
            MANAGEMENT_ADDRESS_SETTING,
            after.management_address.clone().unwrap_or_default(),
        ));
    }
    if let Some(smtp) = &change.smtp {
        after.smtp = match smtp {
            None => None,
            Some(input) => {
                let security = input.security.as_deref().unwrap_or("starttls").trim();
                if !["none", "starttls", "tls"].contains(&security) {
                    return Err(invalid(format!(
                        "The SMTP security is none, starttls or tls, not “{security}”."
                    )));
                }
                let username = input
                    .username
                    .as_deref()
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned);
                // Left out, the password set before stays.
                let password = match &input.password {
                    Some(p) if p.is_empty() => None,
                    Some(p) => Some(p.clone()),
                    None => before.smtp.as_ref().and_then(|s| s.password.clone()),
                };
                Some(SmtpConfig {
                    host: host("SMTP", &input.host)?,
                    port: input.port.filter(|p| *p > 0).unwrap_or(587),
                    security: security.to_owned(),
                    username,
                    password,
                })
            }
        };
        values.push((
            SMTP_SETTING,
            serde_json::to_string(&after.smtp).unwrap_or_else(|_| "null".to_owned()),
        ));
    }
    if let Some(mailboxes) = &change.imap {
        let mut list: Vec<ImapConfig> = Vec::with_capacity(mailboxes.len());
        for input in mailboxes {
            let name = validate::line("name", &input.name, 100)
                .map_err(|_| invalid("Each IMAP mailbox needs a name of one line.".to_owned()))?;
            if list.iter().any(|m| m.name == name) {
                return Err(invalid(format!(
                    "Two IMAP mailboxes are named “{name}”; give each its own name."
                )));
            }
            let security = input.security.as_deref().unwrap_or("tls").trim();
            if !["none", "tls"].contains(&security) {
                return Err(invalid(format!(
                    "The security of IMAP mailbox “{name}” is none or tls, not “{security}”."
                )));
            }
            let username = input.username.trim();
            if username.is_empty() {
                return Err(invalid(format!(
                    "IMAP mailbox “{name}” needs the user name to sign in with."
                )));
            }
            let password = match &input.password {
                Some(p) if p.is_empty() => None,
                Some(p) => Some(p.clone()),
                None => before
                    .imap
                    .iter()
                    .find(|m| m.name == name)
                    .and_then(|m| m.password.clone()),
            };
            list.push(ImapConfig {
                name,
                host: host("IMAP", &input.host)?,
                port: input.port.filter(|p| *p > 0).unwrap_or(993),
                security: security.to_owned(),
                username: username.to_owned(),
                password,
                folder: input
                    .folder
                    .as_deref()
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .unwrap_or("INBOX")
                    .to_owned(),
            });
        }
        after.imap = list;
        values.push((
            IMAP_SETTING,
            serde_json::to_string(&after.imap).unwrap_or_else(|_| "[]".to_owned()),
        ));
    }
    Ok((values, after))
}
