//! An agent's own two-factor sign-in: see it, set it up (a secret for the app, confirmed with
//! its first code, which gives the recovery codes), turn it off with the password and a code.

use super::{reserve, succeeded, too_many};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use crate::session::ClientIp;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_store::two_factor::{Enrollment, TurnOffRefusal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TwoFactorState {
    /// Whether signing in asks for a code after the password.
    enabled: bool,
    enabled_at: Option<String>,
    /// A set-up was begun and waits for its first code.
    setup_pending: bool,
    /// Unused recovery codes.
    recovery_codes_left: i64,
    /// The workspace requires two-factor sign-in of every agent (so it cannot be turned off).
    required: bool,
}

/// Your two-factor sign-in: on or off, and how many recovery codes are left.
#[utoipa::path(get, path = "/api/v1/me/two-factor", tag = "session", security(("bearer" = [])),
    responses((status = 200, body = TwoFactorState), (status = 401, body = ErrorBody)))]
pub async fn show_two_factor(
    State(app): State<App>,
    auth: AuthAgent,
) -> ApiResult<Json<TwoFactorState>> {
    let status = app.store.two_factor_status(&auth.0).await?;
    Ok(Json(TwoFactorState {
        enabled: status.enabled_at.is_some(),
        enabled_at: status.enabled_at,
        setup_pending: status.setup.is_some(),
        recovery_codes_left: status.recovery_codes_left,
        required: app.store.two_factor_required().await?,
    }))
}

/// Begin setting up two-factor sign-in: returns a new secret to add to an authenticator app
/// (typed in, or as the `otpauth://` address). It counts once confirmed with a code at
/// `POST /api/v1/me/two-factor/confirm`; beginning again replaces an unconfirmed secret.
#[utoipa::path(post, path = "/api/v1/me/two-factor", tag = "session", security(("bearer" = [])),
    responses((status = 200, body = Enrollment), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start_two_factor(
    State(app): State<App>,
    auth: AuthAgent,
) -> ApiResult<Json<Enrollment>> {
    Ok(Json(app.store.start_two_factor(&auth.0).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The 6 digits the app shows now.
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// 10 single-use codes for when the app is not at hand. Shown this once: keep them
    /// somewhere safe.
    recovery_codes: Vec<String>,
}

/// Confirm the set-up with the code the app shows: two-factor sign-in is on from now, and the
/// answer holds your recovery codes (shown this once).
#[utoipa::path(post, path = "/api/v1/me/two-factor/confirm", tag = "session", security(("bearer" = [])),
    request_body = Confirmation,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm_two_factor(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<Confirmation>,
) -> ApiResult<Json<RecoveryCodes>> {
    match app.store.confirm_two_factor(auth.0.id, &input.code).await? {
        Ok(recovery_codes) => Ok(Json(RecoveryCodes { recovery_codes })),
        Err(refusal) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal.code(),
            refusal.explain(),
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TurnOff {
    password: String,
    /// The 6 digits the app shows now, or an unused recovery code.
    code: String,
}

/// Turn two-factor sign-in off, with your password and a code. Not possible while the
/// workspace requires it.
#[utoipa::path(delete, path = "/api/v1/me/two-factor", tag = "session", security(("bearer" = [])),
    request_body = TurnOff,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn turn_off_two_factor(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    auth: AuthAgent,
    Json(input): Json<TurnOff>,
) -> ApiResult<StatusCode> {
    if app.store.two_factor_required().await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "two_factor_required",
            "This workspace requires two-factor sign-in, so it cannot be turned off. To use another device, ask an admin to reset yours; you set it up again at your next sign-in.",
        ));
    }
    let email = &auth.0.email;
    let attempt = reserve(&app, email, client).await?.map_err(too_many)?;
    match app
        .store
        .turn_off_two_factor(auth.0.id, &input.password, &input.code)
        .await?
    {
        Ok(()) => {
            succeeded(&app, attempt).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(TurnOffRefusal::WrongPassword) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "The password is not right, so two-factor sign-in stays on.",
        )),
        Err(TurnOffRefusal::Code(refusal)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal.code(),
            refusal.explain(),
        )),
    }
}
