//! `/account`: the agent's own sign-in security. Two-factor sign-in: set it up (the secret to
//! add to an app, confirmed with a code, then the recovery codes, shown once), or turn it off
//! with the password and a code. Their password, their other browser sessions, and their API
//! tokens (an admin sees and revokes everyone's). Which notifications reach them, in the page
//! and by mail.

use super::two_factor::{RecoveryCodesPage, SetupView};
use crate::app::App;
use crate::pages::{Id, PageResult, SignedIn, Submitted, When, render, render_with, url_escape};
use crate::session::{ClientIp, session_from};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::{Actor, Agent, Role};
use rapport_store::StoreError;
use rapport_store::two_factor::TurnOffRefusal;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/account.html")]
struct AccountPage {
    agent: Agent,
    csrf: String,
    query: String,
    /// When two-factor sign-in was turned on; `None` while off.
    enabled: Option<When>,
    /// A set-up waiting for its first code.
    setup: Option<SetupView>,
    recovery_codes_left: i64,
    required: bool,
    flash: Option<String>,
    error: Option<String>,
    /// The agent's API tokens; an admin's list has everyone's.
    tokens: Vec<TokenLine>,
    is_admin: bool,
    /// Where each kind of notification goes, as the form shows it.
    notification_choices: Vec<NotificationChoice>,
}

struct NotificationChoice {
    kind: &'static str,
    label: &'static str,
    in_page: bool,
    by_mail: bool,
}

