//! The agent's inbox: the views of work (mine, unassigned, my team, waiting on us, waiting on
//! the customer, promises due today, moments to follow up today, escalated) and their counts
//! (search is `search.rs`). Also who may see a ticket: a restricted team's tickets are for its members and
//! admins only.

use crate::rows::{Bound, Built, int, opt_int, opt_text, sql_names, text};
use crate::{Store, StoreResult};
use rapport_domain::inbox::{Assignee, Due, Listing, TicketFilter, TicketOrder, UNFINISHED};
use rapport_domain::promise::{PromiseKind, PromiseStatus};
use rapport_domain::{Agent, AuthorKind, Role, TaskKind, Ticket};

pub use rapport_domain::inbox::View;

/// One line of the inbox: a ticket, or (for the promise and moment views) the promise or
/// moment with the ticket or customer it belongs to.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub ticket_id: Option<i64>,
    pub customer_id: i64,
    pub customer_name: String,
    pub title: String,
    pub conversation: Option<String>,
    pub problem: Option<String>,
    pub priority: Option<String>,
    pub assignee_name: Option<String>,
    /// When something is owed: a promise's due time, or since when the customer waits.
    pub due_at: Option<String>,
    /// What is due, in words.
    pub due_label: String,
    pub updated_at: String,
}

/// The SQL condition that keeps a restricted team's tickets from agents outside the team;
/// `param` is the placeholder holding the agent's id. `None` for admins, who see everything.
pub(crate) fn restriction(agent: &Agent, param: &str) -> Option<String> {
    (agent.role != Role::Admin).then(|| {
        format!(
            "(t.team_id IS NULL OR t.team_id NOT IN (SELECT id FROM teams WHERE restricted = 1) \
              OR t.team_id IN (SELECT team_id FROM team_members WHERE agent_id = {param}))"
        )
    })
}

/// [`restriction`] with the agent's id in `$1`, which every inbox query binds (an admin's
/// condition still names `$1`, so the query uses every value it is given).
pub(crate) fn visible(agent: &Agent) -> String {
    restriction(agent, "$1").unwrap_or_else(|| "($1 = $1)".to_owned())
}

pub(crate) fn ticket_select() -> String {
    format!(
        "SELECT t.id AS ticket_id, t.customer_id, c.name AS customer_name, t.subject AS title, \
         t.conversation, t.problem, t.priority, a.name AS assignee_name, t.updated_at, \
         (SELECT MIN(p.due_at) FROM promises p WHERE p.ticket_id = t.id AND p.status = {open}) AS promised_by, \
         (SELECT MAX(m.created_at) FROM messages m WHERE m.ticket_id = t.id AND m.author_kind = {customer}) AS customer_wrote \
         FROM tickets t JOIN customers c ON c.id = t.customer_id LEFT JOIN agents a ON a.id = t.assignee_id",
        open = sql_names(&[PromiseStatus::Open]),
        customer = sql_names(&[AuthorKind::Customer]),
    )
}

/// The SQL conditions of a ticket view (the agent's id is `$1`), unfinished tickets only.
fn ticket_condition(filter: &TicketFilter) -> String {
    let mut conditions = vec![format!("t.problem IN ({})", sql_names(&UNFINISHED))];
    match filter.assignee {
        Some(Assignee::Me) => conditions.push("t.assignee_id = $1".to_owned()),
        Some(Assignee::Nobody) => conditions.push("t.assignee_id IS NULL".to_owned()),
        None => {}
    }
    if filter.my_teams {
        conditions
            .push("t.team_id IN (SELECT team_id FROM team_members WHERE agent_id = $1)".to_owned());
    }
    if !filter.conversations.is_empty() {
        conditions.push(format!(
            "t.conversation IN ({})",
            sql_names(filter.conversations)
        ));
    }
    if filter.escalated {
        conditions.push(
            "EXISTS (SELECT 1 FROM escalations e WHERE e.ticket_id = t.id AND e.resolved_at IS NULL)"
                .to_owned(),
        );
    }
    conditions.join(" AND ")
}

