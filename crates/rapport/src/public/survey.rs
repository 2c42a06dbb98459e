use super::{html, notice};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Html;
use rapport_store::surveys::SurveyAnswer;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct SurveyInput {
    /// CSAT: 1 (poor) to 5 (excellent). NPS: 0 to 10.
    score: i64,
    comment: Option<String>,
}

/// Answer a survey with the link's secret. Each link answers once; a low score opens a
/// follow-up task for the relationship owner.
#[utoipa::path(post, path = "/api/v1/public/surveys/{token}", tag = "public",
    params(("token" = String, Path, description = "The secret from the link")),
    request_body = SurveyInput,
    responses((status = 200, body = SurveyAnswer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_survey(
    State(app): State<App>,
    Path(token): Path<String>,
    Json(input): Json<SurveyInput>,
) -> ApiResult<Json<SurveyAnswer>> {
    Ok(Json(
        app.store
            .answer_survey(&token, input.score, input.comment.as_deref())
            .await
            .map_err(link_error)?,
    ))
}

fn link_error(error: rapport_store::StoreError) -> ApiError {
    match error {
        rapport_store::StoreError::NotFound { .. } => ApiError::not_found(
            "link_not_found",
            "This survey link is not valid. It may be incomplete: try copying the whole address from the message.",
        ),
        other => other.into(),
    }
}

/// The page a survey link opens: the scores as buttons.
#[derive(Template)]
#[template(path = "public/survey.html")]
struct SurveyPage {
    title: &'static str,
}

pub async fn page(Path(_token): Path<String>) -> Html<String> {
    html(SurveyPage {
        title: "How did we do?",
    })
}

pub async fn submit_page(
    State(app): State<App>,
    Path(token): Path<String>,
    Form(input): Form<SurveyInput>,
) -> Html<String> {
    match app
        .store
        .answer_survey(&token, input.score, input.comment.as_deref())
        .await
        .map_err(link_error)
    {
        Ok(_) => notice(
            "Thank you",
            "Thank you!",
            "Your answer reaches the people who look after you.",
        ),
        Err(error) => notice("This survey", "That didn't work", &error.message),
    }
}