struct TokenLine {
    id: i64,
    label: String,
    owner: String,
    created: When,
    last_used: Option<When>,
    revoked: Option<When>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn page(
    app: &App,
    signed_in: SignedIn,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let status_now = app.store.two_factor_status(&signed_in.agent).await?;
    let calendar = app.store.calendar().await?;
    let is_admin = signed_in.agent.role.includes(Role::Admin);
    // Only an admin's list names other agents.
    let names = if is_admin {
        app.store.agent_names().await?
    } else {
        std::collections::HashMap::new()
    };
    let tokens = app
        .store
        .tokens((!is_admin).then_some(signed_in.agent.id))
        .await?
        .into_iter()
        .map(|token| TokenLine {
            id: token.id,
            owner: names.get(&token.agent_id).cloned().unwrap_or_default(),
            label: token.label,
            created: When::on(&calendar, &token.created_at),
            last_used: token
                .last_used_at
                .as_deref()
                .map(|at| When::on(&calendar, at)),
            revoked: token
                .revoked_at
                .as_deref()
                .map(|at| When::on(&calendar, at)),
        })
        .collect();
    let notification_choices = app
        .store
        .notification_settings(signed_in.agent.id)
        .await?
        .into_iter()
        .map(|(kind, channels)| NotificationChoice {
            kind: kind.as_str(),
            label: kind.label(),
            in_page: channels.in_page,
            by_mail: channels.by_mail,
        })
        .collect();
    Ok(render_with(
        status,
        &AccountPage {
            enabled: status_now
                .enabled_at
                .as_deref()
                .map(|at| When::on(&calendar, at)),
            setup: status_now.setup.as_ref().map(SetupView::of),
            recovery_codes_left: status_now.recovery_codes_left,
            required: app.store.two_factor_required().await?,
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            flash,
            error,
            tokens,
            is_admin,
            notification_choices,
        },
    ))
}

pub async fn show_account(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<Done>,
) -> PageResult {
    page(&app, signed_in, StatusCode::OK, query.done, None).await
}

fn back(done: &str) -> Response {
    Redirect::to(&format!("/account?done={}", url_escape(done))).into_response()
}

#[derive(Deserialize)]
pub struct Start {}

pub async fn start_two_factor(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(Start {}): Submitted<Start>,
) -> PageResult {
    match app.store.start_two_factor(&signed_in.agent).await {
        Ok(_) => Ok(Redirect::to("/account#two-factor").into_response()),
        Err(StoreError::Conflict { message, .. }) => {
            page(&app, signed_in, StatusCode::CONFLICT, None, Some(message)).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize)]
pub struct Confirm {
    code: String,
}

pub async fn confirm_two_factor(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(form): Submitted<Confirm>,
) -> PageResult {
    match app
        .store
        .confirm_two_factor(signed_in.agent.id, &form.code)
        .await
    {
        Ok(Ok(codes)) => Ok(render(&RecoveryCodesPage {
            codes,
            next: "/account".to_owned(),
        })),
        Ok(Err(refusal)) => {
            let error = Some(refusal.explain().to_owned());
            page(
                &app,
                signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                error,
            )
            .await
        }
        Err(StoreError::Conflict { message, .. }) => {
            page(&app, signed_in, StatusCode::CONFLICT, None, Some(message)).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize)]
pub struct TurnOff {
    password: String,
    code: String,
}

pub async fn turn_off_two_factor(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    signed_in: SignedIn,
    Submitted(form): Submitted<TurnOff>,
) -> PageResult {
    if app.store.two_factor_required().await? {
        let error = "This workspace requires two-factor sign-in, so it stays on.".to_owned();
        return page(&app, signed_in, StatusCode::CONFLICT, None, Some(error)).await;
    }
    let email = signed_in.agent.email.clone();
    let attempt = match crate::two_factor::reserve(&app, &email, client).await? {
        Ok(attempt) => attempt,
        Err(wait) => {
            return page(
                &app,
                signed_in,
                StatusCode::TOO_MANY_REQUESTS,
                None,
                Some(wait),
            )
            .await;
        }
    };
    let refused = match app
        .store
        .turn_off_two_factor(signed_in.agent.id, &form.password, &form.code)
        .await
    {
        Ok(Ok(())) => {
            crate::two_factor::succeeded(&app, attempt).await?;
            return Ok(back("Two-factor sign-in is off."));
        }
        Ok(Err(TurnOffRefusal::WrongPassword)) => (
            StatusCode::FORBIDDEN,
            "The password is not right, so two-factor sign-in stays on.",
        ),
        Ok(Err(TurnOffRefusal::Code(refusal))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, refusal.explain())
        }
        Err(StoreError::Conflict { message, .. }) => {
            return page(&app, signed_in, StatusCode::CONFLICT, None, Some(message)).await;
        }
        Err(error) => return Err(error.into()),
    };
    let (status, error) = refused;
    page(&app, signed_in, status, None, Some(error.to_owned())).await
}

#[derive(Deserialize)]
pub struct Nothing {}

/// Sign out everywhere else: every other browser session of the agent ends.
pub async fn end_other_sessions(
    State(app): State<App>,
    headers: HeaderMap,
    signed_in: SignedIn,
    Submitted(Nothing {}): Submitted<Nothing>,
) -> PageResult {
    let keep = session_from(&headers);
    let ended = app
        .store
        .end_other_sessions(
            Actor::Agent(signed_in.agent.id),
            signed_in.agent.id,
            keep.as_deref(),
        )
        .await?;
    let done = match ended {
        0 => "You were not signed in anywhere else.".to_owned(),
        1 => "Signed out of 1 other browser.".to_owned(),
        n => format!("Signed out of {n} other browsers."),
    };
    Ok(back(&done))
}

#[derive(Deserialize)]
pub struct NewPassword {
    current_password: String,
    new_password: String,
}

/// A new password, given the current one; the agent's other browser sessions end.
pub async fn change_password(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    signed_in: SignedIn,
    Submitted(form): Submitted<NewPassword>,
) -> PageResult {
    // Guessing the current password from a stolen session is limited like signing in.
    let attempt = match app.sign_ins.reserve(&signed_in.agent.email, client).await? {
        Ok(attempt) => attempt,
        Err(refused) => {
            let wait = Some(refused.message());
            return page(&app, signed_in, StatusCode::TOO_MANY_REQUESTS, None, wait).await;
        }
    };
    let keep = session_from(&headers);
    let changed = app
        .store
        .change_password(
            signed_in.agent.id,
            &form.current_password,
            &form.new_password,
            keep.as_deref(),
        )
        .await;
    let error = match changed {
        Ok(Some(_)) => {
            app.sign_ins.succeeded(attempt).await?;
            return Ok(back(
                "Your password is changed; other browsers are signed out.",
            ));
        }
        Ok(None) => {
            "The current password is not right, so the password was not changed.".to_owned()
        }
        Err(StoreError::Invalid(invalid)) => invalid.to_string(),
        Err(error) => return Err(error.into()),
    };
    page(
        &app,
        signed_in,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(error),
    )
    .await
}

/// Revokes one API token: the agent's own, or anyone's for an admin.
pub async fn revoke_token(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(Nothing {}): Submitted<Nothing>,
) -> PageResult {
    let owner = (!signed_in.agent.role.includes(Role::Admin)).then_some(signed_in.agent.id);
    app.store
        .revoke_token(Actor::Agent(signed_in.agent.id), id, owner)
        .await?;
    Ok(back(
        "The token is revoked; anything using it is refused from now on.",
    ))
}

/// The notification choices: a ticked box for each kind and channel the agent wants.
pub async fn change_notifications(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(form): Submitted<std::collections::HashMap<String, String>>,
) -> PageResult<Response> {
    let chosen: Vec<_> = rapport_domain::NotificationKind::ALL
        .iter()
        .map(|kind| {
            let ticked = |channel: &str| form.contains_key(&format!("{}_{channel}", kind.as_str()));
            (
                *kind,
                rapport_store::notifications::ChannelChoice {
                    in_page: Some(ticked("page")),
                    by_mail: Some(ticked("mail")),
                },
            )
        })
        .collect();
    app.store
        .set_notification_settings(
            signed_in.agent.id,
            &chosen,
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/account?done={}#notifications",
        url_escape("Your notification choices are saved.")
    ))
    .into_response())
}
