//! What the ticket page and the relationship panel show, loaded together: each fact once,
//! with no query per item.

use crate::complaints::Complaint;
use crate::escalations::Escalation;
use crate::health::Assessment;
use crate::rows::{int, named, opt_text, text};
use crate::timeline::{PanelEntries, TicketHistory};
use crate::{Store, StoreResult};
use rapport_domain::timeline::{self, Reader};
use rapport_domain::{Agent, Customer, Organization, Problem, Ticket};
use std::collections::HashMap;

/// The facts of the ticket page, for an agent who may see the ticket.
pub struct TicketPageFacts {
    pub customer: Customer,
    pub history: TicketHistory,
    pub escalation: Option<Escalation>,
    /// The agents one can assign (those who have not left), by id.
    pub agents: Vec<Agent>,
    /// Every agent's name by id, those who have left included: history keeps its names.
    pub agent_names: HashMap<i64, String>,
    /// Every team, by name.
    pub teams: Vec<TeamName>,
    pub panel: PanelFacts,
}

pub struct TeamName {
    pub id: i64,
    pub name: String,
    pub restricted: bool,
}

/// The facts of the relationship panel.
pub struct PanelFacts {
    pub organization: Option<Organization>,
    pub health: Assessment,
    /// Open promises, moments and survey answers.
    pub entries: PanelEntries,
    /// The customer's tickets whose problem is still open (or awaiting their word), newest
    /// first, of the 20 newest the viewer may see: `(id, subject)`.
    pub open_tickets: Vec<(i64, String)>,
    /// Those of tickets the viewer may see.
    pub complaints: Vec<Complaint>,
}

impl Store {
    /// Everything the ticket page shows about `ticket`, which `viewer` may see.
    pub async fn ticket_page(
        &self,
        viewer: &Agent,
        ticket: &Ticket,
    ) -> StoreResult<TicketPageFacts> {
        let customer = self.customer(ticket.customer_id).await?;
        let messages = self.ticket_messages(ticket.id).await?;
        let (entries, panel_entries) = self
            .ticket_and_panel_entries(Some(ticket.id), customer.id)
            .await?;
        let history = TicketHistory::new(messages, entries, customer.id);
        let escalation = self.open_escalation(ticket.id).await?;
        let (agents, agent_names) = self.agents_and_names().await?;
        let teams = self.team_names().await?;
        let panel = self.panel_with(viewer, &customer, panel_entries).await?;
        Ok(TicketPageFacts {
            customer,
            history,
            escalation,
            agents,
            agent_names,
            teams,
            panel,
        })
    }

    /// Everything the relationship panel shows about `customer` to `viewer`.
    pub async fn panel(&self, viewer: &Agent, customer: &Customer) -> StoreResult<PanelFacts> {
        let (_, entries) = self.ticket_and_panel_entries(None, customer.id).await?;
        self.panel_with(viewer, customer, entries).await
    }

    async fn panel_with(
        &self,
        viewer: &Agent,
        customer: &Customer,
        entries: PanelEntries,
    ) -> StoreResult<PanelFacts> {
        let organization = match customer.organization_id {
            Some(id) => Some(self.organization(id).await?),
            None => None,
        };
        let health = self.customer_health_now(customer.id).await?;
        let open_tickets = self.open_tickets(viewer, customer.id).await?;
        // Complaints, promises and survey answers on a restricted team's tickets stay with its
        // members: one look at which of all their tickets the viewer may not see.
        let complaints = self.complaints(viewer, Some(customer.id), None).await?;
        let ids: Vec<i64> = [&entries.promises, &entries.moments, &entries.surveys]
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ticket_id)
            .collect();
        let hidden = self.hidden_from(viewer, &ids).await?;
        let reader = Reader::Agent {
            hidden_tickets: &hidden,
        };
        let entries = PanelEntries {
            promises: timeline::visible(entries.promises, &reader),
            moments: timeline::visible(entries.moments, &reader),
            surveys: timeline::visible(entries.surveys, &reader),
        };
        Ok(PanelFacts {
            organization,
            health,
            entries,
            open_tickets,
            complaints,
        })
    }

    async fn team_names(&self) -> StoreResult<Vec<TeamName>> {
        let rows = sqlx::query("SELECT id, name, restricted FROM teams ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(TeamName {
                    id: int(row, "id")?,
                    name: text(row, "name")?,
                    restricted: int(row, "restricted")? != 0,
                })
            })
            .collect()
    }

    /// The agents who have not left, and every agent's name, in one query.
    async fn agents_and_names(&self) -> StoreResult<(Vec<Agent>, HashMap<i64, String>)> {
        let rows = sqlx::query(
            "SELECT id, email, name, role, reports_to, title, phone, created_at, deactivated_at FROM agents ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut agents = Vec::new();
        let mut names = HashMap::new();
        for row in &rows {
            names.insert(int(row, "id")?, text(row, "name")?);
            if opt_text(row, "deactivated_at")?.is_none() {
                agents.push(crate::agents::agent_from(row)?);
            }
        }
        Ok((agents, names))
    }

    /// Of the customer's 20 newest tickets the viewer may see, those whose problem is open.
    async fn open_tickets(
        &self,
        viewer: &Agent,
        customer_id: i64,
    ) -> StoreResult<Vec<(i64, String)>> {
        let restriction =
            crate::inbox::restriction(viewer, "$2").unwrap_or_else(|| "($2 = $2)".to_owned());
        let sql = format!(
            "SELECT t.id, t.subject, t.problem FROM tickets t WHERE t.customer_id = $1 AND {restriction} \
             ORDER BY t.id DESC LIMIT 20"
        );
        let rows = sqlx::query(&sql)
            .bind(customer_id)
            .bind(viewer.id)
            .fetch_all(self.pool())
            .await?;
        let mut open = Vec::new();
        for row in &rows {
            let problem: Problem = named(row, "problem")?;
            if matches!(problem, Problem::Open | Problem::ResolutionProposed) {
                open.push((int(row, "id")?, text(row, "subject")?));
            }
        }
        Ok(open)
    }
}
