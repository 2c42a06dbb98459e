//! A customer asks for a hero and gets a name: who handles their case and who that person
//! reports to; a request for a manager, recorded and sent up the chain as tasks; and letters
//! to management, which go to the top of the handler's chain.

use crate::rows::{int, opt_int, text};
use crate::tasks::{self, NewTask};
use crate::tickets::load_ticket;
use crate::{Store, StoreResult, Tx, events};
use rapport_domain::TaskKind;
use rapport_domain::{Actor, Agent, validate};
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

async fn agent_in(tx: &mut Tx, id: Option<i64>) -> StoreResult<Option<Agent>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT id, email, name, role, reports_to, created_at FROM agents WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(crate::agents::agent_from).transpose()
}

async fn contacts_in(tx: &mut Tx, ticket_id: i64, customer_id: i64) -> StoreResult<CaseContacts> {
    let handler_id = tasks::responsible_agent(tx, Some(ticket_id), customer_id).await?;
    let handler = agent_in(tx, Some(handler_id)).await?;
    let supervisor = agent_in(tx, handler.as_ref().and_then(|h| h.reports_to)).await?;
    Ok(CaseContacts {
        handler,
        supervisor,
    })
}

/// The top of an agent's reporting chain (the agent when they report to nobody).
async fn top_of_chain(tx: &mut Tx, agent: &Agent) -> StoreResult<Agent> {
    let mut top = agent.clone();
    // Bounded, in case someone made the chain a circle.
    for _ in 0..20 {
        match agent_in(tx, top.reports_to).await? {
            Some(boss) => top = boss,
            None => break,
        }
    }
    Ok(top)
}

/// Whom a letter to management reaches: the top of the chain of whoever handles the
/// customer (or the ticket).
async fn management_in(
    tx: &mut Tx,
    ticket_id: Option<i64>,
    customer_id: i64,
) -> StoreResult<Option<Agent>> {
    let handler_id = tasks::responsible_agent(tx, ticket_id, customer_id).await?;
    match agent_in(tx, Some(handler_id)).await? {
        Some(handler) => Ok(Some(top_of_chain(tx, &handler).await?)),
        None => Ok(None),
    }
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
        let handler_id = contacts.handler.as_ref().map(|a| a.id);
        // With nobody above the handler, the handler's own chain ends with them.
        let manager_id = contacts.supervisor.as_ref().map(|a| a.id).or(handler_id);
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
        let name = crate::lifecycle::customer_first_name(&mut tx, customer_id).await?;
        let mut notified = Vec::new();
        for agent in [&contacts.handler, &contacts.supervisor]
            .into_iter()
            .flatten()
        {
            if notified.contains(&agent.id) {
                continue;
            }
            notified.push(agent.id);
            let is_manager = Some(agent.id) == manager_id;
            tasks::create(
                &mut tx,
                &now,
                NewTask {
                    agent_id: agent.id,
                    kind: TaskKind::Escalation,
                    ticket_id: Some(ticket_id),
                    customer_id: Some(customer_id),
                    title: if is_manager {
                        format!("{name} asked for a manager on #{ticket_id}")
                    } else {
                        format!("{name} asked for your manager on #{ticket_id}")
                    },
                    detail: format!(
                        "{name} wrote: \"{reason}\". {}",
                        if is_manager {
                            "They were told your name. Reply to them yourself on the ticket."
                        } else {
                            "Your supervisor has been told; brief them on the case."
                        }
                    ),
                    due_at: &now,
                },
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
        let name = crate::lifecycle::customer_first_name(&mut tx, customer_id).await?;
        if let Some(manager) = &addressed_to {
            tasks::create(
                &mut tx,
                &now,
                NewTask {
                    agent_id: manager.id,
                    kind: TaskKind::Letter,
                    ticket_id,
                    customer_id: Some(customer_id),
                    title: format!("A letter to management from {name}: {subject}"),
                    detail: body.clone(),
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
        tasks::responsible_agent(&mut tx, ticket_id, customer_id).await
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
