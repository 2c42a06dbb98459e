//! `/admin/settings`: the workspace's name, its calendar (time zone, opening hours, holidays),
//! the relationship's timings, what customers see of staff, and whether two-factor sign-in is
//! required. The same checks as `PATCH /api/v1/settings` ([`settings::apply`]).

use super::{Fields, admin_only, back};
use crate::app::App;
use crate::pages::{PageResult, SignedIn, Submitted, correctable, render_with};
use crate::settings::mail::{ImapInput, ImapView, MailChange, SmtpInput};
use crate::settings::{self, BusinessHours, DayHours, HolidayDate, Settings, SettingsChange};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rapport_domain::calendar;
use rapport_domain::timings::{self, Timing};
use rapport_domain::{Actor, Agent};

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    agent: Agent,
    csrf: String,
    query: String,
    settings: Settings,
    zones: Vec<String>,
    flash: Option<String>,
    error: Option<String>,
}

/// One timing as the form shows it.
struct TimingField {
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    min: i64,
    max: i64,
    value: i64,
}

/// One weekday as the form shows it.
struct DayField {
    key: String,
    name: &'static str,
    open: bool,
    opens: String,
    closes: String,
}

fn days_text(days: &[i64]) -> String {
    days.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

async fn page(
    app: &App,
    signed_in: SignedIn,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult<SettingsPage> {
    Ok(SettingsPage {
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        settings: settings::current(app).await?,
        zones: calendar::time_zone_names(),
        flash,
        error,
    })
}

pub async fn show_settings(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<super::Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    Ok(render_with(
        StatusCode::OK,
        &page(&app, signed_in, query.done, None).await?,
    ))
}

/// "2, 5" or "2 5" as a list of days; anything else is said back in words.
fn days_in(fields: &Fields, name: &str, label: &str) -> Result<Vec<i64>, String> {
    fields
        .text(name)
        .split([',', ' '])
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse().map_err(|_| {
                format!("{label}: “{part}” is not a whole number of days. Write the days as numbers, such as 2, 5.")
            })
        })
        .collect()
}

fn timing_in(fields: &Fields, timing: Timing) -> Result<Option<i64>, String> {
    let Some(text) = fields.one(timing.key) else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|_| {
        format!(
            "{}: “{text}” is not a whole number of {}.",
            timing.label,
            timing.unit.word()
        )
    })
}

/// The week from the form: a day is open when its box is ticked, with its two times.
fn week_in(fields: &Fields) -> BusinessHours {
    let day = |key: &str| {
        fields.checked(&format!("open_{key}")).then(|| DayHours {
            opens: fields.text(&format!("opens_{key}")),
            closes: fields.text(&format!("closes_{key}")),
        })
    };
    BusinessHours {
        monday: day("monday"),
        tuesday: day("tuesday"),
        wednesday: day("wednesday"),
        thursday: day("thursday"),
        friday: day("friday"),
        saturday: day("saturday"),
        sunday: day("sunday"),
    }
}

fn holidays_in(text: &str) -> Result<Vec<HolidayDate>, String> {
    let holidays = calendar::parse_holidays(text).map_err(|why| format!("Holidays: {why}."))?;
    Ok(holidays
        .into_iter()
        .map(|holiday| HolidayDate {
            date: holiday.date.to_string(),
            name: holiday.name,
        })
        .collect())
}

/// The mail part of the form: the public address, the sender, the SMTP server (no host: none)
/// and the first IMAP mailbox (no host: none); other mailboxes, set through the API or the
/// configuration, stay. A blank password keeps the one set.
fn mail_in(fields: &Fields, current_imap: &[ImapView]) -> Result<Option<MailChange>, String> {
    if fields.one("mail_form").is_none() {
        return Ok(None);
    }
    let port = |name: &str, label: &str| -> Result<Option<u16>, String> {
        match fields.one(name) {
            None | Some("") => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| format!("{label}: “{text}” is not a port number, such as 587.")),
        }
    };
    let password = |name: &str| {
        fields
            .one(name)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
    };
    let smtp = match fields.one("smtp_host") {
        None | Some("") => None,
        Some(host) => Some(SmtpInput {
            host: host.to_owned(),
            port: port("smtp_port", "SMTP port")?,
            security: fields.one("smtp_security").map(str::to_owned),
            username: fields.one("smtp_username").map(str::to_owned),
            password: password("smtp_password"),
        }),
    };
    let mut imap = Vec::new();
    if let Some(host) = fields.one("imap_host").filter(|h| !h.is_empty()) {
        imap.push(ImapInput {
            name: fields
                .one("imap_name")
                .filter(|n| !n.is_empty())
                .unwrap_or("support")
                .to_owned(),
            host: host.to_owned(),
            port: port("imap_port", "IMAP port")?,
            security: fields.one("imap_security").map(str::to_owned),
            username: fields.text("imap_username"),
            password: password("imap_password"),
            folder: fields.one("imap_folder").map(str::to_owned),
        });
    }
    imap.extend(current_imap.iter().skip(1).map(|m| ImapInput {
        name: m.name.clone(),
        host: m.host.clone(),
        port: Some(m.port),
        security: Some(m.security.clone()),
        username: m.username.clone(),
        password: None,
        folder: Some(m.folder.clone()),
    }));
    Ok(Some(MailChange {
        public_url: fields.one("public_url").map(str::to_owned),
        mail_from: fields.one("mail_from").map(str::to_owned),
        management_address: fields.one("management_address").map(|a| Some(a.to_owned())),
        smtp: Some(smtp),
        imap: Some(imap),
    }))
}

