//! Settlement (spec 04): a batch per merchant per cycle day up to four days ago over its reconciled
//! transactions, in every status by age, with the reserve held and released, the maker-checker
//! decisions and the payout transfers. The two cycles after those ([`UNBATCHED_DAYS`]) keep their
//! reconciled transactions out of any batch, so a fresh demo has cycles for finance to batch.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::parties::Staff;
use super::{at, utr_for, Approval, Batch, Cycles, Gen, Item, Merchant, ReserveEntry, Transfer, Txn};
use crate::features::settlements::calc::{settle_item, BatchTotals, FeeBearer, ItemBreakdown};
use crate::money::Paise;

/// The cycles two and three days before the anchor are reconciled but not batched yet.
pub const UNBATCHED_DAYS: [i64; 2] = [2, 3];

const FAILURES: [&str; 3] =
    ["Beneficiary account closed", "Invalid IFSC for the beneficiary bank", "NEFT return: account does not exist"];

/// The settlement records of the window.
pub(super) struct Settlements {
    pub batches: Vec<Batch>,
    pub items: Vec<Item>,
    pub reserve_entries: Vec<ReserveEntry>,
    pub approvals: Vec<Approval>,
    pub transfers: Vec<Transfer>,
}

/// The batches with their items, reserve entries, decisions and transfers (a transaction in a batch
/// stays RECONCILED: settled and paid are read from its batch).
pub(super) fn settlements(
    g: &mut Gen,
    cycles: &Cycles,
    merchants: &[Merchant],
    staff: &Staff,
    transactions: &[Txn],
) -> Settlements {
    let anchor = cycles.anchor;
    let mut batches: Vec<Batch> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut reserve = ReserveLedger::default();
    let mut approvals: Vec<Approval> = Vec::new();
    let mut transfers: Vec<Transfer> = Vec::new();
    let last_batched = anchor - Duration::days(UNBATCHED_DAYS[1] + 1);
    for &day in cycles.days.iter().filter(|d| **d <= last_batched) {
        for m in merchants {
            let members: Vec<usize> = transactions
                .iter()
                .enumerate()
                .filter(|(_, t)| t.cycle_date == day && t.merchant_id == m.id && t.status == "RECONCILED")
                .map(|(i, _)| i)
                .collect();
            if members.is_empty() {
                continue;
            }
            let batch_id = g.uuid();
            let breakdowns: Vec<(usize, ItemBreakdown, FeeBearer)> = members
                .iter()
                .map(|&i| {
                    let terms = m.terms(transactions[i].payment_method);
                    // Demo amounts are at most a few lakh rupees, far inside what paise can hold.
                    let item = settle_item(Paise(transactions[i].amount_paise), &terms).expect("demo amounts fit");
                    (i, item, terms.fee_bearer)
                })
                .collect();
            let created_at = created_at(day);
            let only: Vec<ItemBreakdown> = breakdowns.iter().map(|(_, b, _)| *b).collect();
            // A rejected batch has given back what it took, as the product's reject leaves it: no
            // items (its transactions wait in the backlog), no reserve moved. Whether it is rejected
            // does not depend on its amount.
            let unreleased = BatchTotals::from_items(&only, Paise::ZERO, Paise::ZERO).expect("demo batches fit");
            let rejected = batch_status(anchor, day, &batches, needs_approval(&unreleased)) == "REJECTED";
            let released =
                if m.reserve.is_some() && !rejected { reserve.release_due(m.id, batch_id, day, created_at) } else { 0 };
            let totals = BatchTotals::from_items(&only, Paise::ZERO, Paise(released)).expect("demo batches fit");
            if let Some((_, hold_days)) = m.reserve {
                if totals.reserve > Paise::ZERO && !rejected {
                    reserve.hold(m.id, batch_id, day + Duration::days(hold_days), totals.reserve.0, created_at);
                }
            }
            let status = batch_status(anchor, day, &batches, needs_approval(&totals));
            let batch = batch(g, m, day, batch_id, totals, status, staff);
            approvals.extend(decisions(&batch, staff.finance2));
            transfers.extend(transfer(&batch));
            if !rejected {
                for (i, breakdown, bearer) in breakdowns {
                    items.push(Item { batch_id, transaction_id: transactions[i].id, breakdown, fee_bearer: bearer });
                }
            }
            batches.push(batch);
        }
    }
    Settlements { batches, items, reserve_entries: reserve.entries, approvals, transfers }
}

/// A batch is made the morning after its cycle day.
fn created_at(day: NaiveDate) -> DateTime<Utc> {
    at(day + Duration::days(1), 11, 0)
}

/// Batches over ₹1 lakh net need a checker's approval.
fn needs_approval(totals: &BatchTotals) -> bool {
    crate::features::settlements::rules::initial_status(totals.net)
        == crate::features::settlements::rules::Status::PendingApproval
}

/// A batch's status by its age, cycling through the states so that every status occurs whatever
/// the anchor date (`earlier` are the batches made before it).
fn batch_status(anchor: NaiveDate, day: NaiveDate, earlier: &[Batch], needs_approval: bool) -> &'static str {
    let age = |d: NaiveDate| (anchor - d).num_days();
    match age(day) {
        8.. => {
            if earlier.len() % 11 == 5 {
                "FAILED"
            } else {
                "PAID"
            }
        }
        days => {
            let recent: Vec<&Batch> = earlier.iter().filter(|b| age(b.cycle_date) <= 7).collect();
            let pending = recent.iter().filter(|b| b.status == "PENDING_APPROVAL").count();
            match recent.len() {
                0 => "ON_HOLD",
                1 => "REJECTED",
                2 => "CALCULATED",
                _ if needs_approval && pending < 2 => "PENDING_APPROVAL",
                _ if days >= 6 => "SENT",
                _ => "APPROVED",
            }
        }
    }
}

