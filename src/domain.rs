//! Business facts that several features read and none owns, kept here so that features depend on
//! this module instead of on each other: which transaction statuses count as reconciled (recon's
//! summary and Overview count them), and every write of a transaction's status — a recon run's
//! results, an exception resolved or reopened — with the settlement backlog those writes feed.
//! Exception statuses belong to the exceptions feature (`exceptions::model::Status`).
//!
//! `transactions.status` is the reconciliation state only. Whether a transaction is in settlement,
//! sent or paid is where it is: its `settlement_items` row and that batch's status; the view
//! `transaction_lifecycle` reads the spec's PENDING → RECONCILED → SETTLED → PAID from them
//! (migration 20261202000002 says why: moving a cycle's million transactions to SETTLED was most of
//! the cost of batching it).
//!
//! Where a transaction is in its life is defined once here too: [`Lifecycle`] (the five statuses
//! the explorer filters and shows, the same rule as `transaction_lifecycle`) and [`PipelineBucket`]
//! (Overview's five pipeline buckets, which the explorer's `bucket` filter and the daily rollups'
//! queries read by the batch status).

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The settlement lock (a Postgres advisory lock). Taken exclusively by batch creation
/// (`settlements::batching`: carried-forward cycles and the reserve ledger cross cycles, so two
/// runs never interleave), rejecting a batch (which gives back what a run took) and saving merchant
/// terms (a version never lands under a batch being calculated; an account's names change only
/// while no batch refers to it). Taken shared by the writes here that decide whether a reconciled
/// transaction waits in the settlement backlog (a run never sees a cycle half-closed, and a late
/// match never lands between a run's read and its commit) and by re-pointing a batch at the
/// merchant's account (release, re-queue).
pub const SETTLEMENT_LOCK: i64 = 0x5e7f_0012_ba7c_4001;

/// A UTR or RRN as every reader compares it: upper case, without spaces (references have none; a
/// file or an analyst may write `ab12 cd34`); `None` for empty and the placeholders files use for
/// "none" (migration 20261221000001's `as_matched` is the same rule in SQL: keep them in step).
/// Uploads store a transaction's so, and chargebacks theirs ([`stored_ref`]). Here because every
/// feature that stores or searches a reference reads it (recon, disputes, exceptions, the explorer).
pub fn normalise_ref(value: Option<&str>) -> Option<Cow<'_, str>> {
    let value = value?;
    // Bytes first (the engine reads two million of these a run); a non-ASCII text is searched for
    // Unicode spaces too.
    // (`u8::is_ascii_whitespace` leaves out the vertical tab, which `char::is_whitespace` and
    // PostgreSQL's `\s` count.)
    let changes = value.bytes().any(|b| b.is_ascii_lowercase() || b.is_ascii_whitespace() || b == 0x0B)
        || (!value.is_ascii() && value.chars().any(char::is_whitespace));
    let r: Cow<'_, str> = if changes {
        Cow::Owned(value.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect())
    } else {
        Cow::Borrowed(value)
    };
    // A placeholder is one however it is spaced (`N / A`).
    if r.is_empty() || ["NULL", "UNDEFINED", "N/A", "NA", "NONE", "-"].contains(&r.as_ref()) {
        return None;
    }
    Some(r)
}

/// [`normalise_ref`] of a text, owned: a reference as it is stored (or searched for).
pub fn stored_ref(text: &str) -> Option<String> {
    normalise_ref(Some(text)).map(Cow::into_owned)
}

/// Sets of `transactions.status` values (the table's CHECK list: PENDING, RECONCILED, EXCEPTION),
/// bound into SQL as arrays (`status = ANY($n)`).
pub mod txn_status {
    /// Counted as reconciled in every total (settled and paid ones included: they stay RECONCILED).
    pub const RECONCILED: [&str; 1] = ["RECONCILED"];
    /// Not reconciled yet, so a match or a resolution may still reconcile it.
    pub const UNRECONCILED: [&str; 2] = ["PENDING", "EXCEPTION"];
    // Which transactions a settlement batch may take is the database function
    // `settlement_eligible(cycle)` (migration 20261202000002): the cycle's RECONCILED rupee
    // transactions in no batch, and the backlog of earlier batched cycles.

