//! `/admin/service-levels`: the service level policies. Each sets targets in business minutes
//! (first reply, next reply, resolution) for all tickets, a priority, an organization or one
//! customer; the most specific applies. The same store steps as `/api/v1/sla-policies`.

use super::{Fields, admin_only, back};
use crate::app::App;
use crate::pages::{Id, PageResult, SignedIn, Submitted, correctable, render_with};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rapport_domain::sla::SlaPolicy;
use rapport_domain::{Actor, Agent, Priority};
use rapport_store::sla::PolicyFields;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "admin/service_levels.html")]
struct ServiceLevelsPage {
    agent: Agent,
    csrf: String,
    query: String,
    policies: Vec<PolicyLine>,
    organizations: Vec<(i64, String)>,
    priorities: &'static [Priority],
    flash: Option<String>,
    error: Option<String>,
}

/// A policy as the page lists it: what it applies to and its targets, in words.
struct PolicyLine {
    policy: SlaPolicy,
    applies_to: String,
    organization: String,
    customer: String,
}

impl PolicyLine {
    fn minutes(value: Option<i64>) -> String {
        value.map(|m| m.to_string()).unwrap_or_default()
    }

    fn first(&self) -> String {
        Self::minutes(self.policy.first_response_minutes)
    }

    fn next(&self) -> String {
        Self::minutes(self.policy.next_response_minutes)
    }

    fn resolution(&self) -> String {
        Self::minutes(self.policy.resolution_minutes)
    }

    fn priority_is(&self, priority: &Priority) -> bool {
        self.policy.priority == Some(*priority)
    }
}

/// Business minutes as people read them: "90 min", "8 h", "2 h 30 min".
fn said(minutes: Option<i64>) -> String {
    match minutes {
        None => "—".to_owned(),
        Some(m) if m < 60 => format!("{m} min"),
        Some(m) if m % 60 == 0 => format!("{} h", m / 60),
        Some(m) => format!("{} h {} min", m / 60, m % 60),
    }
}

async fn page(
    app: &App,
    signed_in: SignedIn,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let organizations = app.store.organization_choices().await?;
    let names: HashMap<i64, String> = organizations.iter().cloned().collect();
    let mut policies = Vec::new();
    for policy in app.store.sla_policies().await? {
        let organization = match policy.organization_id {
            Some(id) => names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("organization {id}")),
            None => String::new(),
        };
        let customer = match policy.customer_id {
            Some(id) => app
                .store
                .customer(id)
                .await?
                .emails
                .first()
                .cloned()
                .unwrap_or_default(),
            None => String::new(),
        };
        let mut parts = Vec::new();
        if let Some(priority) = policy.priority {
            parts.push(format!("{priority} tickets"));
        }
        if !organization.is_empty() {
            parts.push(format!("customers of {organization}"));
        }
        if !customer.is_empty() {
            parts.push(customer.clone());
        }
        let applies_to = if parts.is_empty() {
            "every ticket".to_owned()
        } else {
            parts.join(", ")
        };
        policies.push(PolicyLine {
            policy,
            applies_to,
            organization,
            customer,
        });
    }
    Ok(render_with(
        status,
        &ServiceLevelsPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            policies,
            organizations,
            priorities: Priority::ALL,
            flash,
            error,
        },
    ))
}

pub async fn show_service_levels(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<super::Done>,
) -> PageResult {
    admin_only(&signed_in)?;
    page(&app, signed_in, StatusCode::OK, query.done, None).await
}

/// The policy a form describes; a wrong number, organization or customer said in words.
async fn fields_in(app: &App, fields: &Fields) -> Result<PolicyFields, String> {
    let minutes = |name: &str, label: &str| -> Result<Option<i64>, String> {
        match fields.one(name) {
            None | Some("") => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                format!("{label}: “{text}” is not a whole number of business minutes.")
            }),
        }
    };
    let priority = match fields.one("priority") {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<Priority>()
                .map_err(|_| format!("“{text}” is not a priority."))?,
        ),
    };
    let organization_id = match fields.one("organization") {
        None | Some("") => None,
        Some(name) => Some(
            app.store
                .organization_choices()
                .await
                .map_err(|err| err.to_string())?
                .into_iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(name))
                .map(|(id, _)| id)
                .ok_or_else(|| format!("There is no organization named “{name}”."))?,
        ),
    };
    let customer_id = match fields.one("customer") {
        None | Some("") => None,
        Some(email) => Some(
            app.store
                .customer_by_email(email)
                .await
                .map_err(|err| err.to_string())?
                .map(|customer| customer.id)
                .ok_or_else(|| format!("There is no customer with the address “{email}”."))?,
        ),
    };
    Ok(PolicyFields {
        name: fields.text("name"),
        priority,
        organization_id,
        customer_id,
        first_response_minutes: minutes("first_response_minutes", "First reply")?,
        next_response_minutes: minutes("next_response_minutes", "Next reply")?,
        resolution_minutes: minutes("resolution_minutes", "Resolution")?,
    })
}

pub async fn create_policy(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    save(app, signed_in, None, Fields::new(fields)).await
}

pub async fn update_policy(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> PageResult {
    save(app, signed_in, Some(id), Fields::new(fields)).await
}

/// Adds a policy (`id` none) or changes one, and goes back to the list; a refusal is shown on
/// the page in words.
async fn save(app: App, signed_in: SignedIn, id: Option<i64>, fields: Fields) -> PageResult {
    admin_only(&signed_in)?;
    let actor = Actor::Agent(signed_in.agent.id);
    let refused = match fields_in(&app, &fields).await {
        Ok(policy) => {
            let saved = match id {
                None => app.store.create_sla_policy(policy, actor).await,
                Some(id) => app.store.update_sla_policy(id, policy, actor).await,
            };
            match saved {
                Ok(policy) => {
                    let verb = if id.is_none() { "Added" } else { "Saved" };
                    return Ok(back(
                        "/admin/service-levels",
                        &format!("{verb} the policy {}.", policy.name),
                    ));
                }
                Err(error) => correctable(error)?,
            }
        }
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    page(&app, signed_in, refused.0, None, Some(refused.1)).await
}

pub async fn remove_policy(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(_): Submitted<Vec<(String, String)>>,
) -> PageResult {
    admin_only(&signed_in)?;
    let policy = app.store.sla_policy(id).await?;
    app.store
        .remove_sla_policy(id, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(back(
        "/admin/service-levels",
        &format!("Removed the policy {}.", policy.name),
    ))
}

impl ServiceLevelsPage {
    fn said(&self, minutes: &Option<i64>) -> String {
        said(*minutes)
    }
}
