//! The escalation chain: a customer who asks for a hero gets a name. Who handles their case
//! ([`handler`]), who that person reports to ([`Staff::supervisor_of`]), who a request for a
//! manager goes to ([`manager`], [`who_hears`]), and whom a letter to management reaches: the
//! top of the handler's reporting line ([`Staff::top_of_chain`]).
//!
//! Everything works on the staff as loaded, once, from the store: agents with their
//! `reports_to` and whether they are still active. A reporting line someone made into a circle
//! ends where it would come round again.

use crate::agent::{Agent, Role};
use std::collections::{BTreeMap, BTreeSet};

crate::named_enum! {
    /// What escalated a case.
    EscalationSource, "escalation source" {
        /// An agent sent it up.
        Agent => "agent",
        /// A service level target was missed.
        ServiceLevel => "service_level",
        /// The customer asked for a manager in the portal.
        Portal => "portal",
        /// The customer's email asked for a manager (the insight read it).
        Email => "email",
    }
}

/// Who an unacknowledged escalation goes to next: the first active person up the current
/// manager's reporting line. `None` at the top of the chain.
pub fn next_up(staff: &Staff, manager: i64) -> Option<i64> {
    let mut seen = BTreeSet::from([manager]);
    let mut at = manager;
    while let Some(boss) = staff.supervisor_of(at) {
        if !seen.insert(boss.id) {
            return None;
        }
        if staff.is_active(boss.id) {
            return Some(boss.id);
        }
        at = boss.id;
    }
    None
}

/// Whether `agent` may acknowledge an escalation waiting on `manager`: the manager, anyone
/// above them in the chain, or an admin.
pub fn may_acknowledge(staff: &Staff, agent: &Agent, manager: Option<i64>) -> bool {
    if agent.role == Role::Admin || manager == Some(agent.id) {
        return true;
    }
    let Some(mut at) = manager else {
        return agent.role.includes(Role::Supervisor);
    };
    let mut seen = BTreeSet::from([at]);
    while let Some(boss) = staff.supervisor_of(at) {
        if boss.id == agent.id {
            return true;
        }
        if !seen.insert(boss.id) {
            break;
        }
        at = boss.id;
    }
    false
}

/// A member of staff as the chain sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub agent: Agent,
    /// False once the agent was deactivated. A deactivated agent still names their own
    /// supervisor; only the last-resort admin must be active.
    pub active: bool,
}

/// The whole staff, by id.
#[derive(Debug, Clone, Default)]
pub struct Staff {
    members: BTreeMap<i64, StaffMember>,
}

impl Staff {
    pub fn new(members: impl IntoIterator<Item = StaffMember>) -> Staff {
        Staff {
            members: members.into_iter().map(|m| (m.agent.id, m)).collect(),
        }
    }

    pub fn get(&self, id: i64) -> Option<&Agent> {
        self.members.get(&id).map(|m| &m.agent)
    }

    /// The next person up from `id`: whom they report to.
    pub fn supervisor_of(&self, id: i64) -> Option<&Agent> {
        self.get(id)?.reports_to.and_then(|boss| self.get(boss))
    }

    /// The top of `id`'s reporting line: the first person up who reports to nobody (`id`
    /// themselves when they report to nobody). In a circle, the last person before it closes.
    pub fn top_of_chain(&self, id: i64) -> Option<&Agent> {
        let mut top = self.get(id)?;
        let mut seen = BTreeSet::from([top.id]);
        while let Some(boss) = self.supervisor_of(top.id) {
            if !seen.insert(boss.id) {
                break;
            }
            top = boss;
        }
        Some(top)
    }

    /// Whether making `agent` report to `boss` would close the reporting line into a circle
    /// (the boss is the agent, or somewhere below them).
    pub fn would_loop(&self, agent: i64, boss: i64) -> bool {
        let mut seen = BTreeSet::new();
        let mut at = Some(boss);
        while let Some(id) = at {
            if id == agent {
                return true;
            }
            if !seen.insert(id) {
                return false;
            }
            at = self.get(id).and_then(|a| a.reports_to);
        }
        false
    }

