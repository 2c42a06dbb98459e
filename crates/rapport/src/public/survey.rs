use super::page as render;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
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

pub async fn page(Path(_token): Path<String>) -> Html<String> {
    let buttons: String = (0..=10)
        .map(|n| format!("<button type=\"submit\" name=\"score\" value=\"{n}\">{n}</button>"))
        .collect();
    render(
        "How did we do?",
        &format!(
            "<h1>How did we do?</h1><p>For a satisfaction survey choose 1 (poor) to 5 (excellent); for \"would you \
             recommend us\" choose 0 to 10.</p><form method=\"post\"><textarea name=\"comment\" rows=\"3\" \
             placeholder=\"Anything to add? (optional)\"></textarea><p>{buttons}</p></form>"
        ),
    )
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
        Ok(_) => render(
            "Thank you",
            "<h1>Thank you!</h1><p>Your answer reaches the people who look after you.</p>",
        ),
        Err(error) => render(
            "This survey",
            &format!(
                "<h1>That didn't work</h1><p>{}</p>",
                rapport_domain::message::escape_html(&error.message)
            ),
        ),
    }
}
