//! Dates and times as files write them: the formats of the spec (`YYYY-MM-DD`, `DD-MM-YYYY`,
//! `DD/MM/YYYY`, `YYYY/MM/DD`, optionally with a time), the bank exports' `14-Jan-24` (a month
//! name and a two-digit year), RFC 3339 / ISO 8601 instants with `Z` or an offset (read as the IST
//! wall-clock time of that instant, so the business date is the IST date), a bank layout's own
//! format first when it has one, and a fast path for the ISO form most rows use. A time without a
//! zone is IST's, as everywhere in the product.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

/// `YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY`, `YYYY/MM/DD`, optionally with a time; or the given
/// strftime format first.
pub(super) fn parse_datetime(text: &str, preferred: Option<&str>) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    if let Some(f) = preferred {
        // A date-and-time format first: parsed as a date alone it would drop the time.
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(dt);
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Ok(d.and_time(NaiveTime::MIN));
        }
    }
    if let Some(dt) = iso_datetime(t) {
        return Ok(dt);
    }
    if let Some(instant) = zoned_instant(t) {
        return Ok(instant.with_timezone(&crate::ist::offset()).naive_local());
    }
    // `%d-%b-%y` before `%d-%b-%Y`: a four-digit year does not fit `%y` (the rest is left over),
    // while `%Y` would read `24` as the year 24.
    const DATES: [&str; 7] = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%b-%y", "%d-%b-%Y", "%d %b %Y"];
    for date in DATES {
        if let Ok(d) = NaiveDate::parse_from_str(t, date) {
            return Ok(d.and_time(NaiveTime::MIN));
        }
        for time in [" %H:%M:%S", "T%H:%M:%S", " %H:%M", "T%H:%M:%S%.f", " %H:%M:%S%.f"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, &format!("{date}{time}")) {
                return Ok(dt);
            }
        }
    }
    let layouts = preferred.map(|f| format!("the layout's {f}, nor ")).unwrap_or_default();
    Err(format!(
        "{t:?} is not a date ({layouts}YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY, YYYY/MM/DD or DD-Mon-YY, optionally with a \
         time; or an ISO 8601 instant such as 2024-01-14T10:15:00Z)"
    ))
}

/// Why `format` cannot be a bank layout's date format, if it cannot: it must be strftime fields
/// (`%d-%m-%Y`, `%d-%b-%y %H:%M:%S`) and must read back the date of a time it wrote.
pub(super) fn format_problem(format: &str) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    use std::fmt::Write;
    let hint = "use strftime fields such as %d-%m-%Y, %d/%m/%Y or %d-%b-%y %H:%M:%S";
    if format.trim().is_empty() {
        return Some(format!("The date format is empty: {hint}."));
    }
    if format.chars().count() > 40 || format.chars().any(char::is_control) {
        return Some(format!("The date format {format:?} is not a date format: {hint}."));
    }
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Some(format!("The date format {format:?} has a field chrono does not know: {hint}."));
    }
    let sample = NaiveDate::from_ymd_opt(2026, 11, 30).and_then(|d| d.and_hms_opt(9, 5, 7))?;
    let mut written = String::new();
    if write!(written, "{}", sample.format(format)).is_err() {
        return Some(format!(
            "The date format {format:?} needs a time zone, which a statement's dates do not have: {hint}."
        ));
    }
    let read = NaiveDateTime::parse_from_str(&written, format)
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&written, format).ok().map(|d| d.and_time(NaiveTime::MIN)));
    match read {
        Some(back) if back.date() == sample.date() => None,
        _ => Some(format!(
            "The date format {format:?} does not read back the dates it writes (30 Nov 2026 comes out as {written:?}): \
             it needs a day, a month and a year; {hint}."
        )),
    }
}

/// An instant with its zone: RFC 3339 (`2024-01-14T10:15:00Z`, `…+05:30`, fractions of a second,
/// a space for the `T`), or ISO 8601's `+0530` offset without the colon.
fn zoned_instant(t: &str) -> Option<DateTime<FixedOffset>> {
    if t.len() < 20 || !t.as_bytes()[..10].iter().enumerate().all(|(i, b)| matches!(i, 4 | 7) || b.is_ascii_digit()) {
        return None;
    }
    DateTime::parse_from_rfc3339(t).ok().or_else(|| {
        ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"].iter().find_map(|f| DateTime::parse_from_str(t, f).ok())
    })
}

