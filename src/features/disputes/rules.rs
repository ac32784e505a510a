//! The business rules of the disputes desk, pure (no I/O): the UI status of a case, the allowed
//! transitions and what each writes, the category of a reason code, the SLA bucket of a deadline in
//! IST days, and the KPI definitions of spec 03 §3.2.

use chrono::{DateTime, Duration, Utc};

use super::model::{Kpis, OutcomeSummary, SlaBucket, UiStatus};
use crate::auth::{Access, Role};
use crate::ist;
use crate::money::{MoneyOverflow, Paise};
use crate::ratio::{div_half_up, permille_half_up};

/// The stored triple behind a UI status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseState {
    pub stage: &'static str,
    pub status: &'static str,
    pub outcome: &'static str,
}

/// UI status of a stored stage / status / outcome; `None` for a combination the model forbids.
pub fn ui_status(stage: &str, status: &str, outcome: &str) -> Option<UiStatus> {
    match (stage, status, outcome) {
        ("NEW", "OPEN", _) => Some(UiStatus::Open),
        ("UNDER_REVIEW", "OPEN", _) => Some(UiStatus::EvidenceRequired),
        ("REPRESENTMENT", "OPEN", _) => Some(UiStatus::RepresentmentSubmitted),
        ("PRE_ARBIT" | "ARBITRATION", "OPEN", _) => Some(UiStatus::PendingBank),
        ("CLOSED", "RECOVERED", "WON") => Some(UiStatus::Won),
        ("CLOSED", "WRITEOFF", "LOST" | "PARTIAL") => Some(UiStatus::Lost),
        ("CLOSED", "WRITEOFF", "PENDING") => Some(UiStatus::Cancelled),
        _ => None,
    }
}

/// The stored values a UI status covers, for filtering in SQL (stages, status, outcomes).
pub fn stored_values(ui: UiStatus) -> (&'static [&'static str], &'static str, &'static [&'static str]) {
    const ANY_OUTCOME: &[&str] = &["PENDING", "WON", "LOST", "PARTIAL"];
    match ui {
        UiStatus::Open => (&["NEW"], "OPEN", ANY_OUTCOME),
        UiStatus::EvidenceRequired => (&["UNDER_REVIEW"], "OPEN", ANY_OUTCOME),
        UiStatus::RepresentmentSubmitted => (&["REPRESENTMENT"], "OPEN", ANY_OUTCOME),
        UiStatus::PendingBank => (&["PRE_ARBIT", "ARBITRATION"], "OPEN", ANY_OUTCOME),
        UiStatus::Won => (&["CLOSED"], "RECOVERED", &["WON"]),
        UiStatus::Lost => (&["CLOSED"], "WRITEOFF", &["LOST", "PARTIAL"]),
        UiStatus::Cancelled => (&["CLOSED"], "WRITEOFF", &["PENDING"]),
    }
}

/// The triple written when a case moves to `to`.
pub fn target_state(to: UiStatus) -> CaseState {
    let (stage, status, outcome) = match to {
        UiStatus::Open => ("NEW", "OPEN", "PENDING"),
        UiStatus::EvidenceRequired => ("UNDER_REVIEW", "OPEN", "PENDING"),
        UiStatus::RepresentmentSubmitted => ("REPRESENTMENT", "OPEN", "PENDING"),
        UiStatus::PendingBank => ("PRE_ARBIT", "OPEN", "PENDING"),
        UiStatus::Won => ("CLOSED", "RECOVERED", "WON"),
        UiStatus::Lost => ("CLOSED", "WRITEOFF", "LOST"),
        UiStatus::Cancelled => ("CLOSED", "WRITEOFF", "PENDING"),
    };
    CaseState { stage, status, outcome }
}

/// Whether the lifecycle allows `from → to` at all (whoever asks).
fn edge(from: UiStatus, to: UiStatus) -> bool {
    use UiStatus::*;
    matches!(
        (from, to),
        (Open, EvidenceRequired)
            | (EvidenceRequired, RepresentmentSubmitted)
            | (RepresentmentSubmitted, PendingBank)
            | (PendingBank, Won)
            | (PendingBank, Lost)
            | (Open | EvidenceRequired, Lost)
            | (Open | EvidenceRequired, Cancelled)
    )
}

