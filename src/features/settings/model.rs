//! Settings' types and pure rules: a user as the admin's list shows it, the new-user form and its
//! checks, the actions on a user (disable, enable, unlock, reset the password, set the roles) and
//! the rules that keep an admin from locking the platform out of itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Role;

/// One user in the admin's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub roles: Vec<Role>,
    pub active: bool,
    /// Locked after too many failed sign-ins, until then (spec 09: 30 minutes).
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// API tokens neither revoked nor expired.
    pub live_tokens: i64,
}

impl UserRow {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// What `/settings` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersView {
    pub users: Vec<UserRow>,
    pub now: DateTime<Utc>,
    pub me: Uuid,
}

/// The new-user form (the page's and the API's fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserForm {
    pub email: String,
    pub name: String,
    /// Role codes (`sp-ops`, …).
    #[serde(default)]
    pub roles: Vec<String>,
    pub password: String,
}

/// A checked new user (the password still in clear: it is hashed on a blocking thread).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub password: String,
}

/// An e-mail address as users are keyed by it: trimmed, lower case, one `@` with text either side,
/// no blanks, at most 254 characters.
pub fn parse_email(email: &str) -> Result<String, String> {
    let e = email.trim().to_lowercase();
    let well_formed = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(e.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
    if well_formed {
        Ok(e)
    } else {
        Err(format!("{:?} is not an e-mail address.", email.trim()))
    }
}

/// Role codes as a set of roles: at least one, each known, no repeats.
pub fn parse_roles(codes: &[String]) -> Result<Vec<Role>, String> {
    let mut roles = Vec::new();
    for code in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let role = Role::parse(&code.to_ascii_lowercase()).ok_or(format!("Unknown role {code:?}."))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err("Give the user at least one role.".into());
    }
    roles.sort();
    Ok(roles)
}

impl NewUserForm {
    pub fn parse(&self) -> Result<NewUser, String> {
        let email = parse_email(&self.email)?;
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err("Give the user's name (at most 100 characters).".into());
        }
        let roles = parse_roles(&self.roles)?;
        crate::auth::check_password_policy(&self.password)?;
        Ok(NewUser { email, name, roles, password: self.password.clone() })
    }
}

/// What an admin does to a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserAction {
    /// No more sign-ins; their sessions and API tokens stop at once.
    Disable,
    Enable,
    /// Clear a lockout (and the failures counted towards one).
    Unlock,
    /// Set a new password; their sessions end.
    Reset {
        password: String,
    },
    /// Replace their roles.
    Roles(Vec<Role>),
}

impl UserAction {
    pub fn code(&self) -> &'static str {
        match self {
            UserAction::Disable => "disable",
            UserAction::Enable => "enable",
            UserAction::Unlock => "unlock",
            UserAction::Reset { .. } => "reset",
            UserAction::Roles(_) => "roles",
        }
    }

    /// `action` with the fields it needs: `roles` for `roles`, `password` for `reset`.
    pub fn parse(action: &str, roles: &[String], password: Option<&str>) -> Result<UserAction, String> {
        match action.trim().to_ascii_lowercase().as_str() {
            "disable" => Ok(UserAction::Disable),
            "enable" => Ok(UserAction::Enable),
            "unlock" => Ok(UserAction::Unlock),
            "reset" => {
                let password = password.unwrap_or_default();
                crate::auth::check_password_policy(password)?;
                Ok(UserAction::Reset { password: password.to_string() })
            }
            "roles" => Ok(UserAction::Roles(parse_roles(roles)?)),
            other => Err(format!("Unknown action {other:?}: disable, enable, unlock, reset or roles.")),
        }
    }

    /// The rules that keep the platform administrable: an admin never disables themself nor takes
    /// away their own admin role, and the last active admin keeps being one (reachable only when
    /// another admin's change lands first: the caller is an active admin). An admin's own password
    /// is changed on their profile, with the current one, not reset here. An action that would
    /// change nothing is refused too. `target` is the user acted on, `active_admins` how many
    /// active admins there are now.
    pub fn refusal(&self, actor: Uuid, target: &UserRow, active_admins: i64, now: DateTime<Utc>) -> Option<String> {
        let is_admin = target.active && target.roles.contains(&Role::Admin);
        let last_admin = is_admin && active_admins <= 1;
        match self {
            UserAction::Disable if target.id == actor => Some("You cannot disable your own account.".into()),
            UserAction::Reset { .. } if target.id == actor => {
                Some("Change your own password on your profile page, with your current password.".into())
            }
            UserAction::Unlock if !target.is_locked(now) => Some(format!("{} is not locked.", target.email)),
            UserAction::Disable if last_admin => {
                Some("This is the last active admin: make another user an admin first.".into())
            }
            UserAction::Disable if !target.active => Some(format!("{} is already disabled.", target.email)),
            UserAction::Enable if target.active => Some(format!("{} is already enabled.", target.email)),
            UserAction::Roles(roles) if !roles.contains(&Role::Admin) && target.id == actor && is_admin => {
                Some("You cannot take away your own admin role.".into())
            }
            UserAction::Roles(roles) if !roles.contains(&Role::Admin) && last_admin => {
                Some("This is the last active admin: make another user an admin first.".into())
            }
            UserAction::Roles(roles) if *roles == target.roles => {
                Some(format!("{} already has exactly those roles.", target.email))
            }
            _ => None,
        }
    }
}