    /// How many admins are still active: the last one may not leave or step down.
    pub fn active_admins(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.active && m.agent.role == Role::Admin)
            .count()
    }

    /// The admin who acts when nobody else is named: the first one created still active.
    /// Everyone whose reporting line passes through `id` (their reports, and theirs).
    pub fn below(&self, id: i64) -> Vec<i64> {
        self.members
            .keys()
            .copied()
            .filter(|&member| {
                let mut seen = BTreeSet::from([member]);
                let mut at = member;
                while let Some(boss) = self.supervisor_of(at) {
                    if boss.id == id {
                        return member != id;
                    }
                    if !seen.insert(boss.id) {
                        return false;
                    }
                    at = boss.id;
                }
                false
            })
            .collect()
    }

    /// Whether `id` is an active member of staff.
    pub fn is_active(&self, id: i64) -> bool {
        self.members.get(&id).is_some_and(|m| m.active)
    }

    pub fn first_admin(&self) -> Option<i64> {
        self.members
            .values()
            .find(|m| m.active && m.agent.role == Role::Admin)
            .map(|m| m.agent.id)
    }
}

/// Who is named on a customer's case, as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Case {
    /// The ticket's assignee, when the case is a ticket.
    pub assignee: Option<i64>,
    /// The customer's relationship owner.
    pub customer_owner: Option<i64>,
    /// The owner of the customer's organization.
    pub organization_owner: Option<i64>,
}

/// Who handles a case: the ticket's assignee, else the customer's relationship owner, else
/// their organization's owner, else the first active admin. `None` only with no admin at all.
pub fn handler(case: &Case, staff: &Staff) -> Option<i64> {
    case.assignee
        .or(case.customer_owner)
        .or(case.organization_owner)
        .or_else(|| staff.first_admin())
}

/// Who answers a request for a manager: the handler's supervisor, or the handler when they
/// report to nobody (their chain ends with them).
pub fn manager(handler: Option<&Agent>, supervisor: Option<&Agent>) -> Option<i64> {
    supervisor.or(handler).map(|a| a.id)
}

/// One person told of a request for a manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Told {
    pub agent_id: i64,
    /// Whether they are the one to answer (see [`manager`]); else they brief the manager.
    pub is_manager: bool,
}

