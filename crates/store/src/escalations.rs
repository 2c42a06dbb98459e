//! A customer asks for a hero and gets a name: who handles their case and who that person
//! reports to; a request for a manager, recorded and sent up the chain as tasks; and letters
//! to management, which go to the top of the handler's chain. The chain's rules are in
//! [`rapport_domain::escalation`]; here the staff and the case are loaded and the answers saved.

pub use crate::case::CaseContacts;
use crate::case::{contacts_in, handler_in};
use crate::rows::{int, opt_int, text};
use crate::tasks::{self, NewTask};
use crate::tickets::load_ticket;
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::escalation::{self, EscalationSource, Told};
use rapport_domain::wording::TaskText;
use rapport_domain::wording::escalations::{
    EscalatedTask, LetterTask, ManagerRequestBriefingTask, ManagerRequestTask,
};
use rapport_domain::wording::notifications as notification_words;
use rapport_domain::{Actor, Agent, NotificationKind, TaskKind, validate};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    pub id: i64,
    pub ticket_id: i64,
    pub customer_id: i64,
    pub reason: String,
    pub handler_id: Option<i64>,
    pub manager_id: Option<i64>,
    pub created_at: String,
    pub resolved_at: Option<String>,
    /// What sent the case up.
    pub source: EscalationSource,
    /// By when the manager must acknowledge it, else it goes one level up.
    pub acknowledge_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<i64>,
    /// How many times it went up for want of an acknowledgement.
    pub level: i64,
}

/// The columns [`escalation_from`] reads.
pub(crate) const COLUMNS: &str = "id, ticket_id, customer_id, reason, handler_id, manager_id, created_at, resolved_at, \
                                  source, acknowledge_by, acknowledged_at, acknowledged_by, level";

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
        source: crate::rows::named(row, "source")?,
        acknowledge_by: crate::rows::opt_text(row, "acknowledge_by")?,
        acknowledged_at: crate::rows::opt_text(row, "acknowledged_at")?,
        acknowledged_by: opt_int(row, "acknowledged_by")?,
        level: int(row, "level")?,
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
        let open = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM escalations WHERE ticket_id = $1 AND resolved_at IS NULL"
        ))
        .bind(ticket_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = open {
            return Ok((escalation_from(&row)?, contacts));
        }
        let (handler, supervisor) = (contacts.handler.as_ref(), contacts.supervisor.as_ref());
        let handler_id = handler.map(|a| a.id);
        let manager_id = escalation::manager(handler, supervisor);
        let row = sqlx::query(&format!(
            "INSERT INTO escalations (ticket_id, customer_id, reason, handler_id, manager_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING {COLUMNS}"
        ))
        .bind(ticket_id)
        .bind(customer_id)
        .bind(&reason)
        .bind(handler_id)
        .bind(manager_id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let mut escalation = escalation_from(&row)?;
        start_clock(&mut tx, &now, &mut escalation).await?;
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
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM escalations WHERE ticket_id = $1 AND resolved_at IS NULL"
        ))
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

    /// A letter to management from a customer (the portal's form, or mail to the management
    /// address): see [`write_letter_in`].
    pub async fn write_letter(
        &self,
        customer_id: i64,
        ticket_id: Option<i64>,
        subject: &str,
        body: &str,
    ) -> StoreResult<(i64, Option<Agent>)> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let written = write_letter_in(&mut tx, &now, customer_id, ticket_id, subject, body).await?;
        tx.commit().await?;
        Ok(written)
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

/// Starts an escalation's clock: the manager has the workspace's acknowledgement time, in
/// business minutes, before it goes one level up.
async fn start_clock(tx: &mut Tx, now: &str, escalation: &mut Escalation) -> StoreResult<()> {
    let by = crate::settings::business_deadline_in(
        tx,
        now,
        rapport_domain::timings::ESCALATION_ACKNOWLEDGE_MINUTES,
    )
    .await?;
    sqlx::query("UPDATE escalations SET acknowledge_by = $1 WHERE id = $2")
        .bind(&by)
        .bind(escalation.id)
        .execute(&mut **tx)
        .await?;
    crate::jobs::enqueue(
        tx,
        now,
        &rapport_domain::Job::EscalationDeadline {
            escalation_id: escalation.id,
            level: escalation.level,
        },
        &by,
    )
    .await?;
    escalation.acknowledge_by = Some(by);
    Ok(())
}

