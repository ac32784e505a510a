//! Page numbers and offsets as they arrive in URLs and API parameters: the one range every list
//! accepts, so `(page - 1) * size` can neither overflow (a panic in debug builds, a wrapped,
//! negative OFFSET in release) nor send Postgres scanning millions of rows to return nothing.

use crate::error::AppError;

/// The deepest page a list serves: 100,000 pages of 25 rows are 2.5 million rows, beyond any real
/// queue; a larger number is a typo or a probe.
pub const MAX_PAGE: i64 = 100_000;

/// The largest `offset` the JSON lists accept, for the same reason (at their largest `limit`, 500,
/// that is 20,000 pages).
pub const MAX_OFFSET: i64 = 10_000_000;

/// Beyond this many matches a list's count, when nothing can give it exactly, says "more than".
pub const COUNT_CAP: i64 = 10_000;

/// How many rows match a list's filter: exact, or at least [`COUNT_CAP`] + 1 ("more than 10,000").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchCount {
    pub count: i64,
    pub exact: bool,
}

impl MatchCount {
    /// A count of `counted` rows, counted up to [`COUNT_CAP`] + 1.
    pub fn capped(counted: i64) -> MatchCount {
        if counted > COUNT_CAP {
            MatchCount { count: COUNT_CAP, exact: false }
        } else {
            MatchCount { count: counted, exact: true }
        }
    }

    pub fn text(self) -> String {
        if self.exact {
            crate::money::format_count(self.count)
        } else {
            format!("more than {}", crate::money::format_count(COUNT_CAP))
        }
    }
}

fn out_of_range() -> String {
    format!("Page must be a positive number, at most {MAX_PAGE}.")
}

/// A 1-based page number from URL text.
pub fn parse_page(text: &str) -> Result<i64, String> {
    text.trim().parse::<i64>().ok().filter(|p| (1..=MAX_PAGE).contains(p)).ok_or_else(out_of_range)
}

/// The OFFSET of a 1-based page of `page_size` rows. Server functions take the page from the
/// client, so the range is checked here too, not only where URLs are parsed.
pub fn offset(page: i64, page_size: i64) -> Result<i64, String> {
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(out_of_range());
    }
    (page - 1).checked_mul(page_size).ok_or_else(out_of_range)
}

/// The JSON lists' `limit` (default `default`, 1..=`max`) and `offset` (0..=[`MAX_OFFSET`]) query
/// parameters; anything else is a 400.
pub fn page_params(
    limit: &Option<String>,
    offset: &Option<String>,
    default: i64,
    max: i64,
) -> Result<(i64, i64), AppError> {
    let number = |v: &Option<String>, fallback: i64| v.as_deref().map_or(Ok(fallback), |s| s.trim().parse::<i64>());
    let (Ok(limit), Ok(offset)) = (number(limit, default), number(offset, 0)) else {
        return Err(AppError::BadRequest("limit and offset must be whole numbers.".into()));
    };
    if !(1..=max).contains(&limit) || !(0..=MAX_OFFSET).contains(&offset) {
        return Err(AppError::BadRequest(format!("limit must be 1–{max} and offset 0–{MAX_OFFSET}.")));
    }
    Ok((limit, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_past_the_cap_says_more_than() {
        assert_eq!(MatchCount::capped(COUNT_CAP), MatchCount { count: COUNT_CAP, exact: true });
        let over = MatchCount::capped(COUNT_CAP + 1);
        assert_eq!(over, MatchCount { count: COUNT_CAP, exact: false });
        assert_eq!(over.text(), "more than 10,000");
        assert_eq!(MatchCount::capped(1234).text(), "1,234");
    }

    #[test]
    fn pages_outside_the_range_are_refused_not_wrapped() {
        assert_eq!(parse_page(" 3 "), Ok(3));
        assert_eq!(parse_page("100000"), Ok(MAX_PAGE));
        for bad in ["0", "-1", "100001", "9223372036854775807", "99999999999999999999", "x", ""] {
            assert!(parse_page(bad).is_err(), "{bad}");
        }
        assert_eq!(offset(1, 25), Ok(0));
        assert_eq!(offset(3, 25), Ok(50));
        assert!(offset(i64::MAX, 25).is_err());
        assert!(offset(0, 25).is_err());
        assert!(offset(MAX_PAGE, i64::MAX).is_err(), "an overflowing product is refused");
    }

    #[test]
    fn list_parameters_default_and_stay_in_range() {
        let text = |s: &str| Some(s.to_string());
        assert_eq!(page_params(&None, &None, 50, 500), Ok((50, 0)));
        assert_eq!(page_params(&text(" 500 "), &text("10000000"), 50, 500), Ok((500, MAX_OFFSET)));
        for (limit, offset) in [("0", "0"), ("501", "0"), ("50", "-1"), ("50", "10000001"), ("x", "0"), ("50", "")] {
            let refused = page_params(&text(limit), &text(offset), 50, 500);
            assert!(matches!(refused, Err(AppError::BadRequest(_))), "{limit}/{offset}: {refused:?}");
        }
    }
}
