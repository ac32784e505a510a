//! Analytics (spec 5.2): the URL's filters, the per-day facts read from the daily rollup, and the
//! pure arithmetic that turns them into the page's and the API's figures — KPIs with the previous
//! window, the payment-mode split, GMV with 7-day rolling averages, the funnel, the payout-failure
//! Pareto, the match rate per day and the exception ageing. Every chart's numbers come from
//! [`AnalyticsSummary::chart_table`], which both the page's tables and the CSV downloads print.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::features::overview::model::{OverviewQuery, Window};
use crate::features::settlements::rules::FailureCode;
use crate::money::{MoneyOverflow, Paise};
use crate::ratio::{div_half_up, rate_2dp};

/// The page's URL: a window (`range` preset or `from`/`to`, as Overview) and two filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsQuery {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub acquirer: Option<String>,
    pub mode: Option<String>,
}

/// The filters besides the window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// Upper case; compared with the stored acquirer in upper case.
    pub acquirer: Option<String>,
    pub mode: Option<String>,
}

impl AnalyticsQuery {
    /// The window (resolved against today in IST) and the filters; unknown values refused in words.
    pub fn parse(&self, today: NaiveDate) -> Result<(Window, Scope), String> {
        let window =
            OverviewQuery { range: self.range.clone(), from: self.from.clone(), to: self.to.clone() }.window(today)?;
        let text =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_ascii_uppercase);
        let acquirer = text(&self.acquirer);
        if acquirer.as_ref().is_some_and(|a| a.len() > 64) {
            return Err("The acquirer is too long.".into());
        }
        let mode = text(&self.mode);
        if let Some(m) = &mode {
            if !crate::domain::METHODS.contains(&m.as_str()) {
                return Err(format!("Unknown payment mode {m:?}."));
            }
        }
        Ok((window, Scope { acquirer, mode }))
    }

    /// This query's parameters (without the leading `?`), for links and downloads.
    pub fn params(&self) -> String {
        let pairs = [
            ("range", &self.range),
            ("from", &self.from),
            ("to", &self.to),
            ("acquirer", &self.acquirer),
            ("mode", &self.mode),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref().filter(|v| !v.is_empty()).map(|v| {
                    format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC))
                })
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One cycle date's sums from the rollup (under the scope's filters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFacts {
    pub date: NaiveDate,
    pub captured: i64,
    pub captured_paise: Paise,
    /// Reconciled, or in a batch that is not rejected (so `batched ⊆ reconciled`).
    pub reconciled: i64,
    /// In a settlement batch that is not rejected.
    pub batched: i64,
    /// In a batch that is PAID: the settled transactions.
    pub paid: i64,
    pub paid_paise: Paise,
    /// Σ seconds from each paid transaction to its batch's payment.
    pub paid_seconds: i64,
}

/// The batch statuses counted as "in a batch" for the funnel (all but none and REJECTED).
pub const BATCHED: [&str; 7] = ["CALCULATED", "PENDING_APPROVAL", "APPROVED", "SENT", "PAID", "ON_HOLD", "FAILED"];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    pub captured: i64,
    pub captured_paise: Paise,
    pub settled: i64,
    pub settled_paise: Paise,
    pub unsettled: i64,
    pub unsettled_paise: Paise,
    /// Settled ÷ captured (count), two decimals ("87.40"); `None` with nothing captured.
    pub settlement_rate: Option<String>,
    /// Average hours from transaction to its batch's payment, two decimals; `None` with none paid.
    pub avg_settlement_hours: Option<String>,
    /// The same two figures in hundredths (basis points; hundredths of an hour), for the deltas.
    pub rate_hundredths: Option<i64>,
    pub avg_hours_hundredths: Option<i64>,
}

/// `current` against `previous`: the change in percent of `previous`, two decimals and signed
/// ("+12.50", "-3.10"); `None` when the previous window had nothing.
pub fn delta_pct(current: i64, previous: i64) -> Option<String> {
    let text = rate_2dp(current - previous, previous)?;
    Some(if text.starts_with('-') { text } else { format!("+{text}") })
}