/// Who is told of a request for a manager: the handler, then their supervisor, each once.
pub fn who_hears(handler: Option<&Agent>, supervisor: Option<&Agent>) -> Vec<Told> {
    let manager = manager(handler, supervisor);
    let mut told: Vec<Told> = Vec::new();
    for agent in [handler, supervisor].into_iter().flatten() {
        if told.iter().any(|t| t.agent_id == agent.id) {
            continue;
        }
        told.push(Told {
            agent_id: agent.id,
            is_manager: Some(agent.id) == manager,
        });
    }
    told
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unacknowledged_escalation_goes_to_the_next_active_person_up() {
        // 4 reports to 3 (deactivated), who reports to 2, who reports to 1.
        let staff = Staff::new([
            member(1, Role::Admin, None, true),
            member(2, Role::Supervisor, Some(1), true),
            member(3, Role::Supervisor, Some(2), false),
            member(4, Role::Agent, Some(3), true),
        ]);
        assert_eq!(next_up(&staff, 4), Some(2), "past the one who left");
        assert_eq!(next_up(&staff, 2), Some(1));
        assert_eq!(next_up(&staff, 1), None, "the top of the chain");
        let agent = |id| staff.get(id).cloned().expect("agent");
        assert!(may_acknowledge(&staff, &agent(2), Some(4)), "above them");
        assert!(may_acknowledge(&staff, &agent(4), Some(4)), "the one named");
        assert!(!may_acknowledge(&staff, &agent(4), Some(2)), "not below");
        assert!(may_acknowledge(&staff, &agent(1), Some(4)), "an admin");
    }

    fn member(id: i64, role: Role, reports_to: Option<i64>, active: bool) -> StaffMember {
        StaffMember {
            agent: Agent {
                id,
                email: format!("agent{id}@rapport.test"),
                name: format!("Agent {id}"),
                role,
                reports_to,
                title: None,
                phone: None,
                created_at: "2026-01-01T00:00:00.000000Z".to_owned(),
            },
            active,
        }
    }

    #[test]
    fn a_reporting_line_cannot_be_made_into_a_circle() {
        let staff = staff();
        assert!(
            staff.would_loop(3, 4),
            "3's own report cannot become 3's boss"
        );
        assert!(staff.would_loop(2, 4), "nor someone further down");
        assert!(staff.would_loop(4, 4), "nobody reports to themselves");
        assert!(!staff.would_loop(4, 2), "a boss further up is fine");
        assert!(!staff.would_loop(5, 3));
        assert_eq!(staff.active_admins(), 1);
    }

    /// 1 admin (inactive), 2 admin, 3 supervisor under 2, 4 agent under 3, 5 agent alone.
    fn staff() -> Staff {
        Staff::new([
            member(1, Role::Admin, None, false),
            member(2, Role::Admin, None, true),
            member(3, Role::Supervisor, Some(2), true),
            member(4, Role::Agent, Some(3), true),
            member(5, Role::Agent, None, true),
        ])
    }

    #[test]
    fn the_assignee_handles_the_case_then_the_owners_then_an_admin() {
        let staff = staff();
        let all = Case {
            assignee: Some(4),
            customer_owner: Some(5),
            organization_owner: Some(3),
        };
        assert_eq!(handler(&all, &staff), Some(4));
        let unassigned = Case {
            assignee: None,
            ..all
        };
        assert_eq!(handler(&unassigned, &staff), Some(5));
        let org_only = Case {
            organization_owner: Some(3),
            ..Case::default()
        };
        assert_eq!(handler(&org_only, &staff), Some(3));
        // Nobody named: the first admin still active (1 was deactivated).
        assert_eq!(handler(&Case::default(), &staff), Some(2));
        assert_eq!(handler(&Case::default(), &Staff::default()), None);
    }

    #[test]
    fn the_supervisor_is_whom_the_handler_reports_to() {
        let staff = staff();
        assert_eq!(staff.supervisor_of(4).map(|a| a.id), Some(3));
        assert_eq!(staff.supervisor_of(5), None);
        assert_eq!(staff.supervisor_of(99), None);
    }

    #[test]
    fn letters_reach_the_top_of_the_chain() {
        let staff = staff();
        assert_eq!(staff.top_of_chain(4).map(|a| a.id), Some(2));
        assert_eq!(staff.top_of_chain(2).map(|a| a.id), Some(2));
        assert_eq!(staff.top_of_chain(5).map(|a| a.id), Some(5));
        assert_eq!(staff.top_of_chain(99), None);
    }

    #[test]
    fn a_circle_in_the_chain_ends_before_it_closes() {
        let staff = Staff::new([
            member(1, Role::Agent, Some(2), true),
            member(2, Role::Supervisor, Some(3), true),
            member(3, Role::Supervisor, Some(1), true),
            member(4, Role::Agent, Some(4), true),
        ]);
        assert_eq!(staff.top_of_chain(1).map(|a| a.id), Some(3));
        assert_eq!(staff.top_of_chain(4).map(|a| a.id), Some(4));
    }

    #[test]
    fn a_request_for_a_manager_goes_to_the_supervisor_and_the_handler_briefs_them() {
        let staff = staff();
        let (handler, supervisor) = (staff.get(4), staff.supervisor_of(4));
        assert_eq!(manager(handler, supervisor), Some(3));
        assert_eq!(
            who_hears(handler, supervisor),
            vec![
                Told {
                    agent_id: 4,
                    is_manager: false
                },
                Told {
                    agent_id: 3,
                    is_manager: true
                },
            ]
        );
    }

    #[test]
    fn a_handler_with_nobody_above_answers_it_themselves() {
        let staff = staff();
        let handler = staff.get(5);
        assert_eq!(manager(handler, None), Some(5));
        assert_eq!(
            who_hears(handler, None),
            vec![Told {
                agent_id: 5,
                is_manager: true
            }]
        );
        // Someone who reports to themselves is told once.
        let own = Staff::new([member(6, Role::Agent, Some(6), true)]);
        let told = who_hears(own.get(6), own.supervisor_of(6));
        assert_eq!(told.len(), 1);
        assert!(told[0].is_manager);
        assert_eq!(manager(None, None), None);
    }
}