/// Why a status change was refused: the lifecycle (409) or the caller's role (403). Either way
/// the sentence is what the analyst sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Lifecycle(String),
    Role(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Lifecycle(m) | Refusal::Role(m) => f.write_str(m),
        }
    }
}

/// Check a requested status change.
pub fn check_transition(from: UiStatus, to: UiStatus, roles: &[Role], evidence_documents: i64) -> Result<(), Refusal> {
    if from == to {
        return Err(Refusal::Lifecycle(format!("The case is already “{}”.", to.label())));
    }
    if !edge(from, to) {
        return Err(Refusal::Lifecycle(format!(
            "A case cannot move from “{}” to “{}”. Allowed from here: {}.",
            from.label(),
            to.label(),
            allowed_next(from)
                .iter()
                .map(|s| s.label())
                .collect::<Vec<_>>()
                .join(", ")
                .if_empty("nothing (it is closed)")
        )));
    }
    let accept_liability = to == UiStatus::Lost && matches!(from, UiStatus::Open | UiStatus::EvidenceRequired);
    if accept_liability {
        if !Access::ACCEPT_LIABILITY.allows(roles) {
            return Err(Refusal::Role(
                "Accepting liability (moving an unanswered case to Lost) is a compliance decision.".into(),
            ));
        }
    } else if !Access::OPS_WORK.allows(roles) {
        return Err(Refusal::Role("Your role does not allow changing a case's status.".into()));
    }
    if to == UiStatus::RepresentmentSubmitted && evidence_documents < 1 {
        return Err(Refusal::Lifecycle(
            "Representment needs at least one evidence document (of kind EVIDENCE). Upload one first.".into(),
        ));
    }
    Ok(())
}

/// The document kind that counts as evidence for a representment (an acquirer's notice or a
/// decision does not). Uploads default to it.
pub const EVIDENCE_KIND: &str = "EVIDENCE";

/// Every status the lifecycle allows next from `from`.
pub fn allowed_next(from: UiStatus) -> Vec<UiStatus> {
    UiStatus::ALL.into_iter().filter(|to| edge(from, *to)).collect()
}

/// The statuses this user may choose now (the buttons the page offers).
pub fn choices(from: UiStatus, roles: &[Role], evidence_documents: i64) -> Vec<UiStatus> {
    allowed_next(from).into_iter().filter(|to| check_transition(from, *to, roles, evidence_documents).is_ok()).collect()
}

/// A network's decision arriving by webhook: won, lost or withdrawn. It settles a case that was
/// answered (representment or pending bank) or withdraws any open one.
pub fn network_resolution(from: UiStatus, decision: &str) -> Result<UiStatus, String> {
    let to = decision_status(decision)?;
    let answered = matches!(from, UiStatus::RepresentmentSubmitted | UiStatus::PendingBank);
    let ok = match to {
        UiStatus::Cancelled => from.is_open(),
        _ => answered,
    };
    if ok {
        Ok(to)
    } else {
        Err(format!("A {} decision cannot apply to a case that is “{}”.", decision, from.label()))
    }
}

/// The status a network decision closes a case in.
fn decision_status(decision: &str) -> Result<UiStatus, String> {
    match decision {
        "WON" => Ok(UiStatus::Won),
        "LOST" => Ok(UiStatus::Lost),
        "WITHDRAWN" | "CANCELLED" => Ok(UiStatus::Cancelled),
        other => Err(format!("Unknown decision {other:?}; expected WON, LOST or WITHDRAWN.")),
    }
}

/// Whether a case in `from` is already where the network's `decision` would close it (a repeated
/// or late decision: nothing to change).
pub fn already_decided(from: UiStatus, decision: &str) -> bool {
    decision_status(decision).is_ok_and(|to| to == from)
}

/// Money written when a case closes: won → recovered = chargeback; lost → written off = chargeback
/// (recovered from the merchant by a settlement deduction); cancelled → neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosingAmounts {
    pub recovered: Paise,
    pub written_off: Paise,
    pub recovery_action: Option<Paise>,
}

