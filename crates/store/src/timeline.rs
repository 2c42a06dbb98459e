//! Loading timelines: every ticket, message, call, promise, moment, survey and notable change
//! of a customer (or of all customers of an organization), newest first and a page at a time;
//! and everything on one ticket. Rows become [`Entry`]s of the domain's timeline model, which
//! also decides who may see them and says them in words.

use crate::promises::PromiseStatus;
use crate::rows::{int, named, opt_int, opt_text, placeholders, sql_names, text};
use crate::{Store, StoreResult};
use rapport_domain::timeline::{self, CUSTOMER_CHANGES, Entry, Fact, HISTORY_CHANGES, Reader};
use rapport_domain::{ActorKind, Agent, EventActor, Message};
use sqlx::any::AnyRow;

pub struct TimelinePage {
    pub entries: Vec<Entry>,
    pub next_cursor: Option<String>,
}

/// A ticket's messages (with their bodies and files) and every entry of the ticket: the
/// messages again as entries, its calls, promises and changes.
pub struct TicketHistory {
    pub messages: Vec<Message>,
    pub entries: Vec<Entry>,
}

impl TicketHistory {
    /// The messages, and them with the ticket's other entries in the ticket page's order.
    pub(crate) fn new(
        messages: Vec<Message>,
        others: Vec<Entry>,
        customer_id: i64,
    ) -> TicketHistory {
        let mut entries: Vec<Entry> = messages
            .iter()
            .map(|message| Entry::message(message, customer_id))
            .chain(others)
            .collect();
        entries.sort_by(|x, y| x.ticket_page_order().cmp(&y.ticket_page_order()));
        TicketHistory { messages, entries }
    }
}

/// The entries of the relationship panel of a customer.
pub struct PanelEntries {
    /// Open promises, soonest due first.
    pub promises: Vec<Entry>,
    /// Oldest first.
    pub moments: Vec<Entry>,
    /// The 20 latest answers, newest first.
    pub surveys: Vec<Entry>,
}

fn due(entry: &Entry) -> &str {
    match &entry.fact {
        Fact::Promise { due_at, .. } => due_at,
        _ => "",
    }
}

/// Where entries come from. Every source selects the same columns, so that one function
/// reads them all ([`entry_from`]): `source`, `id`, `customer_id`, `ticket_id`, `actor_kind`,
/// `actor_id`, `at`, three texts `a`, `b`, `c` and a number `n`, whose meaning depends on the
/// source.
#[derive(Clone, Copy)]
enum Source {
    Ticket,
    Message,
    Call,
    Promise,
    Moment,
    Survey,
    Change,
    /// A change to the customer themselves (their details, addresses, organization, owner).
    CustomerChange,
    /// A complaint opened, a recovery action, a complaint closed (on the complaint's ticket,
    /// when it has one, so a restricted team's stays hidden from outsiders).
    ComplaintChange,
}

