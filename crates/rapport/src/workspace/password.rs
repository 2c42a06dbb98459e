//! Choosing a password through a mailed link: the invitation an admin sent, or a reset the
//! agent asked for at `/password/forgot`. No session yet, so the forms carry the
//! double-submit form token (see `pages::form_token`). After the password is set the agent is
//! signed in, through their second factor if they have one.

use crate::app::App;
use crate::pages::{PageResult, form_token, form_token_matches, render, render_with, with_cookie};
use crate::session::{COOKIE, session_cookie};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use rapport_domain::agent::AgentLinkPurpose;
use rapport_store::StoreError;
use rapport_store::auth::{SESSION_IDLE_SECONDS, SignInVia};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/password.html")]
struct PasswordPage {
    form_token: String,
    /// The link's token, for the form's address; empty when it cannot be used.
    token: String,
    /// Whom the link is for: "Welcome, Noor" or "a new password for ...".
    invite: bool,
    name: String,
    email: String,
    /// Why the link cannot be used, or why the password was refused.
    error: Option<String>,
    usable: bool,
}

/// A token is letters and digits; anything else cannot be one of ours.
fn plausible(token: &str) -> bool {
    !token.is_empty() && token.len() <= 128 && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub async fn password_page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult {
    let (form, cookie) = form_token(&app, &headers);
    let link = if plausible(&token) {
        app.store.agent_link(&token).await
    } else {
        Err(StoreError::not_found("link", "given"))
    };
    let (status, page) = page_for(link, token, form)?;
    Ok(with_cookie(render_with(status, &page), cookie))
}

/// The page for a link as the store found it: the form, or why it cannot be used.
fn page_for(
    link: Result<rapport_store::agent_links::LinkFor, StoreError>,
    token: String,
    form_token: String,
) -> PageResult<(StatusCode, PasswordPage)> {
    Ok(match link {
        Ok(link) => (
            StatusCode::OK,
            PasswordPage {
                form_token,
                token,
                invite: link.purpose == AgentLinkPurpose::Invite,
                name: link.name,
                email: link.email,
                error: None,
                usable: true,
            },
        ),
        Err(error @ (StoreError::NotFound { .. } | StoreError::Conflict { .. })) => {
            let (status, message) = match error {
                StoreError::Conflict { message, .. } => (StatusCode::GONE, message),
                _ => (
                    StatusCode::NOT_FOUND,
                    "This link is not one of ours: it may have been cut short when it was copied. Open it from the mail again, or ask for a new password.".to_owned(),
                ),
            };
            (
                status,
                PasswordPage {
                    form_token,
                    token: String::new(),
                    invite: false,
                    name: String::new(),
                    email: String::new(),
                    error: Some(message),
                    usable: false,
                },
            )
        }
        Err(error) => return Err(error.into()),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
    repeat: String,
    csrf: Option<String>,
}

pub async fn set_password(
    State(app): State<App>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let (form_value, cookie) = form_token(&app, &headers);
    let refuse = |status: StatusCode, error: String, link: rapport_store::agent_links::LinkFor| {
        let page = PasswordPage {
            form_token: form_value.clone(),
            token: token.clone(),
            invite: link.purpose == AgentLinkPurpose::Invite,
            name: link.name,
            email: link.email,
            error: Some(error),
            usable: true,
        };
        with_cookie(render_with(status, &page), cookie.clone())
    };
    let link = if plausible(&token) {
        app.store.agent_link(&token).await
    } else {
        Err(StoreError::not_found("link", "given"))
    };
    let link = match link {
        Ok(link) => link,
        Err(error) => {
            let (status, page) = page_for(Err(error), String::new(), form_value.clone())?;
            return Ok(with_cookie(render_with(status, &page), cookie));
        }
    };
    if !form_token_matches(&headers, form.csrf.as_deref()) {
        return Ok(refuse(
            StatusCode::FORBIDDEN,
            "This form had expired or did not come from this site; please enter the password again.".to_owned(),
            link,
        ));
    }
    if form.password != form.repeat {
        return Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The two passwords are not the same; type it twice, the same way.".to_owned(),
            link,
        ));
    }
    let agent = match app.store.use_agent_link(&token, &form.password).await {
        Ok(agent) => agent,
        Err(StoreError::Invalid(invalid)) => {
            return Ok(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("That password cannot be used: {}.", invalid.message),
                link,
            ));
        }
        Err(error @ (StoreError::NotFound { .. } | StoreError::Conflict { .. })) => {
            let (status, page) = page_for(Err(error), String::new(), form_value.clone())?;
            return Ok(with_cookie(render_with(status, &page), cookie));
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(second_step) =
        super::two_factor::after_password(&app, &headers, &agent, "/").await?
    {
        return Ok(second_step);
    }
    let session = app
        .store
        .create_session(agent.id, SignInVia::Workspace)
        .await?;
    let cookie = session_cookie(&app, &headers, COOKIE, &session, SESSION_IDLE_SECONDS);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}

#[derive(Template)]
#[template(path = "workspace/forgot.html")]
struct ForgotPage {
    form_token: String,
    sent_to: Option<String>,
    error: Option<String>,
}

pub async fn forgot_page(State(app): State<App>, headers: HeaderMap) -> PageResult {
    let (form_token, cookie) = form_token(&app, &headers);
    let page = render(&ForgotPage {
        form_token,
        sent_to: None,
        error: None,
    });
    Ok(with_cookie(page, cookie))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
    csrf: Option<String>,
}

/// Mails a reset link if the address is an agent's. The page says the same either way, so
/// it tells nobody who works here.
pub async fn send_reset(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> PageResult {
    let (token, cookie) = form_token(&app, &headers);
    if !form_token_matches(&headers, form.csrf.as_deref()) {
        let page = render_with(
            StatusCode::FORBIDDEN,
            &ForgotPage {
                form_token: token,
                sent_to: None,
                error: Some("This form had expired or did not come from this site; please enter your address again.".to_owned()),
            },
        );
        return Ok(with_cookie(page, cookie));
    }
    let email = form.email.trim().to_owned();
    if rapport_domain::validate::email(&email).is_err() {
        let page = render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgotPage {
                form_token: token,
                sent_to: None,
                error: Some(
                    "That is not an email address; enter the address you sign in with.".to_owned(),
                ),
            },
        );
        return Ok(with_cookie(page, cookie));
    }
    app.store.send_password_reset(&email).await?;
    let page = render(&ForgotPage {
        form_token: token,
        sent_to: Some(email),
        error: None,
    });
    Ok(with_cookie(page, cookie))
}