/// The manager's task for an escalation reaching them.
async fn task_for_manager(
    tx: &mut Tx,
    now: &str,
    escalation: &Escalation,
    manager_id: i64,
    why: &str,
    actor: Actor,
) -> StoreResult<()> {
    let ticket_id = escalation.ticket_id;
    let text = notification_words::line(&notification_words::Escalation { ticket_id });
    crate::notifications::notify(
        tx,
        now,
        actor,
        manager_id,
        NotificationKind::Escalation,
        ticket_id,
        &text,
    )
    .await?;
    let calendar = crate::settings::calendar_in(tx).await?;
    let by = escalation
        .acknowledge_by
        .as_deref()
        .and_then(crate::clock::parse)
        .map(|at| calendar.when(at))
        .unwrap_or_else(|| "soon".to_owned());
    let TaskText { title, detail } = TaskText::of(&EscalatedTask {
        ticket_id: escalation.ticket_id,
        why,
        reason: &escalation.reason,
        by: &by,
    });
    tasks::create(
        tx,
        now,
        NewTask {
            agent_id: manager_id,
            kind: TaskKind::Escalation,
            ticket_id: Some(escalation.ticket_id),
            customer_id: Some(escalation.customer_id),
            title,
            detail,
            due_at: escalation.acknowledge_by.as_deref().unwrap_or(now),
        },
    )
    .await
    .map(drop)
}

/// Sends a case up, inside the caller's transaction: to the handler's supervisor (or the
/// handler when they report to nobody), named, with a deadline to acknowledge. A ticket has
/// one open escalation at a time; while one is open, this returns `None` and changes nothing.
pub(crate) async fn escalate_in(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    source: EscalationSource,
    reason: &str,
    actor: Actor,
) -> StoreResult<Option<Escalation>> {
    // One open escalation per ticket, whichever source sends it up at the same moment (an
    // agent, the customer's mail, a missed target): they take turns on the ticket's row.
    crate::lock_in(tx, crate::Locked::Ticket, ticket_id).await?;
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM escalations WHERE ticket_id = $1 AND resolved_at IS NULL",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    if open.is_some() {
        return Ok(None);
    }
    let ticket = load_ticket(tx, ticket_id).await?;
    let contacts = contacts_in(tx, ticket_id, ticket.customer_id).await?;
    let (handler, supervisor) = (contacts.handler.as_ref(), contacts.supervisor.as_ref());
    let handler_id = handler.map(|a| a.id);
    let manager_id = escalation::manager(handler, supervisor);
    let row = sqlx::query(&format!(
        "INSERT INTO escalations (ticket_id, customer_id, reason, handler_id, manager_id, created_at, source) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    ))
    .bind(ticket_id)
    .bind(ticket.customer_id)
    .bind(reason)
    .bind(handler_id)
    .bind(manager_id)
    .bind(now)
    .bind(source.as_str())
    .fetch_one(&mut **tx)
    .await?;
    let mut escalation = escalation_from(&row)?;
    start_clock(tx, now, &mut escalation).await?;
    let why = match (source, actor) {
        (EscalationSource::Agent, Actor::Agent(id)) => {
            let name: Option<String> = sqlx::query_scalar("SELECT name FROM agents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            format!(
                "{} sent it up",
                name.unwrap_or_else(|| "an agent".to_owned())
            )
        }
        (EscalationSource::ServiceLevel, _) => "a service level target was missed".to_owned(),
        (EscalationSource::Email, _) => "the customer's email asks for a manager".to_owned(),
        _ => "the customer asked for a manager".to_owned(),
    };
    if let Some(manager_id) = manager_id {
        task_for_manager(tx, now, &escalation, manager_id, &why, actor).await?;
    }
    events::record(
        tx,
        now,
        actor,
        "ticket",
        ticket_id,
        "ticket.escalated",
        json!({
            "source": source,
            "reason": reason,
            "handler_id": handler_id,
            "manager_id": manager_id,
            "acknowledge_by": escalation.acknowledge_by,
        }),
    )
    .await?;
    Ok(Some(escalation))
}

async fn load_escalation(tx: &mut Tx, id: i64) -> StoreResult<Escalation> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM escalations WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("escalation", id))?;
    escalation_from(&row)
}

