use super::TicketDetail;
use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;

/// One ticket with its messages, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show_ticket(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<TicketDetail>> {
    let ticket = super::visible_to(&app, &auth, id).await?;
    let messages = app.store.ticket_messages(id).await?;
    Ok(Json(TicketDetail { ticket, messages }))
}
