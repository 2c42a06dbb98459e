//! The second step of signing in to the workspace: after a right password, the code from the
//! agent's authenticator app (or a recovery code); or, when the workspace requires two-factor
//! sign-in of an agent who has not set it up, setting it up there and then. The waiting
//! sign-in lives in an HttpOnly cookie for 5 minutes; the form carries the double-submit token
//! of the sign-in form.

use crate::app::App;
use crate::pages::{
    PageResult, form_token, form_token_matches, render, render_with, safe_next, url_escape,
    with_cookie,
};
use crate::session::{COOKIE, ClientIp, cookie, session_cookie};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::Agent;
use rapport_domain::two_factor::{PENDING_SECONDS, grouped};
use rapport_store::auth::{SESSION_IDLE_SECONDS, SignInVia};
use rapport_store::two_factor::{Enrollment, SecondStepOutcome};
use serde::Deserialize;

/// The cookie of a sign-in waiting for its code.
pub const PENDING_COOKIE: &str = "rapport_pending";

/// The secret as the page shows it.
pub struct SetupView {
    /// In groups of four, for typing into an app.
    pub secret: String,
    pub uri: String,
}

impl SetupView {
    pub fn of(enrollment: &Enrollment) -> SetupView {
        SetupView {
            secret: grouped(&enrollment.secret),
            uri: enrollment.otpauth_uri.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "workspace/sign_in_code.html")]
struct CodePage {
    form_token: String,
    next: String,
    /// Set up now (the workspace requires it): the secret to add to an app.
    setup: Option<SetupView>,
    error: Option<String>,
    /// The waiting sign-in is over; only signing in again helps.
    ended: bool,
}

#[derive(Template)]
#[template(path = "workspace/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub codes: Vec<String>,
    /// Where "Continue" goes.
    pub next: String,
}

/// After a right password on the sign-in page: when the agent needs a second step, begins it
/// and sends the browser to the code page.
pub async fn after_password(
    app: &App,
    headers: &HeaderMap,
    agent: &Agent,
    next: &str,
) -> PageResult<Option<Response>> {
    let Some(step) = app.store.second_step_for(agent.id).await? else {
        return Ok(None);
    };
    let pending = app
        .store
        .begin_second_step(agent, step, SignInVia::Workspace)
        .await?;
    let cookie = session_cookie(
        app,
        headers,
        PENDING_COOKIE,
        &pending.token,
        PENDING_SECONDS,
    );
    let target = format!("/sign-in/code?next={}", url_escape(next));
    Ok(Some(
        ([(header::SET_COOKIE, cookie)], Redirect::to(&target)).into_response(),
    ))
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn code_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<Next>,
) -> PageResult {
    let next = safe_next(query.next.as_deref());
    let pending = match cookie(&headers, PENDING_COOKIE) {
        Some(token) => app.store.pending_sign_in(&token).await?,
        None => None,
    };
    let Some(pending) = pending else {
        return Ok(Redirect::to(&format!("/sign-in?next={}", url_escape(&next))).into_response());
    };
    let (form_token, cookie) = form_token(&app, &headers);
    let page = render(&CodePage {
        form_token,
        next,
        setup: pending.enrollment.as_ref().map(SetupView::of),
        error: None,
        ended: false,
    });
    Ok(with_cookie(page, cookie))
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
    csrf: Option<String>,
}

pub async fn submit_code(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let (token, form_cookie) = form_token(&app, &headers);
    let pending_token = cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    let pending = app.store.pending_sign_in(&pending_token).await?;
    let page = |status: StatusCode, error: &str, setup: Option<SetupView>| {
        let page = render_with(
            status,
            &CodePage {
                form_token: token.clone(),
                next: next.clone(),
                ended: setup.is_none() && pending.is_none(),
                setup,
                error: Some(error.to_owned()),
            },
        );
        with_cookie(page, form_cookie.clone())
    };
    let Some(pending) = &pending else {
        return Ok(page(
            StatusCode::UNAUTHORIZED,
            "This sign-in has ended (after 5 minutes or too many wrong codes). Sign in with your password again.",
            None,
        ));
    };
    let setup = || pending.enrollment.as_ref().map(SetupView::of);
    if !form_token_matches(&headers, form.csrf.as_deref()) {
        return Ok(page(
            StatusCode::FORBIDDEN,
            "This form had expired or did not come from this site; please enter the code again.",
            setup(),
        ));
    }
    let attempt = match crate::two_factor::reserve(&app, &pending.agent.email, client).await? {
        Ok(attempt) => attempt,
        Err(wait) => return Ok(page(StatusCode::TOO_MANY_REQUESTS, &wait, setup())),
    };
    match app
        .store
        .complete_second_step(&pending_token, &form.code)
        .await?
    {
        SecondStepOutcome::SignedIn {
            agent: _,
            session,
            recovery_codes,
        } => {
            crate::two_factor::succeeded(&app, attempt).await?;
            let mut response = if recovery_codes.is_empty() {
                Redirect::to(&next).into_response()
            } else {
                render(&RecoveryCodesPage {
                    codes: recovery_codes,
                    next,
                })
            };
            let cookies = response.headers_mut();
            cookies.append(
                header::SET_COOKIE,
                session_cookie(&app, &headers, COOKIE, &session, SESSION_IDLE_SECONDS),
            );
            cookies.append(
                header::SET_COOKIE,
                session_cookie(&app, &headers, PENDING_COOKIE, "", 0),
            );
            Ok(response)
        }
        SecondStepOutcome::Refused { refusal, .. } => {
            Ok(page(StatusCode::UNAUTHORIZED, refusal.explain(), setup()))
        }
        SecondStepOutcome::Expired => {
            let mut response = page(
                StatusCode::UNAUTHORIZED,
                "This sign-in has ended (after 5 minutes or too many wrong codes). Sign in with your password again.",
                None,
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_static("rapport_pending=; Path=/; Max-Age=0"),
            );
            Ok(response)
        }
    }
}
