//! `rapport serve --demo`: a small, realistic workspace to explore, seeded once. The stories
//! come from the seeds: the customer with two problems in one mail, the backup ticket that was
//! "technically correct", the partner whose laptop keeps breaking.

use rapport_domain::{Actor, Channel, Priority, RelationshipKind, Role, Visibility};
use rapport_store::agents::NewAgent;
use rapport_store::calls::{CallDirection, NewCall};
use rapport_store::organizations::NewOrganization;
use rapport_store::promises::{NewPromise, PromiseKind};
use rapport_store::tickets::{CustomerRef, NewTicket, TicketMove, TicketPatch};
use rapport_store::{Store, StoreResult};
use std::net::SocketAddr;

const SEEDED: &str = "demo_seeded";

/// Each demo agent's password is their first name followed by this.
const PASSWORD_SUFFIX: &str = "-demo-2026";

pub struct DemoLogin {
    /// The admin's fresh API token, only when the workspace was seeded just now.
    token: Option<String>,
}

impl DemoLogin {
    pub fn print(&self, listen: SocketAddr) {
        eprintln!(
            "\nDemo workspace. Agents (password = first name in lower case + \"{PASSWORD_SUFFIX}\"):"
        );
        eprintln!("    maya@rapport.example   admin        (password maya{PASSWORD_SUFFIX})");
        eprintln!("    priya@rapport.example  supervisor   reports to Maya");
        eprintln!("    sam@rapport.example    agent        reports to Priya");
        eprintln!("Sign in at http://{listen}/ (press ? there for the keyboard shortcuts).");
        eprintln!(
            "\nCustomers use the portal at http://{listen}/portal; to see it as Ana Silva, open the link\n\
             printed by:\n    rapport admin portal-link --email ana@harborpine.example"
        );
        match &self.token {
            Some(token) => {
                eprintln!("\nAPI token for Maya (shown once):\n    {token}");
                eprintln!(
                    "\nTry:\n    curl -s http://{listen}/api/v1/tickets -H \"Authorization: Bearer {token}\"\n"
                );
            }
            None => eprintln!(
                "\nThe demo was seeded earlier; get a new API token with:\n    rapport admin create-token --email maya@rapport.example\n"
            ),
        }
    }
}

