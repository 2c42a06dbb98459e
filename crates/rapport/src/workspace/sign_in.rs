use crate::app::App;
use crate::pages::{PageResult, Submitted, render, render_with, safe_next};
use crate::session::{COOKIE, session_cookie, session_from};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_store::auth::SESSION_IDLE_SECONDS;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/sign_in.html")]
struct SignInPage {
    first_run: bool,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn sign_in_page(State(app): State<App>, Query(query): Query<Next>) -> PageResult {
    Ok(render(&SignInPage {
        first_run: app.store.agent_count().await? == 0,
        error: None,
        email: String::new(),
        next: safe_next(query.next.as_deref()),
    }))
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Signs an agent in with email and password. The same limit on failed attempts as the API.
pub async fn sign_in(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let refuse = |status: StatusCode, error: String| {
        render_with(
            status,
            &SignInPage {
                first_run: false,
                error: Some(error),
                email: form.email.clone(),
                next: next.clone(),
            },
        )
    };
    if let Err(seconds) = app.sign_ins.check(&form.email) {
        return Ok(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-ins for this address; try again in {} minutes.",
                seconds.div_ceil(60)
            ),
        ));
    }
    let Some(agent) = app
        .store
        .verify_agent_password(&form.email, &form.password)
        .await?
    else {
        app.sign_ins.failed(&form.email);
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an agent.".to_owned(),
        ));
    };
    app.sign_ins.succeeded(&form.email);
    let session = app.store.create_session(agent.id).await?;
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
