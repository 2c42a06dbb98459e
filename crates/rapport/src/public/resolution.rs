use super::{html, notice};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Html;
use rapport_domain::{Conversation, Problem, Ticket};
use rapport_store::customer_answers::LinkState;
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
    ticket: CustomersTicket,
}

/// What the link's holder may read of the ticket: the customer's view. Not its tags,
/// priority, team or handler, nor what Rapport read in their messages, which are agents'.
#[derive(Serialize, ToSchema)]
pub struct CustomersTicket {
    id: i64,
    subject: String,
    problem: Problem,
    conversation: Conversation,
    /// `true` once the customer confirmed the fix.
    resolution_confirmed: Option<bool>,
}

impl From<Ticket> for CustomersTicket {
    fn from(ticket: Ticket) -> CustomersTicket {
        CustomersTicket {
            id: ticket.id,
            subject: ticket.subject,
            problem: ticket.problem,
            conversation: ticket.conversation,
            resolution_confirmed: ticket.resolution_confirmed,
        }
    }
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
        ticket: ticket.into(),
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

/// The page a "did this fix it?" link opens: it asks to confirm with a button.
#[derive(Template)]
#[template(path = "public/resolution.html")]
struct ResolutionPage {
    title: &'static str,
    fixed: bool,
}

pub async fn page(State(app): State<App>, Path(token): Path<String>) -> Html<String> {
    let fixed = match app.store.peek_resolution_link(&token).await {
        Ok(Some((_, LinkState::Used))) => {
            return notice(
                "This link",
                "This link has already been used",
                "If the problem is back, simply reply to our last message.",
            );
        }
        Ok(Some((_, LinkState::Outdated))) => {
            return notice(
                "This link",
                "This link belongs to an earlier question",
                "It no longer applies. Reply to our last message instead; your words reach the person handling your case.",
            );
        }
        Ok(Some((answer, LinkState::Open))) => answer == Answer::Fixed,
        Ok(None) => {
            return notice(
                "This link",
                "This link is not valid",
                "Try copying the whole address from the message.",
            );
        }
        Err(error) => {
            tracing::error!(%error, "could not read a resolution link");
            return notice(
                "Sorry",
                "Something went wrong on our side",
                "Please try again in a moment.",
            );
        }
    };
    html(ResolutionPage {
        title: "Did this fix it?",
        fixed,
    })
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
        Ok((Answer::Fixed, _)) => notice(
            "Thank you",
            "Thank you!",
            "We're glad it's fixed. If anything comes back, just reply to our message.",
        ),
        Ok((Answer::NotFixed, _)) => notice(
            "We're on it",
            "Thanks for telling us",
            "The problem is open again and the person handling your case has your message.",
        ),
        Err(error) => notice("This link", "This link can't be used", &error.message),
    }
}