pub(crate) fn ticket_row(row: &sqlx::any::AnyRow) -> StoreResult<InboxRow> {
    let due = Due::of_ticket(
        opt_text(row, "promised_by")?,
        opt_text(row, "customer_wrote")?,
    );
    let (due_at, due_label) = match due {
        Some((due, at)) => (Some(at), due.label().to_owned()),
        None => (None, String::new()),
    };
    Ok(InboxRow {
        ticket_id: Some(int(row, "ticket_id")?),
        customer_id: int(row, "customer_id")?,
        customer_name: text(row, "customer_name")?,
        title: text(row, "title")?,
        conversation: Some(text(row, "conversation")?),
        problem: Some(text(row, "problem")?),
        priority: Some(text(row, "priority")?),
        assignee_name: opt_text(row, "assignee_name")?,
        due_at,
        due_label,
        updated_at: text(row, "updated_at")?,
    })
}

/// The agent's open promises due before `$2` (the end of their day), but not those on a
/// ticket they may no longer see.
fn promises_due(agent: &Agent) -> String {
    format!(
        "FROM promises p JOIN customers c ON c.id = p.customer_id \
         WHERE p.status = {} AND p.agent_id = $1 AND p.due_at < $2 \
           AND (p.ticket_id IS NULL OR EXISTS (SELECT 1 FROM tickets t WHERE t.id = p.ticket_id AND {}))",
        sql_names(&[PromiseStatus::Open]),
        visible(agent)
    )
}

/// Moments to follow up by `$2` (a day, `YYYY-MM-DD`), for customers the agent owns or
/// noted, and not followed up since.
fn moments_due() -> String {
    format!(
        "FROM moments mo JOIN customers c ON c.id = mo.customer_id \
         WHERE mo.follow_up_on IS NOT NULL AND mo.follow_up_on <= $2 \
           AND (mo.agent_id = $1 OR c.owner_id = $1) \
           AND NOT EXISTS (SELECT 1 FROM tasks k WHERE k.kind = {} AND k.customer_id = mo.customer_id \
                           AND k.done_at IS NOT NULL AND k.created_at >= mo.created_at)",
        sql_names(&[TaskKind::MomentFollowUp])
    )
}

/// The day that ends at `end` (the day before the midnight it names).
fn last_day(end: &str) -> String {
    match crate::clock::parse(end) {
        Some(at) => (at - time::Duration::seconds(1)).date().to_string(),
        None => end.chars().take(10).collect(),
    }
}

/// At most this many lines per view; the counts say how many there are in all.
const LIMIT: i64 = 100;

/// The query of one view's lines: `$1` the agent, `$2` the end of their day (promises) or
/// the day (moments).
pub(crate) fn view_sql(agent: &Agent, view: View, today_end: &str) -> Built {
    match view.listing() {
        Listing::Tickets(filter) => {
            // Ordered outside, by the selected names: PostgreSQL takes an output column's
            // name in ORDER BY only on its own, not inside COALESCE.
            let order = match filter.order {
                TicketOrder::MostOwedFirst => {
                    "ORDER BY COALESCE(promised_by, customer_wrote, updated_at), ticket_id"
                }
                TicketOrder::RecentlyUpdated => "ORDER BY updated_at DESC, ticket_id DESC",
            };
            Built {
                sql: format!(
                    "SELECT * FROM ({} WHERE {} AND {}) listed {order} LIMIT {LIMIT}",
                    ticket_select(),
                    ticket_condition(&filter),
                    visible(agent)
                ),
                binds: vec![Bound::Int(agent.id)],
            }
        }
        Listing::PromisesDue => Built {
            sql: format!(
                "SELECT p.ticket_id, p.customer_id, c.name AS customer_name, p.what, p.kind, p.due_at, p.created_at \
                 {} ORDER BY p.due_at, p.id LIMIT {LIMIT}",
                promises_due(agent)
            ),
            binds: vec![Bound::Int(agent.id), Bound::Text(today_end.to_owned())],
        },
        Listing::MomentsDue => Built {
            sql: format!(
                "SELECT mo.id, mo.customer_id, c.name AS customer_name, mo.note, mo.follow_up_on, mo.created_at \
                 {} ORDER BY mo.follow_up_on, mo.id LIMIT {LIMIT}",
                moments_due()
            ),
            binds: vec![Bound::Int(agent.id), Bound::Text(last_day(today_end))],
        },
    }
}

/// The query of one view's count, bound as [`view_sql`].
pub(crate) fn count_sql(agent: &Agent, view: View, today_end: &str) -> Built {
    match view.listing() {
        Listing::Tickets(filter) => Built {
            sql: format!(
                "SELECT COUNT(*) FROM tickets t WHERE {} AND {}",
                ticket_condition(&filter),
                visible(agent)
            ),
            binds: vec![Bound::Int(agent.id)],
        },
        Listing::PromisesDue => Built {
            sql: format!("SELECT COUNT(*) {}", promises_due(agent)),
            binds: vec![Bound::Int(agent.id), Bound::Text(today_end.to_owned())],
        },
        Listing::MomentsDue => Built {
            sql: format!("SELECT COUNT(*) {}", moments_due()),
            binds: vec![Bound::Int(agent.id), Bound::Text(last_day(today_end))],
        },
    }
}

