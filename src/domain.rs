//! Business facts that several features read and none owns, kept here so that features depend on
//! this module instead of on each other: which transaction statuses count as reconciled (recon's
//! summary and Overview count them; recon runs and exception resolutions write them).
//! Exception statuses belong to the exceptions feature (`exceptions::model::Status`).

/// Sets of `transactions.status` values (the table's CHECK list: PENDING, RECONCILED, EXCEPTION,
/// SETTLED, PAID), bound into SQL as arrays (`status = ANY($n)`).
pub mod txn_status {
    /// Counted as reconciled in every total: matched, and matched then settled or paid out.
    pub const RECONCILED: [&str; 3] = ["RECONCILED", "SETTLED", "PAID"];
    /// Not reconciled yet, so a match or a resolution may still reconcile it.
    pub const UNRECONCILED: [&str; 2] = ["PENDING", "EXCEPTION"];
}