/// The difference of two figures kept in hundredths, signed, two decimals; `None` if either is.
pub fn delta_hundredths(current: Option<i64>, previous: Option<i64>) -> Option<String> {
    let d = current? - previous?;
    let text = crate::ratio::hundredths_text(d);
    Some(if d < 0 { text } else { format!("+{text}") })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeShare {
    pub mode: String,
    pub count: i64,
    pub amount: Paise,
    /// Shares of the window's count and amount, two decimals.
    pub count_share: Option<String>,
    pub amount_share: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GmvDay {
    pub date: NaiveDate,
    pub captured: Paise,
    pub settled: Paise,
    pub count: i64,
    /// Average of the 7 days ending on this date (calendar days, none skipped), in paise, half up.
    pub captured_avg7: Paise,
    pub settled_avg7: Paise,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub captured: i64,
    pub reconciled: i64,
    pub batched: i64,
    pub paid: i64,
}

/// Who has to act on a payout failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    Bank,
    Beneficiary,
    Gateway,
    Other,
}

impl Owner {
    pub fn code(self) -> &'static str {
        match self {
            Owner::Bank => "bank",
            Owner::Beneficiary => "beneficiary",
            Owner::Gateway => "gateway",
            Owner::Other => "other",
        }
    }

    /// Who acts on a transfer's failure code (`settlement_transfers.failure_code`; none recorded is
    /// OTHER). The bank's returns name no gateway fault yet, so no code maps to `Gateway` today; a
    /// new code must be placed here (the match is exhaustive).
    pub fn of(code: &str) -> Owner {
        match FailureCode::parse(code) {
            Some(FailureCode::AccountClosed | FailureCode::InvalidIfsc | FailureCode::NameMismatch) => {
                Owner::Beneficiary
            }
            Some(FailureCode::BankTimeout) => Owner::Bank,
            Some(FailureCode::Other) | None => Owner::Other,
        }
    }

    /// The words for a failure code (the settlement desk's own).
    pub fn label_of(code: &str) -> String {
        FailureCode::parse(code).map_or("Other", FailureCode::label).to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureBar {
    pub reason: String,
    pub label: String,
    pub owner: Owner,
    pub count: i64,
    /// Share of all failures up to and including this reason, two decimals ("100.00" for the last).
    pub cumulative_pct: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchRateDay {
    pub date: NaiveDate,
    pub captured: i64,
    pub reconciled: i64,
    /// Two decimals; `None` on a day without transactions.
    pub rate: Option<String>,
}

/// Open exceptions of the window by age (since they were raised), at the moment of the answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ageing {
    pub lt24h: i64,
    pub d1to3: i64,
    pub d3to7: i64,
    pub gt7d: i64,
}

impl Ageing {
    /// The buckets' lower bounds of age, in hours, after the first (< 24 h).
    pub const BOUNDS_HOURS: [i64; 3] = [24, 72, 168];

    /// The creation times that separate the buckets seen at `now`: an exception raised at or before
    /// `cutoffs[i]` is at least `BOUNDS_HOURS[i]` old (the query counts by these).
    pub fn cutoffs(now: DateTime<Utc>) -> [DateTime<Utc>; 3] {
        Ageing::BOUNDS_HOURS.map(|h| now - Duration::hours(h))
    }

    /// The bucket of an exception raised at `created` seen at `now`: < 24 h, 24 h–< 72 h,
    /// 72 h–< 168 h, ≥ 168 h (a boundary belongs to the older bucket) — by the same cutoffs.
    pub fn bucket(created: DateTime<Utc>, now: DateTime<Utc>) -> usize {
        Ageing::cutoffs(now).iter().filter(|cut| created <= **cut).count()
    }

    pub fn as_array(self) -> [i64; 4] {
        [self.lt24h, self.d1to3, self.d3to7, self.gt7d]
    }

    pub const LABELS: [&'static str; 4] = ["< 24 h", "1–3 days", "3–7 days", "> 7 days"];
}

/// Everything `/analytics` and `GET /api/analytics/v1/summary` show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsSummary {
    pub window: Window,
    pub previous: Window,
    pub scope: Scope,
    pub kpis: Kpis,
    pub previous_kpis: Kpis,
    pub modes: Vec<ModeShare>,
    pub gmv: Vec<GmvDay>,
    pub funnel: Funnel,
    pub failures: Vec<FailureBar>,
    pub match_rate: Vec<MatchRateDay>,
    pub ageing: Ageing,
    /// The acquirers the ledger knows (the filter's choices).
    pub acquirers: Vec<String>,
    pub generated_at: DateTime<Utc>,
}

/// The KPIs over the days of `window` among `days` (sums checked: an amount past `i64` paise is an
/// error, never a wrapped figure).
pub fn kpis(days: &[DayFacts], window: Window) -> Result<Kpis, MoneyOverflow> {
    let mut k = Kpis::default();
    let mut seconds: i128 = 0;
    for d in days.iter().filter(|d| d.date >= window.from && d.date <= window.to) {
        k.captured += d.captured;
        k.captured_paise = k.captured_paise.checked_add(d.captured_paise)?;
        k.settled += d.paid;
        k.settled_paise = k.settled_paise.checked_add(d.paid_paise)?;
        seconds += i128::from(d.paid_seconds);
    }
    k.unsettled = k.captured - k.settled;
    k.unsettled_paise = k.captured_paise.checked_sub(k.settled_paise)?;
    k.rate_hundredths = div_half_up(i128::from(k.settled) * 10_000, i128::from(k.captured));
    k.settlement_rate = k.rate_hundredths.map(crate::ratio::hundredths_text);
    // hours × 100 = seconds × 100 / 3600 / count, rounded half up once.
    k.avg_hours_hundredths = div_half_up(seconds * 100, i128::from(k.settled) * 3600);
    k.avg_settlement_hours = k.avg_hours_hundredths.map(crate::ratio::hundredths_text);
    Ok(k)
}

/// The GMV series of the window's days, each with the 7-day averages ending on it (`days` must
/// reach 6 days before the window; missing dates count as zero).
pub fn gmv(days: &[DayFacts], window: Window) -> Vec<GmvDay> {
    let at = |date: NaiveDate| {
        days.iter().find(|d| d.date == date).copied().unwrap_or(DayFacts { date, ..Default::default() })
    };
    let mut out = Vec::new();
    let mut date = window.from;
    while date <= window.to {
        let d = at(date);
        let (mut cap, mut set) = (0i128, 0i128);
        for back in 0..7 {
            let p = at(date - Duration::days(back));
            cap += i128::from(p.captured_paise.0);
            set += i128::from(p.paid_paise.0);
        }
        out.push(GmvDay {
            date,
            captured: d.captured_paise,
            settled: d.paid_paise,
            count: d.captured,
            captured_avg7: Paise(div_half_up(cap, 7).unwrap_or(0)),
            settled_avg7: Paise(div_half_up(set, 7).unwrap_or(0)),
        });
        date += Duration::days(1);
    }
    out
}

/// The funnel over the window's days.
pub fn funnel(days: &[DayFacts], window: Window) -> Funnel {
    days.iter().filter(|d| d.date >= window.from && d.date <= window.to).fold(Funnel::default(), |f, d| Funnel {
        captured: f.captured + d.captured,
        reconciled: f.reconciled + d.reconciled,
        batched: f.batched + d.batched,
        paid: f.paid + d.paid,
    })
}

/// The match rate of each day of the window (reconciled ÷ captured).
pub fn match_rate(days: &[DayFacts], window: Window) -> Vec<MatchRateDay> {
    let mut out = Vec::new();
    let mut date = window.from;
    while date <= window.to {
        let d = days.iter().find(|d| d.date == date).copied().unwrap_or(DayFacts { date, ..Default::default() });
        out.push(MatchRateDay {
            date,
            captured: d.captured,
            reconciled: d.reconciled,
            rate: rate_2dp(d.reconciled, d.captured),
        });
        date += Duration::days(1);
    }
    out
}

/// The shares of each mode (largest count first).
pub fn modes(mut rows: Vec<(String, i64, Paise)>) -> Vec<ModeShare> {
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let count: i64 = rows.iter().map(|r| r.1).sum();
    let amount: i128 = rows.iter().map(|r| i128::from(r.2 .0)).sum();
    rows.into_iter()
        .map(|(mode, n, a)| ModeShare {
            mode,
            count: n,
            amount: a,
            count_share: rate_2dp(n, count),
            amount_share: div_half_up(i128::from(a.0) * 10_000, amount).map(crate::ratio::hundredths_text),
        })
        .collect()
}

/// The Pareto of failure counts per code: largest first, with the running share of all failures.
pub fn pareto(mut rows: Vec<(String, i64)>) -> Vec<FailureBar> {
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let mut running = 0;
    rows.into_iter()
        .map(|(reason, count)| {
            running += count;
            FailureBar {
                owner: Owner::of(&reason),
                label: Owner::label_of(&reason),
                reason,
                count,
                cumulative_pct: rate_2dp(running, total).unwrap_or_else(|| "0.00".into()),
            }
        })
        .collect()
}

/// The charts whose numbers can be shown as a table and downloaded as CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Chart {
    Modes,
    Gmv,
    Funnel,
    Failures,
    MatchRate,
    Ageing,
}

impl Chart {
    pub const ALL: [Chart; 6] =
        [Chart::Modes, Chart::Gmv, Chart::Funnel, Chart::Failures, Chart::MatchRate, Chart::Ageing];

    pub fn param(self) -> &'static str {
        match self {
            Chart::Modes => "modes",
            Chart::Gmv => "gmv",
            Chart::Funnel => "funnel",
            Chart::Failures => "payout-failures",
            Chart::MatchRate => "match-rate",
            Chart::Ageing => "ageing",
        }
    }

    pub fn parse(s: &str) -> Option<Chart> {
        Chart::ALL.into_iter().find(|c| c.param() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Chart::Modes => "Payment-mode split",
            Chart::Gmv => "GMV per day: captured and settled",
            Chart::Funnel => "Settlement funnel",
            Chart::Failures => "Payout failures by reason",
            Chart::MatchRate => "Recon match rate per day",
            Chart::Ageing => "Open exceptions by age",
        }
    }
}