/// The job at an escalation's deadline: if it is still open and nobody acknowledged it at
/// this level, it goes to the next active person up the chain, with a new deadline. At the
/// top of the chain it stays, recorded as overdue.
pub async fn deadline_passed(
    tx: &mut Tx,
    now: &str,
    escalation_id: i64,
    level: i64,
) -> StoreResult<()> {
    let mut escalation = load_escalation(tx, escalation_id).await?;
    if escalation.resolved_at.is_some()
        || escalation.acknowledged_at.is_some()
        || escalation.level != level
    {
        return Ok(());
    }
    let staff = crate::agents::load_staff(tx).await?;
    let next = escalation
        .manager_id
        .and_then(|manager| escalation::next_up(&staff, manager))
        .or_else(|| {
            escalation
                .manager_id
                .is_none()
                .then(|| staff.first_admin())
                .flatten()
        });
    let Some(next) = next else {
        events::record(
            tx,
            now,
            Actor::System,
            "ticket",
            escalation.ticket_id,
            "escalation.overdue",
            json!({ "escalation_id": escalation.id, "manager_id": escalation.manager_id }),
        )
        .await?;
        return Ok(());
    };
    sqlx::query("UPDATE escalations SET manager_id = $1, level = level + 1 WHERE id = $2")
        .bind(next)
        .bind(escalation.id)
        .execute(&mut **tx)
        .await?;
    let from = escalation.manager_id;
    escalation.manager_id = Some(next);
    escalation.level += 1;
    start_clock(tx, now, &mut escalation).await?;
    let from_name = match from {
        Some(id) => sqlx::query_scalar::<_, String>("SELECT name FROM agents WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or_default(),
        None => String::new(),
    };
    let why = format!("{from_name} did not acknowledge it in time");
    task_for_manager(tx, now, &escalation, next, why.trim_start(), Actor::System).await?;
    events::record(
        tx,
        now,
        Actor::System,
        "ticket",
        escalation.ticket_id,
        "escalation.moved_up",
        json!({
            "escalation_id": escalation.id,
            "manager_id": events::change(from, next),
            "level": escalation.level,
            "acknowledge_by": escalation.acknowledge_by,
        }),
    )
    .await?;
    Ok(())
}

/// An open escalation as the "Escalated" list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitingEscalation {
    pub id: i64,
    pub ticket_id: i64,
    pub subject: String,
    pub customer_name: String,
    pub reason: String,
    pub source: EscalationSource,
    pub manager_id: Option<i64>,
    pub manager_name: Option<String>,
    pub acknowledge_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub level: i64,
    pub created_at: String,
}

impl Store {
    pub async fn escalation(&self, id: i64) -> StoreResult<Escalation> {
        let mut tx = self.pool().begin().await?;
        load_escalation(&mut tx, id).await
    }

    /// An agent sends a case up, with a reason.
    pub async fn escalate(
        &self,
        ticket_id: i64,
        reason: &str,
        actor: Actor,
    ) -> StoreResult<Escalation> {
        let reason = validate::body(reason)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        self.lock_row(&mut tx, crate::Locked::Ticket, ticket_id)
            .await?;
        let escalation = match escalate_in(
            &mut tx,
            &now,
            ticket_id,
            EscalationSource::Agent,
            &reason,
            actor,
        )
        .await?
        {
            Some(escalation) => escalation,
            None => {
                return Err(StoreError::Conflict {
                        code: "already_escalated",
                        message: "this case is already escalated; the named manager acknowledges or answers it first".to_owned(),
                    });
            }
        };
        tx.commit().await?;
        Ok(escalation)
    }