/// The settings page's user forms as the browser posts them (`form[email]`, `form[role_admin]`, …):
/// a new user (`email`, `name`, `password`, the role boxes) or an action on one (`id`, `action`, and
/// `password` or the role boxes). A role box is present ("on") when ticked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub role_sp_ops: Option<String>,
    #[serde(default)]
    pub role_sp_finance: Option<String>,
    #[serde(default)]
    pub role_sp_compliance: Option<String>,
    #[serde(default)]
    pub role_auditor: Option<String>,
    #[serde(default)]
    pub role_admin: Option<String>,
}

impl UserForm {
    /// The name of a role's box (`role_sp_ops`, …).
    pub fn role_field(role: Role) -> &'static str {
        match role {
            Role::Ops => "role_sp_ops",
            Role::Finance => "role_sp_finance",
            Role::Compliance => "role_sp_compliance",
            Role::Auditor => "role_auditor",
            Role::Admin => "role_admin",
        }
    }

    /// The codes of the ticked roles.
    pub fn role_codes(&self) -> Vec<String> {
        let boxes = [
            (Role::Ops, &self.role_sp_ops),
            (Role::Finance, &self.role_sp_finance),
            (Role::Compliance, &self.role_sp_compliance),
            (Role::Auditor, &self.role_auditor),
            (Role::Admin, &self.role_admin),
        ];
        boxes.into_iter().filter(|(_, v)| v.is_some()).map(|(r, _)| r.code().to_string()).collect()
    }

    pub fn new_user(&self) -> NewUserForm {
        NewUserForm {
            email: self.email.clone().unwrap_or_default(),
            name: self.name.clone().unwrap_or_default(),
            roles: self.role_codes(),
            password: self.password.clone().unwrap_or_default(),
        }
    }
}

/// The profile page's password change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChangeForm {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

impl PasswordChangeForm {
    /// The new password when it may replace the current one (the current one is checked apart).
    pub fn parse(&self) -> Result<String, String> {
        if self.current.is_empty() {
            return Err("Enter your current password.".into());
        }
        if self.new != self.confirm {
            return Err("The new password and its confirmation differ.".into());
        }
        if self.new == self.current {
            return Err("The new password must differ from the current one.".into());
        }
        crate::auth::check_password_policy(&self.new)?;
        Ok(self.new.clone())
    }
}

/// The lifetimes a token made on the profile page may have, in days (the form's choices).
pub const TOKEN_DAYS: [i64; 4] = [30, 90, 180, 365];
/// Live tokens one user may hold.
pub const MAX_LIVE_TOKENS: i64 = 10;

