//! The exception queue as the analysts have worked it: older exceptions mostly resolved, newer ones
//! mostly open, with every status, the actions that led there and their comments.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{at, Comment, Exception, ExceptionAction, Gen, Txn};

/// Each exception's status, assignee, resolution and tags, with the action log and comments that
/// got it there.
pub(super) fn work_queue(
    g: &mut Gen,
    anchor: NaiveDate,
    ops: Uuid,
    exceptions: &mut [Exception],
) -> (Vec<ExceptionAction>, Vec<Comment>) {
    let mut exception_actions = Vec::new();
    let mut comments = Vec::new();
    const NOTES: [&str; 4] = [
        "Asked the bank's settlement desk to confirm the credit.",
        "Gateway confirms the amount; booking the difference as an adjustment.",
        "Matched manually against the statement of the following day.",
        "Merchant informed; awaiting their reconciliation sheet.",
    ];
    // Nothing that has happened is dated after the start of the anchor day.
    let latest = at(anchor, 0, 0) - Duration::minutes(1);
    // Statuses cycle through fixed patterns, so every status occurs whatever the anchor date.
    const OLD: [&str; 10] = [
        "resolved",
        "resolved",
        "wont_fix",
        "resolved",
        "investigating",
        "resolved",
        "open",
        "resolved",
        "resolved",
        "resolved",
    ];
    const RECENT: [&str; 10] = [
        "resolved",
        "investigating",
        "open",
        "snoozed",
        "investigating",
        "escalated",
        "open",
        "resolved",
        "wont_fix",
        "open",
    ];
    let (mut old_i, mut recent_i) = (0, 0);
    for e in exceptions {
        let age = (anchor - e.cycle_date).num_days();
        e.status = if e.reason_code == "BANK_FILE_MISSING" {
            "open"
        } else if age >= 12 {
            old_i += 1;
            OLD[(old_i - 1) % OLD.len()]
        } else {
            recent_i += 1;
            RECENT[(recent_i - 1) % RECENT.len()]
        };
        let worked = e.status != "open" || g.chance(30);
        if !worked {
            continue;
        }
        e.assignee = Some(ops);
        let mut t = (e.created_at + Duration::minutes(g.rng.gen_range(30..180))).min(latest);
        let assigned = json!({ "assignee": "ops@settlepaisa.test" });
        exception_actions.push(ExceptionAction {
            exception_id: e.id.clone(),
            action: "assign",
            actor_id: ops,
            acted_at: t,
            before: json!({ "assignee": null }),
            after: assigned,
            note: None,
        });
        if e.status == "open" {
            continue;
        }
        t = (t + Duration::minutes(g.rng.gen_range(10..120))).min(latest);
        let (action, after, note) = match e.status {
            "investigating" => ("investigate", json!({ "status": "investigating" }), None),
            "snoozed" => {
                let until = at(anchor + Duration::days(g.rng.gen_range(1..=3)), 10, 0);
                e.snoozed_until = Some(until);
                (
                    "snooze",
                    json!({ "status": "snoozed", "until": until.to_rfc3339() }),
                    Some("Waiting for the next bank statement."),
                )
            }
            "escalated" => ("escalate", json!({ "status": "escalated" }), Some("Needs the bank relationship manager.")),
            status => {
                let resolution = if status == "wont_fix" {
                    "WONT_FIX"
                } else {
                    match e.reason_code {
                        "ROUNDING_ERROR" | "FEE_MISMATCH" | "AMOUNT_MISMATCH" | "FEES_VARIANCE" => {
                            "ACCOUNTING_ADJUSTMENT"
                        }
                        "DATE_OUT_OF_WINDOW" | "UTR_MISMATCH" | "UTR_MISSING_OR_INVALID" => "MANUAL_MATCH",
                        "DUPLICATE_PG_ENTRY" | "DUPLICATE_BANK_ENTRY" => "DUPLICATE",
                        "PG_TXN_MISSING_IN_BANK" => "WRITE_OFF",
                        _ => "FALSE_POSITIVE",
                    }
                };
                e.resolution = Some(resolution);
                e.resolved_at = Some(t);
                ("resolve", json!({ "status": status, "resolution": resolution }), Some(g.pick(&NOTES)))
            }
        };
        exception_actions.push(ExceptionAction {
            exception_id: e.id.clone(),
            action,
            actor_id: ops,
            acted_at: t,
            before: json!({ "status": "open" }),
            after,
            note: note.map(str::to_string),
        });
        e.updated_at = t;
        if g.chance(35) {
            // A comment is kept as its text and, like every action, in the exception's action log.
            let body = g.pick(&NOTES);
            comments.push(Comment { exception_id: e.id.clone(), author_id: ops, body, created_at: t });
            exception_actions.push(ExceptionAction {
                exception_id: e.id.clone(),
                action: "comment",
                actor_id: ops,
                acted_at: t,
                before: Value::Null,
                after: Value::Null,
                note: Some(body.to_string()),
            });
        }
        if e.pg_amount_paise.unwrap_or(0) >= 100_000_00 {
            e.tags.push("high-value".into());
        }
        if matches!(e.status, "snoozed" | "escalated") {
            e.tags.push("bank-followup".into());
        }
    }
    (exception_actions, comments)
}

/// Resolved as matched or adjusted → the transaction is reconciled (eligible for settlement).
pub(super) fn reconcile_resolved(exceptions: &[Exception], transactions: &mut [Txn]) {
    for e in exceptions {
        if let (Some(tid), Some("MANUAL_MATCH" | "ACCOUNTING_ADJUSTMENT")) = (e.transaction_id, e.resolution) {
            transactions[(tid - 1) as usize].status = "RECONCILED";
        }
    }
}
