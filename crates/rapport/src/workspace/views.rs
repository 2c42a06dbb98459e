//! How an agent narrows and orders an inbox view: the state of the problem (being worked on,
//! resolved, closed unresolved, all), a tag, priority, team, assignee, organization,
//! relationship owner, channel, the sort; and paging through the whole view by its sort key,
//! so no view stops at a hundred lines.

use crate::pages::{PageError, url_escape};
use axum::http::StatusCode;
use rapport_domain::inbox::{StateFilter, TicketSort};
use rapport_domain::{Agent, Channel, Priority, Team};
use rapport_store::inbox::{COUNT_CAP, Narrowing};
use serde::Deserialize;

/// Lines on one page of a view.
pub const PAGE_SIZE: i64 = 50;

/// The view's narrowing as the page's address gives it (empty values mean "any").
#[derive(Deserialize, Default, Clone)]
pub struct ViewParams {
    pub state: Option<String>,
    pub sort: Option<String>,
    pub tag: Option<String>,
    pub priority: Option<String>,
    pub channel: Option<String>,
    pub owner_id: Option<String>,
    /// Where the page starts: the last line of the page before (`key~id`).
    pub after: Option<String>,
}

fn bad(message: String) -> PageError {
    PageError::new(StatusCode::BAD_REQUEST, message)
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn named<T: std::str::FromStr>(
    value: &Option<String>,
    what: &str,
    known: &[&str],
) -> Result<Option<T>, PageError> {
    given(value)
        .map(|name| {
            name.parse().map_err(|_| {
                bad(format!(
                    "“{}” is not a {what} the inbox knows; choose one of {}.",
                    name.chars().take(40).collect::<String>(),
                    known.join(", ")
                ))
            })
        })
        .transpose()
}

fn id(value: Option<&str>, what: &str) -> Result<Option<i64>, PageError> {
    value
        .map(|v| {
            v.trim().parse().map_err(|_| {
                bad(format!(
                    "The {what} to narrow to could not be read; choose one from the list."
                ))
            })
        })
        .transpose()
}

impl ViewParams {
    /// The narrowing, with `assignee_id`, `team_id` and `organization_id` from the shared
    /// search parameters; a value that cannot be one is a sentence for the agent.
    pub fn narrowing(
        &self,
        assignee_id: Option<&str>,
        team_id: Option<&str>,
        organization_id: Option<&str>,
    ) -> Result<Narrowing, PageError> {
        let names = |all: &[&'static str]| all.to_vec();
        let after = given(&self.after)
            .map(|after| {
                let (key, id) = after.rsplit_once('~').ok_or(())?;
                let plausible = !key.is_empty()
                    && key.len() <= 64
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'-'));
                match (plausible, id.parse::<i64>()) {
                    (true, Ok(id)) => Ok((key.to_owned(), id)),
                    _ => Err(()),
                }
            })
            .transpose()
            .map_err(|()| bad("The page to continue from could not be read; start the list again from its first page.".to_owned()))?;
        Ok(Narrowing {
            state: named(
                &self.state,
                "state",
                &names(
                    &StateFilter::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>(),
                ),
            )?
            .unwrap_or_default(),
            sort: named(
                &self.sort,
                "sort",
                &TicketSort::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>(),
            )?,
            tag: given(&self.tag).map(|tag| tag.to_lowercase().chars().take(50).collect()),
            priority: named(
                &self.priority,
                "priority",
                &Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            )?,
            channel: named(
                &self.channel,
                "channel",
                &Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            )?,
            owner_id: id(given(&self.owner_id), "owner")?,
            assignee_id: id(assignee_id.filter(|v| !v.trim().is_empty()), "assignee")?,
            team_id: id(team_id.filter(|v| !v.trim().is_empty()), "team")?,
            organization_id: id(
                organization_id.filter(|v| !v.trim().is_empty()),
                "organization",
            )?,
            after,
        })
    }
}

