//! `/tickets/bulk`: the inbox's bulk form. The ticked tickets get one change each (see
//! `tickets::bulk`), and the inbox says what changed and what did not, and why.

use crate::admin::Fields;
use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, Submitted, safe_next, url_escape};
use crate::tickets::bulk::{self, BulkAction};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

fn unprocessable(message: impl Into<String>) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

pub async fn bulk_change(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    let fields = Fields::new(fields);
    let back = safe_next(fields.one("back"));
    let ids = fields.ids("ticket_ids")?;
    let note = fields.text("note");
    let action = match fields.one("action").unwrap_or_default() {
        "assign" => BulkAction::Assign {
            assignee_id: fields.optional_id("assignee_id")?,
            handover_note: Some(note).filter(|n| !n.is_empty()),
        },
        "tag" => {
            let tag = fields.text("tag");
            if tag.is_empty() {
                return Err(unprocessable("Write the tag to add."));
            }
            BulkAction::AddTag { tag }
        }
        "priority" => BulkAction::SetPriority {
            priority: fields
                .text("priority")
                .parse()
                .map_err(|_| unprocessable("Choose a priority: low, normal, high or urgent."))?,
        },
        "propose_resolution" => BulkAction::ProposeResolution,
        "close_unresolved" => BulkAction::CloseUnresolved { reason: note },
        _ => return Err(unprocessable("Choose what to do with the ticked tickets.")),
    };
    let outcome = bulk::apply(&app, &signed_in.agent, &ids, &action).await?;
    let mut said = format!(
        "Changed {} ticket{}.",
        outcome.changed.len(),
        if outcome.changed.len() == 1 { "" } else { "s" }
    );
    for refused in outcome.not_changed.iter().take(5) {
        said.push_str(&format!(" #{}: {}", refused.ticket_id, refused.message));
    }
    if outcome.not_changed.len() > 5 {
        said.push_str(&format!(
            " And {} more not changed.",
            outcome.not_changed.len() - 5
        ));
    }
    let joiner = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{back}{joiner}done={}", url_escape(&said))).into_response())
}
