//! `/admin/settings`: the workspace's name, the lifecycle's timings and whether two-factor
//! sign-in is required. The same checks as `PATCH /api/v1/settings` ([`settings::apply`]).

use super::{Fields, admin_only, back};
use crate::app::App;
use crate::pages::{PageResult, SignedIn, Submitted, correctable, render_with};
use crate::settings::{self, Settings, SettingsChange};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rapport_domain::{Actor, Agent};

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    agent: Agent,
    csrf: String,
    query: String,
    settings: Settings,
    flash: Option<String>,
    error: Option<String>,
}

fn days_text(days: &[i64]) -> String {
    days.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn show_settings(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<super::Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    Ok(render_with(
        StatusCode::OK,
        &SettingsPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            settings: settings::current(&app).await?,
            flash: query.done,
            error: None,
        },
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

pub async fn update_settings(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let fields = Fields::new(fields);
    let change = days_in(&fields, "waiting", "Check-ins while we wait").and_then(|waiting| {
        let resolution = days_in(
            &fields,
            "resolution",
            "Check-ins after a proposed resolution",
        )?;
        Ok(SettingsChange {
            workspace_name: Some(fields.text("workspace_name")),
            waiting_check_in_business_days: Some(waiting),
            resolution_check_in_days: Some(resolution),
            require_two_factor: Some(fields.checked("require_two_factor")),
        })
    });
    let refused = match change {
        Ok(change) => match settings::apply(&app, Actor::Agent(signed_in.agent.id), change).await {
            Ok(()) => return Ok(back("/admin/settings", "Saved the settings.")),
            Err(error) => correctable(error)?,
        },
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    let (status, message) = refused;
    Ok(render_with(
        status,
        &SettingsPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            settings: settings::current(&app).await?,
            flash: None,
            error: Some(message),
        },
    ))
}

impl SettingsPage {
    fn waiting(&self) -> String {
        days_text(&self.settings.waiting_check_in_business_days)
    }

    fn resolution(&self) -> String {
        days_text(&self.settings.resolution_check_in_days)
    }
}
