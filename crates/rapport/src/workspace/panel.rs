//! The relationship panel beside every ticket and on the customer page: who the customer is,
//! for how long, who owns the relationship, how healthy it is and why, what we promised, what
//! matters to them, their other open tickets, past complaints and survey answers.

use crate::app::App;
use crate::pages::When;
use rapport_domain::Customer;
use rapport_domain::calendar::Calendar;
use rapport_domain::timeline::Fact;
use rapport_store::ticket_page::PanelFacts;
use std::collections::HashMap;

pub struct Panel {
    /// The ticket whose page shows the panel (promises are settled from there).
    pub ticket_id: Option<i64>,
    pub customer_id: i64,
    pub customer_name: String,
    pub emails: String,
    pub organization: Option<String>,
    pub organization_id: Option<i64>,
    pub phone: Option<String>,
    pub tenure: String,
    pub kind: String,
    pub owner: Option<String>,
    pub health: HealthView,
    pub promises: Vec<PromiseLine>,
    pub moments: Vec<String>,
    /// `(id, subject)`.
    pub other_tickets: Vec<(i64, String)>,
    pub complaints: Vec<rapport_store::complaints::Complaint>,
    pub surveys: Vec<String>,
}

pub struct HealthView {
    pub score: i64,
    pub band: String,
    pub band_words: String,
    pub factors: Vec<String>,
}

pub struct PromiseLine {
    pub id: i64,
    pub what: String,
    pub due: When,
    pub who: String,
    /// `false` for a call-back the customer asked for that no agent has accepted yet.
    pub accepted: bool,
}

fn tenure(app: &App, since: &str) -> String {
    let Some(since) = rapport_store::clock::parse(since) else {
        return since.to_owned();
    };
    let days = (app.store.clock().now() - since).whole_days();
    match days {
        ..=0 => "since today".to_owned(),
        1 => "1 day".to_owned(),
        2..=60 => format!("{days} days"),
        61..=730 => format!("{} months", days / 30),
        _ => format!("{} years", days / 365),
    }
}

impl Panel {
    /// The panel of `customer` from its facts, leaving out `this_ticket` from the other open
    /// tickets.
    pub fn new(
        app: &App,
        customer: &Customer,
        facts: PanelFacts,
        this_ticket: Option<i64>,
        names: &HashMap<i64, String>,
        calendar: &Calendar,
    ) -> Panel {
        let organization = facts.organization;
        let kind = organization
            .as_ref()
            .map_or("transactional".to_owned(), |o| {
                o.relationship_kind.to_string()
            });
        let owner_id = customer
            .owner_id
            .or(organization.as_ref().and_then(|o| o.owner_id));
        let rapport_store::health::Assessment {
            score,
            band,
            factors,
        } = facts.health;
        let promises = facts
            .entries
            .promises
            .iter()
            .filter_map(|entry| match &entry.fact {
                Fact::Promise {
                    what,
                    due_at,
                    accepted,
                    ..
                } => Some(PromiseLine {
                    id: entry.id,
                    accepted: *accepted,
                    what: what.clone(),
                    due: When::on(calendar, due_at),
                    who: entry
                        .agent_id()
                        .and_then(|id| names.get(&id).cloned())
                        .unwrap_or_default(),
                }),
                _ => None,
            })
            .collect();
        let moments = facts
            .entries
            .moments
            .iter()
            .take(5)
            .filter_map(|entry| match &entry.fact {
                Fact::Moment {
                    note,
                    follow_up_on: Some(day),
                } => Some(format!("{note} (follow up {day})")),
                Fact::Moment { note, .. } => Some(note.clone()),
                _ => None,
            })
            .collect();
        let other_tickets = facts
            .open_tickets
            .into_iter()
            .filter(|(id, _)| Some(*id) != this_ticket)
            .collect();
        let surveys = facts
            .entries
            .surveys
            .iter()
            .filter_map(|entry| match &entry.fact {
                Fact::Survey {
                    kind,
                    score,
                    comment,
                } => {
                    let out_of = if kind == "nps" { 10 } else { 5 };
                    let said = comment
                        .as_ref()
                        .map(|c| format!(": “{c}”"))
                        .unwrap_or_default();
                    Some(format!(
                        "{} {score}/{out_of}{said} ({})",
                        kind.to_uppercase(),
                        When::on(calendar, &entry.at).text
                    ))
                }
                _ => None,
            })
            .collect();
        Panel {
            ticket_id: this_ticket,
            customer_id: customer.id,
            customer_name: customer.name.clone(),
            emails: customer.emails.join(", "),
            organization_id: organization.as_ref().map(|o| o.id),
            organization: organization.map(|o| o.name),
            phone: customer.phone.clone(),
            tenure: tenure(app, &customer.created_at),
            kind,
            owner: owner_id.and_then(|id| names.get(&id).cloned()),
            health: HealthView {
                score,
                band: band.as_str().to_owned(),
                band_words: crate::pages::words(band.as_str()),
                factors: factors
                    .into_iter()
                    .filter(|f| f.points != 0)
                    .map(|f| format!("{:+} {}", f.points, f.explanation))
                    .collect(),
            },
            promises,
            moments,
            other_tickets,
            complaints: facts.complaints,
            surveys,
        }
    }
}
