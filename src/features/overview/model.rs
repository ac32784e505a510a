//! The Overview window (date presets, pure) and the snapshot the page and the API show.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{MoneyOverflow, Paise};
use crate::ratio::{percent_text, permille_half_up};

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
    /// The foundation shows the last 30 days until a user picks another window.
    pub const DEFAULT: RangePreset = RangePreset::Last30;

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
                let days = preset.days().unwrap_or(30);
                Ok(Window { preset, from: today - Duration::days(days - 1), to: today })
            }
        }
    }
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
    /// Reconciled ÷ transactions as a percentage with one decimal, e.g. "87.4 %"; "—" when empty.
    pub fn match_rate(&self) -> String {
        percent_text(permille_half_up(self.reconciled, self.transactions))
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
        assert_eq!((default.preset, default.from, default.to), (RangePreset::Last30, day("2026-10-28"), today));
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
            settlements: None,
            generated_at: DateTime::<Utc>::default(),
        };
        assert_eq!(snapshot.variance(), Ok(Bucket { count: 3, amount: Paise(-150) }));
        let huge = OverviewSnapshot { total: Paise(i64::MIN), reconciled_amount: Paise(1), ..snapshot };
        assert_eq!(huge.variance(), Err(MoneyOverflow));
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
