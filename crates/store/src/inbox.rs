//! The agent's inbox: the views of work (mine, unassigned, my team, waiting on us, waiting on
//! the customer, promises due today, moments to follow up today, escalated) and their counts
//! (search is `search.rs`). Also who may see a ticket: a restricted team's tickets are for its members and
//! admins only.

use crate::rows::{Bound, Built, int, opt_int, opt_text, sql_names, text};
use crate::{Store, StoreResult};
use rapport_domain::inbox::{
    Assignee, Due, Listing, StateFilter, TicketFilter, TicketSort, UNFINISHED,
};
use rapport_domain::promise::{PromiseKind, PromiseStatus};
use rapport_domain::{Agent, Channel, Priority, Problem, Role, TaskKind, Ticket};

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
    /// What the insight read in the customer's latest message on the ticket.
    pub insight: Option<rapport_coach::Insight>,
    /// The service level target that falls due first, and when, while one runs.
    pub sla_due: Option<(rapport_domain::sla::SlaTarget, String)>,
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
    format!("SELECT {TICKET_LINE} {TICKET_LINE_FROM}")
}

/// The columns of a ticket's line. What it is owed by (`promised_by`, `customer_wrote_at`) is
/// kept on the ticket by the database's triggers (migration 0024).
const TICKET_LINE: &str = "t.id AS ticket_id, t.customer_id, c.name AS customer_name, t.subject AS title, \
     t.conversation, t.problem, t.priority, a.name AS assignee_name, t.updated_at, t.created_at, t.insight, \
     t.promised_by, t.customer_wrote_at AS customer_wrote, \
     s.first_response_due, s.first_response_at, s.next_response_due, s.resolution_due";

const TICKET_LINE_FROM: &str = "FROM tickets t JOIN customers c ON c.id = t.customer_id \
     LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN ticket_sla s ON s.ticket_id = t.id";

/// The SQL conditions of a ticket view (the agent's id is `$1`), for the tickets whose
/// problem is in one of `problems` (unfinished ones, unless the agent chose otherwise).
/// `teams` are the teams the agent belongs to, written into the condition as numbers: told
/// which team, the database reads that team's index in order; asked for "the teams of the
/// agent" it would read all their tickets and sort them.
fn ticket_condition(filter: &TicketFilter, problems: &[Problem], teams: &[i64]) -> String {
    let mut conditions = vec![format!("t.problem IN ({})", sql_names(problems))];
    match filter.assignee {
        Some(Assignee::Me) => conditions.push("t.assignee_id = $1".to_owned()),
        Some(Assignee::Nobody) => conditions.push("t.assignee_id IS NULL".to_owned()),
        None => {}
    }
    if filter.my_teams {
        conditions.push(match teams {
            [] => "1 = 0".to_owned(),
            [team] => format!("t.team_id = {team}"),
            _ => format!(
                "t.team_id IN ({})",
                teams
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    if !filter.conversations.is_empty() {
        conditions.push(format!(
            "t.conversation IN ({})",
            sql_names(filter.conversations)
        ));
    }
    if filter.escalated {
        // Few tickets are escalated at a time: read from the open escalations, not every
        // unfinished ticket.
        conditions.push(
            "t.id IN (SELECT e.ticket_id FROM escalations e WHERE e.resolved_at IS NULL)"
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
        insight: crate::tickets::json_column(row, "insight")?,
        sla_due: sla_due(row)?,
    })
}

/// The unmet service level target of a ticket line that falls due first.
fn sla_due(
    row: &sqlx::any::AnyRow,
) -> StoreResult<Option<(rapport_domain::sla::SlaTarget, String)>> {
    use rapport_domain::sla::SlaTarget;
    let first = opt_text(row, "first_response_due")?
        .filter(|_| matches!(opt_text(row, "first_response_at"), Ok(None)));
    let candidates = [
        (SlaTarget::FirstResponse, first),
        (SlaTarget::NextResponse, opt_text(row, "next_response_due")?),
        (SlaTarget::Resolution, opt_text(row, "resolution_due")?),
    ];
    Ok(candidates
        .into_iter()
        .filter_map(|(target, due)| due.map(|due| (target, due)))
        .min_by(|a, b| a.1.cmp(&b.1)))
}

fn promise_row(row: &sqlx::any::AnyRow) -> StoreResult<InboxRow> {
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
        insight: None,
        sla_due: None,
    })
}

fn moment_row(row: &sqlx::any::AnyRow) -> StoreResult<InboxRow> {
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
        insight: None,
        sla_due: None,
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
           AND (mo.agent_id = $1 OR mo.customer_id IN (SELECT o.id FROM customers o WHERE o.owner_id = $1)) \
           AND NOT EXISTS (SELECT 1 FROM tasks k WHERE k.kind = {} AND k.customer_id = mo.customer_id \
                           AND k.done_at IS NOT NULL AND k.created_at >= mo.created_at)",
        sql_names(&[TaskKind::MomentFollowUp])
    )
}

/// The agent's today on the workspace calendar: when it ends (a stored UTC time, for promises
/// and tasks due today) and its date (for moments, which are dated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Today {
    pub end: String,
    pub date: String,
}

