//! When an agent leaves: everything they were carrying is handed to someone still here, in
//! the same transaction that deactivates them, so no customer is left with nobody. Their open
//! tickets (each with the admin's hand-over note), the customers and organizations they own,
//! their open promises and tasks, the escalations waiting on them, and the people who reported
//! to them. History keeps their name: messages, events and settled work still say who did it.

use crate::agents::active_agent;
use crate::events::{self, change};
use crate::messages::insert_message;
use crate::rows::{int, opt_int, text};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::wording::Mail;
use rapport_domain::wording::notes::HandOver;
use rapport_domain::wording::notifications as notification_words;
use rapport_domain::{
    Actor, Agent, Channel, NotificationKind, Problem, Role, Visibility, validate,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A hand-over note longer than this is refused.
const MAX_NOTE_CHARS: usize = 10_000;

/// One piece of work that moves: what it is, in a line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Item {
    pub id: i64,
    pub label: String,
}

/// What an agent carries, which moves when they leave.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Work {
    /// Tickets assigned to them whose problem is still open (or a resolution is proposed).
    pub tickets: Vec<Item>,
    /// Customers whose relationship owner they are.
    pub customers: Vec<Item>,
    pub organizations: Vec<Item>,
    /// Promises of theirs still open.
    pub promises: Vec<Item>,
    /// Tasks of theirs not done.
    pub tasks: Vec<Item>,
    /// Requests for a manager waiting on them.
    pub escalations: Vec<Item>,
    /// People who report to them; they move up to whom the leaver reported (or to the
    /// person taking over, when the leaver reported to nobody).
    pub reports: Vec<Item>,
}

impl Work {
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
            && self.customers.is_empty()
            && self.organizations.is_empty()
            && self.promises.is_empty()
            && self.tasks.is_empty()
            && self.escalations.is_empty()
            && self.reports.is_empty()
    }
}

impl Store {
    /// What would move if the agent left now.
    pub async fn work_of(&self, agent_id: i64) -> StoreResult<Work> {
        let mut tx = self.pool().begin().await?;
        active_agent(&mut tx, agent_id).await?;
        let work = load_work(&mut tx, agent_id).await?;
        tx.rollback().await?;
        Ok(work)
    }