    #[cfg(feature = "ssr")]
    pub use writes::*;

    #[cfg(feature = "ssr")]
    mod writes {
        use chrono::{DateTime, NaiveDate, Utc};
        use sqlx::PgConnection;
        use uuid::Uuid;

        use crate::error::AppError;

        /// Take the settlement lock shared (see [`super::super::SETTLEMENT_LOCK`]) for the rest of
        /// the transaction.
        async fn settlement_lock(conn: &mut PgConnection) -> Result<(), AppError> {
            sqlx::query!("SELECT pg_advisory_xact_lock_shared($1)", super::super::SETTLEMENT_LOCK)
                .execute(conn)
                .await?;
            Ok(())
        }

        /// A re-run's reconciled rupee transactions in no batch join the settlement backlog when
        /// their merchant's cycle was batched. `settlement_cycle_batched` (the one copy of that
        /// rule) is asked once per merchant and cycle among them, not once per row: with a call per
        /// row, inserting a million-row cycle's backlog took 31.2 s instead of 12.8 s, holding the
        /// settlement lock (BENCHMARKS.md, "A re-run of a batched cycle"). Each step is
        /// materialised: `matched`, read twice; `pairs`, so the planner cannot push the call below
        /// its `DISTINCT` onto every row; `batched`, so a join that scans it once per row does not
        /// ask again each time. A `const` run by `sqlx::query` rather than `query!`, so the test
        /// can read its plan (`tests/recon.rs`
        /// `a_rerun_of_a_batched_cycle_asks_once_per_merchant_whether_it_was_batched`, which also
        /// runs it, as the re-run test does through a run: a wrong column fails them).
        pub const BACKLOG_OF_RUN: &str = "
            WITH matched AS MATERIALIZED (
                SELECT t.id, t.merchant_id, t.cycle_date
                FROM recon_results r JOIN transactions t ON t.id = r.transaction_id
                WHERE r.run_id = $1 AND r.side = 'pg' AND r.class = 'MATCHED'
                  AND t.status = 'RECONCILED' AND t.currency = 'INR'
                  AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
            ), pairs AS MATERIALIZED (
                SELECT DISTINCT merchant_id, cycle_date FROM matched
            ), batched AS MATERIALIZED (
                SELECT merchant_id, cycle_date FROM pairs WHERE settlement_cycle_batched(merchant_id, cycle_date)
            )
            INSERT INTO settlement_backlog (transaction_id, merchant_id, cycle_date)
            SELECT m.id, m.merchant_id, m.cycle_date
            FROM matched m JOIN batched b ON b.merchant_id = m.merchant_id AND b.cycle_date = m.cycle_date
            ON CONFLICT (transaction_id) DO NOTHING";