    /// The named manager (or someone above them, or an admin) takes the escalation: from now
    /// on they own it, and it stops going up. Acknowledging twice changes nothing.
    pub async fn acknowledge_escalation(
        &self,
        escalation_id: i64,
        agent: &Agent,
    ) -> StoreResult<Escalation> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let found = load_escalation(&mut tx, escalation_id).await?;
        self.lock_row(&mut tx, crate::Locked::Ticket, found.ticket_id)
            .await?;
        let escalation = load_escalation(&mut tx, escalation_id).await?;
        if escalation.acknowledged_at.is_some() || escalation.resolved_at.is_some() {
            return Ok(escalation);
        }
        let staff = crate::agents::load_staff(&mut tx).await?;
        if !escalation::may_acknowledge(&staff, agent, escalation.manager_id) {
            return Err(StoreError::Forbidden(
                "Only the manager it is escalated to, someone above them in the reporting line, or an admin acknowledges an escalation.".to_owned(),
            ));
        }
        sqlx::query(
            "UPDATE escalations SET acknowledged_at = $1, acknowledged_by = $2, manager_id = $2 WHERE id = $3",
        )
        .bind(&now)
        .bind(agent.id)
        .bind(escalation_id)
        .execute(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent.id),
            "ticket",
            escalation.ticket_id,
            "escalation.acknowledged",
            json!({ "escalation_id": escalation_id, "manager_id": events::change(escalation.manager_id, agent.id) }),
        )
        .await?;
        let escalation = load_escalation(&mut tx, escalation_id).await?;
        tx.commit().await?;
        Ok(escalation)
    }

    /// The open escalations waiting on `agent` or anyone below them in the reporting line,
    /// soonest deadline first, without those on tickets they may not see.
    pub async fn escalations_waiting_on(
        &self,
        agent: &Agent,
    ) -> StoreResult<Vec<WaitingEscalation>> {
        let list = self.chain_of(agent.id).await?;
        let rows = sqlx::query(&format!(
            "SELECT e.id, e.ticket_id, t.subject, c.name AS customer_name, e.reason, e.source, e.manager_id, \
             a.name AS manager_name, e.acknowledge_by, e.acknowledged_at, e.level, e.created_at \
             FROM escalations e JOIN tickets t ON t.id = e.ticket_id JOIN customers c ON c.id = e.customer_id \
             LEFT JOIN agents a ON a.id = e.manager_id \
             WHERE e.resolved_at IS NULL AND e.manager_id IN ({list}) AND {} \
             ORDER BY e.acknowledge_by IS NULL, e.acknowledge_by, e.id LIMIT 500",
            crate::inbox::visible(agent)
        ))
        .bind(agent.id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WaitingEscalation {
                    id: int(row, "id")?,
                    ticket_id: int(row, "ticket_id")?,
                    subject: text(row, "subject")?,
                    customer_name: text(row, "customer_name")?,
                    reason: text(row, "reason")?,
                    source: crate::rows::named(row, "source")?,
                    manager_id: opt_int(row, "manager_id")?,
                    manager_name: crate::rows::opt_text(row, "manager_name")?,
                    acknowledge_by: crate::rows::opt_text(row, "acknowledge_by")?,
                    acknowledged_at: crate::rows::opt_text(row, "acknowledged_at")?,
                    level: int(row, "level")?,
                    created_at: text(row, "created_at")?,
                })
            })
            .collect()
    }
}

/// A letter to management, inside the caller's transaction: it goes to the top of the
/// chain of whoever handles the customer (or the ticket), as a task, with a deadline to answer
/// it; a letter of thanks reaches the person who handled the case.
pub(crate) async fn write_letter_in(
    tx: &mut Tx,
    now: &str,
    customer_id: i64,
    ticket_id: Option<i64>,
    subject: &str,
    body: &str,
) -> StoreResult<(i64, Option<Agent>)> {
    let subject = validate::line("subject", subject, validate::MAX_SUBJECT_CHARS)?;
    let body = validate::body(body)?;
    let now = now.to_owned();
    let addressed_to = management_in(&mut *tx, ticket_id, customer_id).await?;
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
    .fetch_one(&mut **tx)
    .await?;
    let name = crate::customers::customer_first_name(&mut *tx, customer_id).await?;
    // A letter that thanks someone reaches the person who handled the case.
    let reading = rapport_coach::analyze_message(&format!("{subject}\n\n{body}"));
    let thanks = reading.intents.contains(&rapport_coach::Intent::Praise)
        && !reading.intents.contains(&rapport_coach::Intent::Complaint);
    let about = match ticket_id {
        Some(ticket_id) => contacts_in(&mut *tx, ticket_id, customer_id)
            .await?
            .handler
            .map(|a| a.id),
        None => None,
    };
    crate::letters::start(&mut *tx, &now, id, about, thanks, &name).await?;
    if let Some(manager) = &addressed_to {
        let TaskText { title, detail } = LetterTask {
            name: &name,
            subject: &subject,
            body: &body,
        }
        .task_text();
        tasks::create(
            &mut *tx,
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
        &mut *tx,
        &now,
        Actor::Customer(customer_id),
        "customer",
        customer_id,
        "letter.received",
        json!({ "letter_id": id, "subject": subject, "ticket_id": ticket_id }),
    )
    .await?;
    Ok((id, addressed_to))
}