pub fn closing_amounts(to: UiStatus, chargeback: Paise) -> Option<ClosingAmounts> {
    match to {
        UiStatus::Won => {
            Some(ClosingAmounts { recovered: chargeback, written_off: Paise::ZERO, recovery_action: None })
        }
        UiStatus::Lost => {
            Some(ClosingAmounts { recovered: Paise::ZERO, written_off: chargeback, recovery_action: Some(chargeback) })
        }
        UiStatus::Cancelled => {
            Some(ClosingAmounts { recovered: Paise::ZERO, written_off: Paise::ZERO, recovery_action: None })
        }
        _ => None,
    }
}

/// The reason-code catalogue (network family, code, description, category); the database table
/// `chargeback_reason_codes` holds the same rows (a test keeps them equal).
pub const REASON_CODES: [(&str, &str, &str, &str); 20] = [
    ("VISA", "10.4", "Other fraud: card-absent environment", "FRAUD"),
    ("VISA", "10.5", "Visa fraud monitoring programme", "FRAUD"),
    ("VISA", "11.1", "Card recovery bulletin", "AUTHORIZATION"),
    ("VISA", "11.2", "Declined authorisation", "AUTHORIZATION"),
    ("VISA", "11.3", "No authorisation", "AUTHORIZATION"),
    ("VISA", "12.5", "Incorrect amount", "PROCESSING"),
    ("VISA", "12.6", "Duplicate processing or paid by other means", "PROCESSING"),
    ("VISA", "13.1", "Merchandise or services not received", "NON_RECEIPT"),
    ("VISA", "13.2", "Cancelled recurring transaction", "OTHER"),
    ("VISA", "13.3", "Not as described or defective merchandise", "QUALITY"),
    ("MASTERCARD", "4837", "No cardholder authorisation", "FRAUD"),
    ("MASTERCARD", "4808", "Authorisation-related chargeback", "AUTHORIZATION"),
    ("MASTERCARD", "4834", "Point-of-interaction error", "PROCESSING"),
    ("MASTERCARD", "4853", "Cardholder dispute: not as described or defective", "QUALITY"),
    ("MASTERCARD", "4855", "Goods or services not provided", "NON_RECEIPT"),
    ("RUPAY", "1061", "Transaction not authorised by cardholder", "FRAUD"),
    ("RUPAY", "1064", "Goods or services not received", "NON_RECEIPT"),
    ("RUPAY", "1065", "Duplicate transaction", "PROCESSING"),
    ("UPI", "U008", "Credit not processed for cancelled or returned goods", "PROCESSING"),
    ("UPI", "U010", "Goods or services not provided", "NON_RECEIPT"),
];

/// Category and catalogue description of a reason code; unknown codes are `OTHER`, described by
/// what the acquirer sent.
pub fn classify_reason(code: &str, given_description: &str) -> (&'static str, String) {
    let code = code.trim();
    match REASON_CODES.iter().find(|(_, c, _, _)| c.eq_ignore_ascii_case(code)) {
        Some((_, _, description, category)) => (category, description.to_string()),
        None if given_description.trim().is_empty() => ("OTHER", format!("Reason code {code}")),
        None => ("OTHER", given_description.trim().to_string()),
    }
}

/// The instants that bound each SLA bucket at `now`: `[start, end)` (overdue has no start).
pub fn sla_bounds(bucket: SlaBucket, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, DateTime<Utc>) {
    let today = ist::today(now);
    let day = |n: i64| ist::start_of_day(today + Duration::days(n));
    match bucket {
        SlaBucket::Overdue => (None, now),
        SlaBucket::Today => (Some(now), day(1)),
        SlaBucket::Tomorrow => (Some(day(1)), day(2)),
        SlaBucket::TwoToThreeDays => (Some(day(2)), day(4)),
    }
}

/// The SLA bucket of an evidence deadline, or `None` when it is further away than 3 days.
pub fn sla_bucket(due: DateTime<Utc>, now: DateTime<Utc>) -> Option<SlaBucket> {
    SlaBucket::ALL.into_iter().find(|b| {
        let (start, end) = sla_bounds(*b, now);
        start.is_none_or(|s| due >= s) && due < end
    })
}

