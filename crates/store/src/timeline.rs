//! The customer timeline: every ticket, message, call, promise, moment, survey and notable
//! event of a customer (or of all customers of an organization), across channels and agents,
//! newest first, a page at a time. It is how a new agent sees the whole history.

use crate::rows::{int, opt_int, opt_text, placeholders, text};
use crate::{Store, StoreResult};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineItem {
    pub at: String,
    /// `ticket`, `message`, `note`, `call`, `promise`, `moment`, `survey` or `event`.
    pub kind: String,
    /// The id of the thing within its kind.
    pub id: i64,
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// One line for people.
    pub summary: String,
}

pub struct TimelinePage {
    pub items: Vec<TimelineItem>,
    pub next_cursor: Option<String>,
}

fn short(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}...", flat.chars().take(max).collect::<String>())
    }
}

/// A position in the timeline: items strictly older come next.
fn cursor_of(item: &TimelineItem) -> String {
    format!("{}~{}~{}", item.at, item.kind, item.id)
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
                items: vec![],
                next_cursor: None,
            });
        }
        let limit = limit.clamp(1, 100);
        let position = cursor.map(parse_cursor).transpose()?;
        let before = position
            .as_ref()
            .map_or_else(|| "9999".to_owned(), |(at, _, _)| at.clone());
        // Each source gives its newest items up to the cursor; merged and cut below.
        let fetch = limit as i64 + 20;
        let ids = placeholders(3, customer_ids.len());
        let sources = [
            format!(
                "SELECT 'ticket' AS kind, id, customer_id, id AS ticket_id, assignee_id AS agent_id, created_at AS at, \
                 subject AS a, channel AS b, '' AS c FROM tickets WHERE created_at <= $1 AND customer_id IN ({ids}) ORDER BY created_at DESC LIMIT $2"
            ),
            format!(
                "SELECT CASE WHEN m.visibility = 'internal' THEN 'note' ELSE 'message' END AS kind, m.id, t.customer_id, m.ticket_id, \
                 m.author_agent_id AS agent_id, m.created_at AS at, m.body_text AS a, m.channel AS b, m.author_kind AS c \
                 FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.created_at <= $1 AND t.customer_id IN ({ids}) \
                 ORDER BY m.created_at DESC LIMIT $2"
            ),
            format!(
                "SELECT 'call' AS kind, id, customer_id, ticket_id, agent_id, started_at AS at, summary AS a, direction AS b, \
                 COALESCE(agreed, '') AS c FROM calls WHERE started_at <= $1 AND customer_id IN ({ids}) ORDER BY started_at DESC LIMIT $2"
            ),
            format!(
                "SELECT 'promise' AS kind, id, customer_id, ticket_id, agent_id, created_at AS at, what AS a, status AS b, due_at AS c \
                 FROM promises WHERE created_at <= $1 AND customer_id IN ({ids}) ORDER BY created_at DESC LIMIT $2"
            ),
            format!(
                "SELECT 'moment' AS kind, id, customer_id, NULL AS ticket_id, agent_id, created_at AS at, note AS a, \
                 COALESCE(follow_up_on, '') AS b, '' AS c FROM moments WHERE created_at <= $1 AND customer_id IN ({ids}) \
                 ORDER BY created_at DESC LIMIT $2"
            ),
            format!(
                "SELECT 'survey' AS kind, id, customer_id, ticket_id, NULL AS agent_id, answered_at AS at, kind AS a, \
                 COALESCE(comment, '') AS b, '' AS c, score FROM surveys WHERE answered_at IS NOT NULL AND answered_at <= $1 \
                 AND customer_id IN ({ids}) ORDER BY answered_at DESC LIMIT $2"
            ),
            format!(
                "SELECT 'event' AS kind, e.id, t.customer_id, t.id AS ticket_id, e.actor_id AS agent_id, e.at, e.action AS a, \
                 e.changes AS b, '' AS c FROM events e JOIN tickets t ON e.entity = 'ticket' AND t.id = e.entity_id \
                 WHERE e.at <= $1 AND t.customer_id IN ({ids}) AND e.action IN \
                 ('problem.closed_unresolved', 'resolution.confirmed', 'resolution.unconfirmed', 'resolution.rejected', 'ticket.handed_over') \
                 ORDER BY e.at DESC LIMIT $2"
            ),
        ];
        let mut items = Vec::new();
        for sql in &sources {
            let mut query = sqlx::query(sql).bind(&before).bind(fetch);
            for id in customer_ids {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                let kind = text(&row, "kind")?;
                let a = opt_text(&row, "a")?.unwrap_or_default();
                let b = opt_text(&row, "b")?.unwrap_or_default();
                let c = opt_text(&row, "c")?.unwrap_or_default();
                let summary = match kind.as_str() {
                    "ticket" => format!("Opened \"{a}\" by {b}"),
                    "message" | "note" => {
                        let who = match c.as_str() {
                            "customer" => "Customer",
                            "agent" if kind == "note" => "Internal note",
                            "agent" => "Agent",
                            _ => "Rapport",
                        };
                        format!("{who} ({b}): {}", short(&a, 140))
                    }
                    "call" => {
                        let agreed = if c.is_empty() {
                            String::new()
                        } else {
                            format!(" Agreed: {}", short(&c, 80))
                        };
                        format!(
                            "{} call: {}{agreed}",
                            if b == "inbound" {
                                "Inbound"
                            } else {
                                "Outbound"
                            },
                            short(&a, 120)
                        )
                    }
                    "promise" => format!("Promise: \"{}\", due {c} ({b})", short(&a, 120)),
                    "moment" => {
                        let follow = if b.is_empty() {
                            String::new()
                        } else {
                            format!(" (follow up on {b})")
                        };
                        format!("Moment: {}{follow}", short(&a, 140))
                    }
                    "survey" => {
                        let score = opt_int(&row, "score")?.unwrap_or_default();
                        let out_of = if a == "csat" { 5 } else { 10 };
                        let comment = if b.is_empty() {
                            String::new()
                        } else {
                            format!(": \"{}\"", short(&b, 100))
                        };
                        format!("{} {score}/{out_of}{comment}", a.to_uppercase())
                    }
                    _ => event_summary(&a, &b),
                };
                items.push(TimelineItem {
                    at: text(&row, "at")?,
                    kind,
                    id: int(&row, "id")?,
                    customer_id: int(&row, "customer_id")?,
                    ticket_id: opt_int(&row, "ticket_id")?,
                    agent_id: opt_int(&row, "agent_id")?,
                    summary,
                });
            }
        }
        items.sort_by(|x, y| (&y.at, &y.kind, y.id).cmp(&(&x.at, &x.kind, x.id)));
        if let Some((at, kind, id)) = &position {
            items.retain(|item| (&item.at, &item.kind, item.id) < (at, kind, *id));
        }
        let has_more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if has_more {
            items.last().map(cursor_of)
        } else {
            None
        };
        Ok(TimelinePage { items, next_cursor })
    }
}

fn event_summary(action: &str, changes: &str) -> String {
    let changes: serde_json::Value = serde_json::from_str(changes).unwrap_or_default();
    let after = |field: &str| {
        changes[field]["after"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    match action {
        "problem.closed_unresolved" => format!("Closed unresolved: {}", after("reason")),
        "resolution.confirmed" => "The customer confirmed the problem is fixed".into(),
        "resolution.unconfirmed" => {
            "Marked resolved after the customer stayed silent (unconfirmed)".into()
        }
        "resolution.rejected" => "The customer said the problem is not fixed".into(),
        "ticket.handed_over" => format!("Handed over: {}", after("note")),
        other => other.to_owned(),
    }
}
