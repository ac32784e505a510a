//! The chargeback cases (spec 08: 52 across every stage, with the open cases' evidence due dates
//! spread from overdue to next week), their audit trail, and the recovery actions of lost cases.

use chrono::{Datelike, Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;
use uuid::Uuid;

use super::{at, Chargeback, ChargebackAudit, Gen, Merchant, Recovery};

struct CbPlan {
    stage: &'static str,
    status: &'static str,
    outcome: &'static str,
}

/// The 52 cases, numbered in the order they were received; linked to transactions later.
pub(super) fn chargebacks(g: &mut Gen, anchor: NaiveDate, merchants: &[Merchant], ops: Uuid) -> Vec<Chargeback> {
    let open = |stage| CbPlan { stage, status: "OPEN", outcome: "PENDING" };
    let mut plans: Vec<CbPlan> = Vec::new();
    plans.extend((0..8).map(|_| open("NEW")));
    plans.extend((0..12).map(|_| open("UNDER_REVIEW")));
    plans.extend((0..3).map(|_| open("REPRESENTMENT")));
    plans.extend((0..5).map(|_| open("PRE_ARBIT")));
    plans.extend((0..15).map(|_| CbPlan { stage: "CLOSED", status: "RECOVERED", outcome: "WON" }));
    plans.extend((0..7).map(|_| CbPlan { stage: "CLOSED", status: "WRITEOFF", outcome: "LOST" }));
    plans.extend((0..2).map(|_| CbPlan { stage: "CLOSED", status: "WRITEOFF", outcome: "PARTIAL" }));

    // Amounts: ₹100 – ₹50,000, with the sums of spec 08.
    let (lo, hi) = (10_000, 5_000_000);
    let mut amounts = g.amounts_with_sum(28, 78_327_854, lo, hi);
    amounts.extend(g.amounts_with_sum(15, 38_637_570, lo, hi));
    amounts.extend(g.amounts_with_sum(9, 25_514_269, lo, hi));

    // Evidence due, in days from the anchor, for the 28 open cases: overdue, today, tomorrow, 2–3 days, later.
    let mut due_offsets: Vec<i64> =
        vec![-6, -4, -3, -2, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 6];
    due_offsets.shuffle(&mut g.rng);

    const NETWORKS: [(&str, &str); 5] =
        [("VISA", "VCR"), ("MASTERCARD", "MCC"), ("RUPAY", "RPY"), ("PAYTM", "PTM"), ("PHONEPE", "PPE")];
    const VISA_CODES: [&str; 4] = ["10.4", "13.1", "13.3", "11.1"];

    let mut cases: Vec<Chargeback> = plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let (acquirer, prefix) = g.pick(&NETWORKS);
            let merchant = &merchants[i % 3];
            let reason_code = if acquirer == "MASTERCARD" { "4853" } else { g.pick(&VISA_CODES) };
            let due_days = g.rng.gen_range(7..=9);
            let (received_day, evidence_due_day, closed_day) = if plan.status == "OPEN" {
                let due = anchor + Duration::days(due_offsets[i]);
                (due - Duration::days(due_days), due, None)
            } else {
                let age = g.rng.gen_range(12..=45);
                let received = anchor - Duration::days(age);
                let closed = received + Duration::days(g.rng.gen_range(5..=(age - 1).min(25)));
                (received, received + Duration::days(due_days), Some(closed))
            };
            let received_at = g.time_on(received_day, 9, 18);
            let evidence_due_at = at(evidence_due_day, 23, 59);
            let responded = matches!(plan.stage, "REPRESENTMENT" | "PRE_ARBIT")
                || plan.outcome == "WON"
                || plan.outcome == "PARTIAL"
                || (plan.outcome == "LOST" && g.chance(40));
            let latest = at(anchor, 0, 0) - Duration::minutes(1);
            let responded_at = responded.then(|| (received_at + Duration::days(g.rng.gen_range(2..=5))).min(latest));
            let amount = amounts[i];
            Chargeback {
                id: g.uuid(),
                case_ref: String::new(),
                acquirer,
                network_case_id: g.unique(prefix, 10),
                merchant_id: merchant.id,
                merchant_name: merchant.name,
                transaction_id: None,
                txn_ref: String::new(),
                rrn: g.unique("", 12),
                utr: String::new(),
                chargeback_paise: amount,
                recovered_paise: if plan.status == "RECOVERED" { amount } else { 0 },
                written_off_paise: if plan.status == "WRITEOFF" { amount } else { 0 },
                reason_code,
                stage: plan.stage,
                status: plan.status,
                outcome: plan.outcome,
                assigned_to: (plan.stage != "NEW").then_some(ops),
                received_at,
                evidence_due_at,
                deadline_at: evidence_due_at + Duration::days(10),
                responded_at,
                closed_at: closed_day.map(|d| g.time_on(d, 10, 19)),
            }
        })
        .collect();
    cases.sort_by_key(|c| c.received_at);
    for (i, case) in cases.iter_mut().enumerate() {
        case.case_ref = format!("CB-{}-{:04}", anchor.year(), i + 1);
    }
    cases
}