/// The change a posted form asks for. A field the form did not send changes nothing; the
/// checkboxes of a section count only when the section's marker was sent with them (an
/// unticked box is not sent at all).
fn change_in(fields: &Fields, current_imap: &[ImapView]) -> Result<SettingsChange, String> {
    let section = |marker: &str| fields.one(marker).is_some();
    let flag = |name: &str| section("staff_visibility").then(|| fields.checked(name));
    Ok(SettingsChange {
        workspace_name: fields.one("workspace_name").map(str::to_owned),
        time_zone: fields.one("time_zone").map(str::to_owned),
        business_hours: section("week").then(|| week_in(fields)),
        holidays: fields.one("holidays").map(holidays_in).transpose()?,
        waiting_check_in_business_days: section("waiting")
            .then(|| days_in(fields, "waiting", "Check-ins while we wait"))
            .transpose()?,
        resolution_check_in_days: section("resolution")
            .then(|| {
                days_in(
                    fields,
                    "resolution",
                    "Check-ins after a proposed resolution",
                )
            })
            .transpose()?,
        promise_reminder_minutes: timing_in(fields, timings::PROMISE_REMINDER_MINUTES)?,
        escalation_acknowledge_minutes: timing_in(fields, timings::ESCALATION_ACKNOWLEDGE_MINUTES)?,
        letter_answer_minutes: timing_in(fields, timings::LETTER_ANSWER_MINUTES)?,
        nps_every_days: timing_in(fields, timings::NPS_EVERY_DAYS)?,
        portal_link_minutes: timing_in(fields, timings::PORTAL_LINK_MINUTES)?,
        invite_days: timing_in(fields, timings::INVITE_DAYS)?,
        password_reset_minutes: timing_in(fields, timings::PASSWORD_RESET_MINUTES)?,
        publish_staff_names: flag("publish_staff_names"),
        publish_staff_titles: flag("publish_staff_titles"),
        publish_staff_phones: flag("publish_staff_phones"),
        require_two_factor: Some(fields.checked("require_two_factor")),
        mail: mail_in(fields, current_imap)?,
    })
}

pub async fn update_settings(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let current_imap = settings::current(&app).await?.mail.imap;
    let refused = match change_in(&fields, &current_imap) {
        Ok(change) => match settings::apply(&app, Actor::Agent(signed_in.agent.id), change).await {
            Ok(()) => return Ok(back("/admin/settings", "Saved the settings.")),
            Err(error) => correctable(error)?,
        },
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    let (status, message) = refused;
    Ok(render_with(
        status,
        &page(&app, signed_in, None, Some(message)).await?,
    ))
}

impl SettingsPage {
    fn smtp_security(&self) -> &str {
        self.settings
            .mail
            .smtp
            .as_ref()
            .map_or("starttls", |s| s.security.as_str())
    }

    fn smtp_username(&self) -> &str {
        self.settings
            .mail
            .smtp
            .as_ref()
            .and_then(|s| s.username.as_deref())
            .unwrap_or_default()
    }

    fn smtp_password_set(&self) -> bool {
        self.settings
            .mail
            .smtp
            .as_ref()
            .is_some_and(|s| s.password_set)
    }

    fn imap_security(&self) -> &str {
        self.settings
            .mail
            .imap
            .first()
            .map_or("tls", |m| m.security.as_str())
    }

    fn imap_password_set(&self) -> bool {
        self.settings
            .mail
            .imap
            .first()
            .is_some_and(|m| m.password_set)
    }

    fn waiting(&self) -> String {
        days_text(&self.settings.waiting_check_in_business_days)
    }

    fn resolution(&self) -> String {
        days_text(&self.settings.resolution_check_in_days)
    }

    fn week(&self) -> Vec<DayField> {
        self.settings
            .business_hours
            .days()
            .into_iter()
            .map(|(name, hours)| DayField {
                key: name.to_lowercase(),
                name,
                open: hours.is_some(),
                opens: hours
                    .as_ref()
                    .map_or_else(|| "09:00".to_owned(), |h| h.opens.clone()),
                closes: hours
                    .as_ref()
                    .map_or_else(|| "17:00".to_owned(), |h| h.closes.clone()),
            })
            .collect()
    }

    fn holidays(&self) -> String {
        self.settings
            .holidays
            .iter()
            .map(|h| format!("{} {}", h.date, h.name).trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn timings(&self) -> Vec<TimingField> {
        let s = &self.settings;
        timings::ALL
            .iter()
            .map(|t| TimingField {
                key: t.key,
                label: t.label,
                unit: t.unit.word(),
                min: t.min,
                max: t.max,
                value: match t.key {
                    k if k == timings::PROMISE_REMINDER_MINUTES.key => s.promise_reminder_minutes,
                    k if k == timings::ESCALATION_ACKNOWLEDGE_MINUTES.key => {
                        s.escalation_acknowledge_minutes
                    }
                    k if k == timings::LETTER_ANSWER_MINUTES.key => s.letter_answer_minutes,
                    k if k == timings::NPS_EVERY_DAYS.key => s.nps_every_days,
                    k if k == timings::PORTAL_LINK_MINUTES.key => s.portal_link_minutes,
                    k if k == timings::INVITE_DAYS.key => s.invite_days,
                    _ => s.password_reset_minutes,
                },
            })
            .collect()
    }
}