impl Today {
    pub fn on(calendar: &rapport_domain::calendar::Calendar, now: time::OffsetDateTime) -> Today {
        Today {
            end: crate::clock::format(calendar.end_of_today(now)),
            date: calendar.today(now).to_string(),
        }
    }
}

/// At most this many lines per view; the counts say how many there are in all.
const LIMIT: i64 = 100;

/// How an agent narrows and orders a ticket view, and where its page starts.
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    pub state: StateFilter,
    pub tag: Option<String>,
    pub priority: Option<Priority>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub channel: Option<Channel>,
    /// The view's own order when `None`.
    pub sort: Option<TicketSort>,
    /// The last line of the page before: its sort key and ticket id.
    pub after: Option<(String, i64)>,
}

/// A page of a view: its lines, where the next page starts, and how many lines the view has
/// as narrowed (counted up to [`COUNT_CAP`]).
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub rows: Vec<InboxRow>,
    pub next: Option<(String, i64)>,
    pub total: i64,
}

/// Counts of a narrowed list stop here: the page says "1,000+" rather than reading every
/// ticket of a large workspace.
pub const COUNT_CAP: i64 = 1000;

/// A ticket's sort key for `sort`, as a text that compares in the order wanted, and whether
/// the list runs from the largest key down. Each is written over the ticket's own columns, as
/// the views' indexes are (migration 0024), so that a view reads its index in order.
fn sort_key(sort: TicketSort) -> (&'static str, bool) {
    match sort {
        TicketSort::Updated => ("t.updated_at", true),
        TicketSort::Due => (
            "COALESCE(t.promised_by, t.customer_wrote_at, t.updated_at)",
            false,
        ),
        TicketSort::Newest => ("t.created_at", true),
        TicketSort::Oldest => ("t.created_at", false),
        TicketSort::Priority => (
            "(CASE t.priority WHEN 'urgent' THEN '4' WHEN 'high' THEN '3' WHEN 'normal' THEN '2' ELSE '1' END || t.updated_at)",
            true,
        ),
    }
}

/// The conditions of the agent's narrowing, with their values bound after `binds`.
fn narrowing_conditions(narrowing: &Narrowing, binds: &mut Vec<Bound>) -> Vec<String> {
    let mut conditions = Vec::new();
    let bind = |value: Bound, binds: &mut Vec<Bound>| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(tag) = &narrowing.tag {
        let at = bind(Bound::Text(tag.clone()), binds);
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = {at})"
        ));
    }
    if let Some(priority) = narrowing.priority {
        conditions.push(format!("t.priority = {}", sql_names(&[priority])));
    }
    if let Some(channel) = narrowing.channel {
        conditions.push(format!("t.channel = {}", sql_names(&[channel])));
    }
    for (column, value) in [
        ("t.team_id", narrowing.team_id),
        ("t.assignee_id", narrowing.assignee_id),
        ("t.organization_id", narrowing.organization_id),
        ("c.owner_id", narrowing.owner_id),
    ] {
        if let Some(value) = value {
            let at = bind(Bound::Int(value), binds);
            conditions.push(format!("{column} = {at}"));
        }
    }
    conditions
}

/// The query of one view's lines: `$1` the agent, `$2` the end of their day (promises) or
/// the day (moments).
pub(crate) fn view_sql(agent: &Agent, teams: &[i64], view: View, today: &Today) -> Built {
    narrowed_view_sql(agent, teams, view, today, &Narrowing::default(), LIMIT)
}