        /// A recon run's outcome: its matched PG rows → RECONCILED, the rest → EXCEPTION. Only
        /// pending ones move, and exceptions that now match; reconciled ones stay. When the run's
        /// cycle has been batched already (a re-run), its rupee transactions reconciled now and in
        /// no batch join the settlement backlog; a first run, before any batch, writes none.
        pub async fn apply_run(
            conn: &mut PgConnection,
            run_id: Uuid,
            cycle: NaiveDate,
            now: DateTime<Utc>,
        ) -> Result<(), AppError> {
            sqlx::query!(
                "UPDATE transactions t SET status = CASE WHEN r.class = 'MATCHED' THEN 'RECONCILED' ELSE 'EXCEPTION' END,
                        updated_at = $2
                 FROM recon_results r
                 WHERE r.run_id = $1 AND r.side = 'pg' AND t.id = r.transaction_id
                   AND (t.status = 'PENDING' OR (t.status = 'EXCEPTION' AND r.class = 'MATCHED'))",
                run_id,
                now as DateTime<Utc>,
            )
            .execute(&mut *conn)
            .await?;
            // Taken after the long update, not before it (a batch run waits for the lock as briefly
            // as it can): the update is not visible to a run until this transaction commits, and
            // from here to the commit no run can start or be half-way through.
            settlement_lock(&mut *conn).await?;
            // `settlement_cycle_batched` for any merchant of the cycle: a cheap gate that must stay
            // a superset of the per-merchant test below.
            let batched = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM settlement_runs WHERE cycle_date = $1 AND status = 'completed')
                       OR EXISTS (SELECT 1 FROM settlement_batches WHERE cycle_date = $1) AS "batched!""#,
                cycle as NaiveDate,
            )
            .fetch_one(&mut *conn)
            .await?;
            if batched {
                sqlx::query(BACKLOG_OF_RUN).bind(run_id).execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// An exception resolved as a match or an adjustment reconciles its transaction (while it is
        /// not reconciled yet), into the settlement backlog when its cycle was batched already;
        /// whether it moved.
        pub async fn reconcile(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<bool, AppError> {
            settlement_lock(&mut *conn).await?;
            let moved = sqlx::query!(
                "UPDATE transactions SET status = 'RECONCILED', updated_at = $2 WHERE id = $1 AND status = ANY($3::text[])
                 RETURNING merchant_id, cycle_date, currency",
                id,
                now as DateTime<Utc>,
                &super::UNRECONCILED[..] as &[&str],
            )
            .fetch_optional(&mut *conn)
            .await?;
            let Some(t) = moved else { return Ok(false) };
            if t.currency == "INR" {
                sqlx::query!(
                    "INSERT INTO settlement_backlog (transaction_id, merchant_id, cycle_date)
                     SELECT $1, $2, $3 WHERE settlement_cycle_batched($2, $3)
                     ON CONFLICT (transaction_id) DO NOTHING",
                    id,
                    t.merchant_id,
                    t.cycle_date,
                )
                .execute(&mut *conn)
                .await?;
            }
            Ok(true)
        }

        /// A reconciling resolution undone: the transaction is an exception again (and out of the
        /// backlog), unless it has gone into a settlement batch meanwhile; whether it moved.
        pub async fn unreconcile(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<bool, AppError> {
            settlement_lock(&mut *conn).await?;
            let moved = sqlx::query!(
                "UPDATE transactions t SET status = 'EXCEPTION', updated_at = $2
                 WHERE t.id = $1 AND t.status = 'RECONCILED'
                   AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)",
                id,
                now as DateTime<Utc>,
            )
            .execute(&mut *conn)
            .await?;
            if moved.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query!("DELETE FROM settlement_backlog WHERE transaction_id = $1", id).execute(&mut *conn).await?;
            Ok(true)
        }
    }
}

// ---- Where a transaction is in its life: one definition for Overview, the explorer and Analytics ----

/// The five pipeline buckets of spec 5.1 by the status of the settlement batch a transaction is in
/// ('' when in none). One definition for Overview's bar, the explorer's `bucket` filter and the
/// rollup queries: the four settlement buckets are exclusive, and `captured` is all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PipelineBucket {
    Captured,
    InSettlement,
    SentToBank,
    Credited,
    Unsettled,
}

impl PipelineBucket {
    pub const ALL: [PipelineBucket; 5] = [
        PipelineBucket::Captured,
        PipelineBucket::InSettlement,
        PipelineBucket::SentToBank,
        PipelineBucket::Credited,
        PipelineBucket::Unsettled,
    ];
    /// Every batch status ('' = in no batch); the four settlement buckets partition it.
    pub const EVERY_BATCH_STATUS: [&'static str; 9] =
        ["", "CALCULATED", "PENDING_APPROVAL", "APPROVED", "SENT", "PAID", "REJECTED", "ON_HOLD", "FAILED"];

    /// The URL and API value.
    pub fn param(self) -> &'static str {
        match self {
            PipelineBucket::Captured => "captured",
            PipelineBucket::InSettlement => "inSettlement",
            PipelineBucket::SentToBank => "sentToBank",
            PipelineBucket::Credited => "credited",
            PipelineBucket::Unsettled => "unsettled",
        }
    }

