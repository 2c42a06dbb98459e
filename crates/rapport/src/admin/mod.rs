//! `/admin`: running the team from the browser (admin role). Agents (invite, change,
//! deactivate with a hand-over), teams, the workspace settings, webhooks, and the audit trail
//! of what admins and everyone else changed. Each page calls the same store step as its API route.

mod agents;
mod audit;
mod service_levels;
mod settings;
mod teams;
mod webhooks;

use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn};
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rapport_domain::Role;

/// Every page route [`router`] serves, as (method, path); see `workspace::ROUTES`.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin"),
    ("GET", "/admin/agents"),
    ("POST", "/admin/agents"),
    ("GET", "/admin/agents/{id}"),
    ("POST", "/admin/agents/{id}"),
    ("POST", "/admin/agents/{id}/invitation"),
    ("POST", "/admin/agents/{id}/deactivate"),
    ("POST", "/admin/agents/{id}/sign-out"),
    ("POST", "/admin/agents/{id}/two-factor/reset"),
    ("GET", "/admin/teams"),
    ("POST", "/admin/teams"),
    ("GET", "/admin/teams/{id}"),
    ("POST", "/admin/teams/{id}"),
    ("GET", "/admin/service-levels"),
    ("POST", "/admin/service-levels"),
    ("POST", "/admin/service-levels/{id}"),
    ("POST", "/admin/service-levels/{id}/remove"),
    ("GET", "/admin/settings"),
    ("POST", "/admin/settings"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/webhooks"),
    ("POST", "/admin/webhooks"),
    ("GET", "/admin/webhooks/{id}"),
    ("POST", "/admin/webhooks/{id}"),
    ("POST", "/admin/webhooks/{id}/active"),
    ("POST", "/admin/webhooks/{id}/test"),
    ("POST", "/admin/webhooks/{id}/delete"),
];

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin", get(home))
        .route(
            "/admin/agents",
            get(agents::list_agents).post(agents::invite_agent),
        )
        .route(
            "/admin/agents/{id}",
            get(agents::show_agent).post(agents::update_agent),
        )
        .route(
            "/admin/agents/{id}/invitation",
            post(agents::resend_invitation),
        )
        .route(
            "/admin/agents/{id}/deactivate",
            post(agents::deactivate_agent),
        )
        .route(
            "/admin/agents/{id}/sign-out",
            post(agents::sign_out_everywhere),
        )
        .route(
            "/admin/agents/{id}/two-factor/reset",
            post(agents::reset_two_factor),
        )
        .route(
            "/admin/teams",
            get(teams::list_teams).post(teams::create_team),
        )
        .route(
            "/admin/teams/{id}",
            get(teams::show_team).post(teams::update_team),
        )
        .route(
            "/admin/service-levels",
            get(service_levels::show_service_levels).post(service_levels::create_policy),
        )
        .route(
            "/admin/service-levels/{id}",
            post(service_levels::update_policy),
        )
        .route(
            "/admin/service-levels/{id}/remove",
            post(service_levels::remove_policy),
        )
        .route(
            "/admin/settings",
            get(settings::show_settings).post(settings::update_settings),
        )
        .route("/admin/audit", get(audit::show_audit))
        .route(
            "/admin/webhooks",
            get(webhooks::show_webhooks).post(webhooks::create_webhook),
        )
        .route(
            "/admin/webhooks/{id}",
            get(webhooks::show_webhook).post(webhooks::update_webhook),
        )
        .route("/admin/webhooks/{id}/active", post(webhooks::set_active))
        .route("/admin/webhooks/{id}/test", post(webhooks::test_webhook))
        .route(
            "/admin/webhooks/{id}/delete",
            post(webhooks::delete_webhook),
        )
}

async fn home(signed_in: SignedIn) -> PageResult {
    admin_only(&signed_in)?;
    Ok(Redirect::to("/admin/agents").into_response())
}

/// `?done=...`: what the last change did, shown once at the top of the page.
#[derive(serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// Refuses every agent but an admin, with a page that says who can help.
fn admin_only(signed_in: &SignedIn) -> PageResult<()> {
    if signed_in.agent.role.includes(Role::Admin) {
        return Ok(());
    }
    Err(PageError::forbidden(
        "These pages are for admins: they run the team and the workspace's settings. Ask an admin if something here needs changing.",
    ))
}

/// A form's fields in order, repeated names included (a list of checkboxes).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(fields: Vec<(String, String)>) -> Fields {
        Fields(fields)
    }

    /// The first value of `name`, trimmed; `None` when absent.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
    }

    /// The first value of `name`, or an empty text.
    pub fn text(&self, name: &str) -> String {
        self.one(name).unwrap_or_default().to_owned()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.one(name).is_some()
    }

    /// Every value of `name` read as an id (checkboxes); a value that is not one is an
    /// error for the person who sent the form.
    pub fn ids(&self, name: &str) -> PageResult<Vec<i64>> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| id_in(name, value))
            .collect()
    }

    /// One optional id (a select with an empty "nobody" choice).
    pub fn optional_id(&self, name: &str) -> PageResult<Option<i64>> {
        match self.one(name) {
            None | Some("") => Ok(None),
            Some(value) => id_in(name, value).map(Some),
        }
    }
}

fn id_in(name: &str, value: &str) -> PageResult<i64> {
    value.trim().parse().map_err(|_| {
        PageError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "The form's choice for {name} could not be read. Reload the page and try again."
            ),
        )
    })
}

/// After a change, back to a page with a note of what happened.
fn back(path: &str, done: &str) -> Response {
    Redirect::to(&format!("{path}?done={}", crate::pages::url_escape(done))).into_response()
}