/// The batch of a merchant's cycle day in `status`: its rail, approval, sending and payout (or
/// failure) as far as the status has come.
fn batch(
    g: &mut Gen,
    m: &Merchant,
    day: NaiveDate,
    batch_id: Uuid,
    totals: BatchTotals,
    status: &'static str,
    staff: &Staff,
) -> Batch {
    let needs_approval = needs_approval(&totals);
    let created_at = created_at(day);
    let preferred = crate::features::settlements::rules::Rail::parse(m.preferred_rail)
        .unwrap_or(crate::features::settlements::rules::Rail::Neft);
    let rail = crate::features::settlements::rules::rail(totals.net, preferred).code();
    let approved = matches!(status, "APPROVED" | "SENT" | "PAID" | "FAILED");
    let approved_at = approved.then(|| created_at + Duration::hours(if needs_approval { 3 } else { 0 }));
    let approved_by = (approved && needs_approval).then_some(staff.finance2);
    let sent_at = matches!(status, "SENT" | "PAID" | "FAILED").then(|| at(day + Duration::days(2), 10, 0));
    let paid_at = (status == "PAID").then(|| at(day + Duration::days(2), 14, 0));
    let payout_utr = (status == "PAID").then(|| utr_for(g, m.bank_name));
    let failure_reason = (status == "FAILED").then(|| g.pick(&FAILURES));
    Batch {
        id: batch_id,
        batch_ref: format!("STL-{}-{}", day.format("%Y%m%d"), m.id),
        merchant_id: m.id,
        cycle_date: day,
        status,
        totals,
        rail,
        bank_account_id: m.bank_account_id,
        created_by: staff.finance,
        created_at,
        approved_by,
        approved_at,
        sent_at,
        paid_at,
        payout_utr,
        failure_reason,
    }
}

/// The checker's decisions on a batch: its approval, or the rejection or hold it is in.
fn decisions(batch: &Batch, checker: Uuid) -> Vec<Approval> {
    let mut decisions = Vec::new();
    if let Some(approved_by) = batch.approved_by {
        decisions.push(Approval {
            batch_id: batch.id,
            decided_by: approved_by,
            decision: "APPROVED",
            note: None,
            decided_at: batch.approved_at.unwrap_or(batch.created_at),
        });
    }
    if matches!(batch.status, "REJECTED" | "ON_HOLD") {
        decisions.push(Approval {
            batch_id: batch.id,
            decided_by: checker,
            decision: batch.status,
            note: Some(if batch.status == "REJECTED" {
                "Commission rate disputed by the merchant; recalculate after the rate card update."
            } else {
                "Merchant KYC re-verification pending."
            }),
            decided_at: batch.created_at + Duration::hours(2),
        });
    }
    decisions
}

/// The payout transfer of a sent batch (its bank line is linked when the debit is written).
fn transfer(batch: &Batch) -> Option<Transfer> {
    let sent = batch.sent_at?;
    Some(Transfer {
        batch_id: batch.id,
        rail: batch.rail,
        amount_paise: batch.totals.net.0,
        status: match batch.status {
            "PAID" => "PAID",
            "FAILED" => "FAILED",
            _ => "SENT",
        },
        utr: batch.payout_utr.clone(),
        bank_line_id: None,
        verification: if batch.status == "PAID" { "VERIFIED" } else { "UNVERIFIED" },
        failure_reason: batch.failure_reason,
        initiated_at: sent,
        completed_at: batch.paid_at.or((batch.status == "FAILED").then(|| sent + Duration::hours(6))),
    })
}

/// The reserve entries, and the holds not yet released.
#[derive(Default)]
struct ReserveLedger {
    entries: Vec<ReserveEntry>,
    /// (entry id, merchant, release on, amount) of each hold still held.
    pending: Vec<(i64, &'static str, NaiveDate, i64)>,
}

impl ReserveLedger {
    /// Release into a merchant's batch each of its holds due by the cycle day; returns the amount
    /// released.
    fn release_due(
        &mut self,
        merchant_id: &'static str,
        batch_id: Uuid,
        day: NaiveDate,
        created_at: DateTime<Utc>,
    ) -> i64 {
        let mut released = 0;
        let (due, keep): (Vec<_>, Vec<_>) =
            self.pending.iter().partition(|(_, merchant, on, _)| *merchant == merchant_id && *on <= day);
        for (hold_id, _, _, amount) in due {
            released += amount;
            self.entries.push(ReserveEntry {
                id: self.entries.len() as i64 + 1,
                merchant_id,
                batch_id,
                kind: "RELEASE",
                amount_paise: amount,
                release_on: None,
                released_entry_id: Some(hold_id),
                created_at,
            });
        }
        self.pending = keep;
        released
    }

    /// Hold part of a batch until `release_on`.
    fn hold(
        &mut self,
        merchant_id: &'static str,
        batch_id: Uuid,
        release_on: NaiveDate,
        amount: i64,
        created_at: DateTime<Utc>,
    ) {
        let id = self.entries.len() as i64 + 1;
        self.entries.push(ReserveEntry {
            id,
            merchant_id,
            batch_id,
            kind: "HOLD",
            amount_paise: amount,
            release_on: Some(release_on),
            released_entry_id: None,
            created_at,
        });
        self.pending.push((id, merchant_id, release_on, amount));
    }
}