/// The common case without trying formats: `YYYY-MM-DD`, optionally with ` HH:MM` or
/// ` HH:MM:SS` (or `T` between). `None` for anything else, which the general path then reads.
fn iso_datetime(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = match b.len() {
        10 => NaiveTime::MIN,
        16 | 19 if matches!(b[10], b' ' | b'T') && b[13] == b':' => {
            let seconds = if b.len() == 19 {
                if b[16] != b':' {
                    return None;
                }
                num(17..19)?
            } else {
                0
            };
            NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, seconds)?
        }
        _ => return None,
    };
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iso_fast_path_reads_as_the_formats_do() {
        for t in ["2026-11-20", "2026-11-20 10:05", "2026-11-20 10:05:09", "2026-11-20T23:59:59", "2024-02-29 00:00"] {
            let fast = iso_datetime(t).unwrap();
            let general = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
                .or_else(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN)));
            assert_eq!(Some(fast), general, "{t}");
        }
        for t in [
            "2026-02-30",
            "2026-13-01",
            "2026-11-20 24:00",
            "2026-11-20 10:60",
            "2026-1-20",
            "20-11-2026",
            "2026-11-20 10:05:09.5",
        ] {
            assert_eq!(iso_datetime(t), None, "{t}");
        }
        assert!(parse_datetime("2026-02-30", None).is_err());
        assert_eq!(parse_datetime("2026-11-20 10:05:09.5", None).unwrap().and_utc().timestamp_subsec_millis(), 500);
    }

    #[test]
    fn dates_in_every_format_of_the_spec() {
        for (text, expected) in [
            ("2026-11-20", "2026-11-20 00:00:00"),
            ("20-11-2026", "2026-11-20 00:00:00"),
            ("20/11/2026", "2026-11-20 00:00:00"),
            ("2026/11/20", "2026-11-20 00:00:00"),
            ("2026-11-20 14:05", "2026-11-20 14:05:00"),
            ("20/11/2026 14:05:09", "2026-11-20 14:05:09"),
            ("2026-11-20T14:05:09", "2026-11-20 14:05:09"),
        ] {
            assert_eq!(parse_datetime(text, None).unwrap().to_string(), expected, "{text}");
        }
        assert!(parse_datetime("31-02-2026", None).is_err());
        assert!(parse_datetime("tomorrow", None).is_err());
    }

    #[test]
    fn instants_with_a_zone_are_read_as_ist_wall_clock() {
        for (text, expected) in [
            // 10:15 UTC is 15:45 in IST, the same day.
            ("2024-01-14T10:15:00Z", "2024-01-14 15:45:00"),
            ("2024-01-14T10:15:00z", "2024-01-14 15:45:00"),
            ("2024-01-14 10:15:00Z", "2024-01-14 15:45:00"),
            ("2024-01-14T10:15:00.250Z", "2024-01-14 15:45:00.250"),
            ("2024-01-14T15:45:00+05:30", "2024-01-14 15:45:00"),
            ("2024-01-14T15:45:00+0530", "2024-01-14 15:45:00"),
            // 20:00 UTC is already the next day in India: the business date is the IST date.
            ("2024-01-14T20:00:00Z", "2024-01-15 01:30:00"),
            ("2024-01-14T09:00:00-05:00", "2024-01-14 19:30:00"),
        ] {
            assert_eq!(parse_datetime(text, None).unwrap().to_string(), expected, "{text}");
        }
        for bad in ["2024-01-14T25:00:00Z", "2024-02-30T10:00:00Z", "2024-01-14T10:15:00+25:00", "2024-01-14T10:15Zulu"]
        {
            assert!(parse_datetime(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_layouts_date_format_must_read_back_its_dates() {
        for good in ["%d-%m-%Y", "%d/%m/%Y", "%d-%b-%y", "%d-%b-%y %H:%M:%S", "%Y%m%d", "%d %B %Y"] {
            assert_eq!(format_problem(good), None, "{good}");
        }
        for (bad, says) in [
            ("", "empty"),
            ("%Q-%m", "does not know"),
            ("%H:%M", "day, a month and a year"),
            ("%d-%m", "day, a month and a year"),
            ("%d-%m-%Y %z", "time zone"),
            ("dd/mm/yyyy", "day, a month and a year"),
        ] {
            let problem = format_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad:?}: {problem}");
        }
    }

    #[test]
    fn month_names_with_two_digit_years() {
        for (text, expected) in [
            ("14-Jan-24", "2024-01-14 00:00:00"),
            ("14-Jan-24 10:15:23", "2024-01-14 10:15:23"),
            ("14-JAN-24", "2024-01-14 00:00:00"),
            ("14-Jan-2024", "2024-01-14 00:00:00"),
            ("14-Jan-2024 10:15", "2024-01-14 10:15:00"),
        ] {
            assert_eq!(parse_datetime(text, None).unwrap().to_string(), expected, "{text}");
        }
        // A bank layout's own format reads the time too.
        assert_eq!(
            parse_datetime("14-Jan-24 10:22:05", Some("%d-%b-%y %H:%M:%S")).unwrap().to_string(),
            "2024-01-14 10:22:05"
        );
        assert!(parse_datetime("31-Feb-24", None).is_err());
    }
}