/// The SLA bucket of a case: only an open case has an evidence deadline left to keep.
pub fn case_sla_bucket(status: &str, evidence_due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<SlaBucket> {
    evidence_due_at.filter(|_| status == "OPEN").and_then(|due| sla_bucket(due, now))
}

/// The statuses a case is stored with (the old system's), which its links and API filter by
/// beside the UI statuses.
pub const STORED_STATUSES: [&str; 3] = ["OPEN", "RECOVERED", "WRITEOFF"];

/// The days of an outcome window: `7d`, or `30d` (also when none is given).
pub fn window_days(param: Option<&str>) -> Result<i64, String> {
    match param.unwrap_or("30d") {
        "7d" => Ok(7),
        "30d" => Ok(30),
        other => Err(format!("The window must be 7d or 30d (got {other:?}).")),
    }
}

/// "overdue by 3 days", "due today", "due tomorrow", "5 days left" — counted in IST days.
pub fn due_label(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let days = (ist::date_of(due) - ist::today(now)).num_days();
    if due < now {
        match days {
            0 => "overdue (today)".into(),
            -1 => "overdue by 1 day".into(),
            d => format!("overdue by {} days", -d),
        }
    } else {
        match days {
            0 => "due today".into(),
            1 => "due tomorrow".into(),
            d => format!("{d} days left"),
        }
    }
}

/// The figures of one case that the KPIs read.
#[derive(Clone, Copy, Debug)]
pub struct KpiCase<'a> {
    pub stage: &'a str,
    pub status: &'a str,
    pub chargeback: Paise,
    pub fees: Paise,
    pub recovered: Paise,
    pub written_off: Paise,
}

/// The KPI definitions of spec 03 §3.2, folded over the cases in scope. The SQL aggregate in
/// `queries::kpis` computes the same; an integration test holds them equal.
pub fn kpis<'a>(cases: impl IntoIterator<Item = KpiCase<'a>>) -> Result<Kpis, MoneyOverflow> {
    cases.into_iter().try_fold(Kpis::default(), |mut k, c| {
        if c.status == "OPEN" {
            k.open_count += 1;
            if c.stage == "UNDER_REVIEW" {
                k.evidence_required_count += 1;
            }
        }
        if c.status != "WRITEOFF" {
            k.disputed = Paise::checked_sum([k.disputed, c.chargeback, c.fees])?;
        }
        k.recovered = k.recovered.checked_add(c.recovered)?;
        k.written_off = k.written_off.checked_add(c.written_off)?;
        Ok(k)
    })
}

/// Win rate and average resolution from counts and the summed resolution seconds of the decided
/// cases, rounded half up to one decimal with integer arithmetic; the money of the cases closed in
/// the window as summed.
pub fn outcome_summary(
    window_days: i64,
    won: i64,
    lost: i64,
    resolution_seconds: i64,
    recovered: Paise,
    written_off: Paise,
) -> OutcomeSummary {
    let decided = won + lost;
    OutcomeSummary {
        window_days,
        won,
        lost,
        win_rate_permille: permille_half_up(won, decided),
        avg_resolution_tenth_days: div_half_up(i128::from(resolution_seconds) * 10, i128::from(decided) * 86_400),
        recovered,
        written_off,
    }
}

