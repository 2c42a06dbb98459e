//! Workspace settings: its name, calendar (time zone, opening hours, holidays), the timings of
//! the relationship (check-ins, promise reminders, surveys, link lifetimes), what customers
//! see of staff, and whether every agent must sign in with two factors. Admins change them
//! here or on `/admin/settings`, through the same [`apply`].

pub mod mail;

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use rapport_domain::calendar::{self, Calendar, Holiday, Hours};
use rapport_domain::staff;
use rapport_domain::timings::{self, Timing};
use rapport_domain::{Actor, Role, schedule, two_factor, validate};
use rapport_store::agent_links::WORKSPACE_NAME_SETTING;
use rapport_store::events::change;
use rapport_store::lifecycle::{RESOLUTION_CHECK_INS, WAITING_CHECK_INS};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(show_settings, update_settings))
}

/// One weekday's opening hours, local time of the workspace.
#[derive(Serialize, Deserialize, ToSchema, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct DayHours {
    /// Such as `09:00`.
    pub opens: String,
    /// Such as `17:30`; `24:00` for midnight. Later than `opens`.
    pub closes: String,
}

/// The opening hours per weekday; `null` for a closed day. At least one day is open.
#[derive(Serialize, Deserialize, ToSchema, Clone, PartialEq, Eq, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    pub monday: Option<DayHours>,
    pub tuesday: Option<DayHours>,
    pub wednesday: Option<DayHours>,
    pub thursday: Option<DayHours>,
    pub friday: Option<DayHours>,
    pub saturday: Option<DayHours>,
    pub sunday: Option<DayHours>,
}

impl BusinessHours {
    fn from_week(week: &[Option<Hours>; 7]) -> BusinessHours {
        let day = |i: usize| {
            week[i].map(|hours| DayHours {
                opens: calendar::clock_text(hours.opens),
                closes: calendar::clock_text(hours.closes),
            })
        };
        BusinessHours {
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
        }
    }

