//! The Overview window (date presets, pure) and the snapshot the page and the API show.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{MoneyOverflow, Paise};

/// The date presets of spec 05, plus a custom range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangePreset {
    Today,
    Last7,
    Last14,
    Last30,
    Custom,
}

impl RangePreset {
    pub const LINKS: [RangePreset; 4] =
        [RangePreset::Today, RangePreset::Last7, RangePreset::Last14, RangePreset::Last30];
    /// Spec 5.1: the last 7 days until a user picks another window.
    pub const DEFAULT: RangePreset = RangePreset::Last7;

    pub fn param(self) -> &'static str {
        match self {
            RangePreset::Today => "today",
            RangePreset::Last7 => "7d",
            RangePreset::Last14 => "14d",
            RangePreset::Last30 => "30d",
            RangePreset::Custom => "custom",
        }
    }

    /// The Overview's address for this preset.
    pub fn href(self) -> String {
        format!("/overview?range={}", self.param())
    }

    pub fn label(self) -> &'static str {
        match self {
            RangePreset::Today => "Today",
            RangePreset::Last7 => "Last 7 days",
            RangePreset::Last14 => "Last 14 days",
            RangePreset::Last30 => "Last 30 days",
            RangePreset::Custom => "Custom",
        }
    }

    fn days(self) -> Option<i64> {
        match self {
            RangePreset::Today => Some(1),
            RangePreset::Last7 => Some(7),
            RangePreset::Last14 => Some(14),
            RangePreset::Last30 => Some(30),
            RangePreset::Custom => None,
        }
    }
}

/// What the URL says: `?range=7d`, or `?from=2026-11-01&to=2026-11-20`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewQuery {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// An inclusive window of transaction (cycle) dates in IST.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub preset: RangePreset,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

pub const MAX_WINDOW_DAYS: i64 = 366;

impl Window {
    /// The window as URL parameters of its own (a preset's days are resolved), for links that must
    /// show the same days tomorrow as today.
    pub fn params(&self) -> String {
        format!("from={}&to={}", self.from, self.to)
    }

    /// How many days the window covers (both ends included).
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The window of the same length just before this one.
    pub fn previous(&self) -> Window {
        let days = self.days();
        Window {
            preset: RangePreset::Custom,
            from: self.from - Duration::days(days),
            to: self.from - Duration::days(1),
        }
    }
}

impl OverviewQuery {
    /// Resolve against today's IST date. A custom range needs both ends, `from ≤ to`, at most a year.
    pub fn window(&self, today: NaiveDate) -> Result<Window, String> {
        let parse = |label: &str, v: &str| crate::ist::parse_date(v, label).map_err(|e| e.to_string());
        match (self.from.as_deref().filter(|s| !s.is_empty()), self.to.as_deref().filter(|s| !s.is_empty())) {
            (Some(from), Some(to)) => {
                let (from, to) = (parse("from", from)?, parse("to", to)?);
                if from > to {
                    return Err("The start date is after the end date.".into());
                }
                if (to - from).num_days() + 1 > MAX_WINDOW_DAYS {
                    return Err(format!("Choose a window of at most {MAX_WINDOW_DAYS} days."));
                }
                Ok(Window { preset: RangePreset::Custom, from, to })
            }
            (Some(_), None) | (None, Some(_)) => Err("A custom range needs both a start and an end date.".into()),
            (None, None) => {
                let preset = match self.range.as_deref() {
                    None | Some("") => RangePreset::DEFAULT,
                    Some(p) => RangePreset::LINKS
                        .into_iter()
                        .find(|r| r.param() == p)
                        .ok_or_else(|| format!("Unknown date range {p:?}."))?,
                };
                let days = preset.days().unwrap_or(7);
                Ok(Window { preset, from: today - Duration::days(days - 1), to: today })
            }
        }
    }
}

/// Open exceptions of the window: by severity (every severity, in order) and the top reasons.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionSummary {
    /// (severity, open count, amount), CRITICAL first.
    pub by_severity: Vec<(String, i64, Paise)>,
    pub top_reasons: Vec<ReasonCount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub code: String,
    pub label: String,
    pub count: i64,
    pub amount: Paise,
}