/// One choice of a select: its value, its label, whether it is chosen.
pub struct Pick {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The narrowing form of a ticket view, as chosen.
pub struct ViewFilters {
    pub view: &'static str,
    pub states: Vec<Pick>,
    pub sorts: Vec<Pick>,
    pub priorities: Vec<Pick>,
    pub channels: Vec<Pick>,
    pub agents: Vec<Pick>,
    pub owners: Vec<Pick>,
    pub teams: Vec<Pick>,
    pub tag: String,
    pub organization_id: String,
    /// "37 tickets", or "1,000+ tickets" when there are more than the count reads.
    pub total: String,
    /// Whether anything narrows the view beyond its own rule.
    pub narrowed: bool,
}

fn options<T: Copy + PartialEq>(
    all: &[T],
    chosen: Option<T>,
    value: impl Fn(T) -> String,
    label: impl Fn(T) -> String,
) -> Vec<Pick> {
    all.iter()
        .map(|&each| Pick {
            value: value(each),
            label: label(each),
            selected: chosen == Some(each),
        })
        .collect()
}

impl ViewFilters {
    pub fn new(
        view: &'static str,
        narrowing: &Narrowing,
        agents: &[Agent],
        teams: &[Team],
        total: i64,
        default_sort: TicketSort,
    ) -> ViewFilters {
        let agent_options = |chosen: Option<i64>| {
            agents
                .iter()
                .map(|agent| Pick {
                    value: agent.id.to_string(),
                    label: agent.name.clone(),
                    selected: chosen == Some(agent.id),
                })
                .collect()
        };
        let total = if total == 1 {
            "1 ticket".to_owned()
        } else {
            format!("{} tickets", count_words(total))
        };
        ViewFilters {
            view,
            states: options(
                StateFilter::ALL,
                Some(narrowing.state),
                |s| s.as_str().to_owned(),
                |s| s.title().to_owned(),
            ),
            sorts: options(
                TicketSort::ALL,
                Some(narrowing.sort.unwrap_or(default_sort)),
                |s| s.as_str().to_owned(),
                |s| s.title().to_owned(),
            ),
            priorities: options(
                Priority::ALL,
                narrowing.priority,
                |p| p.as_str().to_owned(),
                |p| p.as_str().to_owned(),
            ),
            channels: options(
                Channel::ALL,
                narrowing.channel,
                |c| c.as_str().to_owned(),
                |c| c.as_str().to_owned(),
            ),
            agents: agent_options(narrowing.assignee_id),
            owners: agent_options(narrowing.owner_id),
            teams: teams
                .iter()
                .map(|team| Pick {
                    value: team.id.to_string(),
                    label: team.name.clone(),
                    selected: narrowing.team_id == Some(team.id),
                })
                .collect(),
            tag: narrowing.tag.clone().unwrap_or_default(),
            organization_id: narrowing
                .organization_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            total,
            narrowed: narrowing.state != StateFilter::Unfinished
                || narrowing.tag.is_some()
                || narrowing.priority.is_some()
                || narrowing.channel.is_some()
                || narrowing.assignee_id.is_some()
                || narrowing.team_id.is_some()
                || narrowing.organization_id.is_some()
                || narrowing.owner_id.is_some(),
        }
    }
}

/// A count as a page says it: "1,234", or "1,000+" when it was counted only up to
/// [`COUNT_CAP`] (a count stops there rather than read every ticket of a large workspace).
pub fn count_words(n: i64) -> String {
    if n > COUNT_CAP {
        format!("{}+", thousands(COUNT_CAP))
    } else {
        thousands(n)
    }
}

/// 1234 as "1,234".
fn thousands(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The address of the view's next page: the same narrowing, starting after `next`.
pub fn next_address(view: &str, narrowing: &Narrowing, next: &(String, i64)) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("view", view.to_owned())];
    if narrowing.state != StateFilter::Unfinished {
        pairs.push(("state", narrowing.state.as_str().to_owned()));
    }
    if let Some(sort) = narrowing.sort {
        pairs.push(("sort", sort.as_str().to_owned()));
    }
    if let Some(tag) = &narrowing.tag {
        pairs.push(("tag", tag.clone()));
    }
    if let Some(priority) = narrowing.priority {
        pairs.push(("priority", priority.as_str().to_owned()));
    }
    if let Some(channel) = narrowing.channel {
        pairs.push(("channel", channel.as_str().to_owned()));
    }
    for (name, value) in [
        ("assignee_id", narrowing.assignee_id),
        ("team_id", narrowing.team_id),
        ("organization_id", narrowing.organization_id),
        ("owner_id", narrowing.owner_id),
    ] {
        if let Some(value) = value {
            pairs.push((name, value.to_string()));
        }
    }
    pairs.push(("after", format!("{}~{}", next.0, next.1)));
    let query: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", url_escape(value)))
        .collect();
    format!("/?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