impl Source {
    /// The source's query; `condition` is on its table (aliased `x`) or on its ticket (`t`).
    fn select(self, condition: &str) -> String {
        let sql = match self {
            Source::Ticket => {
                "SELECT 'ticket' AS source, x.id, x.customer_id, x.id AS ticket_id, CAST(NULL AS TEXT) AS actor_kind, \
                 CAST(NULL AS BIGINT) AS actor_id, x.created_at AS at, x.subject AS a, x.channel AS b, CAST(NULL AS TEXT) AS c, \
                 x.assignee_id AS n FROM tickets x WHERE {where}"
            }
            Source::Message => {
                "SELECT 'message' AS source, x.id, t.customer_id, x.ticket_id, x.author_kind AS actor_kind, \
                 COALESCE(x.author_agent_id, x.author_customer_id) AS actor_id, x.created_at AS at, x.body_text AS a, \
                 x.channel AS b, x.visibility AS c, CAST(NULL AS BIGINT) AS n \
                 FROM messages x JOIN tickets t ON t.id = x.ticket_id WHERE {where}"
            }
            Source::Call => {
                "SELECT 'call' AS source, x.id, x.customer_id, x.ticket_id, {agent} AS actor_kind, x.agent_id AS actor_id, \
                 x.started_at AS at, x.summary AS a, x.direction AS b, x.agreed AS c, x.duration_seconds AS n \
                 FROM calls x WHERE {where}"
            }
            Source::Promise => {
                "SELECT 'promise' AS source, x.id, x.customer_id, x.ticket_id, {agent} AS actor_kind, x.agent_id AS actor_id, \
                 x.created_at AS at, x.what AS a, x.status AS b, x.due_at AS c, \
                 CAST(CASE WHEN x.accepted_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS n FROM promises x WHERE {where}"
            }
            Source::Moment => {
                "SELECT 'moment' AS source, x.id, x.customer_id, CAST(NULL AS BIGINT) AS ticket_id, {agent} AS actor_kind, \
                 x.agent_id AS actor_id, x.created_at AS at, x.note AS a, x.follow_up_on AS b, CAST(NULL AS TEXT) AS c, \
                 CAST(NULL AS BIGINT) AS n FROM moments x WHERE {where}"
            }
            Source::Survey => {
                "SELECT 'survey' AS source, x.id, x.customer_id, x.ticket_id, {customer} AS actor_kind, x.customer_id AS actor_id, \
                 x.answered_at AS at, x.kind AS a, x.comment AS b, CAST(NULL AS TEXT) AS c, x.score AS n \
                 FROM surveys x WHERE x.answered_at IS NOT NULL AND {where}"
            }
            Source::Change => {
                "SELECT 'change' AS source, x.id, t.customer_id, t.id AS ticket_id, x.actor_kind, x.actor_id, x.at, \
                 x.action AS a, x.changes AS b, CAST(NULL AS TEXT) AS c, CAST(NULL AS BIGINT) AS n \
                 FROM events x JOIN tickets t ON x.entity = 'ticket' AND t.id = x.entity_id WHERE {where}"
            }
            Source::ComplaintChange => {
                "SELECT 'change' AS source, x.id, k.customer_id, k.ticket_id, x.actor_kind, x.actor_id, x.at, \
                 x.action AS a, x.changes AS b, CAST(NULL AS TEXT) AS c, CAST(NULL AS BIGINT) AS n \
                 FROM events x JOIN complaints k ON x.entity = 'complaint' AND k.id = x.entity_id \
                 WHERE x.action IN ('complaint.opened', 'complaint.action_added', 'complaint.closed') AND {where}"
            }
            Source::CustomerChange => {
                "SELECT 'change' AS source, x.id, x.entity_id AS customer_id, CAST(NULL AS BIGINT) AS ticket_id, x.actor_kind, \
                 x.actor_id, x.at, x.action AS a, x.changes AS b, CAST(NULL AS TEXT) AS c, CAST(NULL AS BIGINT) AS n \
                 FROM events x WHERE x.entity = 'customer' AND {where}"
            }
        };
        sql.replace("{where}", condition)
            .replace("{agent}", &sql_names(&[ActorKind::Agent]))
            .replace("{customer}", &sql_names(&[ActorKind::Customer]))
    }
}

/// One row of any source as an entry.
fn entry_from(row: &AnyRow) -> StoreResult<Entry> {
    let source = text(row, "source")?;
    let a = opt_text(row, "a")?.unwrap_or_default();
    let b = opt_text(row, "b")?;
    let c = opt_text(row, "c")?;
    let n = opt_int(row, "n")?;
    let fact = match source.as_str() {
        "ticket" => Fact::TicketOpened {
            subject: a,
            channel: named(row, "b")?,
            assignee_id: n,
        },
        "message" => Fact::Message {
            channel: named(row, "b")?,
            visibility: named(row, "c")?,
            text: a,
        },
        "call" => Fact::Call {
            direction: b.unwrap_or_default(),
            duration_seconds: n.unwrap_or_default(),
            summary: a,
            agreed: c,
        },
        "promise" => Fact::Promise {
            what: a,
            status: b.unwrap_or_default(),
            due_at: c.unwrap_or_default(),
            accepted: n != Some(0),
        },
        "moment" => Fact::Moment {
            note: a,
            follow_up_on: b,
        },
        "survey" => Fact::Survey {
            kind: a,
            score: n.unwrap_or_default(),
            comment: b,
        },
        _ => Fact::Change {
            action: a,
            changes: b
                .and_then(|changes| serde_json::from_str(&changes).ok())
                .unwrap_or_default(),
        },
    };
    let actor = match opt_text(row, "actor_kind")? {
        Some(_) => Some(EventActor {
            kind: named(row, "actor_kind")?,
            id: opt_int(row, "actor_id")?,
        }),
        None => None,
    };
    Ok(Entry {
        at: text(row, "at")?,
        id: int(row, "id")?,
        customer_id: int(row, "customer_id")?,
        ticket_id: opt_int(row, "ticket_id")?,
        actor,
        fact,
    })
}

