//! `/setup`: on a new workspace with no agents at all, the first person creates the first
//! admin in the browser (or with `rapport admin create-agent`). Once any agent exists the page
//! sends everyone to sign in, and of two forms sent at once only one creates an admin.

use crate::app::App;
use crate::pages::{PageResult, form_token, form_token_matches, render, render_with, with_cookie};
use crate::session::{COOKIE, session_cookie};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use rapport_store::StoreError;
use rapport_store::auth::{SESSION_IDLE_SECONDS, SignInVia};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/setup.html")]
struct SetupPage {
    form_token: String,
    name: String,
    email: String,
    error: Option<String>,
}

pub async fn setup_page(State(app): State<App>, headers: HeaderMap) -> PageResult {
    if app.store.agent_count().await? > 0 {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    let (form_token, cookie) = form_token(&app, &headers);
    let page = render(&SetupPage {
        form_token,
        name: String::new(),
        email: String::new(),
        error: None,
    });
    Ok(with_cookie(page, cookie))
}

#[derive(Deserialize)]
pub struct SetupForm {
    name: String,
    email: String,
    password: String,
    repeat: String,
    csrf: Option<String>,
}

pub async fn create_first_admin(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> PageResult {
    let (token, cookie) = form_token(&app, &headers);
    let refuse = |status: StatusCode, error: String| {
        let page = render_with(
            status,
            &SetupPage {
                form_token: token.clone(),
                name: form.name.clone(),
                email: form.email.clone(),
                error: Some(error),
            },
        );
        with_cookie(page, cookie.clone())
    };
    if !form_token_matches(&headers, form.csrf.as_deref()) {
        return Ok(refuse(
            StatusCode::FORBIDDEN,
            "This form had expired or did not come from this site; please fill it in again."
                .to_owned(),
        ));
    }
    if form.password != form.repeat {
        return Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The two passwords are not the same; type it twice, the same way.".to_owned(),
        ));
    }
    let created = app
        .store
        .create_first_admin(&form.email, &form.name, &form.password)
        .await;
    let agent = match created {
        Ok(Some(agent)) => agent,
        // Someone else was first: this workspace has its admin.
        Ok(None) => return Ok(Redirect::to("/sign-in").into_response()),
        Err(StoreError::Invalid(invalid)) => {
            return Ok(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Please check the form: {}.", invalid.message),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let session = app
        .store
        .create_session(agent.id, SignInVia::Workspace)
        .await?;
    let cookie = session_cookie(&app, &headers, COOKIE, &session, SESSION_IDLE_SECONDS);
    let next =
        "/admin/agents?done=Welcome!%20You%20are%20the%20admin.%20Invite%20your%20team%20below.";
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
}
