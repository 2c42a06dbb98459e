//! Letters to management in the API: the management inbox (letters waiting on the caller or
//! anyone below them), one letter, and answering it. Each must be answered within the
//! workspace's time in business minutes, or it goes one level up.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use rapport_domain::Role;
use rapport_store::letters::Letter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_letters))
        .routes(routes!(show_letter))
        .routes(routes!(answer_letter))
}

#[derive(Serialize, ToSchema)]
pub struct LetterList {
    items: Vec<Letter>,
}

/// The management inbox: letters waiting on the caller or the people below them in the
/// reporting line, soonest deadline first, then the latest answered (at most 200).
#[utoipa::path(get, path = "/api/v1/letters", tag = "letters", security(("bearer" = [])),
    responses((status = 200, body = LetterList)))]
pub async fn list_letters(State(app): State<App>, auth: AuthAgent) -> ApiResult<Json<LetterList>> {
    Ok(Json(LetterList {
        items: app.store.letters_waiting_on(&auth.0).await?,
    }))
}

/// Who may read a letter: supervisors and admins, the manager it waits on, and the staff member
/// it thanks; and only if they may see its ticket.
pub async fn readable(app: &App, auth: &AuthAgent, id: i64) -> ApiResult<Letter> {
    let letter = app.store.letter(id).await?;
    let me = Some(auth.0.id);
    if !(auth.0.role.includes(Role::Supervisor)
        || letter.addressed_to == me
        || (letter.compliment && letter.about_agent_id == me))
    {
        return Err(ApiError::forbidden(
            "Letters to management are for supervisors, admins, the manager a letter waits on and the person it thanks.",
        ));
    }
    if let Some(ticket) = letter.ticket_id {
        crate::tickets::visible_to(app, auth, ticket).await?;
    }
    Ok(letter)
}

#[utoipa::path(get, path = "/api/v1/letters/{id}", tag = "letters", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Letter id")),
    responses((status = 200, body = Letter), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_letter(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Letter>> {
    Ok(Json(readable(&app, &auth, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// How the letter was answered: a call, a mail, a visit, in words.
    pub answer: String,
}

/// Answer a letter: the manager it waits on, anyone above them, or an admin; once.
#[utoipa::path(post, path = "/api/v1/letters/{id}/answer", tag = "letters", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Letter id")),
    request_body = AnswerInput,
    responses((status = 200, body = Letter), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_letter(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<AnswerInput>,
) -> ApiResult<Json<Letter>> {
    readable(&app, &auth, id).await?;
    Ok(Json(
        app.store.answer_letter(id, &auth.0, &input.answer).await?,
    ))
}