impl Store {
    /// The lines of one view for an agent. `today_end` is the end of the agent's day (UTC).
    pub async fn inbox(
        &self,
        agent: &Agent,
        view: View,
        today_end: &str,
    ) -> StoreResult<Vec<InboxRow>> {
        let built = view_sql(agent, view, today_end);
        let rows = built.query().fetch_all(self.pool()).await?;
        match view.listing() {
            Listing::Tickets(_) => rows.iter().map(ticket_row).collect(),
            Listing::PromisesDue => rows
                .iter()
                .map(|row| {
                    let due = match crate::rows::named(row, "kind")? {
                        PromiseKind::CallBack => Due::CallBackBy,
                        _ => Due::PromiseDue,
                    };
                    Ok(InboxRow {
                        ticket_id: opt_int(row, "ticket_id")?,
                        customer_id: int(row, "customer_id")?,
                        customer_name: text(row, "customer_name")?,
                        title: text(row, "what")?,
                        conversation: None,
                        problem: None,
                        priority: None,
                        assignee_name: None,
                        due_at: Some(text(row, "due_at")?),
                        due_label: due.label().to_owned(),
                        updated_at: text(row, "created_at")?,
                    })
                })
                .collect(),
            Listing::MomentsDue => rows
                .iter()
                .map(|row| {
                    Ok(InboxRow {
                        ticket_id: None,
                        customer_id: int(row, "customer_id")?,
                        customer_name: text(row, "customer_name")?,
                        title: text(row, "note")?,
                        conversation: None,
                        problem: None,
                        priority: None,
                        assignee_name: None,
                        due_at: opt_text(row, "follow_up_on")?,
                        due_label: Due::FollowUpOn.label().to_owned(),
                        updated_at: text(row, "created_at")?,
                    })
                })
                .collect(),
        }
    }

    /// How many lines each view has.
    pub async fn inbox_counts(
        &self,
        agent: &Agent,
        today_end: &str,
    ) -> StoreResult<Vec<(View, i64)>> {
        let mut counts = Vec::with_capacity(View::ALL.len());
        for &view in View::ALL {
            let built = count_sql(agent, view, today_end);
            let count: i64 = sqlx::Row::try_get(&built.query().fetch_one(self.pool()).await?, 0)?;
            counts.push((view, count));
        }
        Ok(counts)
    }

    /// Whether an agent may see a ticket: admins always; others unless it belongs to a
    /// restricted team they are not in.
    pub async fn agent_may_see(&self, agent: &Agent, ticket: &Ticket) -> StoreResult<bool> {
        if ticket.team_id.is_none() {
            return Ok(true);
        }
        let hidden = self.hidden_from(agent, &[ticket.id]).await?;
        Ok(!hidden.contains(&ticket.id))
    }

    /// Keeps of `items` those the agent may see: what names no ticket, or a ticket they may
    /// see (promises, tasks and the like on a restricted team's ticket stay with its members).
    pub async fn retain_visible<T>(
        &self,
        agent: &Agent,
        items: &mut Vec<T>,
        ticket_of: impl Fn(&T) -> Option<i64>,
    ) -> StoreResult<()> {
        let ids: Vec<i64> = items.iter().filter_map(&ticket_of).collect();
        let hidden = self.hidden_from(agent, &ids).await?;
        items.retain(|item| ticket_of(item).is_none_or(|id| !hidden.contains(&id)));
        Ok(())
    }

    /// Of these tickets, those the agent may not see (restricted teams they are not in).
    pub async fn hidden_from(
        &self,
        agent: &Agent,
        ticket_ids: &[i64],
    ) -> StoreResult<std::collections::HashSet<i64>> {
        let Some(condition) = restriction(agent, "$1") else {
            return Ok(Default::default());
        };
        if ticket_ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT t.id FROM tickets t WHERE t.id IN ({}) AND NOT {condition}",
            crate::rows::placeholders(2, ticket_ids.len()),
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(agent.id);
        for id in ticket_ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(self.pool()).await?.into_iter().collect())
    }
}
