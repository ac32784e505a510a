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

pub const PASSWORD_MIN_LEN: usize = 12;
pub const PASSWORD_MAX_LEN: usize = 128;

/// The password policy of spec 09: 12–128 characters with at least one letter and one digit.
pub fn check_password_policy(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_LEN {
        return Err(format!("The password must have at least {PASSWORD_MIN_LEN} characters."));
    }
    if len > PASSWORD_MAX_LEN {
        return Err(format!("The password must have at most {PASSWORD_MAX_LEN} characters."));
    }
    if !password.chars().any(|c| c.is_alphabetic()) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err("The password must contain letters and digits.".into());
    }
    Ok(())
}

/// Which roles may do a thing. Every use case (a feature's `service`) names one of the sets below;
/// they are the only ones (the representation is private), so a feature never defines its own.
/// `None` is any signed-in user; `Some(roles)` at least one of the roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access(Option<&'static [Role]>);

/// The role matrix of spec 01 ("Roles"): every role reads the operational pages; operations
/// works Recon, Exceptions and Disputes; compliance decides liability on disputes; finance works
/// settlements; compliance, auditors and admins read the audit log; admins administer. Admin
/// holds the operational work as well, so a platform admin can unblock the desk.
impl Access {
    /// Reading any operational page or its JSON twin.
    pub const SIGNED_IN: Access = Access(None);
    /// Working the desks: recon uploads and runs, exception actions and shared views, dispute
    /// evidence, assignment, deadlines and intake.
    pub const OPS_WORK: Access = Access(Some(&[Role::Ops, Role::Admin]));
    /// Accepting a chargeback's liability (an unanswered case moved to Lost): a compliance decision.
    pub const ACCEPT_LIABILITY: Access = Access(Some(&[Role::Compliance]));
    /// Changing a dispute's status or noting on it: those who work cases, and compliance for its
    /// liability decisions (which transitions each may take is `disputes::rules`).
    pub const DISPUTE_DECISIONS: Access = Access(Some(&[Role::Ops, Role::Admin, Role::Compliance]));
    /// Creating, approving and paying settlement batches (maker-checker between two of them).
    pub const FINANCE_WORK: Access = Access(Some(&[Role::Finance]));
    /// Overview's settlement tiles (batches and net paid in the window).
    pub const FINANCE_TILES: Access = Access(Some(&[Role::Finance, Role::Admin]));
    /// Downloading payout files, which carry beneficiaries' full account numbers: finance only
    /// (everyone else sees account numbers masked).
    pub const PAYOUT_FILES: Access = Access(Some(&[Role::Finance]));
    /// Seeing merchants' payout account numbers in full, wherever they appear (payout files, the
    /// settlement summary report and its stored runs): finance, who pays them, only. Every page
    /// of batches and merchant lists shows them masked to everyone (an admin editing a merchant's
    /// bank account sees the number being edited).
    pub const FULL_ACCOUNT_NUMBERS: Access = Access::PAYOUT_FILES;
    pub const AUDIT_LOG: Access = Access(Some(&[Role::Compliance, Role::Auditor, Role::Admin]));
    /// Seeing personal data (customer e-mail and phone, numbers and addresses in free text such as
    /// bank remarks) unmasked in pages and exports: every role but the auditor's (spec 01: no
    /// exports of personal data). Merchants' payout account numbers follow
    /// [`Access::FULL_ACCOUNT_NUMBERS`].
    pub const PERSONAL_DATA: Access = Access(Some(&[Role::Ops, Role::Finance, Role::Compliance, Role::Admin]));
    pub const ADMIN: Access = Access(Some(&[Role::Admin]));
    /// Creating scheduled reports (and deleting one's own): every role that reads reports and may
    /// change anything, so not the read-only auditor.
    pub const REPORT_SCHEDULES: Access = Access(Some(&[Role::Ops, Role::Finance, Role::Compliance, Role::Admin]));

    pub fn allows(self, roles: &[Role]) -> bool {
        match self.0 {
            None => !roles.is_empty(),
            Some(allowed) => roles.iter().any(|r| allowed.contains(r)),
        }
    }

    /// The codes of the roles the set allows, as `user_roles.role_code` stores them (every role
    /// for [`Access::SIGNED_IN`]), for SQL that binds the set instead of retyping it.
    pub fn role_codes(self) -> Vec<&'static str> {
        self.0.unwrap_or(&Role::ALL).iter().map(|r| r.code()).collect()
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
        assert!(!Access::PERSONAL_DATA.allows(&[Role::Auditor]));
        assert!(Access::PERSONAL_DATA.allows(&[Role::Auditor, Role::Compliance]));
        assert!(!Access::ADMIN.allows(&[Role::Ops]));
        assert!(Access::SIGNED_IN.allows(&[Role::Auditor]));
        assert!(!Access::SIGNED_IN.allows(&[]));
        assert_eq!(Access::OPS_WORK.role_codes(), ["sp-ops", "admin"]);
        assert_eq!(Access::SIGNED_IN.role_codes().len(), Role::ALL.len());
    }

    #[test]
    fn the_desks_are_worked_by_operations_and_liability_is_a_compliance_decision() {
        assert!(Access::OPS_WORK.allows(&[Role::Ops]) && Access::OPS_WORK.allows(&[Role::Admin]));
        for reader in [Role::Finance, Role::Compliance, Role::Auditor] {
            assert!(!Access::OPS_WORK.allows(&[reader]), "{reader:?}");
            assert!(Access::SIGNED_IN.allows(&[reader]), "{reader:?}");
        }
        assert!(Access::ACCEPT_LIABILITY.allows(&[Role::Compliance]));
        assert!(!Access::ACCEPT_LIABILITY.allows(&[Role::Ops, Role::Admin]));
        assert!(Access::DISPUTE_DECISIONS.allows(&[Role::Compliance]));
        assert!(!Access::DISPUTE_DECISIONS.allows(&[Role::Auditor, Role::Finance]));
    }
}