    pub fn parse(text: &str) -> Option<PipelineBucket> {
        PipelineBucket::ALL.into_iter().find(|b| b.param() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            PipelineBucket::Captured => "Captured",
            PipelineBucket::InSettlement => "In settlement",
            PipelineBucket::SentToBank => "Sent to bank",
            PipelineBucket::Credited => "Credited",
            PipelineBucket::Unsettled => "Unsettled",
        }
    }

    /// The batch statuses of the bucket (`''`: in no batch).
    pub fn batch_statuses(self) -> &'static [&'static str] {
        match self {
            PipelineBucket::Captured => &PipelineBucket::EVERY_BATCH_STATUS,
            PipelineBucket::InSettlement => &["CALCULATED", "PENDING_APPROVAL", "APPROVED"],
            PipelineBucket::SentToBank => &["SENT"],
            PipelineBucket::Credited => &["PAID"],
            PipelineBucket::Unsettled => &["", "REJECTED", "ON_HOLD", "FAILED"],
        }
    }

    /// The transaction explorer filtered to exactly this bucket of the cycle dates `from..=to`.
    pub fn explorer_href(self, from: NaiveDate, to: NaiveDate) -> String {
        format!("/transactions?from={from}&to={to}&bucket={}", self.param())
    }
}

/// A transaction's status in its life (spec 02): the stored PENDING / RECONCILED / EXCEPTION, and
/// SETTLED / PAID read from the settlement batch it is in (the view `transaction_lifecycle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lifecycle {
    Pending,
    Reconciled,
    Exception,
    Settled,
    Paid,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 5] =
        [Lifecycle::Pending, Lifecycle::Reconciled, Lifecycle::Exception, Lifecycle::Settled, Lifecycle::Paid];

    pub fn code(self) -> &'static str {
        match self {
            Lifecycle::Pending => "PENDING",
            Lifecycle::Reconciled => "RECONCILED",
            Lifecycle::Exception => "EXCEPTION",
            Lifecycle::Settled => "SETTLED",
            Lifecycle::Paid => "PAID",
        }
    }

    pub fn parse(text: &str) -> Option<Lifecycle> {
        let up = text.trim().to_ascii_uppercase();
        Lifecycle::ALL.into_iter().find(|s| s.code() == up)
    }

    pub fn label(self) -> &'static str {
        match self {
            Lifecycle::Pending => "Pending",
            Lifecycle::Reconciled => "Reconciled",
            Lifecycle::Exception => "Exception",
            Lifecycle::Settled => "Settled",
            Lifecycle::Paid => "Paid",
        }
    }

    /// The stored statuses and the batch statuses ('' = in no batch) whose pairs have this
    /// status; the same rule as `transaction_lifecycle` (a transaction that is not RECONCILED keeps
    /// its stored status whatever batch it is in; a REJECTED batch does not settle).
    pub fn stored(self) -> (&'static [&'static str], &'static [&'static str]) {
        const ANY: &[&str] = &PipelineBucket::EVERY_BATCH_STATUS;
        match self {
            Lifecycle::Pending => (&["PENDING"], ANY),
            Lifecycle::Exception => (&["EXCEPTION"], ANY),
            Lifecycle::Reconciled => (&["RECONCILED"], &["", "REJECTED"]),
            Lifecycle::Settled => {
                (&["RECONCILED"], &["CALCULATED", "PENDING_APPROVAL", "APPROVED", "SENT", "ON_HOLD", "FAILED"])
            }
            Lifecycle::Paid => (&["RECONCILED"], &["PAID"]),
        }
    }

    /// The status of a stored status in a batch status ('' = none), as [`Lifecycle::stored`] says.
    pub fn of(stored: &str, batch_status: &str) -> Option<Lifecycle> {
        Lifecycle::ALL.into_iter().find(|l| {
            let (s, b) = l.stored();
            s.contains(&stored) && b.contains(&batch_status)
        })
    }

    /// Badge colours (AA on white).
    pub fn badge(self) -> &'static str {
        match self {
            Lifecycle::Pending => "bg-slate-200 text-slate-800",
            Lifecycle::Reconciled => "bg-sky-100 text-sky-900",
            Lifecycle::Exception => "bg-red-100 text-red-900",
            Lifecycle::Settled => "bg-indigo-100 text-indigo-900",
            Lifecycle::Paid => "bg-emerald-100 text-emerald-900",
        }
    }
}

