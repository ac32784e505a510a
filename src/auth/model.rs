//! Roles (spec 01), the signed-in user as the pages see it, and the access policies the guard checks.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    #[serde(rename = "sp-ops")]
    Ops,
    #[serde(rename = "sp-finance")]
    Finance,
    #[serde(rename = "sp-compliance")]
    Compliance,
    #[serde(rename = "auditor")]
    Auditor,
    #[serde(rename = "admin")]
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Ops, Role::Finance, Role::Compliance, Role::Auditor, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Ops => "sp-ops",
            Role::Finance => "sp-finance",
            Role::Compliance => "sp-compliance",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Ops => "Operations",
            Role::Finance => "Finance",
            Role::Compliance => "Compliance",
            Role::Auditor => "Auditor",
            Role::Admin => "Admin",
        }
    }
}

/// Which roles may do a thing. Every server function and API handler names one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in user (every role reads the operational pages).
    AnySignedIn,
    /// At least one of the listed roles.
    AnyOf(&'static [Role]),
}

impl Access {
    pub const ADMIN: Access = Access::AnyOf(&[Role::Admin]);
    pub const AUDIT_LOG: Access = Access::AnyOf(&[Role::Compliance, Role::Auditor, Role::Admin]);
    pub const OPS_WORK: Access = Access::AnyOf(&[Role::Ops, Role::Admin]);
    pub const FINANCE_WORK: Access = Access::AnyOf(&[Role::Finance]);

    pub fn allows(self, roles: &[Role]) -> bool {
        match self {
            Access::AnySignedIn => !roles.is_empty(),
            Access::AnyOf(allowed) => roles.iter().any(|r| allowed.contains(r)),
        }
    }
}

/// The signed-in user: identity and roles, loaded fresh from the database on every request, so a
/// disabled account or a removed role takes effect at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub roles: Vec<Role>,
}

impl CurrentUser {
    pub fn may(&self, access: Access) -> bool {
        access.allows(&self.roles)
    }

    pub fn role_labels(&self) -> String {
        self.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn access_policies() {
        assert!(Access::AUDIT_LOG.allows(&[Role::Auditor]));
        assert!(Access::AUDIT_LOG.allows(&[Role::Ops, Role::Compliance]));
        assert!(!Access::AUDIT_LOG.allows(&[Role::Ops, Role::Finance]));
        assert!(Access::ADMIN.allows(&[Role::Admin]));
        assert!(!Access::ADMIN.allows(&[Role::Ops]));
        assert!(Access::AnySignedIn.allows(&[Role::Auditor]));
        assert!(!Access::AnySignedIn.allows(&[]));
    }
}
