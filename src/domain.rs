//! Business facts that several features read and none owns, kept here so that features depend on
//! this module instead of on each other: which transaction statuses count as reconciled (recon's
//! summary and Overview count them), and every write of a transaction's status — a recon run's
//! results, an exception resolved or reopened, and the settlement moves (RECONCILED → SETTLED in a
//! batch → PAID, and back to RECONCILED when its batch is rejected). Should the status move out of
//! `transactions` (recon at scale), this module is what changes.
//! Exception statuses belong to the exceptions feature (`exceptions::model::Status`).

/// Sets of `transactions.status` values (the table's CHECK list: PENDING, RECONCILED, EXCEPTION,
/// SETTLED, PAID), bound into SQL as arrays (`status = ANY($n)`).
pub mod txn_status {
    /// Counted as reconciled in every total: matched, and matched then settled or paid out.
    pub const RECONCILED: [&str; 3] = ["RECONCILED", "SETTLED", "PAID"];
    /// Not reconciled yet, so a match or a resolution may still reconcile it.
    pub const UNRECONCILED: [&str; 2] = ["PENDING", "EXCEPTION"];
    // Which transactions a settlement batch may take is the database function
    // `settlement_eligible(cycle)` (migration 20261202000001): RECONCILED, in rupees, in no batch.

    #[cfg(feature = "ssr")]
    pub use writes::*;

    #[cfg(feature = "ssr")]
    mod writes {
        use chrono::{DateTime, Utc};
        use sqlx::PgConnection;
        use uuid::Uuid;

        use crate::error::AppError;

        /// A recon run's outcome: its matched PG rows → RECONCILED, the rest → EXCEPTION. Only
        /// pending ones move, and exceptions that now match; settled or paid ones stay.
        pub async fn apply_run(conn: &mut PgConnection, run_id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
            sqlx::query!(
                "UPDATE transactions t SET status = CASE WHEN r.class = 'MATCHED' THEN 'RECONCILED' ELSE 'EXCEPTION' END,
                        updated_at = $2
                 FROM recon_results r
                 WHERE r.run_id = $1 AND r.side = 'pg' AND t.id = r.transaction_id
                   AND (t.status = 'PENDING' OR (t.status = 'EXCEPTION' AND r.class = 'MATCHED'))",
                run_id,
                now as DateTime<Utc>,
            )
            .execute(conn)
            .await?;
            Ok(())
        }

        /// An exception resolved as a match or an adjustment reconciles its transaction (while it is
        /// not reconciled yet); whether it moved.
        pub async fn reconcile(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<bool, AppError> {
            let moved = sqlx::query!(
                "UPDATE transactions SET status = 'RECONCILED', updated_at = $2 WHERE id = $1 AND status = ANY($3::text[])",
                id,
                now as DateTime<Utc>,
                &super::UNRECONCILED[..] as &[&str],
            )
            .execute(conn)
            .await?;
            Ok(moved.rows_affected() > 0)
        }

        /// A reconciling resolution undone: the transaction is an exception again, unless it has
        /// gone into a settlement batch meanwhile; whether it moved.
        pub async fn unreconcile(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<bool, AppError> {
            let moved = sqlx::query!(
                "UPDATE transactions SET status = 'EXCEPTION', updated_at = $2 WHERE id = $1 AND status = 'RECONCILED'",
                id,
                now as DateTime<Utc>,
            )
            .execute(conn)
            .await?;
            Ok(moved.rows_affected() > 0)
        }

        /// RECONCILED → SETTLED for transactions just put in a batch. Every one must move: a
        /// transaction that changed status meanwhile fails the batch creation (its transaction
        /// rolls back whole).
        pub async fn mark_settled(conn: &mut PgConnection, ids: &[i64], now: DateTime<Utc>) -> Result<(), AppError> {
            let moved = sqlx::query!(
                "UPDATE transactions SET status = 'SETTLED', updated_at = $2 WHERE id = ANY($1) AND status = 'RECONCILED'",
                ids,
                now as DateTime<Utc>,
            )
            .execute(conn)
            .await?;
            if moved.rows_affected() != ids.len() as u64 {
                return Err(AppError::Conflict(
                    "Some transactions changed while the batches were made; nothing was written. Run it again.".into(),
                ));
            }
            Ok(())
        }

        /// SETTLED → RECONCILED for the transactions of a batch that was rejected (before its items
        /// are removed), so the merchant's next batch takes them; how many moved.
        pub async fn unsettle(conn: &mut PgConnection, batch_id: Uuid, now: DateTime<Utc>) -> Result<u64, AppError> {
            Ok(sqlx::query!(
                "UPDATE transactions t SET status = 'RECONCILED', updated_at = $2
                 FROM settlement_items si
                 WHERE si.batch_id = $1 AND t.id = si.transaction_id AND t.status = 'SETTLED'",
                batch_id,
                now as DateTime<Utc>,
            )
            .execute(conn)
            .await?
            .rows_affected())
        }

        /// SETTLED → PAID for the transactions of a batch that was paid.
        pub async fn mark_paid(conn: &mut PgConnection, batch_id: Uuid, now: DateTime<Utc>) -> Result<u64, AppError> {
            Ok(sqlx::query!(
                "UPDATE transactions t SET status = 'PAID', updated_at = $2
                 FROM settlement_items si
                 WHERE si.batch_id = $1 AND t.id = si.transaction_id AND t.status = 'SETTLED'",
                batch_id,
                now as DateTime<Utc>,
            )
            .execute(conn)
            .await?
            .rows_affected())
        }
    }
}