/// A position in the timeline: entries strictly older come next.
fn cursor_of(entry: &Entry) -> String {
    format!("{}~{}~{}", entry.at, entry.kind(), entry.id)
}

fn parse_cursor(cursor: &str) -> StoreResult<(String, String, i64)> {
    let mut parts = cursor.splitn(3, '~');
    match (
        parts.next(),
        parts.next(),
        parts.next().and_then(|id| id.parse().ok()),
    ) {
        (Some(at), Some(kind), Some(id)) if crate::clock::parse(at).is_some() => {
            Ok((at.to_owned(), kind.to_owned(), id))
        }
        _ => Err(rapport_domain::Invalid::new(
            "cursor",
            "use `next_cursor` from the previous page as it is",
        )
        .into()),
    }
}

/// Newest first, as the customer's history lists them.
fn newest_first(x: &Entry, y: &Entry) -> std::cmp::Ordering {
    (&y.at, y.kind().as_str(), y.id).cmp(&(&x.at, x.kind().as_str(), x.id))
}

impl Store {
    pub async fn customer_timeline(
        &self,
        customer_id: i64,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<TimelinePage> {
        self.customer(customer_id).await?;
        self.timeline(&[customer_id], cursor, limit).await
    }

    pub async fn organization_timeline(
        &self,
        organization_id: i64,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<TimelinePage> {
        self.organization(organization_id).await?;
        let rows = sqlx::query("SELECT id FROM customers WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_all(self.pool())
            .await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|row| int(row, "id"))
            .collect::<StoreResult<_>>()?;
        self.timeline(&ids, cursor, limit).await
    }

    async fn timeline(
        &self,
        customer_ids: &[i64],
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<TimelinePage> {
        if customer_ids.is_empty() {
            return Ok(TimelinePage {
                entries: vec![],
                next_cursor: None,
            });
        }
        let limit = limit.clamp(1, 100);
        let position = cursor.map(parse_cursor).transpose()?;
        let before = position
            .as_ref()
            .map_or_else(|| "9999".to_owned(), |(at, _, _)| at.clone());
        // Each source gives its newest entries up to the cursor; merged and cut below.
        let fetch = limit as i64 + 20;
        let first = 3 + HISTORY_CHANGES.len() + CUSTOMER_CHANGES.len();
        let ids = placeholders(first, customer_ids.len());
        let changes = placeholders(3, HISTORY_CHANGES.len());
        let customer_changes = placeholders(3 + HISTORY_CHANGES.len(), CUSTOMER_CHANGES.len());
        let of_customers = |at: &str, customer: &str| {
            format!("{at} <= $1 AND {customer} IN ({ids}) ORDER BY {at} DESC LIMIT $2")
        };
        let sql = [
            Source::Ticket.select(&of_customers("x.created_at", "x.customer_id")),
            Source::Message.select(&of_customers("x.created_at", "t.customer_id")),
            Source::Call.select(&of_customers("x.started_at", "x.customer_id")),
            Source::Promise.select(&of_customers("x.created_at", "x.customer_id")),
            Source::Moment.select(&of_customers("x.created_at", "x.customer_id")),
            Source::Survey.select(&of_customers("x.answered_at", "x.customer_id")),
            // Events are found by their entity: naming the customers' tickets (and
            // complaints) lets the database look each one's events up instead of reading
            // every ticket's events for the customer's.
            Source::Change.select(&format!(
                "x.action IN ({changes}) AND x.entity_id IN (SELECT o.id FROM tickets o WHERE o.customer_id IN ({ids})) AND {}",
                of_customers("x.at", "t.customer_id")
            )),
            Source::CustomerChange.select(&format!(
                "x.action IN ({customer_changes}) AND {}",
                of_customers("x.at", "x.entity_id")
            )),
            Source::ComplaintChange.select(&format!(
                "x.entity_id IN (SELECT o.id FROM complaints o WHERE o.customer_id IN ({ids})) AND {}",
                of_customers("x.at", "k.customer_id")
            )),
        ]
        .map(|source| format!("SELECT * FROM ({source}) AS s"))
        .join(" UNION ALL ");
        let mut query = sqlx::query(&sql).bind(&before).bind(fetch);
        for action in HISTORY_CHANGES.iter().chain(CUSTOMER_CHANGES) {
            query = query.bind(*action);
        }
        for id in customer_ids {
            query = query.bind(*id);
        }
        let mut entries = query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(entry_from)
            .collect::<StoreResult<Vec<_>>>()?;
        entries.sort_by(newest_first);
        if let Some((at, kind, id)) = &position {
            entries.retain(|entry| {
                (entry.at.as_str(), entry.kind().as_str(), entry.id) < (at.as_str(), kind, *id)
            });
        }
        let has_more = entries.len() > limit;
        entries.truncate(limit);
        let next_cursor = if has_more {
            entries.last().map(cursor_of)
        } else {
            None
        };
        Ok(TimelinePage {
            entries,
            next_cursor,
        })
    }

    /// A ticket's messages, and all its entries in the order of the ticket page.
    pub async fn ticket_history(
        &self,
        ticket_id: i64,
        customer_id: i64,
    ) -> StoreResult<TicketHistory> {
        let messages = self.ticket_messages(ticket_id).await?;
        let sql = [
            Source::Call.select("x.ticket_id = $1"),
            Source::Promise.select("x.ticket_id = $1"),
            Source::Change.select("t.id = $1"),
            Source::ComplaintChange.select("k.ticket_id = $1"),
        ]
        .join(" UNION ALL ");
        let rows = sqlx::query(&sql)
            .bind(ticket_id)
            .fetch_all(self.pool())
            .await?;
        let others = rows.iter().map(entry_from).collect::<StoreResult<_>>()?;
        Ok(TicketHistory::new(messages, others, customer_id))
    }

    /// In one query: the entries of a ticket (when given) that are not messages (its calls,
    /// promises and changes), and those of its customer's relationship panel.
    pub(crate) async fn ticket_and_panel_entries(
        &self,
        ticket_id: Option<i64>,
        customer_id: i64,
    ) -> StoreResult<(Vec<Entry>, PanelEntries)> {
        let open = PromiseStatus::Open.as_str();
        let mut sources = vec![
            Source::Promise.select("x.customer_id = $1 AND (x.status = $2 OR x.ticket_id = $3)"),
            Source::Moment.select("x.customer_id = $1"),
            format!(
                "SELECT * FROM ({}) AS s",
                Source::Survey.select("x.customer_id = $1 ORDER BY x.answered_at DESC LIMIT 20")
            ),
        ];
        if ticket_id.is_some() {
            sources.push(Source::Call.select("x.ticket_id = $3"));
            sources.push(Source::Change.select("t.id = $3"));
        }
        let rows = sqlx::query(&sources.join(" UNION ALL "))
            .bind(customer_id)
            .bind(open)
            .bind(ticket_id.unwrap_or(-1))
            .fetch_all(self.pool())
            .await?;
        let mut ticket = Vec::new();
        let mut panel = PanelEntries {
            promises: Vec::new(),
            moments: Vec::new(),
            surveys: Vec::new(),
        };
        for row in &rows {
            let entry = entry_from(row)?;
            match &entry.fact {
                Fact::Promise { status, .. } => {
                    if status == open {
                        panel.promises.push(entry.clone());
                    }
                    if ticket_id.is_some() && entry.ticket_id == ticket_id {
                        ticket.push(entry);
                    }
                }
                Fact::Moment { .. } => panel.moments.push(entry),
                Fact::Survey { .. } => panel.surveys.push(entry),
                _ => ticket.push(entry),
            }
        }
        panel
            .promises
            .sort_by(|x, y| (due(x), x.id).cmp(&(due(y), y.id)));
        panel.moments.sort_by_key(|entry| entry.id);
        panel.surveys.sort_by(|x, y| y.at.cmp(&x.at));
        Ok((ticket, panel))
    }

    /// The entries an agent may see (a restricted team's tickets stay out for non-members).
    pub async fn visible_entries(
        &self,
        agent: &Agent,
        entries: Vec<Entry>,
    ) -> StoreResult<Vec<Entry>> {
        let ids: Vec<i64> = entries.iter().filter_map(|entry| entry.ticket_id).collect();
        let hidden = self.hidden_from(agent, &ids).await?;
        Ok(timeline::visible(
            entries,
            &Reader::Agent {
                hidden_tickets: &hidden,
            },
        ))
    }
}