/// The advisory lock of merchant codes (issue 11): taken by every write that makes a code a merchant
/// or an alias (an upload's unknown codes, an admin's map, create or alias), so a code is never both.
pub const MERCHANT_CODES_LOCK: i64 = 0x5e7f_0011_c0de_0001;

/// A merchant code the product can hold: 3 to 32 of `A–Z`, `0–9`, `_` (the `merchants.id` check).
pub fn valid_merchant_code(code: &str) -> bool {
    (3..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Why `code` (as a file or a form wrote it, upper-cased) cannot be a merchant code.
pub fn invalid_merchant_code(code: &str) -> String {
    format!("{code:?} cannot be a merchant code (3 to 32 of A–Z, 0–9 and _)")
}

/// A PAN as the income-tax department writes it: five letters, four digits, a letter.
pub fn valid_pan(pan: &str) -> bool {
    let b = pan.as_bytes();
    b.len() == 10
        && b[..5].iter().all(u8::is_ascii_uppercase)
        && b[5..9].iter().all(u8::is_ascii_digit)
        && b[9].is_ascii_uppercase()
}

/// The payment methods the ledger knows (the `payment_method` domain).
pub const METHODS: [&str; 8] = ["UPI", "CARD", "NETBANKING", "WALLET", "NEFT", "RTGS", "IMPS", "UNKNOWN"];

#[cfg(test)]
mod lifecycle_tests {
    use super::*;

    #[test]
    fn the_four_settlement_buckets_partition_every_batch_status() {
        let mut seen: Vec<&str> =
            PipelineBucket::ALL[1..].iter().flat_map(|b| b.batch_statuses().iter().copied()).collect();
        seen.sort_unstable();
        let mut every = PipelineBucket::EVERY_BATCH_STATUS.to_vec();
        every.sort_unstable();
        assert_eq!(seen, every, "each status in exactly one bucket");
        for b in PipelineBucket::ALL {
            assert_eq!(PipelineBucket::parse(b.param()), Some(b));
        }
    }

    #[test]
    fn each_stored_pair_has_exactly_one_status() {
        for stored in ["PENDING", "RECONCILED", "EXCEPTION"] {
            for batch in PipelineBucket::EVERY_BATCH_STATUS {
                let n = Lifecycle::ALL
                    .iter()
                    .filter(|l| {
                        let (s, b) = l.stored();
                        s.contains(&stored) && b.contains(&batch)
                    })
                    .count();
                assert_eq!(n, 1, "{stored}/{batch}");
            }
        }
        assert_eq!(Lifecycle::of("RECONCILED", "PAID"), Some(Lifecycle::Paid));
        assert_eq!(Lifecycle::of("RECONCILED", "REJECTED"), Some(Lifecycle::Reconciled));
        assert_eq!(Lifecycle::of("RECONCILED", "ON_HOLD"), Some(Lifecycle::Settled));
        assert_eq!(Lifecycle::of("EXCEPTION", "PAID"), Some(Lifecycle::Exception));
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    #[test]
    fn references_compare_upper_case_without_spaces() {
        assert!(matches!(normalise_ref(Some("AXIS123")), Some(Cow::Borrowed("AXIS123"))));
        assert_eq!(normalise_ref(Some(" ab12 cd34\t")).as_deref(), Some("AB12CD34"));
        assert_eq!(normalise_ref(Some("AB\u{a0}12")).as_deref(), Some("AB12"));
        assert_eq!(normalise_ref(Some("AB\u{b}12")).as_deref(), Some("AB12"));
        assert_eq!(stored_ref(" utr 1 ").as_deref(), Some("UTR1"));
        assert_eq!(stored_ref("axis9\t").as_deref(), Some("AXIS9"));
        assert_eq!(stored_ref("none"), None);
        for none in [None, Some(""), Some("  "), Some("n/a"), Some("N / A"), Some("NULL"), Some("-"), Some("undefined")]
        {
            assert_eq!(normalise_ref(none), None, "{none:?}");
        }
    }
}
