//! Full-text search over tickets, inside the database: SQLite FTS5 (`ticket_search`, ranked
//! by bm25) or a PostgreSQL `tsvector` with a GIN index (ranked by `ts_rank`). The index holds
//! one document per ticket (subject, the customer's name and addresses, messages, internal
//! notes, file names) and is kept by triggers in the same transaction as every write that
//! changes what a document holds (see migration `0010_search`).
//!
//! A query reaches the database only as the [`SearchQuery`] the domain read from what was
//! typed: each word is quoted here for the engine, so no input can be query syntax. Results
//! keep the inbox's rule on restricted teams, and come a bounded page at a time.

use crate::inbox::{InboxRow, ticket_row, ticket_select, visible};
use crate::rows::{Bound, Built, int, placeholders, text};
use crate::{Backend, Store, StoreResult};
use rapport_domain::search::{SearchQuery, Snippet};
use rapport_domain::{Agent, Conversation, Problem};
use std::collections::HashMap;

/// At most this many results on a page.
pub const MAX_PAGE: u32 = 50;
/// Results are paged by offset up to this far; a search that needs more pages needs more words.
pub const MAX_OFFSET: u32 = 1_000;
/// On PostgreSQL, how many of the newest matching tickets are ranked (more than
/// [`MAX_OFFSET`] and a page).
const RANKED: u32 = 2_000;

/// What narrows a search besides its words. Times are in the stored format.
#[derive(Debug, Default, Clone)]
pub struct SearchFilter {
    pub conversation: Option<Conversation>,
    pub problem: Option<Problem>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// Tickets opened at or after this time.
    pub opened_from: Option<String>,
    /// Tickets opened before this time.
    pub opened_before: Option<String>,
}

/// One ticket found, with the passage that shows why.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub ticket: InboxRow,
    pub snippet: Snippet,
}

#[derive(Debug, Clone)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// The offset of the next page; `None` on the last page (or at [`MAX_OFFSET`]).
    pub next_offset: Option<u32>,
}

