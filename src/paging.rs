//! Page numbers and offsets as they arrive in URLs and API parameters: the one range every list
//! accepts, so `(page - 1) * size` can neither overflow (a panic in debug builds, a wrapped,
//! negative OFFSET in release) nor send Postgres scanning millions of rows to return nothing.

/// The deepest page a list serves: 100,000 pages of 25 rows are 2.5 million rows, beyond any real
/// queue; a larger number is a typo or a probe.
pub const MAX_PAGE: i64 = 100_000;

/// The largest `offset` the JSON lists accept, for the same reason (at their largest `limit`, 500,
/// that is 20,000 pages).
pub const MAX_OFFSET: i64 = 10_000_000;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