pub async fn seed(store: &Store) -> StoreResult<DemoLogin> {
    if store.setting(SEEDED).await?.is_some() {
        return Ok(DemoLogin { token: None });
    }
    let system = Actor::System;
    let password = |first: &str| format!("{first}{PASSWORD_SUFFIX}");
    let maya_password = password("maya");
    let maya = store
        .create_agent(
            NewAgent {
                email: "maya@rapport.example",
                name: "Maya Okafor",
                role: Role::Admin,
                reports_to: None,
                password: Some(&maya_password),
            },
            system,
        )
        .await?;
    let priya_password = password("priya");
    let priya = store
        .create_agent(
            NewAgent {
                email: "priya@rapport.example",
                name: "Priya Raman",
                role: Role::Supervisor,
                reports_to: Some("maya@rapport.example"),
                password: Some(&priya_password),
            },
            system,
        )
        .await?;
    let sam_password = password("sam");
    let sam = store
        .create_agent(
            NewAgent {
                email: "sam@rapport.example",
                name: "Sam Lindqvist",
                role: Role::Agent,
                reports_to: Some("priya@rapport.example"),
                password: Some(&sam_password),
            },
            system,
        )
        .await?;
    let support = store
        .create_team("Support", &[priya.id, sam.id], false, system)
        .await?;

    store
        .create_organization(
            NewOrganization {
                name: "Harbor & Pine Architects",
                domains: &["harborpine.example".to_owned()],
                relationship_kind: RelationshipKind::Partnership,
                owner_id: Some(priya.id),
            },
            system,
        )
        .await?;
    store
        .create_organization(
            NewOrganization {
                name: "Lumen Bakery",
                domains: &["lumenbakery.example".to_owned()],
                relationship_kind: RelationshipKind::Transactional,
                owner_id: None,
            },
            system,
        )
        .await?;

    let as_sam = Actor::Agent(sam.id);
    let (spam, _) = store
        .create_ticket(
            NewTicket {
                subject: "Good mail marked as spam, and real spam still getting through",
                body: "Hi,\n\nSpamAssassin keeps tagging mail from our clients as spam. At the same time \
                       we get more real spam than ever. Can you look at both?\n\nAna",
                customer: CustomerRef::Email { email: "ana@harborpine.example", name: Some("Ana Silva") },
                channel: Channel::Email,
                priority: Priority::Normal,
                tags: &["email".to_owned(), "spam".to_owned()],
            },
            system,
        )
        .await?;
    store
        .update_ticket(
            spam.id,
            TicketPatch {
                assignee_id: Some(Some(sam.id)),
                team_id: Some(Some(support.id)),
                ..Default::default()
            },
            as_sam,
        )
        .await?;
    store
        .add_message(
            spam.id,
            as_sam,
            Channel::Note,
            Visibility::Internal,
            "Ana mentioned a trip to Lisbon next month; worth a call rather than a long email.",
        )
        .await?;

    let (backup, _) = store
        .create_ticket(
            NewTicket {
                subject: "Nightly backup over the private network fails",
                body: "Our second backup job to your private network has failed every night since Monday. \
                       The first one still works. What changed?",
                customer: CustomerRef::Email { email: "dan@lumenbakery.example", name: Some("Dan Whitaker") },
                channel: Channel::Portal,
                priority: Priority::High,
                tags: &["backup".to_owned()],
            },
            system,
        )
        .await?;
    store
        .update_ticket(
            backup.id,
            TicketPatch {
                assignee_id: Some(Some(sam.id)),
                ..Default::default()
            },
            as_sam,
        )
        .await?;
    store
        .add_message(
            backup.id,
            as_sam,
            Channel::Email,
            Visibility::Public,
            "Hi Dan, I'm sorry the backups are failing. I have asked our network team to check the route \
             from your rack and will call you tomorrow before noon with what we find.",
        )
        .await?;

    let (usb, _) = store
        .create_ticket(
            NewTicket {
                subject: "USB port on the replacement laptop drops the connection again",
                body: "The replacement laptop has the same USB problem as the old one. This is the third time.",
                customer: CustomerRef::Email { email: "lee@harborpine.example", name: Some("Lee Chen") },
                channel: Channel::Email,
                priority: Priority::Urgent,
                tags: &["hardware".to_owned(), "warranty".to_owned()],
            },
            system,
        )
        .await?;
    store
        .update_ticket(
            usb.id,
            TicketPatch {
                assignee_id: Some(Some(priya.id)),
                ..Default::default()
            },
            Actor::Agent(priya.id),
        )
        .await?;
    store
        .add_message(
            usb.id,
            Actor::Agent(priya.id),
            Channel::Email,
            Visibility::Public,
            "Lee, I'm sorry this keeps happening. A technician replaced the USB board this morning under \
             your warranty. Could you try it today and tell me whether it holds?",
        )
        .await?;
    store
        .move_ticket(
            usb.id,
            TicketMove::ProposeResolution,
            Actor::Agent(priya.id),
        )
        .await?;

    let (invoice, _) = store
        .create_ticket(
            NewTicket {
                subject: "Invoice shows the wrong VAT number",
                body: "Our VAT number on last month's invoice is wrong; could you send a corrected one?",
                customer: CustomerRef::Email { email: "rosa@lumenbakery.example", name: Some("Rosa Marin") },
                channel: Channel::Email,
                priority: Priority::Low,
                tags: &["billing".to_owned()],
            },
            system,
        )
        .await?;
    store
        .add_message(
            invoice.id,
            Actor::Agent(maya.id),
            Channel::Email,
            Visibility::Public,
            "Rosa, here is the corrected invoice. Thank you for catching it.",
        )
        .await?;
    store
        .move_ticket(
            invoice.id,
            TicketMove::ProposeResolution,
            Actor::Agent(maya.id),
        )
        .await?;
    let rosa = store.customer_by_email("rosa@lumenbakery.example").await?;
    if let Some(rosa) = rosa {
        store
            .move_ticket(
                invoice.id,
                TicketMove::ConfirmResolution,
                Actor::Customer(rosa.id),
            )
            .await?;
    }

    let (vendor, _) = store
        .create_ticket(
            NewTicket {
                subject: "Plotter driver for the new office",
                body: "We need the driver for the large-format plotter installed on the new office machines.",
                customer: CustomerRef::Email { email: "ana@harborpine.example", name: None },
                channel: Channel::Email,
                priority: Priority::Normal,
                tags: &[],
            },
            system,
        )
        .await?;
    store
        .move_ticket(vendor.id, TicketMove::Hold, as_sam)
        .await?;

    // The relationship memory: an owner, a promise, a personal moment and a call.
    let ana = store.customer_by_email("ana@harborpine.example").await?;
    if let Some(ana) = &ana {
        store
            .set_customer_owner(ana.id, Some(priya.id), None, system)
            .await?;
        let trip = (store.clock().now() + time::Duration::days(21)).date();
        store
            .create_moment(
                ana.id,
                sam.id,
                "Flying to Lisbon for her sister's wedding; back the week after.",
                Some(&trip.to_string()),
            )
            .await?;
    }
    let dan = store.customer_by_email("dan@lumenbakery.example").await?;
    if let Some(dan) = &dan {
        let due = rapport_store::clock::format(store.clock().now() + time::Duration::hours(26));
        store
            .create_promise(
                NewPromise {
                    customer_id: dan.id,
                    ticket_id: Some(backup.id),
                    agent_id: sam.id,
                    kind: PromiseKind::CallBack,
                    what: "Call Dan with what the network team found",
                    channel: "phone",
                    phone: Some("+1 828 555 0147"),
                    window_start: None,
                    due_at: &due,
                },
                as_sam,
            )
            .await?;
    }
    store
        .log_call(NewCall {
            ticket_id: spam.id,
            agent_id: sam.id,
            direction: CallDirection::Outbound,
            started_at: &store.now(),
            duration_seconds: 540,
            summary: "Went through the SpamAssassin settings with Ana; she'd rather turn it off than keep tuning it.",
            agreed: Some("Turn SpamAssassin off for her domain; Ana forwards any spam that gets through."),
        })
        .await?;

    // A policy with its reason, so the coach has one to point at.
    store
        .create_policy(
            rapport_domain::policy::PolicyText::new(
                "Refunds within 30 days",
                "Licences are refunded in full within 30 days of purchase.",
                "After a month the licence has been registered with the vendor, who no longer takes it back; the price everyone pays counts on that.",
                &[
                    "A credit for the full price towards another product".to_owned(),
                    "Moving the licence to another of the customer's machines".to_owned(),
                ],
                &["refund".to_owned(), "money back".to_owned(), "30 days".to_owned()],
                Some(rapport_domain::policy::Limit { count: 1, days: 365 }),
            )?,
            Actor::Agent(maya.id),
        )
        .await?;

    let token = store.create_token(maya.id, "demo").await?;
    store.set_setting(SEEDED, "yes").await?;
    Ok(DemoLogin {
        token: Some(token.token),
    })
}