    /// Deactivates an agent and hands all their open work to `hand_to`, with `note` as the
    /// hand-over note on every ticket and relationship that moves. Their sessions end, their
    /// API tokens are revoked and they leave their teams. Returns what moved.
    pub async fn deactivate_agent(
        &self,
        agent_id: i64,
        hand_to: i64,
        note: &str,
        actor: Actor,
    ) -> StoreResult<Work> {
        let note = note.trim();
        if note.is_empty() {
            return Err(validate::Invalid::new(
                "note",
                "write a hand-over note for the person taking over: what is in progress, what was promised, what matters to these customers",
            )
            .into());
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(validate::Invalid::new(
                "note",
                format!("the hand-over note is longer than {MAX_NOTE_CHARS} characters"),
            )
            .into());
        }
        if actor == Actor::Agent(agent_id) {
            return Err(StoreError::Conflict {
                code: "deactivating_yourself",
                message: "you cannot deactivate your own account; ask another admin".into(),
            });
        }
        if hand_to == agent_id {
            return Err(validate::Invalid::new(
                "hand_to",
                "the work must go to someone else: choose another agent to take over",
            )
            .into());
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        crate::agents::lock_admins(self.backend(), &mut tx).await?;
        let leaver = active_agent(&mut tx, agent_id).await?;
        crate::agents::ensure_agent(&mut tx, "hand_to", hand_to).await?;
        let staff = crate::agents::load_staff(&mut tx).await?;
        if leaver.role == Role::Admin && staff.active_admins() <= 1 {
            return Err(StoreError::Conflict {
                code: "last_admin",
                message: format!(
                    "{} is the only admin left; make someone else an admin first",
                    leaver.name
                ),
            });
        }
        // The claim: of two deactivations at once, one finds the agent still active.
        let claimed = sqlx::query(
            "UPDATE agents SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL",
        )
        .bind(&now)
        .bind(agent_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(StoreError::Conflict {
                code: "agent_deactivated",
                message: format!("{} has already been deactivated", leaver.name),
            });
        }
        let work = load_work(&mut tx, agent_id).await?;
        hand_over(&mut tx, &now, &leaver, hand_to, note, &work, actor).await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
            .bind(agent_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let tokens = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL",
        )
        .bind(&now)
        .bind(agent_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let teams = crate::teams::teams_of(&mut tx, agent_id).await?;
        sqlx::query("DELETE FROM team_members WHERE agent_id = $1")
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        crate::agent_links::retire_links(&mut tx, &now, agent_id).await?;
        let ids = |items: &[Item]| items.iter().map(|item| item.id).collect::<Vec<_>>();
        events::record(
            &mut tx,
            &now,
            actor,
            "agent",
            agent_id,
            "agent.deactivated",
            json!({
                "hand_to": hand_to,
                "note": note,
                "ticket_ids": ids(&work.tickets),
                "customer_ids": ids(&work.customers),
                "organization_ids": ids(&work.organizations),
                "promise_ids": ids(&work.promises),
                "task_ids": ids(&work.tasks),
                "escalation_ids": ids(&work.escalations),
                "report_ids": ids(&work.reports),
                "left_team_ids": teams,
                "sessions_ended": sessions,
                "tokens_revoked": tokens,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(work)
    }
}

async fn items(tx: &mut Tx, sql: &str, agent_id: i64) -> StoreResult<Vec<Item>> {
    let rows = sqlx::query(sql).bind(agent_id).fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|row| {
            Ok(Item {
                id: int(row, "id")?,
                label: text(row, "label")?,
            })
        })
        .collect()
}

async fn load_work(tx: &mut Tx, agent_id: i64) -> StoreResult<Work> {
    let open = crate::rows::sql_names(&[Problem::Open, Problem::ResolutionProposed]);
    Ok(Work {
        tickets: items(
            tx,
            &format!(
                "SELECT id, subject AS label FROM tickets WHERE assignee_id = $1 AND problem IN ({open}) ORDER BY id"
            ),
            agent_id,
        )
        .await?,
        customers: items(
            tx,
            "SELECT id, name AS label FROM customers WHERE owner_id = $1 AND merged_into IS NULL ORDER BY id",
            agent_id,
        )
        .await?,
        organizations: items(
            tx,
            "SELECT id, name AS label FROM organizations WHERE owner_id = $1 ORDER BY id",
            agent_id,
        )
        .await?,
        promises: items(
            tx,
            "SELECT id, what AS label FROM promises WHERE agent_id = $1 AND status = 'open' ORDER BY due_at, id",
            agent_id,
        )
        .await?,
        tasks: items(
            tx,
            "SELECT id, title AS label FROM tasks WHERE agent_id = $1 AND done_at IS NULL ORDER BY due_at, id",
            agent_id,
        )
        .await?,
        escalations: items(
            tx,
            "SELECT id, reason AS label FROM escalations WHERE manager_id = $1 AND resolved_at IS NULL ORDER BY id",
            agent_id,
        )
        .await?,
        reports: items(
            tx,
            "SELECT id, name AS label FROM agents WHERE reports_to = $1 AND deactivated_at IS NULL ORDER BY id",
            agent_id,
        )
        .await?,
    })
}

async fn hand_over(
    tx: &mut Tx,
    now: &str,
    leaver: &Agent,
    hand_to: i64,
    note: &str,
    work: &Work,
    actor: Actor,
) -> StoreResult<()> {
    let by = crate::notifications::actor_name(tx, actor).await?;
    for ticket in &work.tickets {
        sqlx::query("UPDATE tickets SET assignee_id = $1, updated_at = $2 WHERE id = $3")
            .bind(hand_to)
            .bind(now)
            .bind(ticket.id)
            .execute(&mut **tx)
            .await?;
        let assignee = change(Some(leaver.id), Some(hand_to));
        events::record(
            tx,
            now,
            actor,
            "ticket",
            ticket.id,
            "ticket.updated",
            json!({ "assignee_id": assignee }),
        )
        .await?;
        let body = HandOver { note }.text();
        insert_message(
            tx,
            now,
            ticket.id,
            actor,
            Channel::Note,
            Visibility::Internal,
            &body,
        )
        .await?;
        events::record(
            tx,
            now,
            actor,
            "ticket",
            ticket.id,
            "ticket.handed_over",
            json!({ "assignee_id": assignee, "note": change(None::<String>, note) }),
        )
        .await?;
        let text = notification_words::line(&notification_words::HandedOver {
            by: &by,
            ticket_id: ticket.id,
            leaver: &leaver.name,
        });
        crate::notifications::notify(
            tx,
            now,
            actor,
            hand_to,
            NotificationKind::Assigned,
            ticket.id,
            &text,
        )
        .await?;
    }
    for (entity, owned) in [
        ("customer", &work.customers),
        ("organization", &work.organizations),
    ] {
        for item in owned {
            crate::customers::change_owner(
                tx,
                now,
                entity,
                item.id,
                Some(leaver.id),
                Some(hand_to),
                Some(note),
                actor,
            )
            .await?;
        }
    }
    for (table, entity, column, items) in [
        ("promises", "promise", "agent_id", &work.promises),
        ("tasks", "task", "agent_id", &work.tasks),
        ("escalations", "escalation", "manager_id", &work.escalations),
    ] {
        for item in items {
            sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
                .bind(hand_to)
                .bind(item.id)
                .execute(&mut **tx)
                .await?;
            events::record(
                tx,
                now,
                actor,
                entity,
                item.id,
                &format!("{entity}.handed_over"),
                json!({ column: change(Some(leaver.id), Some(hand_to)) }),
            )
            .await?;
        }
    }
    // The reporting line closes over the gap: reports move up to the leaver's own boss.
    let new_boss = leaver.reports_to.unwrap_or(hand_to);
    for report in &work.reports {
        let boss = (report.id != new_boss).then_some(new_boss);
        let before: Option<i64> = sqlx::query("SELECT reports_to FROM agents WHERE id = $1")
            .bind(report.id)
            .fetch_one(&mut **tx)
            .await
            .map(|row| opt_int(&row, "reports_to"))??;
        sqlx::query("UPDATE agents SET reports_to = $1 WHERE id = $2")
            .bind(boss)
            .bind(report.id)
            .execute(&mut **tx)
            .await?;
        events::record(
            tx,
            now,
            actor,
            "agent",
            report.id,
            "agent.updated",
            json!({ "reports_to": change(before, boss) }),
        )
        .await?;
    }
    Ok(())
}
