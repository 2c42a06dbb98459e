use crate::app::App;
use crate::pages::{
    PageResult, Submitted, form_token, form_token_matches, render, render_with, safe_next,
    with_cookie,
};
use crate::session::{COOKIE, ClientIp, session_cookie, session_from};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_store::auth::{SESSION_IDLE_SECONDS, SignInVia};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/sign_in.html")]
struct SignInPage {
    /// The double-submit token of this browser (see `pages::form_token`).
    form_token: String,
    first_run: bool,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn sign_in_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<Next>,
) -> PageResult {
    let (form_token, cookie) = form_token(&app, &headers);
    let page = render(&SignInPage {
        form_token,
        first_run: app.store.agent_count().await? == 0,
        error: None,
        email: String::new(),
        next: safe_next(query.next.as_deref()),
    });
    Ok(with_cookie(page, cookie))
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
    csrf: Option<String>,
}

/// Signs an agent in with email and password. The same limit on failed attempts as the API
/// (per address and client; see `session::limiter`).
pub async fn sign_in(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let (token, cookie) = form_token(&app, &headers);
    let refuse = |status: StatusCode, error: String| {
        let page = render_with(
            status,
            &SignInPage {
                form_token: token.clone(),
                first_run: false,
                error: Some(error),
                email: form.email.clone(),
                next: next.clone(),
            },
        );
        with_cookie(page, cookie.clone())
    };
    if !form_token_matches(&headers, form.csrf.as_deref()) {
        return Ok(refuse(
            StatusCode::FORBIDDEN,
            "This sign-in form had expired or did not come from this site; please sign in again."
                .to_owned(),
        ));
    }
    let attempt = match app.sign_ins.reserve(&form.email, client).await? {
        Ok(attempt) => attempt,
        Err(refused) => return Ok(refuse(StatusCode::TOO_MANY_REQUESTS, refused.message())),
    };
    let Some(agent) = app
        .store
        .verify_agent_password(&form.email, &form.password)
        .await?
    else {
        app.store
            .record_failed_sign_in(&form.email, SignInVia::Workspace)
            .await?;
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an agent.".to_owned(),
        ));
    };
    // The password was right: the client's failures are forgiven; the code has its own count.
    app.sign_ins.succeeded(attempt).await?;
    if let Some(second_step) =
        super::two_factor::after_password(&app, &headers, &agent, &next).await?
    {
        return Ok(second_step);
    }
    let session = app
        .store
        .create_session(agent.id, SignInVia::Workspace)
        .await?;
    let cookie = session_cookie(&app, &headers, COOKIE, &session, SESSION_IDLE_SECONDS);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
}

#[derive(Deserialize)]
pub struct SignOutForm {}

pub async fn sign_out(
    State(app): State<App>,
    headers: HeaderMap,
    Submitted(SignOutForm {}): Submitted<SignOutForm>,
) -> PageResult<Response> {
    if let Some(session) = session_from(&headers) {
        app.store.end_session(&session).await?;
    }
    let cookie = session_cookie(&app, &headers, COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/sign-in")).into_response())
}
