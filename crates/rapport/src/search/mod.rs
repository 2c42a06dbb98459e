//! Search over tickets: the API's `GET /api/v1/search` (`find.rs`) and the workspace's search
//! page (`workspace/inbox.rs`), which read their parameters alike ([`SearchParams::read`]).

mod find;

use crate::app::App;
use crate::cursor;
use crate::error::ApiError;
use rapport_domain::search::SearchQuery;
use rapport_domain::{Conversation, Problem};
use rapport_store::search::{MAX_OFFSET, MAX_PAGE, SearchFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(find::search))
}

/// Results on a page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u32 = 20;

/// What a search asks, as given. Every value is read as text, so that an empty one (a form's
/// "any") means "not given" and anything else unreadable gets a sentence, not a generic error.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words, all of which must match: `"a phrase"` in quotes, `prefix*` for every word that
    /// starts so; other punctuation only separates words. Subjects, messages, internal notes,
    /// customers' names and addresses and file names are searched.
    pub q: Option<String>,
    /// Only tickets in this conversation state: `new`, `waiting_on_us`, `waiting_on_customer`
    /// or `on_hold`.
    pub conversation: Option<String>,
    /// Only tickets in this problem state: `open`, `resolution_proposed`, `resolved` or
    /// `closed_unresolved`.
    pub problem: Option<String>,
    #[param(value_type = Option<i64>)]
    pub assignee_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub organization_id: Option<String>,
    /// Only tickets opened on or after this day (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Only tickets opened on or before this day (`YYYY-MM-DD`, UTC).
    pub to: Option<String>,
    /// 1 to 50; 20 unless given.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// A search read from its parameters.
#[derive(Debug, Clone)]
pub struct Search {
    pub query: SearchQuery,
    pub filter: SearchFilter,
    pub offset: u32,
    pub limit: u32,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn invalid(message: String) -> ApiError {
    ApiError::bad_request("invalid_query", message)
}

fn id(value: &Option<String>, name: &str) -> Result<Option<i64>, ApiError> {
    given(value)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| invalid(format!("`{name}` is a number such as 42, not `{v}`.")))
        })
        .transpose()
}

fn day(value: &Option<String>, name: &str) -> Result<Option<time::Date>, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    given(value)
        .map(|v| {
            time::Date::parse(v, format).map_err(|_| {
                invalid(format!(
                    "`{name}` is a day written YYYY-MM-DD, such as 2026-11-23, not `{v}`."
                ))
            })
        })
        .transpose()
}

fn midnight(day: time::Date) -> String {
    rapport_store::clock::format(day.midnight().assume_utc())
}

impl SearchParams {
    /// Whether any words were given (the page shows the inbox when not).
    pub fn has_query(&self) -> bool {
        given(&self.q).is_some()
    }

    /// Reads the parameters; a 400 with a sentence for the first one that cannot be read.
    pub fn read(&self) -> Result<Search, ApiError> {
        let Some(q) = given(&self.q) else {
            return Err(invalid(
                "`q` is missing: give the words to search for.".to_owned(),
            ));
        };
        let query = SearchQuery::parse(q).map_err(|err| invalid(format!("`q`: {err}.")))?;
        let conversation = given(&self.conversation)
            .map(str::parse::<Conversation>)
            .transpose()
            .map_err(|err| invalid(format!("`conversation`: {err}.")))?;
        let problem = given(&self.problem)
            .map(str::parse::<Problem>)
            .transpose()
            .map_err(|err| invalid(format!("`problem`: {err}.")))?;
        let from = day(&self.from, "from")?;
        let to = day(&self.to, "to")?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(invalid(format!(
                "`to` ({to}) is before `from` ({from}); the days are inclusive."
            )));
        }
        let limit = match given(&self.limit) {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_PAGE).contains(limit))
                .ok_or_else(|| {
                    invalid(format!(
                        "`limit` must be between 1 and {MAX_PAGE}, not `{v}`."
                    ))
                })?,
        };
        let offset = match given(&self.cursor) {
            None => 0,
            Some(given) => {
                let offset = cursor::decode('s', given)?;
                u32::try_from(offset)
                    .ok()
                    .filter(|offset| *offset <= MAX_OFFSET)
                    .ok_or_else(|| {
                        invalid(format!(
                            "Search results go {MAX_OFFSET} deep; add words or filters to find what is further down."
                        ))
                    })?
            }
        };
        Ok(Search {
            query,
            filter: SearchFilter {
                conversation,
                problem,
                assignee_id: id(&self.assignee_id, "assignee_id")?,
                team_id: id(&self.team_id, "team_id")?,
                customer_id: id(&self.customer_id, "customer_id")?,
                organization_id: id(&self.organization_id, "organization_id")?,
                opened_from: from.map(midnight),
                opened_before: to.and_then(|to| to.next_day()).map(midnight),
            },
            offset,
            limit,
        })
    }
}

/// The cursor of the page that starts at `offset`.
pub fn cursor_at(offset: u32) -> String {
    cursor::encode('s', i64::from(offset))
}