/// The query of a page of one view as the agent narrowed it: `limit` lines and one more (to
/// know whether a next page exists). A ticket view is paged by its sort key and ticket id.
pub(crate) fn narrowed_view_sql(
    agent: &Agent,
    teams: &[i64],
    view: View,
    today: &Today,
    narrowing: &Narrowing,
    limit: i64,
) -> Built {
    match view.listing() {
        Listing::Tickets(filter) => {
            let mut binds = vec![Bound::Int(agent.id)];
            let mut conditions = vec![
                ticket_condition(&filter, narrowing.state.problems(), teams),
                visible(agent),
            ];
            conditions.extend(narrowing_conditions(narrowing, &mut binds));
            let order = ViewOrder::of(&filter, narrowing.sort);
            let (key, beyond) = (order.key, order.beyond);
            if let Some((last_key, last_id)) = &narrowing.after {
                binds.push(Bound::Text(last_key.clone()));
                let key_at = binds.len();
                binds.push(Bound::Int(*last_id));
                let id_at = binds.len();
                conditions.push(format!("({key}, t.id) {beyond} (${key_at}, ${id_at})"));
            }
            Built {
                sql: format!(
                    "SELECT {TICKET_LINE}, {key} AS sort_key {TICKET_LINE_FROM} WHERE {} {} LIMIT {}",
                    conditions.join(" AND "),
                    order.order_by(),
                    limit + 1
                ),
                binds,
            }
        }
        Listing::PromisesDue => Built {
            sql: format!(
                "SELECT p.ticket_id, p.customer_id, c.name AS customer_name, p.what, p.kind, p.due_at, p.created_at \
                 {} ORDER BY p.due_at, p.id LIMIT {}",
                promises_due(agent),
                limit + 1
            ),
            binds: vec![Bound::Int(agent.id), Bound::Text(today.end.clone())],
        },
        Listing::MomentsDue => Built {
            sql: format!(
                "SELECT mo.id, mo.customer_id, c.name AS customer_name, mo.note, mo.follow_up_on, mo.created_at \
                 {} ORDER BY mo.follow_up_on, mo.id LIMIT {}",
                moments_due(),
                limit + 1
            ),
            binds: vec![Bound::Int(agent.id), Bound::Text(today.date.clone())],
        },
    }
}

/// How many lines a narrowed ticket view has, counted up to [`COUNT_CAP`] and one more.
fn narrowed_count_sql(
    agent: &Agent,
    teams: &[i64],
    filter: &TicketFilter,
    narrowing: &Narrowing,
) -> Built {
    let mut binds = vec![Bound::Int(agent.id)];
    let mut conditions = vec![
        ticket_condition(filter, narrowing.state.problems(), teams),
        visible(agent),
    ];
    conditions.extend(narrowing_conditions(narrowing, &mut binds));
    Built {
        sql: format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE {} {} LIMIT {}) capped",
            conditions.join(" AND "),
            ViewOrder::of(filter, narrowing.sort).order_by(),
            COUNT_CAP + 1
        ),
        binds,
    }
}

/// How a ticket view is ordered: its key, and how a page goes on past its last line.
struct ViewOrder {
    key: &'static str,
    direction: &'static str,
    /// The comparison that keeps the lines after a given one.
    beyond: &'static str,
}

impl ViewOrder {
    /// The order the agent chose, else the view's own.
    fn of(filter: &TicketFilter, sort: Option<TicketSort>) -> ViewOrder {
        let (key, descending) =
            sort_key(sort.unwrap_or_else(|| TicketSort::default_for(filter.order)));
        let (direction, beyond) = if descending {
            ("DESC", "<")
        } else {
            ("ASC", ">")
        };
        ViewOrder {
            key,
            direction,
            beyond,
        }
    }

    /// A capped count orders its lines this way too: the database then walks the view's own
    /// index and stops at the cap, where unordered it may pick an index of every ticket of a
    /// team or state and read it until enough are unfinished.
    fn order_by(&self) -> String {
        format!(
            "ORDER BY {key} {direction}, t.id {direction}",
            key = self.key,
            direction = self.direction
        )
    }
}