trait IfEmpty {
    fn if_empty(self, fallback: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, fallback: &str) -> String {
        if self.is_empty() {
            fallback.to_string()
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ist(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        ist::offset().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn ui_status_follows_the_table_of_spec_03() {
        assert_eq!(ui_status("NEW", "OPEN", "PENDING"), Some(UiStatus::Open));
        assert_eq!(ui_status("UNDER_REVIEW", "OPEN", "PENDING"), Some(UiStatus::EvidenceRequired));
        assert_eq!(ui_status("REPRESENTMENT", "OPEN", "PENDING"), Some(UiStatus::RepresentmentSubmitted));
        assert_eq!(ui_status("PRE_ARBIT", "OPEN", "PENDING"), Some(UiStatus::PendingBank));
        assert_eq!(ui_status("ARBITRATION", "OPEN", "PENDING"), Some(UiStatus::PendingBank));
        assert_eq!(ui_status("CLOSED", "RECOVERED", "WON"), Some(UiStatus::Won));
        assert_eq!(ui_status("CLOSED", "WRITEOFF", "LOST"), Some(UiStatus::Lost));
        assert_eq!(ui_status("CLOSED", "WRITEOFF", "PARTIAL"), Some(UiStatus::Lost));
        assert_eq!(ui_status("CLOSED", "WRITEOFF", "PENDING"), Some(UiStatus::Cancelled));
        assert_eq!(ui_status("CLOSED", "RECOVERED", "LOST"), None);
        assert_eq!(ui_status("NEW", "RECOVERED", "WON"), None);
    }

    #[test]
    fn target_states_derive_back_to_their_status_and_match_the_filters() {
        for ui in UiStatus::ALL {
            let s = target_state(ui);
            assert_eq!(ui_status(s.stage, s.status, s.outcome), Some(ui));
            let (stages, status, outcomes) = stored_values(ui);
            assert!(stages.contains(&s.stage) && status == s.status && outcomes.contains(&s.outcome));
        }
    }

    #[test]
    fn the_lifecycle_allows_exactly_the_spec_edges() {
        use UiStatus::*;
        let ops = [Role::Ops];
        assert!(check_transition(Open, EvidenceRequired, &ops, 0).is_ok());
        assert!(check_transition(EvidenceRequired, RepresentmentSubmitted, &ops, 1).is_ok());
        assert!(check_transition(RepresentmentSubmitted, PendingBank, &ops, 1).is_ok());
        assert!(check_transition(PendingBank, Won, &ops, 1).is_ok());
        assert!(check_transition(PendingBank, Lost, &ops, 1).is_ok());
        assert!(check_transition(Open, Cancelled, &ops, 0).is_ok());
        assert!(check_transition(EvidenceRequired, Cancelled, &ops, 0).is_ok());
        // Skipping steps, going back, or leaving a closed case is refused with a sentence.
        let err = check_transition(Open, Won, &ops, 5).unwrap_err().to_string();
        assert!(err.contains("cannot move from “Open” to “Won”"), "{err}");
        assert!(check_transition(RepresentmentSubmitted, EvidenceRequired, &ops, 1).is_err());
        assert!(check_transition(Won, Lost, &ops, 1).unwrap_err().to_string().contains("nothing (it is closed)"));
        assert!(check_transition(PendingBank, Cancelled, &ops, 1).is_err());
        assert!(check_transition(Open, Open, &ops, 0).unwrap_err().to_string().contains("already"));
        // Counting every pair: 9 edges.
        let edges = UiStatus::ALL
            .iter()
            .flat_map(|a| UiStatus::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| edge(*a, *b))
            .count();
        assert_eq!(edges, 9);
    }

    #[test]
    fn representment_needs_evidence() {
        let err = check_transition(UiStatus::EvidenceRequired, UiStatus::RepresentmentSubmitted, &[Role::Ops], 0);
        assert!(err.unwrap_err().to_string().contains("at least one evidence document"));
    }

    #[test]
    fn accepting_liability_is_for_compliance_and_other_moves_for_ops() {
        use UiStatus::*;
        let refusal = check_transition(Open, Lost, &[Role::Ops], 0).unwrap_err();
        assert!(matches!(&refusal, Refusal::Role(m) if m.contains("compliance decision")));
        assert!(check_transition(EvidenceRequired, Lost, &[Role::Compliance], 0).is_ok());
        assert!(check_transition(Open, EvidenceRequired, &[Role::Compliance], 0).is_err());
        assert!(check_transition(Open, EvidenceRequired, &[Role::Finance], 0).is_err());
        assert!(check_transition(Open, EvidenceRequired, &[Role::Auditor], 0).is_err());
        assert!(check_transition(Open, EvidenceRequired, &[Role::Admin], 0).is_ok());
        // The bank's loss after representment is recorded by ops.
        assert!(check_transition(PendingBank, Lost, &[Role::Ops], 1).is_ok());
        assert_eq!(choices(Open, &[Role::Ops], 0), vec![EvidenceRequired, Cancelled]);
        assert_eq!(choices(Open, &[Role::Compliance], 0), vec![Lost]);
        assert_eq!(choices(EvidenceRequired, &[Role::Ops, Role::Compliance], 0), vec![Lost, Cancelled]);
        assert!(choices(Won, &[Role::Admin], 3).is_empty());
    }

    #[test]
    fn network_decisions() {
        use UiStatus::*;
        assert_eq!(network_resolution(PendingBank, "WON"), Ok(Won));
        assert_eq!(network_resolution(RepresentmentSubmitted, "LOST"), Ok(Lost));
        assert_eq!(network_resolution(Open, "WITHDRAWN"), Ok(Cancelled));
        assert!(network_resolution(Open, "WON").is_err());
        assert!(network_resolution(Won, "WITHDRAWN").is_err());
        assert!(network_resolution(PendingBank, "MAYBE").is_err());
        // A decision the case already shows changes nothing (and is not refused).
        assert!(
            already_decided(Won, "WON") && already_decided(Lost, "LOST") && already_decided(Cancelled, "WITHDRAWN")
        );
        assert!(
            !already_decided(Won, "LOST") && !already_decided(PendingBank, "WON") && !already_decided(Won, "MAYBE")
        );
    }

    #[test]
    fn closing_money() {
        let a = closing_amounts(UiStatus::Lost, Paise(12_345)).unwrap();
        assert_eq!((a.written_off, a.recovered, a.recovery_action), (Paise(12_345), Paise::ZERO, Some(Paise(12_345))));
        let w = closing_amounts(UiStatus::Won, Paise(500)).unwrap();
        assert_eq!((w.recovered, w.written_off, w.recovery_action), (Paise(500), Paise::ZERO, None));
        assert_eq!(closing_amounts(UiStatus::Cancelled, Paise(9)).unwrap().written_off, Paise::ZERO);
        assert!(closing_amounts(UiStatus::PendingBank, Paise(9)).is_none());
    }

    #[test]
    fn reason_codes_classify() {
        assert_eq!(classify_reason("10.4", "").0, "FRAUD");
        assert_eq!(classify_reason("4853", "whatever").0, "QUALITY");
        assert_eq!(classify_reason(" 13.1 ", "").0, "NON_RECEIPT");
        assert_eq!(classify_reason("u010", "").0, "NON_RECEIPT");
        assert_eq!(classify_reason("13.1", "ignored").1, "Merchandise or services not received");
        assert_eq!(classify_reason("99.9", "Odd one"), ("OTHER", "Odd one".to_string()));
        assert_eq!(classify_reason("99.9", " "), ("OTHER", "Reason code 99.9".to_string()));
    }

    #[test]
    fn sla_buckets_are_ist_days() {
        // 26 Nov 2026, 10:00 IST.
        let now = ist(2026, 11, 26, 10, 0);
        assert_eq!(sla_bucket(ist(2026, 11, 26, 9, 59), now), Some(SlaBucket::Overdue));
        assert_eq!(sla_bucket(ist(2026, 11, 20, 23, 59), now), Some(SlaBucket::Overdue));
        assert_eq!(sla_bucket(now, now), Some(SlaBucket::Today));
        assert_eq!(sla_bucket(ist(2026, 11, 26, 23, 59), now), Some(SlaBucket::Today));
        assert_eq!(sla_bucket(ist(2026, 11, 27, 0, 0), now), Some(SlaBucket::Tomorrow));
        assert_eq!(sla_bucket(ist(2026, 11, 27, 23, 59), now), Some(SlaBucket::Tomorrow));
        assert_eq!(sla_bucket(ist(2026, 11, 28, 0, 0), now), Some(SlaBucket::TwoToThreeDays));
        assert_eq!(sla_bucket(ist(2026, 11, 29, 23, 59), now), Some(SlaBucket::TwoToThreeDays));
        assert_eq!(sla_bucket(ist(2026, 11, 30, 0, 0), now), None);
        // 23:59 UTC on the 26th is already the 27th in IST: tomorrow, not today.
        assert_eq!(sla_bucket(Utc.with_ymd_and_hms(2026, 11, 26, 19, 0, 0).unwrap(), now), Some(SlaBucket::Tomorrow));
    }

    #[test]
    fn only_an_open_case_has_an_sla_bucket() {
        let now = ist(2026, 11, 26, 10, 0);
        let due = Some(ist(2026, 11, 27, 9, 0));
        assert_eq!(case_sla_bucket("OPEN", due, now), Some(SlaBucket::Tomorrow));
        assert_eq!(case_sla_bucket("RECOVERED", due, now), None);
        assert_eq!(case_sla_bucket("OPEN", None, now), None);
    }

    #[test]
    fn outcome_windows_are_7_or_30_days() {
        assert_eq!(window_days(None), Ok(30));
        assert_eq!(window_days(Some("30d")), Ok(30));
        assert_eq!(window_days(Some("7d")), Ok(7));
        assert!(window_days(Some("90d")).unwrap_err().contains("7d or 30d"));
        assert!(window_days(Some("")).is_err());
    }

    #[test]
    fn due_labels() {
        let now = ist(2026, 11, 26, 10, 0);
        assert_eq!(due_label(ist(2026, 11, 23, 23, 59), now), "overdue by 3 days");
        assert_eq!(due_label(ist(2026, 11, 25, 23, 59), now), "overdue by 1 day");
        assert_eq!(due_label(ist(2026, 11, 26, 8, 0), now), "overdue (today)");
        assert_eq!(due_label(ist(2026, 11, 26, 23, 59), now), "due today");
        assert_eq!(due_label(ist(2026, 11, 27, 23, 59), now), "due tomorrow");
        assert_eq!(due_label(ist(2026, 12, 1, 23, 59), now), "5 days left");
    }

    #[test]
    fn kpi_definitions() {
        let case = |stage, status, cb, recovered, written_off| KpiCase {
            stage,
            status,
            chargeback: Paise(cb),
            fees: Paise(100),
            recovered: Paise(recovered),
            written_off: Paise(written_off),
        };
        let k = kpis([
            case("NEW", "OPEN", 1_000, 0, 0),
            case("UNDER_REVIEW", "OPEN", 2_000, 0, 0),
            case("UNDER_REVIEW", "OPEN", 3_000, 0, 0),
            case("CLOSED", "RECOVERED", 4_000, 4_000, 0),
            case("CLOSED", "WRITEOFF", 5_000, 0, 5_000),
        ])
        .unwrap();
        assert_eq!(k.open_count, 3);
        assert_eq!(k.evidence_required_count, 2);
        // (1000 + 2000 + 3000 + 4000) + 4 × 100 fees; the written-off case is not disputed.
        assert_eq!(k.disputed, Paise(10_400));
        assert_eq!(k.recovered, Paise(4_000));
        assert_eq!(k.written_off, Paise(5_000));
        assert_eq!(k.net(), Ok(Paise(-1_000)));
        assert_eq!(kpis([]), Ok(Kpis::default()));
        let huge = case("CLOSED", "RECOVERED", i64::MAX, i64::MAX, 0);
        assert_eq!(kpis([huge, huge]), Err(MoneyOverflow), "a total past the range is an error, not wrapped");
        let owed = Kpis { recovered: Paise(i64::MIN), written_off: Paise(1), ..Kpis::default() };
        assert_eq!(owed.net(), Err(MoneyOverflow));
    }

    #[test]
    fn outcome_rounding() {
        // 2 of 3 = 66.67 % → 66.7 %; 1.5 days average.
        let s = outcome_summary(7, 2, 1, 3 * 86_400 * 3 / 2, Paise(500), Paise(800));
        assert_eq!(s.win_rate_text(), "66.7 %");
        assert_eq!(s.avg_resolution_text(), "1.5 days");
        assert_eq!((s.recovered, s.written_off, s.net()), (Paise(500), Paise(800), Ok(Paise(-300))));
        // 1 of 8 = 12.5 % exactly; half rounds up at the second decimal of days.
        let s = outcome_summary(30, 1, 7, 8 * 8_640 * 5 / 10, Paise::ZERO, Paise::ZERO);
        assert_eq!(s.win_rate_permille, Some(125));
        assert_eq!(s.avg_resolution_tenth_days, Some(1));
        let none = outcome_summary(7, 0, 0, 0, Paise::ZERO, Paise::ZERO);
        assert_eq!((none.win_rate_text(), none.avg_resolution_text()), ("—".to_string(), "—".to_string()));
    }
}
