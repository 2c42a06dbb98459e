use super::page as render;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use axum::Form;
use axum::extract::State;
use axum::response::Html;
use rapport_domain::Ticket;
use rapport_store::lifecycle::Answer;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
pub struct ResolutionAnswer {
    /// In the customer's words; with a "no" link, it reopens the problem with them.
    comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ResolutionResult {
    /// `true` for the "yes, it's fixed" link.
    fixed: bool,
    ticket: Ticket,
}

/// Answer "did this fix it?" with the link's secret (no other authentication). Each link works
/// once; a "no" reopens the problem.
#[utoipa::path(post, path = "/api/v1/public/resolution/{token}", tag = "public",
    params(("token" = String, Path, description = "The secret from the link")),
    request_body = ResolutionAnswer,
    responses((status = 200, body = ResolutionResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer_resolution(
    State(app): State<App>,
    Path(token): Path<String>,
    Json(input): Json<ResolutionAnswer>,
) -> ApiResult<Json<ResolutionResult>> {
    let (answer, ticket) = app
        .store
        .answer_resolution(&token, input.comment.as_deref())
        .await
        .map_err(link_error)?;
    Ok(Json(ResolutionResult {
        fixed: answer == Answer::Fixed,
        ticket,
    }))
}

fn link_error(error: rapport_store::StoreError) -> ApiError {
    match error {
        rapport_store::StoreError::NotFound { .. } => ApiError::not_found(
            "link_not_found",
            "This link is not valid. It may be incomplete: try copying the whole address from the message.",
        ),
        other => other.into(),
    }
}

pub async fn page(State(app): State<App>, Path(token): Path<String>) -> Html<String> {
    let (heading, button) = match app.store.peek_resolution_link(&token).await {
        Ok(Some((_, false))) => {
            return render(
                "This link",
                "<h1>This link has already been used</h1><p>If the problem is back, simply reply to our last message.</p>",
            );
        }
        Ok(Some((Answer::Fixed, true))) => ("Great: is it fixed?", "Yes, it's fixed"),
        Ok(Some((Answer::NotFixed, true))) => {
            ("Sorry it's not fixed yet", "No, it's not fixed yet")
        }
        Ok(None) => {
            return render(
                "This link",
                "<h1>This link is not valid</h1><p>Try copying the whole address from the message.</p>",
            );
        }
        Err(error) => {
            tracing::error!(%error, "could not read a resolution link");
            return render(
                "Sorry",
                "<h1>Something went wrong on our side</h1><p>Please try again in a moment.</p>",
            );
        }
    };
    render(
        "Did this fix it?",
        &format!(
            "<h1>{heading}</h1><p>Anything you add goes straight to the person handling your case.</p>\
             <form method=\"post\"><textarea name=\"comment\" rows=\"4\" placeholder=\"Anything to add? (optional)\"></textarea>\
             <p><button type=\"submit\">{button}</button></p></form>"
        ),
    )
}

pub async fn submit_page(
    State(app): State<App>,
    Path(token): Path<String>,
    Form(input): Form<ResolutionAnswer>,
) -> Html<String> {
    match app
        .store
        .answer_resolution(&token, input.comment.as_deref())
        .await
        .map_err(link_error)
    {
        Ok((Answer::Fixed, _)) => render(
            "Thank you",
            "<h1>Thank you!</h1><p>We're glad it's fixed. If anything comes back, just reply to our message.</p>",
        ),
        Ok((Answer::NotFixed, _)) => render(
            "We're on it",
            "<h1>Thanks for telling us</h1><p>The problem is open again and the person handling your case has your message.</p>",
        ),
        Err(error) => render(
            "This link",
            &format!(
                "<h1>This link can't be used</h1><p>{}</p>",
                rapport_domain::message::escape_html(&error.message)
            ),
        ),
    }
}
