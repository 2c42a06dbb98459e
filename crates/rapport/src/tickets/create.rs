use super::TicketDetail;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Channel, Priority};
use rapport_store::tickets::{CustomerRef, NewTicket};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    subject: String,
    /// The customer's first message.
    body: String,
    /// Who the ticket is for, by address; an unknown address creates the customer.
    customer: Option<CustomerByEmail>,
    /// Who the ticket is for, by id (instead of `customer`).
    customer_id: Option<i64>,
    /// `normal` unless given.
    priority: Option<Priority>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerByEmail {
    email: String,
    name: Option<String>,
}

/// Open a ticket on a customer's behalf; `body` becomes their first message.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    request_body = CreateTicket,
    responses((status = 201, body = TicketDetail), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_ticket(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<CreateTicket>,
) -> ApiResult<(StatusCode, Json<TicketDetail>)> {
    let customer = match (&input.customer, input.customer_id) {
        (Some(customer), None) => CustomerRef::Email {
            email: &customer.email,
            name: customer.name.as_deref(),
        },
        (None, Some(id)) => CustomerRef::Id(id),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "Give either `customer` or `customer_id`, not both.",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "Say who the ticket is for: `customer: {\"email\": ...}` or `customer_id`.",
            ));
        }
    };
    let new = NewTicket {
        subject: &input.subject,
        body: &input.body,
        customer,
        channel: Channel::Api,
        priority: input.priority.unwrap_or(Priority::Normal),
        tags: &input.tags,
    };
    let (ticket, messages) = app.store.create_ticket(new, auth.actor()).await?;
    let page = rapport_store::tickets::MessagePage {
        total: messages.len() as i64,
        earlier_before_id: None,
        messages,
    };
    Ok((StatusCode::CREATED, Json(TicketDetail::new(ticket, page))))
}
