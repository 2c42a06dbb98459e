//! `/account`: the agent's own two-factor sign-in: set it up (the secret to add to an app,
//! confirmed with a code, then the recovery codes, shown once), or turn it off with the
//! password and a code.

use super::two_factor::{RecoveryCodesPage, SetupView};
use crate::app::App;
use crate::pages::{PageResult, SignedIn, Submitted, When, render, render_with, url_escape};
use crate::session::ClientIp;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::Agent;
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
    Ok(render_with(
        status,
        &AccountPage {
            enabled: status_now.enabled_at.as_deref().map(When::of),
            setup: status_now.setup.as_ref().map(SetupView::of),
            recovery_codes_left: status_now.recovery_codes_left,
            required: app.store.two_factor_required().await?,
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            flash,
            error,
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
