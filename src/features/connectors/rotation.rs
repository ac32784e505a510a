//! A `SECRETS_KEY` rotation's last step (`settlepaisa-ops secrets reseal`): every stored connector
//! secret sealed again under the current key (docs/runbooks/rotate-a-secret.md).

use serde::Serialize;

use super::commands;
use super::model::SecretName;
use super::queries;
use super::service::context;
use crate::audit::{self, AuditEntry};
use crate::error::AppError;
use crate::secrets::{OpenedUnder, Sealed, SecretsKey};

/// What `settlepaisa-ops secrets reseal` did.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resealed {
    /// Sealed under the previous key, now under the current one.
    pub resealed: usize,
    /// Already under the current key (left as they were).
    pub current: usize,
    /// Opened under neither key: `connector id: name`, left as they were (to be entered again).
    pub unopened: Vec<String>,
}

/// Seal every stored connector secret again under the current key (a `SECRETS_KEY` rotation):
/// those that open under the previous key are sealed anew, those already under the current one
/// are left, and any that open under neither are listed, not touched. One transaction with its
/// audit row (counts and connector ids only); running it again changes nothing.
pub async fn reseal_secrets(pool: &sqlx::PgPool, key: &SecretsKey, operator: &str) -> Result<Resealed, AppError> {
    let mut tx = pool.begin().await?;
    let mut done = Resealed::default();
    for (connector, name, nonce, ciphertext) in queries::all_sealed_secrets_locked(&mut tx).await? {
        let Some(secret) = SecretName::parse(&name) else {
            done.unopened.push(format!("{connector}: {name}"));
            continue;
        };
        match key.open_saying_under(&context(connector, secret), &Sealed { nonce, ciphertext }) {
            Ok((_, OpenedUnder::Current)) => done.current += 1,
            Ok((plain, OpenedUnder::Previous)) => {
                let sealed = key.seal(&context(connector, secret), plain.expose());
                commands::reseal_secret(&mut *tx, connector, &name, &sealed).await?;
                done.resealed += 1;
            }
            Err(_) => done.unopened.push(format!("{connector}: {name}")),
        }
    }
    let mut entry = AuditEntry::by_operator(operator, "connector.secrets.reseal", "connector");
    entry.success = done.unopened.is_empty();
    entry.after = Some(serde_json::to_value(&done).map_err(|_| AppError::Internal)?);
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(done)
}