/// Connector health of spec 5.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Health {
    Ok,
    Lagging,
    Failing,
}

impl Health {
    pub fn code(self) -> &'static str {
        match self {
            Health::Ok => "OK",
            Health::Lagging => "LAGGING",
            Health::Failing => "FAILING",
        }
    }
}

/// What spec 5.1's health rule reads of a connector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorFacts {
    pub name: String,
    pub paused: bool,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The latest finished run: when, and whether it failed.
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_failed: bool,
    /// Failed runs after the last success (all failed runs when none succeeded).
    pub failures_since_success: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorHealth {
    pub facts: ConnectorFacts,
    pub health: Health,
    /// Why, in words ("paused", "last run failed", "no success for 3 h").
    pub reason: String,
}

impl ConnectorFacts {
    /// Spec 5.1: FAILING when paused, when the last run failed or when the last success is more
    /// than 6 h ago (or there was none); LAGGING when it is more than 2 h ago or runs failed since;
    /// else OK.
    pub fn health(self, now: DateTime<Utc>) -> ConnectorHealth {
        let since = self.last_success_at.map(|t| now - t);
        let hours = |d: Duration| format!("{} h", d.num_hours());
        let (health, reason) = if self.paused {
            (Health::Failing, "paused".to_string())
        } else if self.last_run_failed {
            (Health::Failing, "last run failed".to_string())
        } else if since.is_none() {
            (Health::Failing, "no successful run yet".to_string())
        } else if let Some(d) = since.filter(|d| *d > Duration::hours(6)) {
            (Health::Failing, format!("no success for {}", hours(d)))
        } else if let Some(d) = since.filter(|d| *d > Duration::hours(2)) {
            (Health::Lagging, format!("no success for {}", hours(d)))
        } else if self.failures_since_success > 0 {
            (Health::Lagging, format!("{} failed run(s) since the last success", self.failures_since_success))
        } else {
            (Health::Ok, "succeeding".to_string())
        };
        ConnectorHealth { facts: self, health, reason }
    }
}

/// Chargebacks received in the window: still open, waiting for evidence, evidence due within 48 h.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeSummary {
    pub open: i64,
    pub evidence_required: i64,
    pub due_within_48h: i64,
}

/// Five exclusive buckets of the window's transactions; they always add up to `captured`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub count: i64,
    pub amount: Paise,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub captured: Bucket,
    pub in_settlement: Bucket,
    pub sent_to_bank: Bucket,
    pub credited: Bucket,
    pub unsettled: Bucket,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewSnapshot {
    pub window: Window,
    pub transactions: i64,
    pub total: Paise,
    pub reconciled: i64,
    pub reconciled_amount: Paise,
    pub open_exceptions: i64,
    pub open_chargebacks: i64,
    pub pipeline: Pipeline,
    pub exceptions: ExceptionSummary,
    pub connectors: Vec<ConnectorHealth>,
    pub disputes: DisputeSummary,
    /// For finance users and admins: the window's settlement batches and the net paid in them.
    pub settlements: Option<SettlementTotals>,
    pub generated_at: DateTime<Utc>,
}

/// Batches of the window's cycles, and the net of those paid (the figure `/settlements` shows as
/// "paid" for the same cycle window).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementTotals {
    pub batches: i64,
    pub paid_batches: i64,
    pub net_paid: Paise,
}

impl OverviewSnapshot {
    /// Reconciled ÷ transactions as a percentage with two decimals, e.g. "87.40 %" (the API's
    /// `matchRate` and Analytics' rates have the same two); "—" when empty.
    pub fn match_rate(&self) -> String {
        crate::ratio::rate_2dp(self.reconciled, self.transactions).map_or_else(|| "—".into(), |r| format!("{r} %"))
    }

