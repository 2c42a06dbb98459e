//! Workspace settings: its name, the timings of the problem lifecycle, and whether every agent
//! must sign in with two factors. Admins change them here or on `/admin/settings`, through
//! the same [`apply`].

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use rapport_domain::{Actor, Role, schedule, two_factor, validate};
use rapport_store::agent_links::WORKSPACE_NAME_SETTING;
use rapport_store::events::change;
use rapport_store::lifecycle::{RESOLUTION_CHECK_INS, WAITING_CHECK_INS};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(show_settings, update_settings))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The workspace's name, as agents and customers read it in mail (default "Rapport").
    pub workspace_name: String,
    /// Business days of customer silence after which the agent gets a check-in task, while the
    /// problem is open (default 2 and 5).
    pub waiting_check_in_business_days: Vec<i64>,
    /// Days after a proposed resolution on which the customer gets a gentle check-in; after the
    /// last, the problem is resolved unconfirmed (default 3 and 7).
    pub resolution_check_in_days: Vec<i64>,
    /// Every agent signs in with a code from an authenticator app after the password; those
    /// who have not set it up must do so at their next sign-in (default false). API tokens are
    /// not affected.
    pub require_two_factor: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    pub workspace_name: Option<String>,
    pub waiting_check_in_business_days: Option<Vec<i64>>,
    pub resolution_check_in_days: Option<Vec<i64>>,
    pub require_two_factor: Option<bool>,
}

async fn days(app: &App, setting: schedule::DaysSetting) -> ApiResult<Vec<i64>> {
    let stored = app.store.setting(setting.0).await?;
    Ok(schedule::days(setting, stored.as_deref()))
}

fn check(field: &str, days: &[i64]) -> ApiResult<String> {
    schedule::check_days(days).map_err(|why| ApiError::invalid(format!("`{field}` {why}.")))
}

/// The lifecycle timings in force, and whether two-factor sign-in is required.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = Settings)))]
pub async fn show_settings(State(app): State<App>, _auth: AuthAgent) -> ApiResult<Json<Settings>> {
    Ok(Json(current(&app).await?))
}

/// The settings in force.
pub async fn current(app: &App) -> ApiResult<Settings> {
    Ok(Settings {
        workspace_name: app.store.workspace_name().await?,
        waiting_check_in_business_days: days(app, WAITING_CHECK_INS).await?,
        resolution_check_in_days: days(app, RESOLUTION_CHECK_INS).await?,
        require_two_factor: app.store.two_factor_required().await?,
    })
}

/// Change the lifecycle timings (they apply to timers scheduled from now on) or require
/// two-factor sign-in (from each agent's next sign-in). Needs the admin role.
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

/// Checks and writes a change of settings, with one event holding each changed setting before
/// and after; nothing is written when nothing changes.
pub async fn apply(app: &App, actor: Actor, input: SettingsChange) -> ApiResult<()> {
    let name = input
        .workspace_name
        .as_deref()
        .map(|name| validate::line("workspace_name", name, validate::MAX_NAME_CHARS))
        .transpose()
        .map_err(|invalid| ApiError::invalid(format!("{}.", invalid.message)))?;
    let waiting = input
        .waiting_check_in_business_days
        .as_deref()
        .map(|d| check("waiting_check_in_business_days", d))
        .transpose()?;
    let resolution = input
        .resolution_check_in_days
        .as_deref()
        .map(|d| check("resolution_check_in_days", d))
        .transpose()?;
    // The audit trail keeps each changed setting as people read it, before and after.
    let mut values = Vec::new();
    let mut changes = serde_json::Map::new();
    for (setting, value) in [
        (WAITING_CHECK_INS, waiting),
        (RESOLUTION_CHECK_INS, resolution),
    ] {
        let Some(value) = value else { continue };
        let before = days(app, setting).await?;
        let after = schedule::days(setting, Some(&value));
        if before != after {
            changes.insert(setting.0.to_owned(), change(before, after));
            values.push((setting.0, value));
        }
    }
    if let Some(required) = input.require_two_factor {
        let before = app.store.two_factor_required().await?;
        if before != required {
            changes.insert(
                two_factor::REQUIRED_SETTING.to_owned(),
                change(before, required),
            );
            values.push((
                two_factor::REQUIRED_SETTING,
                two_factor::required_value(required).to_owned(),
            ));
        }
    }
    if let Some(name) = name {
        let before = app.store.workspace_name().await?;
        if before != name {
            changes.insert(WORKSPACE_NAME_SETTING.to_owned(), change(before, &name));
            values.push((WORKSPACE_NAME_SETTING, name));
        }
    }
    if !values.is_empty() {
        app.store
            .update_settings(actor, &values, changes.into())
            .await?;
    }
    Ok(())
}
