//! Record-level access (METHOD §0 roles, §1 "one dedicated person keeps each archive").
//!
//! Who may see and edit which customers is decided here, once, as a [`Scope`]; the store turns a
//! scope into a condition on every customer query and the web layer derives it from the signed-in
//! user, so the same rule holds for pages, the JSON API, lists, search, export and reports.

use crate::archive::StaffLevel;
use crate::ids::UserId;
use crate::model::{Customer, User};
use serde::{Deserialize, Serialize};

/// The customers a user may see and edit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "user", rename_all = "snake_case")]
pub enum Scope {
    /// Every customer: marketing director, general manager, administrator — and the command
    /// line, which runs with the database owner's authority.
    #[default]
    All,
    /// A sales representative: customers they own or are relationship manager of.
    Own(UserId),
    /// A business manager: customers owned (or relationship-managed) by them or by anyone who
    /// reports to them (`users.manager_id`).
    Team(UserId),
}

impl Scope {
    /// The scope of a signed-in user. An inactive user sees nothing the web layer lets through
    /// anyway (they cannot sign in), so only the level matters here.
    pub fn of(user: &User) -> Scope {
        match user.staff_level {
            StaffLevel::SalesRepresentative => Scope::Own(user.id),
            StaffLevel::BusinessManager => Scope::Team(user.id),
            StaffLevel::MarketingDirector
            | StaffLevel::GeneralManager
            | StaffLevel::Administrator => Scope::All,
        }
    }

    /// Whether `customer` is inside this scope, given the set of users that report to the
    /// scope's manager (only consulted for [`Scope::Team`]).
    pub fn allows(&self, customer: &Customer, team: &[UserId]) -> bool {
        let holders = [customer.owner_id, customer.relationship_manager_id];
        match self {
            Scope::All => true,
            Scope::Own(me) => holders.contains(&Some(*me)),
            Scope::Team(me) => holders
                .iter()
                .flatten()
                .any(|h| h == me || team.contains(h)),
        }
    }
}

/// What a role may do beyond its customers.
pub trait Permissions {
    /// Manage users and roles (administrators only).
    fn can_manage_users(&self) -> bool;
    /// Import files, merge duplicates, define products and custom fields: archive-wide changes.
    fn can_change_archive(&self) -> bool;
    /// Change the classification rules (thresholds, method): they re-grade every customer, so
    /// the marketing director, the general manager and administrators.
    fn can_set_class_rules(&self) -> bool;
    /// Grant credit (record a credit review) and let an order through over a customer's credit
    /// limit (METHOD §2.6): a decision about the company's money, so business managers and above,
    /// never the representative who takes the order.
    fn can_manage_credit(&self) -> bool;
}

impl Permissions for User {
    fn can_manage_users(&self) -> bool {
        self.staff_level == StaffLevel::Administrator
    }

    fn can_change_archive(&self) -> bool {
        !matches!(self.staff_level, StaffLevel::SalesRepresentative)
    }

    fn can_set_class_rules(&self) -> bool {
        !matches!(
            self.staff_level,
            StaffLevel::SalesRepresentative | StaffLevel::BusinessManager
        )
    }

    fn can_manage_credit(&self) -> bool {
        !matches!(self.staff_level, StaffLevel::SalesRepresentative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{CustomerKind, LifecycleStage};
    use crate::ids::CustomerId;
    use chrono::Utc;

    fn user(id: i64, level: StaffLevel) -> User {
        User {
            id: UserId(id),
            email: format!("u{id}@example.com"),
            name: format!("u{id}"),
            staff_level: level,
            manager_id: None,
            active: true,
            language: None,
            created_at: Utc::now(),
        }
    }

    fn customer(owner: Option<i64>, rm: Option<i64>) -> Customer {
        Customer {
            id: CustomerId(1),
            external_ref: None,
            kind: CustomerKind::Person,
            name: "x".into(),
            gender: None,
            birth_date: None,
            company: None,
            address: None,
            phone: None,
            fax: None,
            email: None,
            level: None,
            source: None,
            stage: LifecycleStage::Customer,
            churn_reason: None,
            owner_id: owner.map(UserId),
            relationship_manager_id: rm.map(UserId),
            tags: vec![],
            custom: Default::default(),
            notes: None,
            background: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn roles_map_to_scopes() {
        assert_eq!(
            Scope::of(&user(1, StaffLevel::SalesRepresentative)),
            Scope::Own(UserId(1))
        );
        assert_eq!(
            Scope::of(&user(2, StaffLevel::BusinessManager)),
            Scope::Team(UserId(2))
        );
        for l in [
            StaffLevel::MarketingDirector,
            StaffLevel::GeneralManager,
            StaffLevel::Administrator,
        ] {
            assert_eq!(Scope::of(&user(3, l)), Scope::All);
        }
    }

    #[test]
    fn own_scope_covers_owner_and_relationship_manager_only() {
        let s = Scope::Own(UserId(1));
        assert!(s.allows(&customer(Some(1), None), &[]));
        assert!(s.allows(&customer(Some(2), Some(1)), &[]));
        assert!(!s.allows(&customer(Some(2), None), &[]));
        assert!(!s.allows(&customer(None, None), &[]));
    }

    #[test]
    fn team_scope_covers_reports() {
        let s = Scope::Team(UserId(10));
        let team = [UserId(1), UserId(2)];
        assert!(s.allows(&customer(Some(10), None), &team));
        assert!(s.allows(&customer(Some(2), None), &team));
        assert!(s.allows(&customer(Some(9), Some(1)), &team));
        assert!(!s.allows(&customer(Some(9), None), &team));
    }
}
