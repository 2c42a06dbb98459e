//! The agent's inbox: the views of work (mine, unassigned, my team, waiting on us, waiting on
//! the customer, promises due today, moments to follow up today, escalated), their counts, and
//! search. Also who may see a ticket: a restricted team's tickets are for its members and
//! admins only.

use crate::rows::{int, opt_int, opt_text, text};
use crate::{Store, StoreResult};
use rapport_domain::{Agent, Role, Ticket};

rapport_domain::named_enum! {
    /// One view of the inbox.
    View, "inbox view" {
        Mine => "mine",
        Unassigned => "unassigned",
        MyTeam => "team",
        WaitingOnUs => "waiting_on_us",
        WaitingOnCustomer => "waiting_on_customer",
        PromisesToday => "promises",
        MomentsToday => "moments",
        Escalated => "escalated",
    }
}

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Mine => "Mine",
            View::Unassigned => "Unassigned",
            View::MyTeam => "My team",
            View::WaitingOnUs => "Waiting on us",
            View::WaitingOnCustomer => "Waiting on the customer",
            View::PromisesToday => "Promises due today",
            View::MomentsToday => "Moments to follow up",
            View::Escalated => "Escalated",
        }
    }
}

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

/// Tickets still being worked on.
const UNFINISHED: &str = "t.problem IN ('open', 'resolution_proposed')";

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
fn visible(agent: &Agent) -> String {
    restriction(agent, "$1").unwrap_or_else(|| "($1 = $1)".to_owned())
}

const TICKET_SELECT: &str = "SELECT t.id AS ticket_id, t.customer_id, c.name AS customer_name, t.subject AS title, \
     t.conversation, t.problem, t.priority, a.name AS assignee_name, t.updated_at, \
     (SELECT MIN(p.due_at) FROM promises p WHERE p.ticket_id = t.id AND p.status = 'open') AS promised_by, \
     (SELECT MAX(m.created_at) FROM messages m WHERE m.ticket_id = t.id AND m.author_kind = 'customer') AS customer_wrote \
     FROM tickets t JOIN customers c ON c.id = t.customer_id LEFT JOIN agents a ON a.id = t.assignee_id";

fn ticket_condition(view: View) -> Option<&'static str> {
    Some(match view {
        View::Mine => "t.assignee_id = $1",
        View::Unassigned => "t.assignee_id IS NULL",
        View::MyTeam => "t.team_id IN (SELECT team_id FROM team_members WHERE agent_id = $1)",
        View::WaitingOnUs => "t.conversation IN ('new', 'waiting_on_us')",
        View::WaitingOnCustomer => "t.conversation = 'waiting_on_customer'",
        View::Escalated => {
            "EXISTS (SELECT 1 FROM escalations e WHERE e.ticket_id = t.id AND e.resolved_at IS NULL)"
        }
        View::PromisesToday | View::MomentsToday => return None,
    })
}

