//! Signing in by link: the customer gives their address, we mail a single-use link; opening
//! it shows a button (mail scanners open links, and must not use them up), which signs in.

use super::{COOKIE, PortalCustomer, session_from};
use crate::app::App;
use crate::pages::{PageError, PageResult, Submitted, render, render_with};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_store::StoreError;
use rapport_store::portal::CUSTOMER_SESSION_IDLE_SECONDS;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
pub struct SignInPage {
    pub signed_in_as: Option<String>,
    /// Here, before any session: the browser's double-submit token (`pages::form_token`).
    pub csrf: String,
    pub error: Option<String>,
    /// The portal page to open after signing in.
    pub next: String,
}

/// A portal page to go to after signing in; anything else becomes the list of requests.
pub fn portal_next(next: Option<&str>) -> String {
    rapport_domain::redirect::after_portal_sign_in(next).to_owned()
}

#[derive(Template)]
#[template(path = "portal/notice.html")]
pub struct Notice {
    pub signed_in_as: Option<String>,
    pub csrf: String,
    pub heading: String,
    pub lines: Vec<String>,
    pub action: Option<String>,
    pub action_label: String,
}

#[derive(Deserialize)]
pub struct LinkRequest {
    email: String,
    next: Option<String>,
    csrf: Option<String>,
}

pub async fn send_link(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<LinkRequest>,
) -> PageResult {
    let next = portal_next(form.next.as_deref());
    if !crate::pages::form_token_matches(&headers, form.csrf.as_deref()) {
        let (csrf, cookie) = crate::pages::form_token(&app, &headers);
        let page = SignInPage {
            signed_in_as: None,
            csrf,
            error: Some(
                "This form had expired or did not come from this site; please try again."
                    .to_owned(),
            ),
            next,
        };
        let page = render_with(StatusCode::FORBIDDEN, &page);
        return Ok(crate::pages::with_cookie(page, cookie));
    }
    match app.store.send_portal_link(&form.email, Some(&next)).await {
        Ok(_) => {}
        Err(StoreError::Invalid(invalid)) => {
            let page = SignInPage {
                signed_in_as: None,
                csrf: form.csrf.unwrap_or_default(),
                error: Some(format!(
                    "That does not look like an email address: {}.",
                    invalid.message
                )),
                next,
            };
            return Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
        Err(other) => return Err(other.into()),
    }
    // The same answer whether or not we know the address.
    Ok(render(&Notice {
        signed_in_as: None,
        csrf: String::new(),
        heading: "Check your email".to_owned(),
        lines: vec![
            format!(
                "If {} is an address we know, a sign-in link is on its way to it.",
                form.email.trim()
            ),
            "The link works once, within 30 minutes.".to_owned(),
        ],
        action: None,
        action_label: String::new(),
    }))
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn link_page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<Next>,
) -> PageResult {
    let action = format!(
        "/portal/link/{}?next={}",
        crate::pages::url_escape(&token),
        crate::pages::url_escape(&portal_next(query.next.as_deref()))
    );
    let (csrf, cookie) = crate::pages::form_token(&app, &headers);
    let page = render(&Notice {
        signed_in_as: None,
        csrf,
        heading: "Sign in to your support requests".to_owned(),
        lines: vec!["Press the button to sign in on this device.".to_owned()],
        action: Some(action),
        action_label: "Sign in".to_owned(),
    });
    Ok(crate::pages::with_cookie(page, cookie))
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: Option<String>,
}

pub async fn use_link(
    State(app): State<App>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<Next>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form: Option<LinkForm> = serde_urlencoded::from_bytes(&body).ok();
    let csrf = form.and_then(|form| form.csrf);
    // Without this, another site could sign a visitor in as someone else.
    if !crate::pages::form_token_matches(&headers, csrf.as_deref()) {
        return Err(PageError::forbidden(
            "This sign-in button did not come from this site. Open the link from your mail again.",
        ));
    }
    match app.store.redeem_portal_link(&token).await {
        Ok((session, _customer_id)) => {
            let cookie = crate::session::session_cookie(
                &app,
                &headers,
                COOKIE,
                &session,
                CUSTOMER_SESSION_IDLE_SECONDS,
            );
            let next = portal_next(query.next.as_deref());
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        // The page says why and has the form to ask for a new link, right below.
        Err(error @ (StoreError::NotFound { .. } | StoreError::Conflict { .. })) => {
            let (status, message) = match error {
                StoreError::Conflict { message, .. } => (StatusCode::GONE, message),
                _ => (
                    StatusCode::NOT_FOUND,
                    "This sign-in link is not valid: it may have been cut short when it was copied. Ask for a new one below.".to_owned(),
                ),
            };
            let (csrf, cookie) = crate::pages::form_token(&app, &headers);
            let page = render_with(
                status,
                &SignInPage {
                    signed_in_as: None,
                    csrf,
                    error: Some(message),
                    next: portal_next(query.next.as_deref()),
                },
            );
            Ok(crate::pages::with_cookie(page, cookie))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn sign_out(
    State(app): State<App>,
    headers: HeaderMap,
    _customer: PortalCustomer,
    Submitted(Empty {}): Submitted<Empty>,
) -> PageResult<Response> {
    if let Some(session) = session_from(&headers) {
        app.store.end_customer_session(&session).await?;
    }
    let cookie = crate::session::session_cookie(&app, &headers, COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/portal")).into_response())
}
