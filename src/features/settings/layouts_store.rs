//! Writes of the stored bank layouts (`bank_column_mappings`) from `/settings/layouts`. A save is
//! one transaction that holds the table against other writes while it checks the layout against
//! every other one, with its audit row last.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::layouts::LayoutForm;
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::features::recon::ingest::BankMapping;
use crate::features::recon::store::stored_layouts;

/// A layout as its audit row shows it.
fn audited(form: &LayoutForm) -> serde_json::Value {
    let mut value = serde_json::to_value(form).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("id");
        map.remove("version");
        map.insert("active".into(), json!(form.is_active()));
    }
    value
}

/// What a save did: the layout's id, and whether anything changed.
pub struct Saved {
    pub id: Uuid,
    pub changed: bool,
}

/// Store `form` as a new layout (`form.id` empty) or over the layout it names, as `user`. Refused
/// in words: a problem with the layout (400, every one), an edit without the version it was made
/// on (400), a layout changed since that version (409), an unknown layout (404). Saving a layout
/// as it is stored writes nothing.
pub async fn save(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    form: &LayoutForm,
    now: DateTime<Utc>,
) -> Result<Saved, AppError> {
    let editing = match form.id.trim() {
        "" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| AppError::NotFound("There is no such bank layout.".into()))?),
    };
    let mut tx = pool.begin().await?;
    // One write at a time: the checks against the other layouts (names, detection) hold until
    // commit. Uploads only read the table and go on; one keeping an admin's unit choice on a layout
    // writes a row, and waits for this save (or this save for it).
    sqlx::query!("LOCK TABLE bank_column_mappings IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
    let all = stored_layouts(&mut *tx, false).await?;
    let before = match editing {
        Some(id) => {
            let stored = all
                .iter()
                .find(|l| l.id == id)
                .ok_or_else(|| AppError::NotFound("There is no such bank layout.".into()))?;
            let version = DateTime::parse_from_rfc3339(form.version.trim()).map_err(|_| {
                AppError::BadRequest(
                    "An edit says which version of the layout it was made on: reload the layout.".into(),
                )
            })?;
            if stored.updated_at != version {
                return Err(AppError::Conflict(format!(
                    "{} was changed by {} at {} since you opened it: reload it and make your change again.",
                    stored.mapping.layout_name,
                    stored.updated_by.as_deref().unwrap_or("someone else"),
                    crate::ist::format_datetime(stored.updated_at),
                )));
            }
            Some(LayoutForm::of("", "", &stored.mapping, stored.active))
        }
        None => None,
    };
    let others: Vec<(BankMapping, bool)> =
        all.iter().filter(|l| Some(l.id) != editing).map(|l| (l.mapping.clone(), l.active)).collect();
    let m = form.to_mapping(&others)?;
    let after = LayoutForm::of("", "", &m, form.is_active());
    if let (Some(id), true) = (editing, before.as_ref() == Some(&after)) {
        return Ok(Saved { id, changed: false });
    }
    let delimiter = (m.delimiter as char).to_string();
    let amounts_in = if m.amounts_in_paise { "paise" } else { "rupees" };
    let id = editing.unwrap_or_else(Uuid::new_v4);
    let changed = sqlx::query!(
        "INSERT INTO bank_column_mappings (id, bank_code, layout_name, file_type, delimiter, header_row, date_format,
             reference_column, gross_amount_column, net_amount_column, txn_date_column, value_date_column, utr_column,
             rrn_column, direction_column, remarks_column, status_column, bank_name_column, charges_columns,
             amounts_in, is_active, created_at, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23)
         ON CONFLICT (id) DO UPDATE SET bank_code = $2, layout_name = $3, file_type = $4, delimiter = $5,
             header_row = $6, date_format = $7, reference_column = $8, gross_amount_column = $9,
             net_amount_column = $10, txn_date_column = $11, value_date_column = $12, utr_column = $13,
             rrn_column = $14, direction_column = $15, remarks_column = $16, status_column = $17,
             bank_name_column = $18, charges_columns = $19, amounts_in = $20, is_active = $21,
             updated_at = $22, updated_by = $23",
        id,
        m.bank_code,
        m.layout_name,
        m.file_type,
        delimiter,
        i16::try_from(m.header_row).unwrap_or(1),
        m.date_format,
        m.reference_column,
        m.gross_amount_column,
        m.net_amount_column,
        m.txn_date_column,
        m.value_date_column,
        m.utr_column,
        m.rrn_column,
        m.direction_column,
        m.remarks_column,
        m.status_column,
        m.bank_name_column,
        m.charges_columns,
        amounts_in,
        form.is_active(),
        now as DateTime<Utc>,
        user.id,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::Internal);
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: before.as_ref().map(audited),
            after: Some(audited(&after)),
            ..AuditEntry::by(
                user,
                if editing.is_some() { "settings.layout.update" } else { "settings.layout.create" },
                "bank_column_mapping",
            )
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Saved { id, changed: true })
}
