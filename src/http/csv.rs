//! CSV downloads: the one response shape every export uses (UTF-8, an attachment name), the cell
//! texts they share (plain rupees, IST minutes) and the neutralising of cells a spreadsheet would
//! run as a formula. One copy here, so features never borrow these from each other's `api.rs`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::money::Paise;

/// A CSV attachment named `name`: the header, then every row, each cell through
/// [`neutralise_formula`].
pub fn csv_response(
    name: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Response, AppError> {
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(|_| AppError::Internal)?;
    for row in rows {
        out.write_record(row.iter().map(|c| neutralise_formula(c))).map_err(|_| AppError::Internal)?;
    }
    let body = out.into_inner().map_err(|_| AppError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}

/// An amount cell: [`Paise::to_rupees_plain`] (`-1.50`), empty when there is no amount.
pub fn rupees_cell(amount: Option<Paise>) -> String {
    amount.map(Paise::to_rupees_plain).unwrap_or_default()
}

/// A time cell: the IST minute (`2026-11-20 14:05`), as analysts read the pages.
pub fn ist_minute_cell(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::ist::offset()).format("%Y-%m-%d %H:%M").to_string()
}

/// Prefix a cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) with `'`. A plain
/// number (`-1.50`, digits with an optional fraction) is left alone: a spreadsheet reads it as a
/// number, never a formula, and a quote would turn a negative amount into text that no longer sums.
pub fn neutralise_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(cell) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// `-?digits(.digits)?`, nothing else.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise_formula("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(neutralise_formula("+1"), "'+1");
        assert_eq!(neutralise_formula("-1e5"), "'-1e5");
        assert_eq!(neutralise_formula("-1."), "'-1.");
        assert_eq!(neutralise_formula("-"), "'-");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("CB-2026-0001"), "CB-2026-0001");
    }

    #[test]
    fn negative_amounts_stay_numbers() {
        assert_eq!(neutralise_formula("-5"), "-5");
        assert_eq!(neutralise_formula(&rupees_cell(Some(Paise(-150)))), "-1.50");
        assert_eq!(neutralise_formula(&rupees_cell(Some(Paise(-50)))), "-0.50");
        assert_eq!(rupees_cell(None), "");
    }
}