/// The query of one view's count, bound as [`view_sql`].
pub(crate) fn count_sql(agent: &Agent, teams: &[i64], view: View, today: &Today) -> Built {
    match view.listing() {
        Listing::Tickets(filter) => Built {
            sql: format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM tickets t WHERE {} AND {} {} LIMIT {}) capped",
                ticket_condition(&filter, &UNFINISHED, teams),
                visible(agent),
                ViewOrder::of(&filter, None).order_by(),
                COUNT_CAP + 1
            ),
            binds: vec![Bound::Int(agent.id)],
        },
        Listing::PromisesDue => Built {
            sql: format!("SELECT COUNT(*) {}", promises_due(agent)),
            binds: vec![Bound::Int(agent.id), Bound::Text(today.end.clone())],
        },
        Listing::MomentsDue => Built {
            sql: format!("SELECT COUNT(*) {}", moments_due()),
            binds: vec![Bound::Int(agent.id), Bound::Text(today.date.clone())],
        },
    }
}

impl Store {
    /// The first lines of one view for an agent. `today` is the agent's day on the workspace calendar.
    pub async fn inbox(
        &self,
        agent: &Agent,
        view: View,
        today: &Today,
    ) -> StoreResult<Vec<InboxRow>> {
        Ok(self
            .inbox_page(agent, view, today, &Narrowing::default(), LIMIT)
            .await?
            .rows)
    }

    /// A page of one view as the agent narrowed and ordered it, `limit` lines, with where the
    /// next page starts and how many lines the narrowed view has (counted up to
    /// [`COUNT_CAP`] and one more).
    pub async fn inbox_page(
        &self,
        agent: &Agent,
        view: View,
        today: &Today,
        narrowing: &Narrowing,
        limit: i64,
    ) -> StoreResult<InboxPage> {
        let teams = self.teams_of(agent).await?;
        let built = narrowed_view_sql(agent, &teams, view, today, narrowing, limit);
        let fetched = built.query().fetch_all(self.pool()).await?;
        let more = fetched.len() as i64 > limit;
        let page = &fetched[..fetched.len().min(limit.max(0) as usize)];
        let next = match (more, page.last(), view.listing()) {
            (true, Some(last), Listing::Tickets(_)) => {
                Some((text(last, "sort_key")?, int(last, "ticket_id")?))
            }
            _ => None,
        };
        let (rows, total) = match view.listing() {
            Listing::Tickets(filter) => {
                let rows = page
                    .iter()
                    .map(ticket_row)
                    .collect::<StoreResult<Vec<_>>>()?;
                let counted = narrowed_count_sql(agent, &teams, &filter, narrowing);
                let total: i64 =
                    sqlx::Row::try_get(&counted.query().fetch_one(self.pool()).await?, 0)?;
                (rows, total)
            }
            Listing::PromisesDue => {
                let rows = page
                    .iter()
                    .map(promise_row)
                    .collect::<StoreResult<Vec<_>>>()?;
                let total = rows.len() as i64;
                (rows, total)
            }
            Listing::MomentsDue => {
                let rows = page
                    .iter()
                    .map(moment_row)
                    .collect::<StoreResult<Vec<_>>>()?;
                let total = rows.len() as i64;
                (rows, total)
            }
        };
        Ok(InboxPage { rows, next, total })
    }

    /// How many lines each view has, a ticket view's counted up to [`COUNT_CAP`] and one
    /// more (a page says "1,000+").
    pub async fn inbox_counts(
        &self,
        agent: &Agent,
        today: &Today,
    ) -> StoreResult<Vec<(View, i64)>> {
        let teams = self.teams_of(agent).await?;
        let mut counts = Vec::with_capacity(View::ALL.len());
        for &view in View::ALL {
            let built = count_sql(agent, &teams, view, today);
            let count: i64 = sqlx::Row::try_get(&built.query().fetch_one(self.pool()).await?, 0)?;
            counts.push((view, count));
        }
        Ok(counts)
    }

    /// The teams an agent belongs to.
    pub(crate) async fn teams_of(&self, agent: &Agent) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT team_id FROM team_members WHERE agent_id = $1 ORDER BY team_id",
        )
        .bind(agent.id)
        .fetch_all(self.pool())
        .await?)
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