/// A chart's numbers: the header and the rows, as text (the same for the table and the CSV).
pub struct ChartTable {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

impl AnalyticsSummary {
    pub fn chart_table(&self, chart: Chart) -> ChartTable {
        let rupees = |p: Paise| p.to_rupees_plain();
        match chart {
            Chart::Modes => ChartTable {
                header: vec!["mode", "count", "count_share_pct", "amount", "amount_share_pct"],
                rows: self
                    .modes
                    .iter()
                    .map(|m| {
                        vec![
                            m.mode.clone(),
                            m.count.to_string(),
                            opt(&m.count_share),
                            rupees(m.amount),
                            opt(&m.amount_share),
                        ]
                    })
                    .collect(),
            },
            Chart::Gmv => ChartTable {
                header: vec!["date", "captured", "settled", "transactions", "captured_avg7", "settled_avg7"],
                rows: self
                    .gmv
                    .iter()
                    .map(|g| {
                        vec![
                            g.date.to_string(),
                            rupees(g.captured),
                            rupees(g.settled),
                            g.count.to_string(),
                            rupees(g.captured_avg7),
                            rupees(g.settled_avg7),
                        ]
                    })
                    .collect(),
            },
            Chart::Funnel => {
                let f = self.funnel;
                let row = |stage: &str, n: i64| vec![stage.to_string(), n.to_string(), opt(&rate_2dp(n, f.captured))];
                ChartTable {
                    header: vec!["stage", "transactions", "pct_of_captured"],
                    rows: vec![
                        row("captured", f.captured),
                        row("reconciled", f.reconciled),
                        row("in a batch", f.batched),
                        row("paid", f.paid),
                    ],
                }
            }
            Chart::Failures => ChartTable {
                header: vec!["reason", "owner", "count", "cumulative_pct"],
                rows: self
                    .failures
                    .iter()
                    .map(|b| {
                        vec![b.label.clone(), b.owner.code().to_string(), b.count.to_string(), b.cumulative_pct.clone()]
                    })
                    .collect(),
            },
            Chart::MatchRate => ChartTable {
                header: vec!["date", "transactions", "reconciled", "match_rate_pct"],
                rows: self
                    .match_rate
                    .iter()
                    .map(|m| vec![m.date.to_string(), m.captured.to_string(), m.reconciled.to_string(), opt(&m.rate)])
                    .collect(),
            },
            Chart::Ageing => ChartTable {
                header: vec!["age", "open_exceptions"],
                rows: Ageing::LABELS
                    .iter()
                    .zip(self.ageing.as_array())
                    .map(|(l, n)| vec![l.to_string(), n.to_string()])
                    .collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::overview::model::RangePreset;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// (captured, paise, reconciled, batched, paid, paid paise, paid seconds) of a date.
    fn facts(date: &str, f: (i64, i64, i64, i64, i64, i64, i64)) -> DayFacts {
        let (captured, paise, reconciled, batched, paid, paid_paise, secs) = f;
        DayFacts {
            date: day(date),
            captured,
            captured_paise: Paise(paise),
            reconciled,
            batched,
            paid,
            paid_paise: Paise(paid_paise),
            paid_seconds: secs,
        }
    }

    fn window(from: &str, to: &str) -> Window {
        Window { preset: RangePreset::Custom, from: day(from), to: day(to) }
    }

    /// A worked example: three days, the KPIs by hand.
    #[test]
    fn kpis_by_hand() {
        let days = [
            facts("2026-11-01", (4, 4_000, 3, 2, 2, 2_000, 2 * 36 * 3600)),
            facts("2026-11-02", (6, 9_000, 5, 4, 1, 1_500, 30 * 3600)),
            facts("2026-11-03", (10, 1_000, 0, 0, 0, 0, 0)),
        ];
        let k = kpis(&days, window("2026-11-01", "2026-11-02")).unwrap();
        assert_eq!((k.captured, k.captured_paise, k.settled, k.settled_paise), (10, Paise(13_000), 3, Paise(3_500)));
        assert_eq!((k.unsettled, k.unsettled_paise), (7, Paise(9_500)));
        assert_eq!(k.settlement_rate.as_deref(), Some("30.00"));
        // (72 h + 30 h) ÷ 3 = 34 h.
        assert_eq!(k.avg_settlement_hours.as_deref(), Some("34.00"));
        assert_eq!(delta_pct(12, 10).as_deref(), Some("+20.00"));
        assert_eq!(delta_pct(7, 10).as_deref(), Some("-30.00"));
        assert_eq!(delta_pct(7, 0), None);
        assert_eq!(delta_hundredths(Some(3_000), Some(3_250)).as_deref(), Some("-2.50"));
        let none = kpis(&days, window("2026-11-03", "2026-11-03")).unwrap();
        assert_eq!((none.settlement_rate.as_deref(), none.avg_settlement_hours), (Some("0.00"), None));
    }

    #[test]
    fn rolling_averages_count_missing_days_as_zero() {
        let days = [facts("2026-11-01", (1, 700, 0, 0, 0, 0, 0)), facts("2026-11-08", (1, 70, 0, 0, 1, 70, 0))];
        let g = gmv(&days, window("2026-11-07", "2026-11-08"));
        assert_eq!(g.len(), 2);
        // 7 Nov: 1–7 Nov = 700 / 7 = 100; 8 Nov: 2–8 Nov = 70 / 7 = 10.
        assert_eq!((g[0].captured_avg7, g[1].captured_avg7, g[1].settled_avg7), (Paise(100), Paise(10), Paise(10)));
        assert_eq!((g[0].count, g[1].captured), (0, Paise(70)));
    }

    #[test]
    fn the_funnel_never_rises_and_pareto_reaches_100() {
        let days = [facts("2026-11-01", (10, 0, 8, 6, 5, 0, 0)), facts("2026-11-02", (10, 0, 9, 9, 1, 0, 0))];
        let f = funnel(&days, window("2026-11-01", "2026-11-02"));
        assert_eq!((f.captured, f.reconciled, f.batched, f.paid), (20, 17, 15, 6));
        let p = pareto(vec![("BANK_TIMEOUT".into(), 1), ("ACCOUNT_CLOSED".into(), 2), ("OTHER".into(), 1)]);
        assert_eq!(p.iter().map(|b| b.cumulative_pct.as_str()).collect::<Vec<_>>(), ["50.00", "75.00", "100.00"]);
        assert_eq!((p[0].owner, p[1].owner, p[2].owner), (Owner::Beneficiary, Owner::Bank, Owner::Other));
        assert_eq!((p[0].label.as_str(), p[2].label.as_str()), ("Beneficiary account closed", "Other"));
    }

    #[test]
    fn ageing_boundaries_belong_to_the_older_bucket() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let ago = |h: i64, s: i64| now - Duration::hours(h) + Duration::seconds(s);
        assert_eq!(Ageing::bucket(ago(24, 1), now), 0);
        assert_eq!(Ageing::bucket(ago(24, 0), now), 1);
        assert_eq!(Ageing::bucket(ago(72, 1), now), 1);
        assert_eq!(Ageing::bucket(ago(72, 0), now), 2);
        assert_eq!(Ageing::bucket(ago(168, 1), now), 2);
        assert_eq!(Ageing::bucket(ago(168, 0), now), 3);
    }

    #[test]
    fn mode_shares_and_filters() {
        let m = modes(vec![("CARD".into(), 1, Paise(300)), ("UPI".into(), 3, Paise(100))]);
        assert_eq!(m[0].mode, "UPI");
        assert_eq!((m[0].count_share.as_deref(), m[0].amount_share.as_deref()), (Some("75.00"), Some("25.00")));
        let today = day("2026-12-01");
        let q = AnalyticsQuery {
            range: Some("30d".into()),
            acquirer: Some("hdfc".into()),
            mode: Some("upi".into()),
            ..Default::default()
        };
        let (w, s) = q.parse(today).unwrap();
        assert_eq!((w.days(), s.acquirer.as_deref(), s.mode.as_deref()), (30, Some("HDFC"), Some("UPI")));
        assert!(AnalyticsQuery { mode: Some("CHEQUE".into()), ..Default::default() }.parse(today).is_err());
        assert_eq!(q.params(), "range=30d&acquirer=hdfc&mode=upi");
    }
}