    /// The days, Monday first, with their names as people read them.
    pub fn days(&self) -> [(&'static str, &Option<DayHours>); 7] {
        [
            ("Monday", &self.monday),
            ("Tuesday", &self.tuesday),
            ("Wednesday", &self.wednesday),
            ("Thursday", &self.thursday),
            ("Friday", &self.friday),
            ("Saturday", &self.saturday),
            ("Sunday", &self.sunday),
        ]
    }

    /// The week as the calendar stores it; each wrong day said in words.
    fn week(&self) -> ApiResult<String> {
        let mut week = [None; 7];
        for (slot, (name, day)) in week.iter_mut().zip(self.days()) {
            if let Some(day) = day {
                *slot = Some(calendar::hours(&day.opens, &day.closes).map_err(|why| {
                    ApiError::invalid(format!("Opening hours on {name}: {why}."))
                })?);
            }
        }
        calendar::check_week(&week)
            .map_err(|why| ApiError::invalid(format!("Opening hours: {why}.")))
    }
}

/// A day off for the whole team.
#[derive(Serialize, Deserialize, ToSchema, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct HolidayDate {
    /// `2026-12-25`.
    pub date: String,
    /// Such as "Christmas Day"; may be empty.
    #[serde(default)]
    pub name: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The workspace's name, as agents and customers read it in mail (default "Rapport").
    pub workspace_name: String,
    /// The IANA time zone the team works in, such as `Europe/Berlin` (default `UTC`). "Today",
    /// business days and times shown on pages follow it.
    pub time_zone: String,
    /// When the team works (default Monday to Friday, 09:00-17:00).
    pub business_hours: BusinessHours,
    /// Days off for the whole team, in date order; they are not business days.
    pub holidays: Vec<HolidayDate>,
    /// Business days of customer silence after which the agent gets a check-in task, while the
    /// problem is open (default 2 and 5).
    pub waiting_check_in_business_days: Vec<i64>,
    /// Days after a proposed resolution on which the customer gets a gentle check-in; after the
    /// last, the problem is resolved unconfirmed (default 3 and 7).
    pub resolution_check_in_days: Vec<i64>,
    /// Minutes before a promise is due that its promiser is reminded (default 60; 5 to 10,080).
    pub promise_reminder_minutes: i64,
    /// Business minutes a manager has to acknowledge an escalation before it goes one level
    /// up the reporting line (default 60; 5 to 2,400).
    pub escalation_acknowledge_minutes: i64,
    /// Business minutes management has to answer a customer's letter before it goes one level
    /// up (default 960, two 8-hour days; 60 to 4,800).
    pub letter_answer_minutes: i64,
    /// A customer is asked the recommendation (NPS) question at most once in this many days
    /// (default 90; 7 to 730).
    pub nps_every_days: i64,
    /// Minutes a customer's mailed sign-in link works (default 30; 5 to 1,440).
    pub portal_link_minutes: i64,
    /// Days an invitation to a new agent works (default 7; 1 to 30).
    pub invite_days: i64,
    /// Minutes a password reset link works (default 60; 10 to 1,440).
    pub password_reset_minutes: i64,
    /// Customers see the names of the people handling their case and their manager (default
    /// true). Without names they read "your support agent" and "their manager".
    pub publish_staff_names: bool,
    /// Customers see staff titles, such as "Customer care lead" (default true).
    pub publish_staff_titles: bool,
    /// Customers see staff direct phone numbers (default false).
    pub publish_staff_phones: bool,
    /// Every agent signs in with a code from an authenticator app after the password; those
    /// who have not set it up must do so at their next sign-in (default false). API tokens are
    /// not affected.
    pub require_two_factor: bool,
    /// The public address, our sender address, and the mail servers (passwords never shown).
    pub mail: mail::MailView,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    pub workspace_name: Option<String>,
    pub time_zone: Option<String>,
    pub business_hours: Option<BusinessHours>,
    pub holidays: Option<Vec<HolidayDate>>,
    pub waiting_check_in_business_days: Option<Vec<i64>>,
    pub resolution_check_in_days: Option<Vec<i64>>,
    pub promise_reminder_minutes: Option<i64>,
    pub escalation_acknowledge_minutes: Option<i64>,
    pub letter_answer_minutes: Option<i64>,
    pub nps_every_days: Option<i64>,
    pub portal_link_minutes: Option<i64>,
    pub invite_days: Option<i64>,
    pub password_reset_minutes: Option<i64>,
    pub publish_staff_names: Option<bool>,
    pub publish_staff_titles: Option<bool>,
    pub publish_staff_phones: Option<bool>,
    pub require_two_factor: Option<bool>,
    pub mail: Option<mail::MailChange>,
}

impl SettingsChange {
    /// The number a change gives `timing`, if it gives one.
    fn timing(&self, timing: Timing) -> Option<i64> {
        match timing.key {
            k if k == timings::PROMISE_REMINDER_MINUTES.key => self.promise_reminder_minutes,
            k if k == timings::ESCALATION_ACKNOWLEDGE_MINUTES.key => {
                self.escalation_acknowledge_minutes
            }
            k if k == timings::LETTER_ANSWER_MINUTES.key => self.letter_answer_minutes,
            k if k == timings::NPS_EVERY_DAYS.key => self.nps_every_days,
            k if k == timings::PORTAL_LINK_MINUTES.key => self.portal_link_minutes,
            k if k == timings::INVITE_DAYS.key => self.invite_days,
            k if k == timings::PASSWORD_RESET_MINUTES.key => self.password_reset_minutes,
            _ => None,
        }
    }
}

async fn days(app: &App, setting: schedule::DaysSetting) -> ApiResult<Vec<i64>> {
    let stored = app.store.setting(setting.0).await?;
    Ok(schedule::days(setting, stored.as_deref()))
}

fn check(field: &str, days: &[i64]) -> ApiResult<String> {
    schedule::check_days(days).map_err(|why| ApiError::invalid(format!("`{field}` {why}.")))
}

