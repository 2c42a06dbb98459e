//! Who is named on a customer's case: the ticket's assignee, else the relationship owners,
//! else the first admin, and that person's supervisor. Read by escalations (who hears of a
//! request for a manager), the portal and the mail we send (whom the customer can reach).

use crate::rows::opt_int;
use crate::{StoreError, StoreResult, Tx};
use rapport_domain::Agent;
use rapport_domain::escalation::{self, Case, Staff};

/// The people a customer can reach about a ticket.
#[derive(Debug, Clone)]
pub struct CaseContacts {
    /// Who handles the case: the assignee, else the relationship owner.
    pub handler: Option<Agent>,
    /// The handler's supervisor.
    pub supervisor: Option<Agent>,
}

/// Who is named on a customer's case: the ticket's assignee (when there is a ticket) and the
/// relationship owners.
pub(crate) async fn load_case(
    tx: &mut Tx,
    ticket_id: Option<i64>,
    customer_id: i64,
) -> StoreResult<Case> {
    let assignee: Option<i64> = match ticket_id {
        Some(ticket_id) => sqlx::query_scalar("SELECT assignee_id FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_optional(&mut **tx)
            .await?
            .flatten(),
        None => None,
    };
    let owners = sqlx::query(
        "SELECT c.owner_id AS customer_owner, o.owner_id AS organization_owner \
         FROM customers c LEFT JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1",
    )
    .bind(customer_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(Case {
        assignee,
        customer_owner: owners
            .as_ref()
            .map(|row| opt_int(row, "customer_owner"))
            .transpose()?
            .flatten(),
        organization_owner: owners
            .as_ref()
            .map(|row| opt_int(row, "organization_owner"))
            .transpose()?
            .flatten(),
    })
}

/// The staff, and who among them handles the case.
pub(crate) async fn handler_in(
    tx: &mut Tx,
    ticket_id: Option<i64>,
    customer_id: i64,
) -> StoreResult<(Staff, i64)> {
    let case = load_case(tx, ticket_id, customer_id).await?;
    let staff = crate::agents::load_staff(tx).await?;
    let handler = escalation::handler(&case, &staff)
        .ok_or_else(|| StoreError::Corrupt("there is no admin to hand the task to".into()))?;
    Ok((staff, handler))
}

pub(crate) async fn contacts_in(
    tx: &mut Tx,
    ticket_id: i64,
    customer_id: i64,
) -> StoreResult<CaseContacts> {
    let (staff, handler) = handler_in(tx, Some(ticket_id), customer_id).await?;
    Ok(CaseContacts {
        handler: staff.get(handler).cloned(),
        supervisor: staff.supervisor_of(handler).cloned(),
    })
}
