//! The customer portal at `/portal`: sign in with a single-use link sent by email (no
//! password), see one's requests and their problem state, open a request with attachments,
//! reply, say "this is not fixed yet", confirm a resolution, rate; see who handles the case and
//! who their manager is, ask for a manager, ask for a call back, write to management.
//!
//! A customer sees only their own tickets, and their organization's where the admin allows it
//! (`Store::portal_ticket`); anything else is "not found", whether it exists or not.

mod escalate;
mod my_data;
mod sign_in;
mod tickets;

use crate::app::App;
use crate::pages::PageError;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rapport_domain::Customer;

pub const COOKIE: &str = "rapport_portal";

/// Every route [`router`] serves, as (method, path); see `workspace::ROUTES`.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/portal"),
    ("POST", "/portal/sign-in"),
    ("GET", "/portal/link/{token}"),
    ("POST", "/portal/link/{token}"),
    ("POST", "/portal/sign-out"),
    ("GET", "/portal/tickets/new"),
    ("POST", "/portal/tickets"),
    ("GET", "/portal/tickets/{id}"),
    ("POST", "/portal/tickets/{id}/reply"),
    ("POST", "/portal/tickets/{id}/not-fixed"),
    ("POST", "/portal/tickets/{id}/confirm"),
    ("POST", "/portal/tickets/{id}/rate"),
    ("POST", "/portal/tickets/{id}/manager"),
    ("POST", "/portal/tickets/{id}/call-back"),
    ("GET", "/portal/letter"),
    ("POST", "/portal/letter"),
    ("GET", "/portal/attachments/{id}"),
    ("GET", "/portal/my-data"),
];

pub fn router() -> Router<App> {
    Router::new()
        .route("/portal", get(tickets::home))
        .route("/portal/sign-in", post(sign_in::send_link))
        .route(
            "/portal/link/{token}",
            get(sign_in::link_page).post(sign_in::use_link),
        )
        .route("/portal/sign-out", post(sign_in::sign_out))
        .route("/portal/tickets/new", get(tickets::new_ticket_page))
        .route(
            "/portal/tickets",
            post(tickets::open_ticket).layer(DefaultBodyLimit::max(crate::pages::MAX_UPLOAD_BYTES)),
        )
        .route("/portal/tickets/{id}", get(tickets::show_ticket))
        .route(
            "/portal/tickets/{id}/reply",
            post(tickets::reply).layer(DefaultBodyLimit::max(crate::pages::MAX_UPLOAD_BYTES)),
        )
        .route("/portal/tickets/{id}/not-fixed", post(tickets::not_fixed))
        .route("/portal/tickets/{id}/confirm", post(tickets::confirm))
        .route("/portal/tickets/{id}/rate", post(tickets::rate))
        .route(
            "/portal/tickets/{id}/manager",
            post(escalate::ask_for_manager),
        )
        .route(
            "/portal/tickets/{id}/call-back",
            post(escalate::ask_for_call),
        )
        .route(
            "/portal/letter",
            get(escalate::letter_page).post(escalate::send_letter),
        )
        .route("/portal/attachments/{id}", get(tickets::download))
        .route("/portal/my-data", get(my_data::download_my_data))
}

/// The portal session secret from the request's cookies, if any.
pub fn session_from(headers: &HeaderMap) -> Option<String> {
    crate::session::cookie(headers, COOKIE)
}

/// The signed-in customer; without a session the browser goes to the portal's sign-in.
pub struct PortalCustomer {
    pub customer: Customer,
    pub csrf: String,
}

impl PortalCustomer {
    pub async fn from_headers(app: &App, headers: &HeaderMap) -> Result<Option<Self>, PageError> {
        let Some(session) = session_from(headers) else {
            return Ok(None);
        };
        Ok(app
            .store
            .customer_for_session(&session)
            .await?
            .map(|customer| PortalCustomer {
                customer,
                csrf: crate::session::csrf_token(&session),
            }))
    }
}

impl FromRequestParts<App> for PortalCustomer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        match PortalCustomer::from_headers(app, &parts.headers).await {
            Ok(Some(customer)) => Ok(customer),
            Ok(None) if parts.method == axum::http::Method::GET => {
                // Back to this page after signing in.
                let next = crate::pages::url_escape(parts.uri.path());
                Err(Redirect::to(&format!("/portal?next={next}")).into_response())
            }
            Ok(None) => Err(Redirect::to("/portal").into_response()),
            Err(error) => Err(error.into_response()),
        }
    }
}
