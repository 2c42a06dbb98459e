//! A customer asks for a hero and gets a name: who handles their case and who that person
//! reports to; a request for a manager, recorded and sent up the chain as tasks; and letters
//! to management, which go to the top of the handler's chain. The chain's rules are in
//! [`rapport_domain::escalation`]; here the staff and the case are loaded and the answers saved.

use crate::rows::{int, opt_int, text};
use crate::tasks::{self, NewTask};
use crate::tickets::load_ticket;
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::escalation::{self, Case, Staff, Told};
use rapport_domain::wording::TaskText;
use rapport_domain::wording::escalations::{
    LetterTask, ManagerRequestBriefingTask, ManagerRequestTask,
};
use rapport_domain::wording::notifications as notification_words;
use rapport_domain::{Actor, Agent, NotificationKind, TaskKind, validate};
use serde::Serialize;
use serde_json::json;

/// The people a customer can reach about a ticket.
#[derive(Debug, Clone)]
pub struct CaseContacts {
    /// Who handles the case: the assignee, else the relationship owner.
    pub handler: Option<Agent>,
    /// The handler's supervisor.
    pub supervisor: Option<Agent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    pub id: i64,
    pub ticket_id: i64,
    pub customer_id: i64,
    pub reason: String,
    pub handler_id: Option<i64>,
    pub manager_id: Option<i64>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

fn escalation_from(row: &sqlx::any::AnyRow) -> StoreResult<Escalation> {
    Ok(Escalation {
        id: int(row, "id")?,
        ticket_id: int(row, "ticket_id")?,
        customer_id: int(row, "customer_id")?,
        reason: text(row, "reason")?,
        handler_id: opt_int(row, "handler_id")?,
        manager_id: opt_int(row, "manager_id")?,
        created_at: text(row, "created_at")?,
        resolved_at: crate::rows::opt_text(row, "resolved_at")?,
    })
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

async fn contacts_in(tx: &mut Tx, ticket_id: i64, customer_id: i64) -> StoreResult<CaseContacts> {
    let (staff, handler) = handler_in(tx, Some(ticket_id), customer_id).await?;
    Ok(CaseContacts {
        handler: staff.get(handler).cloned(),
        supervisor: staff.supervisor_of(handler).cloned(),
    })
}

/// Whom a letter to management reaches: the top of the chain of whoever handles the
/// customer (or the ticket).
async fn management_in(
    tx: &mut Tx,
    ticket_id: Option<i64>,
    customer_id: i64,
) -> StoreResult<Option<Agent>> {
    let (staff, handler) = handler_in(tx, ticket_id, customer_id).await?;
    Ok(staff.top_of_chain(handler).cloned())
}

impl Store {
    /// Whom a letter to management would reach, to name them before it is written.
    pub async fn management_for(
        &self,
        ticket_id: Option<i64>,
        customer_id: i64,
    ) -> StoreResult<Option<Agent>> {
        let mut tx = self.pool().begin().await?;
        management_in(&mut tx, ticket_id, customer_id).await
    }

    pub async fn case_contacts(&self, ticket_id: i64) -> StoreResult<CaseContacts> {
        let mut tx = self.pool().begin().await?;
        let ticket = load_ticket(&mut tx, ticket_id).await?;
        contacts_in(&mut tx, ticket_id, ticket.customer_id).await
    }

    /// The customer asks for a manager: recorded on the ticket, and the handler and their
    /// supervisor each get a task. Asking again while a request is open adds nothing new.
    pub async fn ask_for_manager(
        &self,
        ticket_id: i64,
        customer_id: i64,
        reason: &str,
    ) -> StoreResult<(Escalation, CaseContacts)> {
        let reason = validate::body(reason)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // One open request per ticket, however many arrive at once: they wait on the ticket.
        self.lock_row(&mut tx, crate::Locked::Ticket, ticket_id)
            .await?;
        let ticket = load_ticket(&mut tx, ticket_id).await?;
        let contacts = contacts_in(&mut tx, ticket_id, ticket.customer_id).await?;
        let open = sqlx::query(
            "SELECT id, ticket_id, customer_id, reason, handler_id, manager_id, created_at, resolved_at \
             FROM escalations WHERE ticket_id = $1 AND resolved_at IS NULL",
        )
        .bind(ticket_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = open {
            return Ok((escalation_from(&row)?, contacts));
        }
        let (handler, supervisor) = (contacts.handler.as_ref(), contacts.supervisor.as_ref());
        let handler_id = handler.map(|a| a.id);
        let manager_id = escalation::manager(handler, supervisor);
        let row = sqlx::query(
            "INSERT INTO escalations (ticket_id, customer_id, reason, handler_id, manager_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, ticket_id, customer_id, reason, handler_id, manager_id, created_at, resolved_at",
        )
        .bind(ticket_id)
        .bind(customer_id)
        .bind(&reason)
        .bind(handler_id)
        .bind(manager_id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let escalation = escalation_from(&row)?;
        let name = crate::customers::customer_first_name(&mut tx, customer_id).await?;
        for Told {
            agent_id,
            is_manager,
        } in escalation::who_hears(handler, supervisor)
        {
            let TaskText { title, detail } = if is_manager {
                TaskText::of(&ManagerRequestTask {
                    name: &name,
                    ticket_id,
                    reason: &reason,
                })
            } else {
                TaskText::of(&ManagerRequestBriefingTask {
                    name: &name,
                    ticket_id,
                    reason: &reason,
                })
            };
            tasks::create(
                &mut tx,
                &now,
                NewTask {
                    agent_id,
                    kind: TaskKind::Escalation,
                    ticket_id: Some(ticket_id),
                    customer_id: Some(customer_id),
                    title,
                    detail,
                    due_at: &now,
                },
            )
            .await?;
        }
        if let Some(manager_id) = manager_id {
            let text = notification_words::line(&notification_words::Escalation { ticket_id });
            crate::notifications::notify(
                &mut tx,
                &now,
                Actor::Customer(customer_id),
                manager_id,
                NotificationKind::Escalation,
                ticket_id,
                &text,
            )
            .await?;
        }
        events::record(
            &mut tx,
            &now,
            Actor::Customer(customer_id),
            "ticket",
            ticket_id,
            "ticket.escalated",
            json!({ "reason": reason, "handler_id": handler_id, "manager_id": manager_id }),
        )
        .await?;
        tx.commit().await?;
        Ok((escalation, contacts))
    }

    /// The open request for a manager on a ticket, if any.
    pub async fn open_escalation(&self, ticket_id: i64) -> StoreResult<Option<Escalation>> {
        let row = sqlx::query(
            "SELECT id, ticket_id, customer_id, reason, handler_id, manager_id, created_at, resolved_at \
             FROM escalations WHERE ticket_id = $1 AND resolved_at IS NULL",
        )
        .bind(ticket_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(escalation_from).transpose()
    }

    /// An agent marks the request for a manager as answered.
    pub async fn resolve_escalation(&self, ticket_id: i64, actor: Actor) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE escalations SET resolved_at = $1 WHERE ticket_id = $2 AND resolved_at IS NULL",
        )
        .bind(&now)
        .bind(ticket_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            events::record(
                &mut tx,
                &now,
                actor,
                "ticket",
                ticket_id,
                "escalation.answered",
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A letter to management: goes to the top of the handler's chain as a task, and into
    /// the customer's history.
    pub async fn write_letter(
        &self,
        customer_id: i64,
        ticket_id: Option<i64>,
        subject: &str,
        body: &str,
    ) -> StoreResult<(i64, Option<Agent>)> {
        let subject = validate::line("subject", subject, validate::MAX_SUBJECT_CHARS)?;
        let body = validate::body(body)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let addressed_to = management_in(&mut tx, ticket_id, customer_id).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO letters (customer_id, ticket_id, addressed_to, subject, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(customer_id)
        .bind(ticket_id)
        .bind(addressed_to.as_ref().map(|a| a.id))
        .bind(&subject)
        .bind(&body)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let name = crate::customers::customer_first_name(&mut tx, customer_id).await?;
        if let Some(manager) = &addressed_to {
            let TaskText { title, detail } = LetterTask {
                name: &name,
                subject: &subject,
                body: &body,
            }
            .task_text();
            tasks::create(
                &mut tx,
                &now,
                NewTask {
                    agent_id: manager.id,
                    kind: TaskKind::Letter,
                    ticket_id,
                    customer_id: Some(customer_id),
                    title,
                    detail,
                    due_at: &now,
                },
            )
            .await?;
        }
        events::record(
            &mut tx,
            &now,
            Actor::Customer(customer_id),
            "customer",
            customer_id,
            "letter.received",
            json!({ "letter_id": id, "subject": subject, "ticket_id": ticket_id }),
        )
        .await?;
        tx.commit().await?;
        Ok((id, addressed_to))
    }

    /// Who should act for a customer on a ticket (assignee, else relationship owner, else
    /// the first admin).
    pub async fn responsible_for(
        &self,
        ticket_id: Option<i64>,
        customer_id: i64,
    ) -> StoreResult<i64> {
        let mut tx = self.pool().begin().await?;
        responsible_agent(&mut tx, ticket_id, customer_id).await
    }
}

/// A manager's public reply answers an open request for a manager on the ticket.
pub(crate) async fn answered_by_reply(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    agent_id: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE escalations SET resolved_at = $1 WHERE ticket_id = $2 AND resolved_at IS NULL AND manager_id = $3",
    )
    .bind(now)
    .bind(ticket_id)
    .bind(agent_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The person who should act for a customer when nobody is named (see
/// [`rapport_domain::escalation::handler`]): the ticket's assignee, the customer's relationship
/// owner, the organization's owner, else the first admin.
pub(crate) async fn responsible_agent(
    tx: &mut Tx,
    ticket_id: Option<i64>,
    customer_id: i64,
) -> StoreResult<i64> {
    let (_, handler) = handler_in(tx, ticket_id, customer_id).await?;
    Ok(handler)
}

/// The relationship owner: the customer's, else the organization's, else the first admin.
pub(crate) async fn owner_of(tx: &mut Tx, customer_id: i64) -> StoreResult<i64> {
    responsible_agent(tx, None, customer_id).await
}