fn holidays_of(calendar: &Calendar) -> Vec<HolidayDate> {
    calendar
        .holidays()
        .iter()
        .map(|holiday| HolidayDate {
            date: holiday.date.to_string(),
            name: holiday.name.clone(),
        })
        .collect()
}

/// The settings in force, and the workspace calendar.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = Settings)))]
pub async fn show_settings(State(app): State<App>, _auth: AuthAgent) -> ApiResult<Json<Settings>> {
    Ok(Json(current(&app).await?))
}

/// The settings in force.
pub async fn current(app: &App) -> ApiResult<Settings> {
    let calendar = app.store.calendar().await?;
    let publishing = app.store.staff_publishing().await?;
    Ok(Settings {
        workspace_name: app.store.workspace_name().await?,
        time_zone: calendar.zone_name().to_owned(),
        business_hours: BusinessHours::from_week(calendar.week()),
        holidays: holidays_of(&calendar),
        waiting_check_in_business_days: days(app, WAITING_CHECK_INS).await?,
        resolution_check_in_days: days(app, RESOLUTION_CHECK_INS).await?,
        promise_reminder_minutes: app.store.timing(timings::PROMISE_REMINDER_MINUTES).await?,
        escalation_acknowledge_minutes: app
            .store
            .timing(timings::ESCALATION_ACKNOWLEDGE_MINUTES)
            .await?,
        letter_answer_minutes: app.store.timing(timings::LETTER_ANSWER_MINUTES).await?,
        nps_every_days: app.store.timing(timings::NPS_EVERY_DAYS).await?,
        portal_link_minutes: app.store.timing(timings::PORTAL_LINK_MINUTES).await?,
        invite_days: app.store.timing(timings::INVITE_DAYS).await?,
        password_reset_minutes: app.store.timing(timings::PASSWORD_RESET_MINUTES).await?,
        publish_staff_names: publishing.names,
        publish_staff_titles: publishing.titles,
        publish_staff_phones: publishing.phones,
        require_two_factor: app.store.two_factor_required().await?,
        mail: mail::MailView::from(&mail::in_force(app).await?),
    })
}

/// Change the workspace settings. Timings apply to timers scheduled from now on; the calendar
/// at once (to "today", business days and the times pages show); two-factor sign-in from each
/// agent's next sign-in. Needs the admin role.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    request_body = SettingsChange,
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_settings(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<SettingsChange>,
) -> ApiResult<Json<Settings>> {
    auth.require(Role::Admin, "Changing workspace settings")?;
    apply(&app, auth.actor(), input).await?;
    show_settings(State(app), auth).await
}

