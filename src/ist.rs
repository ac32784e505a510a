//! India Standard Time: business dates ("cycle dates") are IST days; timestamps are stored in UTC
//! and shown in IST. IST has no daylight saving, so a fixed +05:30 offset is exact.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

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

/// The UTC instant of an IST wall-clock time on a date.
pub fn at(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    offset()
        .from_local_datetime(&date.and_time(time))
        .single()
        .expect("a fixed offset has exactly one mapping")
        .with_timezone(&Utc)
}

/// Start of the IST day (00:00 IST) as a UTC instant.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    at(date, NaiveTime::MIN)
}

/// `[start, end)` of an inclusive range of IST dates, as UTC instants.
pub fn day_range(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of_day(from), start_of_day(to) + Duration::days(1))
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
    fn formats_in_ist() {
        let t = Utc.with_ymd_and_hms(2026, 11, 26, 8, 35, 0).unwrap();
        assert_eq!(format_datetime(t), "26 Nov 2026, 14:05 IST");
    }
}
