//! Pure exception rules: severity raised by amount (spec 2.3); the work queue's status transitions,
//! SLA clock, snooze wake-up at read time, which resolutions reconcile the transaction, which actions
//! a user may take, and the suggested next steps per type (spec 2.5).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::model::{ActionKind, Status, RESOLUTIONS};
use crate::money::Paise;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(code: &str) -> Option<Severity> {
        [Severity::Low, Severity::Medium, Severity::High, Severity::Critical].into_iter().find(|s| s.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// ₹1,00,000 and above is CRITICAL; ₹10,000 and above is at least HIGH; never lowered.
pub fn raise_by_amount(default: Severity, amount: Paise) -> Severity {
    let floor = if amount >= Paise(100_000_00) {
        Severity::Critical
    } else if amount >= Paise(10_000_00) {
        Severity::High
    } else {
        Severity::Low
    };
    default.max(floor)
}

/// The status as of `now`: a snoozed exception whose time has passed is open again, whether or
/// not the wake-up job has run yet.
pub fn effective_status(stored: Status, snoozed_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Status {
    match (stored, snoozed_until) {
        (Status::Snoozed, Some(until)) if until <= now => Status::Open,
        (status, _) => status,
    }
}

/// SLA breached: not closed and past its due time (computed at read time, spec 2.5).
pub fn sla_breached(status: Status, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    !status.is_closed() && now > due
}

/// The due time: created + the settings' hours for (reason, severity).
pub fn sla_due(created: DateTime<Utc>, hours: i32) -> DateTime<Utc> {
    created + Duration::hours(hours.into())
}

/// `Due in 3 h 20 min`, `Breached 2 d 4 h ago`, for the SLA clock.
pub fn sla_label(status: Status, due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if status.is_closed() {
        return "Closed".into();
    }
    let span = duration_label;
    if now > due {
        format!("Breached {} ago", span(now - due))
    } else {
        format!("Due in {}", span(due - now))
    }
}

/// `2 d 4 h`, `3 h 20 min`, `5 min`: a span as the queue shows ages and SLA clocks.
pub fn duration_label(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {mins} min")
    } else {
        format!("{mins} min")
    }
}

/// Resolutions that make the transaction RECONCILED (eligible for settlement).
pub fn reconciles(resolution: &str) -> bool {
    matches!(resolution, "MANUAL_MATCH" | "AUTO_MATCHED" | "ACCOUNTING_ADJUSTMENT")
}

pub fn is_resolution(code: &str) -> bool {
    RESOLUTIONS.iter().any(|(c, _)| *c == code)
}

/// The status a resolution closes with.
pub fn closing_status(resolution: &str) -> Status {
    if resolution == "WONT_FIX" {
        Status::WontFix
    } else {
        Status::Resolved
    }
}

/// Why an action is refused: the exception's state (409) — role refusals are the guard's (403).
pub type Refusal = String;

/// The status an action moves to from `from` (`Ok(None)`: the action does not change the status),
/// or why it cannot be taken now.
pub fn transition(from: Status, action: ActionKind, resolution: Option<&str>) -> Result<Option<Status>, Refusal> {
    use ActionKind as A;
    use Status as S;
    let closed = || Err(format!("The exception is {}; reopen it first.", from.label().to_lowercase()));
    match action {
        A::Comment | A::Tag | A::Untag => Ok(None),
        A::Assign | A::Take | A::Severity => {
            if from.is_closed() {
                closed()
            } else {
                Ok(None)
            }
        }
        A::Investigate => match from {
            S::Open | S::Snoozed | S::Escalated => Ok(Some(S::Investigating)),
            S::Investigating => Err("The exception is already being investigated.".into()),
            _ => closed(),
        },
        A::Snooze => match from {
            S::Open | S::Investigating | S::Escalated | S::Snoozed => Ok(Some(S::Snoozed)),
            _ => closed(),
        },
        A::Escalate => match from {
            S::Open | S::Investigating | S::Snoozed => Ok(Some(S::Escalated)),
            S::Escalated => Err("The exception is already escalated.".into()),
            _ => closed(),
        },
        A::Resolve => {
            let code = resolution.ok_or("Choose a resolution code.")?;
            if !is_resolution(code) {
                return Err(format!("Unknown resolution code {code:?}."));
            }
            if from.is_closed() {
                return Err(format!("The exception is already {}.", from.label().to_lowercase()));
            }
            Ok(Some(closing_status(code)))
        }
        A::Reopen => match from {
            S::Resolved | S::WontFix | S::Snoozed | S::Escalated => Ok(Some(S::Open)),
            S::Open => Err("The exception is already open.".into()),
            S::Investigating => Err("The exception is being investigated; snooze, escalate or resolve it.".into()),
        },
    }
}

/// The actions the page offers for a status (a user who works exceptions; others get none).
pub fn allowed_actions(status: Status) -> Vec<ActionKind> {
    ActionKind::ALL
        .into_iter()
        .filter(|a| {
            // The resolve check needs a code; any valid one answers for the status.
            transition(status, *a, Some("MANUAL_MATCH")).is_ok()
        })
        .collect()
}

/// What an analyst usually does next for each exception type.
pub fn next_steps(reason: &str) -> Vec<&'static str> {
    match reason {
        "BANK_FILE_MISSING" => vec![
            "Check the bank connector's last run on Connectors; fetch or upload the statement for the cycle.",
            "Re-run reconciliation for the cycle once the file is in.",
        ],
        "UTR_MISSING_OR_INVALID" => vec![
            "Ask the gateway for the transaction's UTR.",
            "Search the bank statement by amount and date; resolve as Manual match if the credit is there.",
        ],
        "DUPLICATE_PG_ENTRY" => vec![
            "Compare the PG rows with the same UTR (txn id, time, merchant).",
            "Resolve the extra entries as Duplicate; keep the genuine one.",
        ],
        "DUPLICATE_BANK_ENTRY" => vec![
            "Confirm with the bank whether the credit was posted twice.",
            "Resolve as Duplicate if the bank reverses it; otherwise book an Accounting adjustment.",
        ],
        "DATE_OUT_OF_WINDOW" => vec![
            "Check the bank line's value date against the PG date.",
            "If the credit is genuine, resolve as Manual match.",
        ],
        "UTR_MISMATCH" => vec![
            "The PG RRN equals a bank UTR: correct the UTR on the PG record.",
            "Resolve as Manual match once corrected.",
        ],
        "AMOUNT_MISMATCH" => vec![
            "Compare the PG and bank amounts: partial credit, fees or a wrong amount?",
            "Raise a partial credit with the bank, or book an Accounting adjustment for fees.",
        ],
        "FEE_MISMATCH" | "FEES_VARIANCE" => vec![
            "Check the bank charges for the transaction against the merchant's fee schedule.",
            "Book the difference as an Accounting adjustment.",
        ],
        "ROUNDING_ERROR" => vec!["Book a rounding Accounting adjustment (one paisa)."],
        "PG_TXN_MISSING_IN_BANK" => vec![
            "Check the next cycles' statements: the credit may arrive late (snooze until the next statement).",
            "Chase the bank if the credit is overdue; write off only with approval.",
        ],
        "BANK_TXN_MISSING_IN_PG" => vec![
            "Look for the PG transaction in other cycles or merchants by UTR and amount.",
            "If none exists, flag it as an unknown credit and escalate to the bank.",
        ],
        _ => vec!["Review the PG row and the bank line, then resolve with the fitting code."],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn thresholds() {
        assert_eq!(raise_by_amount(Severity::Medium, Paise(999_999)), Severity::Medium);
        assert_eq!(raise_by_amount(Severity::Medium, Paise(1_000_000)), Severity::High);
        assert_eq!(raise_by_amount(Severity::Medium, Paise(9_999_999)), Severity::High);
        assert_eq!(raise_by_amount(Severity::Medium, Paise(10_000_000)), Severity::Critical);
        assert_eq!(raise_by_amount(Severity::Critical, Paise(1)), Severity::Critical);
        assert_eq!(raise_by_amount(Severity::High, Paise(500)), Severity::High);
    }

    #[test]
    fn every_status_and_action() {
        use ActionKind as A;
        use Status as S;
        let to = |from, a| transition(from, a, Some("MANUAL_MATCH"));
        // The status-moving actions, from every status.
        let expected: [(ActionKind, [Option<S>; 6]); 5] = [
            // from: open, investigating, snoozed, escalated, resolved, wont_fix (None = refused)
            (
                A::Investigate,
                [Some(S::Investigating), None, Some(S::Investigating), Some(S::Investigating), None, None],
            ),
            (A::Snooze, [Some(S::Snoozed), Some(S::Snoozed), Some(S::Snoozed), Some(S::Snoozed), None, None]),
            (A::Escalate, [Some(S::Escalated), Some(S::Escalated), Some(S::Escalated), None, None, None]),
            (A::Resolve, [Some(S::Resolved), Some(S::Resolved), Some(S::Resolved), Some(S::Resolved), None, None]),
            (A::Reopen, [None, None, Some(S::Open), Some(S::Open), Some(S::Open), Some(S::Open)]),
        ];
        for (action, outcomes) in expected {
            for (from, want) in S::ALL.into_iter().zip(outcomes) {
                match want {
                    Some(status) => assert_eq!(to(from, action), Ok(Some(status)), "{action:?} from {from:?}"),
                    None => assert!(to(from, action).is_err(), "{action:?} from {from:?} is refused"),
                }
            }
        }
        // Assignment and severity only while active; comments and tags always; none moves the status.
        for from in S::ALL {
            for a in [A::Assign, A::Take, A::Severity] {
                assert_eq!(to(from, a).is_ok(), !from.is_closed(), "{a:?} from {from:?}");
            }
            for a in [A::Comment, A::Tag, A::Untag] {
                assert_eq!(to(from, a), Ok(None));
            }
        }
        assert_eq!(transition(S::Open, A::Resolve, Some("WONT_FIX")), Ok(Some(S::WontFix)));
        assert!(transition(S::Open, A::Resolve, None).unwrap_err().contains("resolution"));
        assert!(transition(S::Open, A::Resolve, Some("MAGIC")).unwrap_err().contains("Unknown"));
        assert!(to(S::Resolved, A::Investigate).unwrap_err().contains("reopen"));
    }

    #[test]
    fn allowed_actions_follow_the_transitions() {
        let open = allowed_actions(Status::Open);
        assert!(open.contains(&ActionKind::Resolve) && !open.contains(&ActionKind::Reopen));
        let closed = allowed_actions(Status::Resolved);
        assert_eq!(closed, vec![ActionKind::Reopen, ActionKind::Comment, ActionKind::Tag, ActionKind::Untag]);
    }

    #[test]
    fn snoozes_wake_at_read_time_and_sla_is_read_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        let hour = Duration::hours(1);
        assert_eq!(effective_status(Status::Snoozed, Some(now - hour), now), Status::Open);
        assert_eq!(effective_status(Status::Snoozed, Some(now), now), Status::Open);
        assert_eq!(effective_status(Status::Snoozed, Some(now + hour), now), Status::Snoozed);
        assert_eq!(effective_status(Status::Investigating, None, now), Status::Investigating);
        let created = now - Duration::hours(5);
        let due = sla_due(created, 4);
        assert!(sla_breached(Status::Open, due, now));
        assert!(!sla_breached(Status::Resolved, due, now));
        assert!(!sla_breached(Status::Open, sla_due(created, 6), now));
        assert_eq!(sla_label(Status::Open, due, now), "Breached 1 h 0 min ago");
        assert_eq!(sla_label(Status::Open, sla_due(created, 6) + Duration::days(2), now), "Due in 2 d 1 h");
        assert_eq!(sla_label(Status::Resolved, due, now), "Closed");
    }

    #[test]
    fn which_resolutions_reconcile() {
        let reconciling: Vec<_> = RESOLUTIONS.iter().map(|(c, _)| *c).filter(|c| reconciles(c)).collect();
        assert_eq!(reconciling, ["MANUAL_MATCH", "AUTO_MATCHED", "ACCOUNTING_ADJUSTMENT"]);
        assert!(!next_steps("AMOUNT_MISMATCH").is_empty());
    }
}