/// The changed settings: the values to store, and each change as people read it, before and
/// after, for the audit trail.
#[derive(Default)]
struct Changes {
    values: Vec<(&'static str, String)>,
    described: serde_json::Map<String, Value>,
}

impl Changes {
    /// Records `key` as changed from `before` to `after` (stored as `stored`) when they differ.
    fn put<T: Serialize + PartialEq>(
        &mut self,
        key: &'static str,
        before: T,
        after: T,
        stored: String,
    ) {
        if before != after {
            self.described.insert(key.to_owned(), change(before, after));
            self.values.push((key, stored));
        }
    }
}

/// Checks and writes a change of settings, with one event holding each changed setting before
/// and after; nothing is written when nothing changes.
pub async fn apply(app: &App, actor: Actor, input: SettingsChange) -> ApiResult<()> {
    let now = current(app).await?;
    let mut changes = Changes::default();
    if let Some(name) = &input.workspace_name {
        let name = validate::line("workspace_name", name, validate::MAX_NAME_CHARS)
            .map_err(|invalid| ApiError::invalid(format!("{}.", invalid.message)))?;
        changes.put(
            WORKSPACE_NAME_SETTING,
            now.workspace_name.clone(),
            name.clone(),
            name,
        );
    }
    if let Some(zone) = &input.time_zone {
        let zone = zone.trim();
        if calendar::time_zone(zone).is_none() {
            return Err(ApiError::invalid(format!(
                "“{zone}” is not a time zone we know. Write one such as Europe/Berlin, America/New_York or UTC."
            )));
        }
        changes.put(
            calendar::TIME_ZONE_SETTING,
            now.time_zone.as_str(),
            zone,
            zone.to_owned(),
        );
    }
    if let Some(hours) = &input.business_hours {
        let stored = hours.week()?;
        changes.put(
            calendar::BUSINESS_HOURS_SETTING,
            &now.business_hours,
            hours,
            stored,
        );
    }
    if let Some(holidays) = &input.holidays {
        let mut read = Vec::with_capacity(holidays.len());
        for holiday in holidays {
            let date = calendar::parse_date(&holiday.date).ok_or_else(|| {
                ApiError::invalid(format!(
                    "“{}” is not a date. Write each holiday's date as 2026-12-25.",
                    holiday.date
                ))
            })?;
            read.push(Holiday {
                date,
                name: holiday.name.trim().to_owned(),
            });
        }
        let stored = calendar::check_holidays(&read)
            .map_err(|why| ApiError::invalid(format!("Holidays: {why}.")))?;
        let after = holidays_of(&Calendar::from_stored(None, None, Some(&stored)));
        changes.put(
            calendar::HOLIDAYS_SETTING,
            now.holidays.clone(),
            after,
            stored,
        );
    }
    for (setting, field, value, before) in [
        (
            WAITING_CHECK_INS,
            "waiting_check_in_business_days",
            &input.waiting_check_in_business_days,
            &now.waiting_check_in_business_days,
        ),
        (
            RESOLUTION_CHECK_INS,
            "resolution_check_in_days",
            &input.resolution_check_in_days,
            &now.resolution_check_in_days,
        ),
    ] {
        let Some(value) = value else { continue };
        let stored = check(field, value)?;
        let after = schedule::days(setting, Some(&stored));
        changes.put(setting.0, before.clone(), after, stored);
    }
    for timing in timings::ALL {
        let Some(value) = input.timing(timing) else {
            continue;
        };
        let stored = timing
            .check(value)
            .map_err(|why| ApiError::invalid(format!("{why}.")))?;
        let before = app.store.timing(timing).await?;
        changes.put(timing.key, before, value, stored);
    }
    for (key, value, before) in [
        (
            staff::PUBLISH_NAMES.0,
            input.publish_staff_names,
            now.publish_staff_names,
        ),
        (
            staff::PUBLISH_TITLES.0,
            input.publish_staff_titles,
            now.publish_staff_titles,
        ),
        (
            staff::PUBLISH_PHONES.0,
            input.publish_staff_phones,
            now.publish_staff_phones,
        ),
        (
            two_factor::REQUIRED_SETTING,
            input.require_two_factor,
            now.require_two_factor,
        ),
    ] {
        let Some(value) = value else { continue };
        changes.put(key, before, value, staff::flag_value(value).to_owned());
    }
    let mut public_url = None;
    if let Some(asked) = &input.mail {
        let before = mail::in_force(app).await?;
        let (values, after) = mail::apply(&before, asked)?;
        let (was, is) = (mail::MailView::from(&before), mail::MailView::from(&after));
        // A new password shows in no view: compare the servers whole.
        let servers = |mail: &mail::Mail| serde_json::to_string(&(&mail.smtp, &mail.imap)).ok();
        if was != is || servers(&before) != servers(&after) {
            let described = if was == is {
                serde_json::json!({"passwords": "changed"})
            } else {
                change(&was, &is)
            };
            changes.described.insert("mail".to_owned(), described);
            changes.values.extend(values);
            // The outbox reads the sender address in force from its own setting.
            changes.values.push((
                rapport_store::mail_outbox::MAIL_FROM_SETTING,
                after.mail_from.clone(),
            ));
            public_url = Some(after.public_url);
        }
    }
    if !changes.values.is_empty() {
        app.store
            .update_settings(actor, &changes.values, changes.described.into())
            .await?;
    }
    if let Some(url) = public_url {
        app.store.set_public_url(&url);
    }
    Ok(())
}