/// The query as an FTS5 MATCH expression: each term a quoted phrase (a prefix term ends in
/// `*` outside the quotes), all of them required.
fn fts5_expression(query: &SearchQuery) -> String {
    query
        .terms
        .iter()
        .map(|term| {
            let phrase = term.words.join(" ").replace('"', "\"\"");
            if term.prefix {
                format!("\"{phrase}\" *")
            } else {
                format!("\"{phrase}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The query as a PostgreSQL `to_tsquery` text: each word a quoted lexeme, a phrase's words
/// joined by `<->`, a prefix term's last word with `:*`, all of them required.
fn tsquery_expression(query: &SearchQuery) -> String {
    query
        .terms
        .iter()
        .map(|term| {
            let last = term.words.len() - 1;
            let words: Vec<String> = term
                .words
                .iter()
                .enumerate()
                .map(|(index, word)| {
                    let quoted = format!("'{}'", word.replace('\\', "\\\\").replace('\'', "''"));
                    if term.prefix && index == last {
                        format!("{quoted}:*")
                    } else {
                        quoted
                    }
                })
                .collect();
            format!("({})", words.join(" <-> "))
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The page of ticket ids (with their scores) a search finds, best first. `$1` is the
/// agent, `$2` the engine's query.
pub(crate) fn search_sql(
    backend: Backend,
    agent: &Agent,
    query: &SearchQuery,
    filter: &SearchFilter,
    offset: u32,
    limit: u32,
) -> Built {
    let mut binds = vec![Bound::Int(agent.id)];
    let mut conditions = vec![visible(agent)];
    let mut add = |condition: &str, value: Bound| {
        binds.push(value);
        conditions.push(condition.replace('?', &format!("${}", binds.len() + 1)));
    };
    if let Some(conversation) = filter.conversation {
        add("t.conversation = ?", Bound::Text(conversation.to_string()));
    }
    if let Some(problem) = filter.problem {
        add("t.problem = ?", Bound::Text(problem.to_string()));
    }
    if let Some(id) = filter.assignee_id {
        add("t.assignee_id = ?", Bound::Int(id));
    }
    if let Some(id) = filter.team_id {
        add("t.team_id = ?", Bound::Int(id));
    }
    if let Some(id) = filter.customer_id {
        add("t.customer_id = ?", Bound::Int(id));
    }
    if let Some(id) = filter.organization_id {
        add("t.organization_id = ?", Bound::Int(id));
    }
    if let Some(from) = &filter.opened_from {
        add("t.created_at >= ?", Bound::Text(from.clone()));
    }
    if let Some(before) = &filter.opened_before {
        add("t.created_at < ?", Bound::Text(before.clone()));
    }
    // The engine's query is `$2`: inserted after the filters were numbered from `$3`.
    let sql = match backend {
        // bm25 is lower for better matches and is read from the index itself; weighted by
        // column: subject, customer, messages, notes, files.
        Backend::Sqlite => format!(
            "SELECT t.id AS ticket_id, found.score FROM \
             (SELECT rowid AS ticket_id, -bm25(ticket_search, 8.0, 4.0, 1.0, 1.0, 2.0) AS score \
              FROM ticket_search WHERE ticket_search MATCH $2) found \
             JOIN tickets t ON t.id = found.ticket_id \
             WHERE {} ORDER BY found.score DESC, t.id DESC LIMIT {limit} OFFSET {offset}",
            conditions.join(" AND ")
        ),
        // ts_rank reads every matching document, so words found in much of the workspace
        // would cost a read of most of it: only the newest RANKED matching tickets the agent
        // may see (and the filters keep) are ranked. `t.id + 0`: ordered by a key's index, a
        // LIMIT tempts the planner to walk that whole index testing each ticket for the words
        // (ruinous for a rare word); this keeps the GIN index finding them first.
        Backend::Postgres => format!(
            "SELECT found.ticket_id, ts_rank(s.document, to_tsquery('simple', $2)) AS score FROM \
             (SELECT t.id AS ticket_id FROM ticket_search s JOIN tickets t ON t.id = s.ticket_id \
              WHERE s.document @@ to_tsquery('simple', $2) AND {} ORDER BY t.id + 0 DESC LIMIT {RANKED}) found \
             JOIN ticket_search s ON s.ticket_id = found.ticket_id \
             ORDER BY score DESC, found.ticket_id DESC LIMIT {limit} OFFSET {offset}",
            conditions.join(" AND ")
        ),
    };
    let expression = match backend {
        Backend::Sqlite => fts5_expression(query),
        Backend::Postgres => tsquery_expression(query),
    };
    binds.insert(1, Bound::Text(expression));
    Built { sql, binds }
}

impl Store {
    /// The tickets the agent may see that match `query` and `filter`, best first, `limit`
    /// (at most [`MAX_PAGE`]) from `offset` (at most [`MAX_OFFSET`]).
    pub async fn search(
        &self,
        agent: &Agent,
        query: &SearchQuery,
        filter: &SearchFilter,
        offset: u32,
        limit: u32,
    ) -> StoreResult<SearchPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let offset = offset.min(MAX_OFFSET);
        let built = search_sql(self.backend(), agent, query, filter, offset, limit + 1);
        let rows = built.query().fetch_all(self.pool()).await?;
        let mut ids: Vec<i64> = rows
            .iter()
            .map(|row| int(row, "ticket_id"))
            .collect::<StoreResult<_>>()?;
        let more = ids.len() > limit as usize;
        ids.truncate(limit as usize);
        let next_offset = (more && offset + limit <= MAX_OFFSET).then_some(offset + limit);
        if ids.is_empty() {
            return Ok(SearchPage {
                hits: Vec::new(),
                next_offset: None,
            });
        }

        let mut tickets: HashMap<i64, InboxRow> = HashMap::new();
        let sql = format!(
            "{} WHERE t.id IN ({})",
            ticket_select(),
            placeholders(1, ids.len())
        );
        let mut select = sqlx::query(&sql);
        for id in &ids {
            select = select.bind(*id);
        }
        for row in select.fetch_all(self.pool()).await? {
            let ticket = ticket_row(&row)?;
            if let Some(id) = ticket.ticket_id {
                tickets.insert(id, ticket);
            }
        }
        let mut texts = self.search_texts(&ids).await?;
        let hits = ids
            .iter()
            .filter_map(|id| tickets.remove(id).map(|ticket| (id, ticket)))
            .map(|(id, ticket)| {
                let mut candidates = texts.remove(id).unwrap_or_default();
                candidates.push(ticket.title.clone());
                candidates.push(ticket.customer_name.clone());
                let snippet = Snippet::best(candidates.iter().map(String::as_str), query);
                SearchHit { ticket, snippet }
            })
            .collect();
        Ok(SearchPage { hits, next_offset })
    }

    /// What a snippet may be cut from, per ticket: its messages (notes too: only agents
    /// search), its file names and its customer's addresses.
    async fn search_texts(&self, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<String>>> {
        let list = placeholders(1, ids.len());
        let mut texts: HashMap<i64, Vec<String>> = HashMap::new();
        for sql in [
            format!(
                "SELECT m.ticket_id, m.body_text AS text FROM messages m WHERE m.ticket_id IN ({list}) ORDER BY m.ticket_id, m.id"
            ),
            format!(
                "SELECT m.ticket_id, a.filename AS text FROM attachments a JOIN messages m ON m.id = a.message_id \
                 WHERE m.ticket_id IN ({list}) ORDER BY a.id"
            ),
            format!(
                "SELECT t.id AS ticket_id, e.email AS text FROM tickets t JOIN customer_emails e ON e.customer_id = t.customer_id \
                 WHERE t.id IN ({list}) ORDER BY e.email"
            ),
        ] {
            let mut query = sqlx::query(&sql);
            for id in ids {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                texts
                    .entry(int(&row, "ticket_id")?)
                    .or_default()
                    .push(text(&row, "text")?);
            }
        }
        Ok(texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SQLite that sqlx bundles is built with FTS5, which the search index needs.
    #[tokio::test]
    async fn the_bundled_sqlite_has_fts5() {
        let dir = tempfile::tempdir().expect("a directory");
        let store = Store::connect(&crate::sqlite_url(dir.path()), 1)
            .await
            .expect("connect");
        let fts5: i64 = sqlx::query_scalar("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
            .fetch_one(store.pool())
            .await
            .expect("compile options");
        assert_eq!(fts5, 1);
    }

    #[test]
    fn every_word_is_quoted_for_each_engine() {
        let query = SearchQuery::parse(r#"refund "order number" invoi* NEAR"#).expect("a query");
        assert_eq!(
            fts5_expression(&query),
            r#""refund" AND "order number" AND "invoi" * AND "near""#
        );
        assert_eq!(
            tsquery_expression(&query),
            "('refund') & ('order' <-> 'number') & ('invoi':*) & ('near')"
        );
    }
}