    /// The window's transactions not reconciled: how many, and their amount (total − reconciled).
    pub fn variance(&self) -> Result<Bucket, MoneyOverflow> {
        Ok(Bucket {
            count: self.transactions - self.reconciled,
            amount: self.total.checked_sub(self.reconciled_amount)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn presets_end_today_and_include_it() {
        let today = day("2026-11-26");
        let q = |r: &str| OverviewQuery { range: Some(r.into()), ..Default::default() };
        assert_eq!(q("today").window(today).unwrap().from, today);
        assert_eq!(q("7d").window(today).unwrap().from, day("2026-11-20"));
        assert_eq!(q("30d").window(today).unwrap().from, day("2026-10-28"));
        let default = OverviewQuery::default().window(today).unwrap();
        assert_eq!((default.preset, default.from, default.to), (RangePreset::Last7, day("2026-11-20"), today));
        assert!(q("90d").window(today).is_err());
    }

    #[test]
    fn the_variance_is_what_is_not_reconciled() {
        let today = day("2026-11-26");
        let snapshot = OverviewSnapshot {
            window: OverviewQuery::default().window(today).unwrap(),
            transactions: 10,
            total: Paise(1_000),
            reconciled: 7,
            reconciled_amount: Paise(1_150),
            open_exceptions: 0,
            open_chargebacks: 0,
            pipeline: Pipeline::default(),
            exceptions: ExceptionSummary::default(),
            connectors: Vec::new(),
            disputes: DisputeSummary::default(),
            settlements: None,
            generated_at: DateTime::<Utc>::default(),
        };
        assert_eq!(snapshot.variance(), Ok(Bucket { count: 3, amount: Paise(-150) }));
        let huge = OverviewSnapshot { total: Paise(i64::MIN), reconciled_amount: Paise(1), ..snapshot };
        assert_eq!(huge.variance(), Err(MoneyOverflow));
    }

    #[test]
    fn the_previous_window_has_the_same_length_and_ends_the_day_before() {
        let w = Window { preset: RangePreset::Custom, from: day("2026-11-01"), to: day("2026-11-10") };
        let p = w.previous();
        assert_eq!((p.from, p.to, p.days()), (day("2026-10-22"), day("2026-10-31"), 10));
    }

    #[test]
    fn connector_health_follows_spec_5_1() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let facts = |hours_ago: Option<i64>, failed: bool, failures: i64, paused: bool| ConnectorFacts {
            name: "AXIS".into(),
            paused,
            last_success_at: hours_ago.map(|h| now - Duration::minutes(h * 60)),
            last_run_at: Some(now - Duration::minutes(5)),
            last_run_failed: failed,
            failures_since_success: failures,
        };
        assert_eq!(facts(Some(1), false, 0, false).health(now).health, Health::Ok);
        assert_eq!(facts(Some(2), false, 0, false).health(now).health, Health::Ok, "exactly 2 h is not more than 2 h");
        assert_eq!(facts(Some(3), false, 0, false).health(now).health, Health::Lagging);
        assert_eq!(facts(Some(1), false, 1, false).health(now).health, Health::Lagging);
        assert_eq!(facts(Some(7), false, 0, false).health(now).health, Health::Failing);
        assert_eq!(facts(Some(1), true, 1, false).health(now).health, Health::Failing);
        assert_eq!(facts(Some(1), false, 0, true).health(now).reason, "paused");
        assert_eq!(facts(None, false, 0, false).health(now).health, Health::Failing);
    }

    #[test]
    fn custom_ranges_are_checked() {
        let today = day("2026-11-26");
        let q = |f: &str, t: &str| OverviewQuery { range: None, from: Some(f.into()), to: Some(t.into()) };
        let w = q("2026-11-01", "2026-11-10").window(today).unwrap();
        assert_eq!((w.preset, w.from, w.to), (RangePreset::Custom, day("2026-11-01"), day("2026-11-10")));
        assert!(q("2026-11-10", "2026-11-01").window(today).is_err());
        assert!(q("2025-01-01", "2026-11-01").window(today).is_err());
        assert!(q("01/11/2026", "2026-11-10").window(today).is_err());
        let half = OverviewQuery { from: Some("2026-11-01".into()), ..Default::default() };
        assert!(half.window(today).is_err());
    }
}
