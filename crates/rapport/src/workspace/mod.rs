//! The agent workspace: server-rendered pages from the same binary, usable without
//! JavaScript for reading; `assets/workspace.js` adds the live coach, live updates, presence
//! and keyboard shortcuts. Every form carries the session's CSRF token ([`Submitted`]).
//!
//! [`Submitted`]: crate::pages::Submitted

mod account;
mod bulk;
mod chart;
mod coaching;
mod complaints;
mod coverage;
mod customer;
mod escalations;
mod filtered;
mod first_run;
mod handling;
mod inbox;
pub(crate) mod insight;
mod live;
mod new_ticket;
mod notifications;
mod organization;
mod panel;
mod password;
pub(crate) mod policies;
mod relationship;
mod reply;
mod saved_replies;
mod service_level;
mod sign_in;
mod tasks;
mod ticket;
mod two_factor;
mod views;

use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// Every page route [`router`] serves, as (method, path): the authorization matrix test
/// (`tests/api/matrix.rs`) has a row for each, and a test in `router.rs` holds this list to
/// the routes declared below.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("GET", "/sign-in/code"),
    ("POST", "/sign-in/code"),
    ("POST", "/sign-out"),
    ("GET", "/setup"),
    ("POST", "/setup"),
    ("GET", "/password/forgot"),
    ("POST", "/password/forgot"),
    ("GET", "/password/{token}"),
    ("POST", "/password/{token}"),
    ("GET", "/account"),
    ("POST", "/account/sessions/end-others"),
    ("POST", "/account/password"),
    ("POST", "/account/tokens/{id}/revoke"),
    ("POST", "/account/two-factor"),
    ("POST", "/account/two-factor/confirm"),
    ("POST", "/account/two-factor/off"),
    ("POST", "/account/notifications"),
    ("GET", "/notifications"),
    ("POST", "/notifications/read-all"),
    ("POST", "/notifications/{id}/read"),
    ("GET", "/tickets/new"),
    ("POST", "/tickets/bulk"),
    ("POST", "/tickets"),
    ("GET", "/tickets/{id}"),
    ("POST", "/tickets/{id}/reply"),
    ("POST", "/tickets/{id}/assign"),
    ("POST", "/tickets/{id}/details"),
    ("POST", "/tickets/{id}/state"),
    ("POST", "/tickets/{id}/escalation/answered"),
    ("POST", "/tickets/{id}/escalate"),
    ("GET", "/escalations"),
    ("POST", "/customers/{id}/assets"),
    ("POST", "/customers/{id}/contracts"),
    ("POST", "/tickets/{id}/assets"),
    ("GET", "/customer-assets/{id}"),
    ("POST", "/escalations/{id}/acknowledge"),
    ("POST", "/letters/{id}/answer"),
    ("POST", "/tickets/{id}/complaints"),
    ("GET", "/complaints/{id}"),
    ("POST", "/complaints/{id}"),
    ("POST", "/complaints/{id}/actions"),
    ("POST", "/complaints/{id}/outcome"),
    ("GET", "/reports/recovery"),
    ("GET", "/agents/{id}/coaching"),
    ("GET", "/teams/{id}/coaching"),
    ("GET", "/policies"),
    ("POST", "/policies"),
    ("GET", "/policies/{id}"),
    ("POST", "/policies/{id}"),
    ("POST", "/tickets/{id}/policy-exceptions"),
    ("GET", "/exceptions"),
    ("GET", "/exceptions/{id}"),
    ("POST", "/exceptions/{id}/decide"),
    ("POST", "/tickets/{id}/call"),
    ("POST", "/tickets/{id}/promise"),
    ("POST", "/promises/{id}/kept"),
    ("POST", "/promises/{id}/accept"),
    ("POST", "/tickets/{id}/moment"),
    ("GET", "/customers/{id}"),
    ("POST", "/customers/{id}/details"),
    ("POST", "/customers/{id}/emails"),
    ("POST", "/customers/{id}/emails/remove"),
    ("POST", "/customers/{id}/emails/primary"),
    ("GET", "/organizations/{id}"),
    ("POST", "/organizations/{id}/details"),
    ("POST", "/organizations/{id}/domains"),
    ("POST", "/organizations/{id}/domains/remove"),
    ("GET", "/saved-replies"),
    ("POST", "/saved-replies"),
    ("GET", "/saved-replies/{id}"),
    ("POST", "/saved-replies/{id}"),
    ("POST", "/saved-replies/{id}/delete"),
    ("GET", "/tasks"),
    ("POST", "/tasks/{id}/complete"),
    ("GET", "/filtered"),
    ("POST", "/filtered/{id}/ticket"),
    ("GET", "/live"),
    ("POST", "/live/composing"),
];

pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(inbox::show_inbox))
        .route(
            "/sign-in",
            get(sign_in::sign_in_page).post(sign_in::sign_in),
        )
        .route(
            "/sign-in/code",
            get(two_factor::code_page).post(two_factor::submit_code),
        )
        .route("/sign-out", post(sign_in::sign_out))
        .route(
            "/setup",
            get(first_run::setup_page).post(first_run::create_first_admin),
        )
        .route(
            "/password/forgot",
            get(password::forgot_page).post(password::send_reset),
        )
        .route(
            "/password/{token}",
            get(password::password_page).post(password::set_password),
        )
        .route("/account", get(account::show_account))
        .route(
            "/account/sessions/end-others",
            post(account::end_other_sessions),
        )
        .route("/account/password", post(account::change_password))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/account/two-factor", post(account::start_two_factor))
        .route(
            "/account/two-factor/confirm",
            post(account::confirm_two_factor),
        )
        .route(
            "/account/two-factor/off",
            post(account::turn_off_two_factor),
        )
        .route(
            "/account/notifications",
            post(account::change_notifications),
        )
        .route("/notifications", get(notifications::show_notifications))
        .route(
            "/notifications/read-all",
            post(notifications::mark_all_read),
        )
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/tickets/new", get(new_ticket::new_ticket_page))
        .route("/tickets/bulk", post(bulk::bulk_change))
        .route("/tickets", post(new_ticket::create_ticket))
        .route("/tickets/{id}", get(ticket::show_ticket))
        .route(
            "/tickets/{id}/reply",
            post(reply::reply).layer(DefaultBodyLimit::max(crate::pages::MAX_UPLOAD_BYTES)),
        )
        .route("/tickets/{id}/assign", post(handling::assign))
        .route("/tickets/{id}/details", post(handling::change_details))
        .route("/tickets/{id}/state", post(handling::change_state))
        .route(
            "/tickets/{id}/escalation/answered",
            post(handling::answer_escalation),
        )
        .route("/tickets/{id}/escalate", post(escalations::escalate))
        .route("/escalations", get(escalations::show_escalations))
        .route("/customers/{id}/assets", post(coverage::add_asset))
        .route("/customers/{id}/contracts", post(coverage::add_contract))
        .route("/tickets/{id}/assets", post(coverage::link_asset))
        .route("/customer-assets/{id}", get(coverage::show_asset))
        .route(
            "/escalations/{id}/acknowledge",
            post(escalations::acknowledge),
        )
        .route("/letters/{id}/answer", post(escalations::answer_letter))
        .route("/tickets/{id}/complaints", post(complaints::open_complaint))
        .route(
            "/complaints/{id}",
            get(complaints::show_complaint).post(complaints::update_complaint),
        )
        .route("/complaints/{id}/actions", post(complaints::add_action))
        .route(
            "/complaints/{id}/outcome",
            post(complaints::close_complaint),
        )
        .route("/reports/recovery", get(complaints::show_report))
        .route("/agents/{id}/coaching", get(coaching::show_agent))
        .route("/teams/{id}/coaching", get(coaching::show_team))
        .route(
            "/policies",
            get(policies::show_policies).post(policies::create_policy),
        )
        .route(
            "/policies/{id}",
            get(policies::show_policy).post(policies::update_policy),
        )
        .route(
            "/tickets/{id}/policy-exceptions",
            post(policies::request_exception),
        )
        .route("/exceptions", get(policies::show_exceptions))
        .route("/exceptions/{id}", get(policies::show_exception))
        .route("/exceptions/{id}/decide", post(policies::decide_exception))
        .route("/tickets/{id}/call", post(relationship::log_call))
        .route("/tickets/{id}/promise", post(relationship::make_promise))
        .route("/promises/{id}/kept", post(relationship::promise_kept))
        .route("/promises/{id}/accept", post(relationship::accept_promise))
        .route("/tickets/{id}/moment", post(relationship::note_moment))
        .route("/customers/{id}", get(customer::show_customer))
        .route("/customers/{id}/details", post(customer::change_details))
        .route("/customers/{id}/emails", post(customer::add_email))
        .route(
            "/customers/{id}/emails/remove",
            post(customer::remove_email),
        )
        .route(
            "/customers/{id}/emails/primary",
            post(customer::make_primary),
        )
        .route("/organizations/{id}", get(organization::show_organization))
        .route(
            "/organizations/{id}/details",
            post(organization::change_details),
        )
        .route(
            "/organizations/{id}/domains",
            post(organization::add_domain),
        )
        .route(
            "/organizations/{id}/domains/remove",
            post(organization::remove_domain),
        )
        .route(
            "/saved-replies",
            get(saved_replies::list).post(saved_replies::create),
        )
        .route(
            "/saved-replies/{id}",
            get(saved_replies::show).post(saved_replies::update),
        )
        .route("/saved-replies/{id}/delete", post(saved_replies::delete))
        .route("/tasks", get(tasks::show_tasks))
        .route("/tasks/{id}/complete", post(tasks::complete_task))
        .route("/filtered", get(filtered::show_filtered))
        .route("/filtered/{id}/ticket", post(filtered::take))
        .route("/live", get(live::stream))
        .route("/live/composing", post(live::composing))
}

/// A ticket the agent may see, or a page saying why not.
async fn visible_ticket(
    app: &App,
    agent: &rapport_domain::Agent,
    id: i64,
) -> crate::pages::PageResult<rapport_domain::Ticket> {
    let ticket = app.store.ticket(id).await?;
    if !app.store.agent_may_see(agent, &ticket).await? {
        return Err(crate::pages::PageError::forbidden(format!(
            "Ticket #{id} belongs to a restricted team you are not in. Ask an admin or the team if you need it."
        )));
    }
    Ok(ticket)
}

/// After a change, back to the ticket with a note of what happened.
fn back_to_ticket(id: i64, done: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    axum::response::Redirect::to(&format!(
        "/tickets/{id}?done={}",
        crate::pages::url_escape(done)
    ))
    .into_response()
}
