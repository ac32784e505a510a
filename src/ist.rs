//! India Standard Time: business dates ("cycle dates") are IST days; timestamps are stored in UTC
//! and shown in IST. IST has no daylight saving, so a fixed +05:30 offset is exact.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};

use crate::error::AppError;

pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("+05:30 is a valid offset")
}

/// The IST calendar day of an instant.
pub fn date_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&offset()).date_naive()
}

pub fn today(now: DateTime<Utc>) -> NaiveDate {
    date_of(now)
}

/// The UTC instant of an IST wall-clock time on a date. Total: at the very ends of chrono's range
/// (years ±262,143, which no parsed input reaches, see [`parse_date`]) it saturates to the first
/// or last representable instant instead of panicking.
pub fn at(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match local.checked_sub_signed(Duration::seconds(i64::from(offset().local_minus_utc()))) {
        Some(utc) => utc.and_utc(),
        // Subtracting the (positive) offset can only run off the early end.
        None => DateTime::<Utc>::MIN_UTC,
    }
}

/// Start of the IST day (00:00 IST) as a UTC instant.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    at(date, NaiveTime::MIN)
}

/// The end (exclusive) of an IST day: the start of the next one. Total like [`at`].
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    start_of_day(date).checked_add_signed(Duration::days(1)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `[start, end)` of an inclusive range of IST dates, as UTC instants.
pub fn day_range(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of_day(from), end_of_day(to))
}

/// The business dates a user may ask about: 2000-01-01 ..= 2100-12-31.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// A date a user typed in a query or a form: exactly `YYYY-MM-DD` with a four-digit year from
/// [`FIRST_YEAR`] to [`LAST_YEAR`] (surrounding blanks ignored). chrono's `%Y` alone takes signed
/// years of any width (`+262143-12-31`), whose day arithmetic overflows; no business date is
/// that far out. `what` names the field in the 400's sentence.
pub fn parse_date(text: &str, what: &str) -> Result<NaiveDate, AppError> {
    let text = text.trim();
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .filter(|d| (FIRST_YEAR..=LAST_YEAR).contains(&d.year()))
        .ok_or_else(|| {
            AppError::BadRequest(format!("{what} must be a date (YYYY-MM-DD) between {FIRST_YEAR} and {LAST_YEAR}."))
        })
}

/// An optional date query parameter: absent or empty is `None`, anything else goes through
/// [`parse_date`] (a bad one is a 400 naming the parameter).
pub fn date_param(value: &Option<String>, name: &str) -> Result<Option<NaiveDate>, AppError> {
    value.as_deref().filter(|s| !s.is_empty()).map(|d| parse_date(d, name)).transpose()
}

/// `26 Nov 2026, 14:05 IST`.
pub fn format_datetime(at: DateTime<Utc>) -> String {
    at.with_timezone(&offset()).format("%d %b %Y, %H:%M IST").to_string()
}

/// `26 Nov 2026`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%d %b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ist_day_boundaries() {
        // 18:29:59 UTC is 23:59:59 IST the same day; 18:30 UTC is the next IST day.
        let before = Utc.with_ymd_and_hms(2026, 11, 26, 18, 29, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 26, 18, 30, 0).unwrap();
        assert_eq!(date_of(before), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert_eq!(date_of(after), NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    }

    #[test]
    fn day_range_is_half_open_in_utc() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let (start, end) = day_range(d, d);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 11, 26, 18, 30, 0).unwrap());
    }

    #[test]
    fn user_dates_are_four_digit_years_of_this_era() {
        assert_eq!(parse_date(" 2026-11-26 ", "From"), Ok(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()));
        for bad in
            ["+262143-12-31", "-262144-01-01", "1999-12-31", "2101-01-01", "26-11-26", "2026-1-26", "2026-02-30", ""]
        {
            let refused = parse_date(bad, "From").unwrap_err();
            assert!(
                matches!(&refused, AppError::BadRequest(m) if m.starts_with("From must be a date")),
                "{bad}: {refused:?}"
            );
        }
    }

    #[test]
    fn an_empty_or_absent_date_parameter_is_none_and_a_bad_one_names_the_parameter() {
        assert_eq!(date_param(&None, "from"), Ok(None));
        assert_eq!(date_param(&Some(String::new()), "from"), Ok(None));
        assert_eq!(date_param(&Some("2026-11-26".into()), "from"), Ok(NaiveDate::from_ymd_opt(2026, 11, 26)));
        let refused = date_param(&Some("+262143-12-31".into()), "to").unwrap_err();
        assert!(matches!(&refused, AppError::BadRequest(m) if m.starts_with("to must be a date")), "{refused:?}");
    }

    #[test]
    fn helpers_are_total_at_the_ends_of_the_calendar() {
        assert_eq!(end_of_day(NaiveDate::MAX) - start_of_day(NaiveDate::MAX), Duration::days(1));
        assert_eq!(start_of_day(NaiveDate::MIN), DateTime::<Utc>::MIN_UTC);
        let (start, end) = day_range(NaiveDate::MIN, NaiveDate::MAX);
        assert!(start < end);
    }

    #[test]
    fn formats_in_ist() {
        let t = Utc.with_ymd_and_hms(2026, 11, 26, 8, 35, 0).unwrap();
        assert_eq!(format_datetime(t), "26 Nov 2026, 14:05 IST");
    }
}
