//! Dates and times as files write them: the formats of the spec (`YYYY-MM-DD`, `DD-MM-YYYY`,
//! `DD/MM/YYYY`, `YYYY/MM/DD`, optionally with a time), a bank layout's own format first when it
//! has one, and a fast path for the ISO form most rows use.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// `YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY`, `YYYY/MM/DD`, optionally with a time; or the given
/// strftime format first.
pub(super) fn parse_datetime(text: &str, preferred: Option<&str>) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    if let Some(f) = preferred {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Ok(d.and_time(NaiveTime::MIN));
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(dt);
        }
    }
    if let Some(dt) = iso_datetime(t) {
        return Ok(dt);
    }
    const DATES: [&str; 6] = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y"];
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
    Err(format!("{t:?} is not a date (YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY or YYYY/MM/DD, optionally with a time)"))
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
}
