//! Staff: agents, their roles and the reporting line that escalations follow.

use crate::named_enum;

named_enum! {
    /// What a staff member may do. Each role includes everything the roles below it may do.
    Role, "role" {
        Agent => "agent",
        Supervisor => "supervisor",
        Admin => "admin",
    }
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Agent => 0,
            Role::Supervisor => 1,
            Role::Admin => 2,
        }
    }

    /// Whether this role includes `needed` (an admin may do what a supervisor may).
    pub fn includes(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }

    /// The roles that include `needed`, for error messages: "supervisor or admin".
    pub fn describe_at_least(needed: Role) -> String {
        let roles: Vec<&str> = Role::ALL
            .iter()
            .filter(|role| role.includes(needed))
            .map(|role| role.as_str())
            .collect();
        roles.join(" or ")
    }
}

named_enum! {
    /// Why a single-use link lets an agent choose a password: an admin invited them, or they
    /// asked for a reset on the sign-in page.
    AgentLinkPurpose, "purpose" {
        Invite => "invite",
        PasswordReset => "password_reset",
    }
}

/// How long an agent's browser session lasts without use.
pub const SESSION_IDLE_SECONDS: i64 = 14 * 24 * 60 * 60;

/// How long an agent's browser session lasts at most, however often it is used: a cookie taken
/// from a shared or stolen machine stops working within a month even if whoever holds it keeps
/// it busy, and a month is long enough that agents who work every day sign in once a month.
pub const SESSION_MAX_SECONDS: i64 = 30 * 24 * 60 * 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.includes(Role::Supervisor));
        assert!(Role::Supervisor.includes(Role::Agent));
        assert!(!Role::Agent.includes(Role::Supervisor));
        assert!(!Role::Supervisor.includes(Role::Admin));
    }

    #[test]
    fn a_restricted_team_is_open_to_its_members_and_admins_only() {
        let agent = |id, role| Agent {
            id,
            email: format!("{id}@rapport.test"),
            name: format!("Agent {id}"),
            role,
            reports_to: None,
            title: None,
            phone: None,
            created_at: String::new(),
        };
        let mut team = Team {
            id: 1,
            name: "Legal".into(),
            member_ids: vec![2],
            restricted: true,
            created_at: String::new(),
        };
        assert!(team.is_open_to(&agent(2, Role::Agent)), "a member");
        assert!(team.is_open_to(&agent(3, Role::Admin)), "an admin");
        assert!(!team.is_open_to(&agent(4, Role::Agent)), "an outsider");
        assert!(
            !team.is_open_to(&agent(5, Role::Supervisor)),
            "a supervisor outside the team"
        );
        team.restricted = false;
        assert!(team.is_open_to(&agent(4, Role::Agent)), "an open team");
    }

    #[test]
    fn role_names_parse_and_explain() {
        assert_eq!("supervisor".parse::<Role>(), Ok(Role::Supervisor));
        let err = "boss".parse::<Role>().expect_err("unknown role");
        assert_eq!(
            err.message,
            "`boss` is not a role; use one of: agent, supervisor, admin"
        );
        assert_eq!(
            Role::describe_at_least(Role::Supervisor),
            "supervisor or admin"
        );
    }
}

/// A member of staff. `reports_to` is the next person up the escalation chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Agent {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub reports_to: Option<i64>,
    /// Their title as customers may read it, such as "Customer care lead".
    pub title: Option<String>,
    /// Their direct phone number, for customers when the workspace publishes it.
    pub phone: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub member_ids: Vec<i64>,
    /// A restricted team's tickets are seen only by its members and admins.
    pub restricted: bool,
    pub created_at: String,
}

impl Team {
    /// Whether `agent` may see this team's tickets, and so put a ticket in it: anyone for an
    /// open team; for a restricted one, its members and admins.
    pub fn is_open_to(&self, agent: &Agent) -> bool {
        !self.restricted || agent.role == Role::Admin || self.member_ids.contains(&agent.id)
    }
}
