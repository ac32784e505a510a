//! The unified audit log: one append-only row per mutating action and per sign-in attempt
//! (who, roles, what, target, before/after, when, IP, success or failure). The table refuses
//! UPDATE and DELETE by trigger.

use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::AppError;

#[derive(Debug, Default)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<&'a str>,
    pub actor_roles: Vec<String>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub success: bool,
    pub ip: Option<&'a str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub details: Option<String>,
}

impl<'a> AuditEntry<'a> {
    pub fn by(user: &'a CurrentUser, action: &'a str, target_type: &'a str) -> Self {
        AuditEntry {
            actor_id: Some(user.id),
            actor_email: Some(&user.email),
            actor_roles: user.roles.iter().map(|r| r.code().to_string()).collect(),
            action,
            target_type,
            success: true,
            ..Default::default()
        }
    }
}

pub async fn record<'c, E: PgExecutor<'c>>(db: E, entry: AuditEntry<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, actor_email, actor_roles, action, target_type, target_id,
                                outcome, ip, before, after, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::inet, $9, $10, $11)",
    )
    .bind(entry.actor_id)
    .bind(entry.actor_email)
    .bind(&entry.actor_roles)
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(if entry.success { "success" } else { "failure" })
    .bind(entry.ip)
    .bind(entry.before)
    .bind(entry.after)
    .bind(entry.details)
    .execute(db)
    .await?;
    Ok(())
}