fn ticket_row(row: &sqlx::any::AnyRow) -> StoreResult<InboxRow> {
    let promised_by = opt_text(row, "promised_by")?;
    let customer_wrote = opt_text(row, "customer_wrote")?;
    let (due_at, due_label) = match (promised_by, customer_wrote) {
        (Some(at), _) => (Some(at), "promised by".to_owned()),
        (None, Some(at)) => (Some(at), "customer wrote".to_owned()),
        (None, None) => (None, String::new()),
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

/// The agent's open promises due before `$2` (the end of their day).
const PROMISES_DUE: &str = "FROM promises p JOIN customers c ON c.id = p.customer_id \
     WHERE p.status = 'open' AND p.agent_id = $1 AND p.due_at < $2";

/// Moments to follow up by `$2` (a day, `YYYY-MM-DD`), for customers the agent owns or
/// noted, and not followed up since.
const MOMENTS_DUE: &str = "FROM moments m JOIN customers c ON c.id = m.customer_id \
     WHERE m.follow_up_on IS NOT NULL AND m.follow_up_on <= $2 \
       AND (m.agent_id = $1 OR c.owner_id = $1) \
       AND NOT EXISTS (SELECT 1 FROM tasks k WHERE k.kind = 'moment_follow_up' AND k.customer_id = m.customer_id \
                       AND k.done_at IS NOT NULL AND k.created_at >= m.created_at)";

/// The day that ends at `end` (the day before the midnight it names).
fn last_day(end: &str) -> String {
    match crate::clock::parse(end) {
        Some(at) => (at - time::Duration::seconds(1)).date().to_string(),
        None => end.chars().take(10).collect(),
    }
}

/// At most this many lines per view; the counts say how many there are in all.
const LIMIT: i64 = 100;

impl Store {
    /// The lines of one view for an agent. `today_end` is the end of the agent's day (UTC).
    pub async fn inbox(
        &self,
        agent: &Agent,
        view: View,
        today_end: &str,
    ) -> StoreResult<Vec<InboxRow>> {
        if let Some(condition) = ticket_condition(view) {
            let order = if view == View::WaitingOnUs {
                // Whatever is owed soonest first: a promise, else the longest wait.
                "ORDER BY COALESCE(promised_by, customer_wrote, t.updated_at), t.id"
            } else {
                "ORDER BY t.updated_at DESC, t.id DESC"
            };
            let sql = format!(
                "{TICKET_SELECT} WHERE {UNFINISHED} AND {condition} AND {} {order} LIMIT {LIMIT}",
                visible(agent)
            );
            let rows = sqlx::query(&sql)
                .bind(agent.id)
                .fetch_all(self.pool())
                .await?;
            return rows.iter().map(ticket_row).collect();
        }
        if view == View::PromisesToday {
            let rows = sqlx::query(&format!(
                "SELECT p.ticket_id, p.customer_id, c.name AS customer_name, p.what, p.kind, p.due_at, p.created_at \
                 {PROMISES_DUE} ORDER BY p.due_at, p.id LIMIT {LIMIT}"
            ))
            .bind(agent.id)
            .bind(today_end)
            .fetch_all(self.pool())
            .await?;
            return rows
                .iter()
                .map(|row| {
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
                        due_label: if text(row, "kind")? == "call_back" {
                            "call back by".to_owned()
                        } else {
                            "due".to_owned()
                        },
                        updated_at: text(row, "created_at")?,
                    })
                })
                .collect();
        }
        let rows = sqlx::query(&format!(
            "SELECT m.id, m.customer_id, c.name AS customer_name, m.note, m.follow_up_on, m.created_at \
             {MOMENTS_DUE} ORDER BY m.follow_up_on, m.id LIMIT {LIMIT}"
        ))
        .bind(agent.id)
        .bind(last_day(today_end))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
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
                    due_label: "follow up on".to_owned(),
                    updated_at: text(row, "created_at")?,
                })
            })
            .collect()
    }

    /// How many lines each view has.
    pub async fn inbox_counts(
        &self,
        agent: &Agent,
        today_end: &str,
    ) -> StoreResult<Vec<(View, i64)>> {
        let mut counts = Vec::with_capacity(View::ALL.len());
        for &view in View::ALL {
            let count: i64 =
                match ticket_condition(view) {
                    Some(condition) => sqlx::query_scalar(&format!(
                        "SELECT COUNT(*) FROM tickets t WHERE {UNFINISHED} AND {condition} AND {}",
                        visible(agent)
                    ))
                    .bind(agent.id)
                    .fetch_one(self.pool())
                    .await?,
                    None if view == View::PromisesToday => {
                        sqlx::query_scalar(&format!("SELECT COUNT(*) {PROMISES_DUE}"))
                            .bind(agent.id)
                            .bind(today_end)
                            .fetch_one(self.pool())
                            .await?
                    }
                    None => {
                        sqlx::query_scalar(&format!("SELECT COUNT(*) {MOMENTS_DUE}"))
                            .bind(agent.id)
                            .bind(last_day(today_end))
                            .fetch_one(self.pool())
                            .await?
                    }
                };
            counts.push((view, count));
        }
        Ok(counts)
    }

    /// Tickets whose subject, customer name or messages contain `query` (any case), or the
    /// ticket with that number; newest first.
    pub async fn search_tickets(&self, agent: &Agent, query: &str) -> StoreResult<Vec<InboxRow>> {
        let query = query.trim();
        let number = query.trim_start_matches('#').parse::<i64>().ok();
        let pattern = format!(
            "%{}%",
            query
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let sql = format!(
            "{TICKET_SELECT} WHERE {} AND (t.id = $2 OR LOWER(t.subject) LIKE $3 ESCAPE '\\' OR LOWER(c.name) LIKE $3 ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND LOWER(m.body_text) LIKE $3 ESCAPE '\\')) \
             ORDER BY t.id DESC LIMIT {LIMIT}",
            visible(agent)
        );
        let rows = sqlx::query(&sql)
            .bind(agent.id)
            .bind(number.unwrap_or(-1))
            .bind(pattern)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(ticket_row).collect()
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