/// The payment method a card network's or wallet's chargeback was paid with.
pub(super) fn method_for_network(network: &str) -> &'static str {
    match network {
        "PAYTM" => "WALLET",
        "PHONEPE" => "UPI",
        _ => "CARD",
    }
}

/// Each case's audit trail (created, assigned, responded, closed) and a recovery action for each
/// written-off case.
pub(super) fn chargeback_audit(
    g: &mut Gen,
    chargebacks: &[Chargeback],
    ops: Uuid,
) -> (Vec<ChargebackAudit>, Vec<Recovery>) {
    let mut chargeback_audit = Vec::new();
    let mut recoveries = Vec::new();
    for cb in chargebacks {
        chargeback_audit.push(ChargebackAudit {
            chargeback_id: cb.id,
            action: "created",
            actor_id: None,
            actor_role: "system",
            before: None,
            after: json!({ "stage": "NEW", "status": "OPEN", "outcome": "PENDING", "source": "acquirer file" }),
            occurred_at: cb.received_at,
        });
        if let Some(assignee) = cb.assigned_to {
            chargeback_audit.push(ChargebackAudit {
                chargeback_id: cb.id,
                action: "assigned",
                actor_id: Some(assignee),
                actor_role: "sp-ops",
                before: Some(json!({ "assignedTo": null })),
                after: json!({ "assignedTo": "ops@settlepaisa.test" }),
                occurred_at: cb.received_at + Duration::hours(2),
            });
        }
        if let Some(responded) = cb.responded_at {
            chargeback_audit.push(ChargebackAudit {
                chargeback_id: cb.id,
                action: "stage_changed",
                actor_id: Some(ops),
                actor_role: "sp-ops",
                before: Some(json!({ "stage": "UNDER_REVIEW" })),
                after: json!({ "stage": "REPRESENTMENT" }),
                occurred_at: responded,
            });
        }
        if let Some(closed) = cb.closed_at {
            chargeback_audit.push(ChargebackAudit {
                chargeback_id: cb.id,
                action: "closed",
                actor_id: Some(ops),
                actor_role: "sp-ops",
                before: Some(json!({
                    "stage": if cb.responded_at.is_some() { "REPRESENTMENT" } else { "UNDER_REVIEW" },
                    "status": "OPEN",
                    "outcome": "PENDING"
                })),
                after: json!({ "stage": cb.stage, "status": cb.status, "outcome": cb.outcome }),
                occurred_at: closed,
            });
            if cb.status == "WRITEOFF" {
                recoveries.push(Recovery {
                    id: g.uuid(),
                    chargeback_id: cb.id,
                    merchant_id: cb.merchant_id,
                    amount_paise: cb.chargeback_paise,
                    created_at: closed,
                });
            }
        }
    }
    (chargeback_audit, recoveries)
}