/// One API token as its owner's profile (and the admin's list) shows it; never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: Uuid,
    pub owner: String,
    pub name: String,
    /// The secret's first characters (`spo_abc123`), to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// None: a token made on the command line without an expiry.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenState {
    Live,
    Expired,
    Revoked,
}

impl TokenRow {
    pub fn state(&self, now: DateTime<Utc>) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now) {
            TokenState::Expired
        } else {
            TokenState::Live
        }
    }
}

/// A new token's secret, shown once on the page that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub secret: String,
    pub expires_at: DateTime<Utc>,
    /// The secret waits in its maker's session until the profile shows it, but not past this.
    pub show_until: DateTime<Utc>,
}

/// How long a new token's secret waits in the session for the profile to show it.
pub const SECRET_SHOWN_FOR_MINUTES: i64 = 10;

/// What the profile's and the settings page's token lists show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensView {
    pub tokens: Vec<TokenRow>,
    pub now: DateTime<Utc>,
    /// The token just made, its secret shown this once.
    pub new_token: Option<NewToken>,
}

/// The new-token form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenForm {
    pub name: String,
    pub days: String,
}

impl TokenForm {
    /// The name (1–100 characters on one line) and the lifetime (one of [`TOKEN_DAYS`]).
    pub fn parse(&self) -> Result<(String, i64), String> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err("Give the token a name of up to 100 characters on one line (what uses it).".into());
        }
        let days = self
            .days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| TOKEN_DAYS.contains(d))
            .ok_or("A token lasts 30, 90, 180 or 365 days.")?;
        Ok((name, days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_forms_and_states() {
        let form = |name: &str, days: &str| TokenForm { name: name.into(), days: days.into() };
        assert_eq!(form(" load test ", "90").parse(), Ok(("load test".to_string(), 90)));
        assert!(form("", "90").parse().unwrap_err().contains("name"));
        assert!(form("a\nb", "90").parse().unwrap_err().contains("one line"));
        assert!(form("x", "7").parse().unwrap_err().contains("30, 90, 180 or 365"));
        assert!(form("x", "forever").parse().is_err());
        let now = Utc::now();
        let row = TokenRow {
            id: Uuid::nil(),
            owner: "a@b.c".into(),
            name: "t".into(),
            prefix: "spo_x".into(),
            created_at: now,
            expires_at: Some(now + chrono::Duration::days(1)),
            last_used_at: None,
            revoked_at: None,
        };
        assert_eq!(row.state(now), TokenState::Live);
        assert_eq!(row.state(now + chrono::Duration::days(1)), TokenState::Expired);
        assert_eq!(TokenRow { revoked_at: Some(now), ..row.clone() }.state(now), TokenState::Revoked);
        assert_eq!(TokenRow { expires_at: None, ..row }.state(now + chrono::Duration::days(999)), TokenState::Live);
    }

    fn user(id: Uuid, roles: &[Role], active: bool) -> UserRow {
        UserRow {
            id,
            email: "u@settlepaisa.test".into(),
            full_name: "U".into(),
            roles: roles.to_vec(),
            active,
            locked_until: None,
            last_login_at: None,
            created_at: Utc::now(),
            live_tokens: 0,
        }
    }

    #[test]
    fn a_new_user_is_checked_in_words() {
        let form = NewUserForm {
            email: " New.User@SettlePaisa.test ".into(),
            name: " New User ".into(),
            roles: vec!["sp-ops".into(), "ADMIN".into(), "sp-ops".into()],
            password: "Good-Password-2026".into(),
        };
        let u = form.parse().unwrap();
        assert_eq!(u.email, "new.user@settlepaisa.test");
        assert_eq!(u.name, "New User");
        assert_eq!(u.roles, vec![Role::Ops, Role::Admin]);
        for (bad, why) in [
            (NewUserForm { email: "nobody".into(), ..form.clone() }, "not an e-mail"),
            (NewUserForm { email: "a b@x.in".into(), ..form.clone() }, "not an e-mail"),
            (NewUserForm { email: "a@localhost".into(), ..form.clone() }, "not an e-mail"),
            (NewUserForm { name: " ".into(), ..form.clone() }, "name"),
            (NewUserForm { roles: vec![], ..form.clone() }, "at least one role"),
            (NewUserForm { roles: vec!["root".into()], ..form.clone() }, "Unknown role"),
            (NewUserForm { password: "short1".into(), ..form.clone() }, "at least 12"),
            (NewUserForm { password: "no-digits-at-all".into(), ..form.clone() }, "letters and digits"),
        ] {
            let e = bad.parse().unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn actions_parse_with_their_fields() {
        assert_eq!(UserAction::parse("Disable", &[], None), Ok(UserAction::Disable));
        assert_eq!(UserAction::parse("roles", &["auditor".into()], None), Ok(UserAction::Roles(vec![Role::Auditor])));
        assert!(UserAction::parse("roles", &[], None).is_err());
        assert!(UserAction::parse("reset", &[], Some("weak")).is_err());
        assert!(UserAction::parse("reset", &[], Some("Strong-Pass-2026")).is_ok());
        assert!(UserAction::parse("delete", &[], None).is_err());
    }

    #[test]
    fn an_admin_cannot_lock_the_platform_out() {
        let (me, other) = (Uuid::new_v4(), Uuid::new_v4());
        let now = Utc::now();
        let me_admin = user(me, &[Role::Admin], true);
        let other_admin = user(other, &[Role::Admin], true);
        assert!(UserAction::Disable.refusal(me, &me_admin, 2, now).unwrap().contains("your own"));
        assert!(UserAction::Roles(vec![Role::Ops]).refusal(me, &me_admin, 2, now).unwrap().contains("your own admin"));
        assert!(UserAction::Disable.refusal(me, &other_admin, 1, now).unwrap().contains("last active admin"));
        assert!(UserAction::Roles(vec![Role::Ops])
            .refusal(me, &other_admin, 1, now)
            .unwrap()
            .contains("last active admin"));
        assert_eq!(UserAction::Disable.refusal(me, &other_admin, 2, now), None);
        assert_eq!(UserAction::Roles(vec![Role::Ops, Role::Admin]).refusal(me, &me_admin, 1, now), None);
        assert!(UserAction::Roles(vec![Role::Admin]).refusal(me, &other_admin, 2, now).unwrap().contains("already"));
        let ops = user(other, &[Role::Ops], false);
        assert!(UserAction::Disable.refusal(me, &ops, 1, now).unwrap().contains("already disabled"));
        assert_eq!(UserAction::Enable.refusal(me, &ops, 1, now), None);
        assert!(UserAction::Unlock.refusal(me, &ops, 1, now).unwrap().contains("not locked"));
        let locked = UserRow { locked_until: Some(now + chrono::Duration::minutes(5)), ..ops.clone() };
        assert_eq!(UserAction::Unlock.refusal(me, &locked, 1, now), None);
        let reset = UserAction::Reset { password: "Strong-Pass-2026".into() };
        assert!(reset.refusal(me, &me_admin, 2, now).unwrap().contains("profile"));
        assert_eq!(reset.refusal(me, &ops, 2, now), None);
    }

    #[test]
    fn a_password_change_needs_the_current_one_and_a_matching_new_one() {
        let ok = PasswordChangeForm {
            current: "Old-Password-1".into(),
            new: "New-Password-22".into(),
            confirm: "New-Password-22".into(),
        };
        assert_eq!(ok.parse().unwrap(), "New-Password-22");
        assert!(PasswordChangeForm { confirm: "x".into(), ..ok.clone() }.parse().unwrap_err().contains("differ"));
        assert!(PasswordChangeForm { current: String::new(), ..ok.clone() }.parse().unwrap_err().contains("current"));
        let same = PasswordChangeForm { new: "Old-Password-1".into(), confirm: "Old-Password-1".into(), ..ok.clone() };
        assert!(same.parse().unwrap_err().contains("differ from the current"));
        let weak = PasswordChangeForm { new: "weak".into(), confirm: "weak".into(), ..ok };
        assert!(weak.parse().is_err());
    }
}
