//! One row of a file into a PG record or a bank line, or into a row-level error that names the
//! line, the column (as the file's header spells it) and the reason. Amounts become exact paise,
//! identifiers that look like spreadsheet formulas are refused, and a bank line without a
//! reference gets a stable key hashed from its fields.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::dates::parse_datetime;
use super::layouts::{norm, same_column, AmountUnit, Format, Kind, ReadOptions};
use crate::domain::stored_ref;
use crate::money::Paise;

const MAX_FIELD_CHARS: usize = 256;

/// A refused row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgRecord {
    pub line: u64,
    pub txn_id: String,
    pub merchant_id: String,
    pub amount: Paise,
    pub gross: Option<Paise>,
    pub currency: String,
    pub txn_at: NaiveDateTime,
    pub payment_method: &'static str,
    pub bank: Option<String>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub status: String,
    pub bank_fee: Option<Paise>,
    pub expected_settlement: Option<Paise>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankRecord {
    pub line: u64,
    pub natural_key: String,
    pub bank_ref: Option<String>,
    pub bank_name: String,
    pub amount: Paise,
    pub net: Option<Paise>,
    pub credit: bool,
    pub txn_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub remarks: Option<String>,
}

/// One good row of a file, or a row that is well formed but not money to reconcile (a payment
/// the gateway reports as failed, a bank line the bank reports as failed): skipped and counted
/// by its reason, not refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Pg(PgRecord),
    Bank(BankRecord),
    Skipped(Skipped),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub line: u64,
    pub reason: String,
}

/// Statuses that say no money moved.
fn failed_status(status: &str) -> bool {
    matches!(
        norm(status).as_str(),
        "failed"
            | "failure"
            | "fail"
            | "declined"
            | "cancelled"
            | "canceled"
            | "rejected"
            | "aborted"
            | "bounced"
            | "reversed"
            | "returned"
            | "timeout"
            | "timedout"
            | "expired"
    )
}

/// The cells of one row, from a CSV record or a worksheet row, trimmed.
pub(super) enum Cells<'a> {
    Csv(&'a csv::StringRecord),
    Strings(&'a [String]),
}

impl Cells<'_> {
    fn get(&self, i: usize) -> Option<&str> {
        match self {
            Cells::Csv(r) => r.get(i),
            Cells::Strings(s) => s.get(i).map(String::as_str),
        }
        .map(str::trim)
    }

    pub(super) fn is_blank(&self) -> bool {
        match self {
            Cells::Csv(r) => r.iter().all(|c| c.trim().is_empty()),
            Cells::Strings(s) => s.iter().all(|c| c.trim().is_empty()),
        }
    }
}

/// Turns the rows of one file (its header known) into records.
pub(super) struct Converter {
    kind: Kind,
    pub(super) format: Format,
    options: ReadOptions,
    /// The unit of the amount columns (the user's choice where the layout allows it).
    unit: AmountUnit,
    header: Vec<String>,
    columns: Vec<String>,
    /// Where each column name asked for was found: worked out once per file, not per row.
    found: std::cell::RefCell<Vec<(Box<str>, Option<usize>)>>,
}

impl Converter {
    /// A converter for a file of `format` (checked against its header) read with `options`; `Err`
    /// refuses the whole file (a unit the layout does not allow, a layout without a merchant
    /// column and no merchant chosen).
    pub(super) fn new(kind: Kind, format: Format, header: Vec<String>, options: &ReadOptions) -> Result<Self, String> {
        let unit = format.unit_with(options.unit)?;
        if !format.has_merchant_column() && options.merchant.is_none() {
            return Err(format!(
                "{} has no merchant column: name the merchant these transactions belong to (the upload form's \
                 merchant, `merchantId`).",
                format.name()
            ));
        }
        if !format.has_date_column() && options.cycle_date.is_none() {
            return Err(format!("{} has no date column: give the cycle date its rows belong to.", format.name()));
        }
        let columns: Vec<String> = header.iter().map(|h| norm(h)).collect();
        // A stored layout's columns that decide money must be there: without its direction column
        // every debit would be taken as a credit, without its net column the net would be lost,
        // without its bank-name column every line would be keyed to the layout's bank.
        if let Format::Mapping(m) = &format {
            for (what, column) in [
                ("the direction", &m.direction_column),
                ("the net amount", &m.net_amount_column),
                ("each line's bank", &m.bank_name_column),
            ] {
                if let Some(c) = column.as_deref().filter(|c| !columns.iter().any(|h| same_column(h, c))) {
                    return Err(format!(
                        "{} reads {what} from the column {c}, which the header lacks: fix the file or the layout.",
                        format.name()
                    ));
                }
            }
        }
        Ok(Converter { kind, format, options: options.clone(), unit, header, columns, found: Default::default() })
    }

    /// The position of a column in the header, by its name in any spelling (`Transaction ID`,
    /// `transaction_id`).
    fn position(&self, column: &str) -> Option<usize> {
        if let Some((_, i)) = self.found.borrow().iter().find(|(name, _)| &**name == column) {
            return *i;
        }
        let i = self.columns.iter().position(|c| same_column(c, column));
        self.found.borrow_mut().push((column.into(), i));
        i
    }

    pub(super) fn into_parts(self) -> (Format, Vec<String>) {
        (self.format, self.header)
    }

    pub(super) fn convert(&self, line: u64, cells: Cells<'_>) -> Result<Record, RowError> {
        let row = Row { line, cells, converter: self };
        match self.kind {
            Kind::Pg => pg_record(&row, &self.format),
            Kind::Bank => bank_record(&row, &self.format),
        }
    }
}

struct Row<'a> {
    line: u64,
    cells: Cells<'a>,
    converter: &'a Converter,
}

type RowResult<T> = Result<T, RowError>;

impl Row<'_> {
    fn err(&self, column: &str, message: impl Into<String>) -> RowError {
        let shown = self
            .converter
            .position(column)
            .map(|i| self.converter.header[i].clone())
            .unwrap_or_else(|| column.to_string());
        RowError { line: self.line, column: Some(shown), message: message.into() }
    }

    /// The trimmed text of a column, `None` when absent or empty.
    fn get(&self, column: &str) -> RowResult<Option<&str>> {
        let Some(i) = self.converter.position(column) else { return Ok(None) };
        let value = self.cells.get(i).unwrap_or("");
        if value.chars().count() > MAX_FIELD_CHARS {
            return Err(self.err(column, format!("is longer than {MAX_FIELD_CHARS} characters")));
        }
        Ok(Some(value).filter(|v| !v.is_empty()))
    }

    fn required(&self, column: &str) -> RowResult<&str> {
        self.get(column)?.ok_or_else(|| self.err(column, "is empty"))
    }

    /// An identifier: no spreadsheet formula, no control characters.
    fn ident(&self, column: &str) -> RowResult<Option<String>> {
        match self.get(column)? {
            None => Ok(None),
            Some(v) if v.starts_with(['=', '+', '-', '@']) => {
                Err(self.err(column, format!("{v:?} looks like a spreadsheet formula")))
            }
            Some(v) if v.chars().any(char::is_control) => Err(self.err(column, "contains control characters")),
            Some(v) => Ok(Some(v.to_string())),
        }
    }

    fn required_ident(&self, column: &str) -> RowResult<String> {
        self.ident(column)?.ok_or_else(|| self.err(column, "is empty"))
    }

    fn rupees(&self, column: &str) -> RowResult<Option<Paise>> {
        self.get(column)?.map(|v| Paise::parse_rupees(v).map_err(|m| self.err(column, m))).transpose()
    }

    fn paise(&self, column: &str) -> RowResult<Option<Paise>> {
        self.get(column)?
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|p| *p >= 0)
                    .map(Paise)
                    .ok_or_else(|| self.err(column, format!("{v:?} is not a whole, non-negative number of paise")))
            })
            .transpose()
    }

    /// An amount in the file's unit (the layout's, or the one chosen for the upload).
    fn amount(&self, column: &str) -> RowResult<Option<Paise>> {
        match self.converter.unit {
            AmountUnit::Rupees => self.rupees(column),
            AmountUnit::Paise => self.paise(column),
        }
    }

    fn positive(&self, column: &str, amount: Option<Paise>) -> RowResult<Paise> {
        match amount {
            None => Err(self.err(column, "is empty")),
            Some(p) if p.0 <= 0 => Err(self.err(column, "must be more than zero")),
            Some(p) => Ok(p),
        }
    }

    fn datetime(&self, column: &str, format: Option<&str>) -> RowResult<Option<NaiveDateTime>> {
        self.get(column)?.map(|v| parse_datetime(v, format).map_err(|m| self.err(column, m))).transpose()
    }
}

/// The payment methods of spec 2.1, with the spellings files use.
fn payment_method(text: &str) -> Option<&'static str> {
    Some(match norm(text).as_str() {
        "upi" | "upicollect" | "upiintent" => "UPI",
        "card" | "cards" | "creditcard" | "debitcard" | "cc" | "dc" => "CARD",
        "netbanking" | "nb" | "internetbanking" => "NETBANKING",
        "wallet" | "wallets" => "WALLET",
        "neft" => "NEFT",
        "rtgs" => "RTGS",
        "imps" => "IMPS",
        _ => return None,
    })
}

/// Fee and tax are the gateway's charges on a paise file's amount: what the merchant is expected to
/// get is the rest (none without a fee).
fn net_of_fee_and_tax(row: &Row, amount: Paise) -> RowResult<Option<Paise>> {
    let (fee, tax) = (row.paise("fee_paise")?, row.paise("tax_paise")?);
    match fee {
        None => Ok(None),
        Some(f) => match amount.0.checked_sub(f.0).and_then(|n| n.checked_sub(tax.map_or(0, |t| t.0))) {
            Some(net) if net >= 0 => Ok(Some(Paise(net))),
            _ => Err(row.err("amount_paise", "is less than the fee and tax charged on it")),
        },
    }
}

fn pg_record(row: &Row, format: &Format) -> RowResult<Record> {
    let (txn_id_col, merchant_col, method_col, status_col) = match format {
        Format::PgSimple => ("Transaction ID", Some("Merchant ID"), Some("Payment Method"), "Status"),
        Format::PgV1 => ("transaction_id", Some("client_code"), Some("payment_mode"), "transaction_status"),
        Format::PgCaptured => ("pg_txn_id", Some("merchant_id"), None, "status"),
        Format::PgOrders => ("txn_id", None, None, "status"),
        Format::PgExport => ("transaction_id", Some("merchant_id"), Some("payment_method"), "status"),
        Format::PgPayments => ("transaction_id", Some("merchant_id"), Some("payment_mode"), "status"),
        _ => ("pg_txn_id", Some("merchant_id"), Some("payment_method"), "status"),
    };
    debug_assert_eq!(merchant_col.is_some(), format.has_merchant_column());
    debug_assert_eq!(method_col.is_some(), format.has_method_column());
    // A payment the gateway reports failed is not money to reconcile, whatever else the row says.
    let status = row.get(status_col)?.unwrap_or("SUCCESS").to_ascii_uppercase();
    if failed_status(&status) {
        return Ok(Record::Skipped(Skipped { line: row.line, reason: format!("status {status}: not a payment") }));
    }
    let txn_id = row.required_ident(txn_id_col)?;
    let merchant_id = match merchant_col {
        Some(col) => row.required_ident(col)?.to_ascii_uppercase(),
        None => row.converter.options.merchant.clone().unwrap_or_default(),
    };
    // A file that does not say how a payment was made (`Format::has_method_column`).
    let payment_method = match method_col {
        Some(col) => {
            let text = row.required(col)?;
            payment_method(text).ok_or_else(|| {
                row.err(col, format!("{text:?} is not UPI, CARD, NETBANKING, WALLET, NEFT, RTGS or IMPS"))
            })?
        }
        None => "UNKNOWN",
    };
    let required_at = |col: &str| row.datetime(col, None)?.ok_or_else(|| row.err(col, "is empty"));
    let (amount, gross, bank_fee, expected, txn_at, currency, bank) = match format {
        Format::PgSimple => {
            let amount = row.positive("Amount", row.amount("Amount")?)?;
            let date = row.required("Transaction Date")?;
            // The date and the time are read together; a refusal names the one that is wrong.
            let day = parse_datetime(date, None).map_err(|m| row.err("Transaction Date", m))?;
            let when = match row.get("Transaction Time")? {
                Some(time) => {
                    parse_datetime(&format!("{date} {time}"), None).map_err(|m| row.err("Transaction Time", m))?
                }
                None => day,
            };
            let currency = row.get("Currency")?.unwrap_or("INR").to_ascii_uppercase();
            (amount, None, None, None, when, currency, None)
        }
        Format::PgV1 => {
            let paid = row.positive("paid_amount", row.rupees("paid_amount")?)?;
            (
                paid,
                row.rupees("payee_amount")?,
                row.rupees("bank_exclude_amount")?,
                row.rupees("settlement_amount")?,
                required_at("trans_complete_date")?,
                "INR".to_string(),
                row.ident("bank_name")?,
            )
        }
        Format::PgCaptured => {
            let amount = row.positive("amount_paise", row.paise("amount_paise")?)?;
            let expected = net_of_fee_and_tax(row, amount)?;
            (amount, None, row.paise("fee_paise")?, expected, required_at("captured_at")?, "INR".to_string(), None)
        }
        Format::PgOrders => (
            row.positive("gross_amount", row.rupees("gross_amount")?)?,
            None,
            None,
            row.rupees("net_amount")?,
            required_at("txn_date")?,
            "INR".to_string(),
            row.ident("bank_name")?,
        ),
        Format::PgExport => {
            let amount = row.positive("amount_paise", row.paise("amount_paise")?)?;
            let when = match row.datetime("transaction_timestamp", None)? {
                Some(at) => at,
                None => required_at("transaction_date")?,
            };
            let currency = row.get("currency")?.unwrap_or("INR").to_ascii_uppercase();
            (amount, None, None, None, when, currency, row.ident("bank_name")?)
        }
        Format::PgPayments => {
            let amount = row.positive("amount", row.amount("amount")?)?;
            // No date column: the row belongs to the upload's cycle date (`Converter::new` refuses
            // such a file without one).
            let day = row.converter.options.cycle_date.unwrap_or_default();
            (amount, None, None, None, day.and_time(chrono::NaiveTime::MIN), "INR".to_string(), None)
        }
        _ => {
            let amount = row.positive("amount_paise", row.paise("amount_paise")?)?;
            // The file's net when it gives one, else the amount less its fee and the tax on it.
            let expected = match row.paise("net_paise")? {
                Some(net) => Some(net),
                None => net_of_fee_and_tax(row, amount)?,
            };
            (
                amount,
                None,
                row.paise("fee_paise")?,
                expected,
                required_at("created_at")?,
                "INR".to_string(),
                row.ident("bank")?,
            )
        }
    };
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(row.err("Currency", format!("{currency:?} is not a currency code")));
    }
    // What the merchant is expected to get, and the fee, are parts of the amount: never more.
    if expected.is_some_and(|e| e > amount) || bank_fee.is_some_and(|f| f > amount) {
        return Err(RowError {
            line: row.line,
            column: None,
            message: "the expected settlement or the fee is more than the amount".into(),
        });
    }
    Ok(Record::Pg(PgRecord {
        line: row.line,
        txn_id,
        merchant_id,
        amount,
        gross,
        currency,
        txn_at,
        payment_method,
        // The acquirer (trimmed, upper case), UTR and RRN (upper case, no spaces; a placeholder
        // such as `NULL` is none), so every reader — filters, search, a chargeback's link — finds
        // them however the file spelt them. (A bank line keeps its text: its natural key is made
        // of it.)
        bank: bank.map(|b| b.trim().to_ascii_uppercase()).filter(|b| !b.is_empty()),
        utr: row
            .ident(match format {
                Format::PgSimple => "UTR",
                _ => "utr",
            })?
            .and_then(|u| stored_ref(&u)),
        rrn: row.ident("rrn")?.and_then(|r| stored_ref(&r)),
        status,
        bank_fee,
        expected_settlement: expected,
    }))
}

/// A bank line whose status column `col` says the bank failed it: skipped with why (no money
/// moved), whatever else the line says.
fn bank_reports_failed(row: &Row, col: &str) -> RowResult<Option<Record>> {
    Ok(row.get(col)?.filter(|s| failed_status(s)).map(|status| {
        let reason = format!("the bank reports it {}: no money moved", status.to_ascii_uppercase());
        Record::Skipped(Skipped { line: row.line, reason })
    }))
}

fn bank_record(row: &Row, format: &Format) -> RowResult<Record> {
    let (reference, bank_name, amount, net, credit, txn_date, value_date, utr, rrn, remarks) = match format {
        Format::BankSimple => {
            let direction = row.required("Debit/Credit")?;
            let credit = match norm(direction).as_str() {
                "cr" | "credit" | "c" => true,
                "dr" | "debit" | "d" => false,
                _ => return Err(row.err("Debit/Credit", format!("{direction:?} is neither CREDIT nor DEBIT"))),
            };
            (
                row.ident("Bank Reference")?,
                row.ident("Bank Name")?.unwrap_or_else(|| "UNKNOWN".into()),
                row.positive("Amount", row.amount("Amount")?)?,
                None,
                credit,
                row.datetime("Transaction Date", None)?.ok_or_else(|| row.err("Transaction Date", "is empty"))?,
                row.datetime("Value Date", None)?,
                row.ident("UTR")?,
                None,
                row.get("Remarks")?.map(str::to_string),
            )
        }
        Format::BankV1 => {
            // Its `transaction_status` says whether money moved, as a stored layout's status column.
            if let Some(skipped) = bank_reports_failed(row, "transaction_status")? {
                return Ok(skipped);
            }
            (
                None,
                row.ident("bank_name")?.unwrap_or_else(|| "UNKNOWN".into()),
                row.positive("paid_amount", row.rupees("paid_amount")?)?,
                None,
                true,
                row.datetime("trans_complete_date", None)?.ok_or_else(|| row.err("trans_complete_date", "is empty"))?,
                None,
                row.ident("utr")?,
                row.ident("rrn")?,
                None,
            )
        }
        Format::Mapping(m) => {
            if let Some(col) = m.status_column.as_deref() {
                if let Some(skipped) = bank_reports_failed(row, col)? {
                    return Ok(skipped);
                }
            }
            let money = |col: &str| row.amount(col);
            let credit = match m.direction_column.as_deref() {
                None => true,
                Some(col) => match row.get(col)?.map(norm).as_deref() {
                    None | Some("cr" | "credit" | "c") => true,
                    Some("dr" | "debit" | "d") => false,
                    Some(other) => return Err(row.err(col, format!("{other:?} is neither CR nor DR"))),
                },
            };
            let date = |col: &str| row.datetime(col, Some(&m.date_format));
            let bank_name = match m.bank_name_column.as_deref() {
                Some(col) => row.ident(col)?.map(|b| b.to_ascii_uppercase()),
                None => None,
            };
            (
                row.ident(&m.reference_column)?,
                bank_name.unwrap_or_else(|| m.bank_code.clone()),
                row.positive(&m.gross_amount_column, money(&m.gross_amount_column)?)?,
                match (m.net_amount_column.as_deref(), m.charges_columns.as_deref()) {
                    (Some(col), _) => money(col)?,
                    (None, Some(cols)) => {
                        let gross = row.positive(&m.gross_amount_column, money(&m.gross_amount_column)?)?;
                        let mut net = gross.0;
                        for col in cols.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                            net -= money(col)?.map_or(0, |p| p.0);
                        }
                        if net < 0 {
                            return Err(row.err(&m.gross_amount_column, "is less than the charges deducted from it"));
                        }
                        Some(Paise(net))
                    }
                    (None, None) => None,
                },
                credit,
                date(&m.txn_date_column)?.ok_or_else(|| row.err(&m.txn_date_column, "is empty"))?,
                m.value_date_column.as_deref().map(date).transpose()?.flatten(),
                m.utr_column.as_deref().map(|c| row.ident(c)).transpose()?.flatten(),
                m.rrn_column.as_deref().map(|c| row.ident(c)).transpose()?.flatten(),
                m.remarks_column.as_deref().map(|c| row.get(c).map(|v| v.map(str::to_string))).transpose()?.flatten(),
            )
        }
        _ => return Err(RowError { line: row.line, column: None, message: "not a bank format".into() }),
    };
    if let (Some(n), Format::Mapping(m)) = (net, format) {
        if n > amount {
            let column = m.net_amount_column.as_deref().unwrap_or(&m.gross_amount_column);
            return Err(row.err(column, "is more than the gross amount: a net credit is the gross less charges"));
        }
    }
    let txn_date = txn_date.date();
    let natural_key = match &reference {
        Some(r) => referenced_key(&bank_name, r),
        None => {
            let basis = format!(
                "{bank_name}|{}|{}|{txn_date}|{}",
                utr.as_deref().unwrap_or(""),
                amount.0,
                if credit { "CREDIT" } else { "DEBIT" }
            );
            format!("{bank_name}:h:{}", &hex::encode(Sha256::digest(basis.as_bytes()))[..32])
        }
    };
    Ok(Record::Bank(BankRecord {
        line: row.line,
        natural_key,
        bank_ref: reference,
        bank_name,
        amount,
        net,
        credit,
        txn_date,
        value_date: value_date.map(|d| d.date()),
        utr,
        rrn,
        remarks,
    }))
}

/// The natural key of a bank line that has a reference: its bank and the reference (spec 02
/// §2.1). Lines loaded otherwise (the demo's) are keyed by it too, so an upload meets them.
pub fn referenced_key(bank_name: &str, reference: &str) -> String {
    format!("{bank_name}:{reference}")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{bank, bank_rows, pg, pg_rows, PG_SIMPLE};

    #[test]
    fn a_line_without_a_reference_gets_a_stable_hash_key() {
        let v1 = "utr,rrn,paid_amount,trans_complete_date,bank_name,transaction_status,approval_code\nU1,R1,10.00,2026-11-20,SBI,SUCCESS,A\n";
        let a = bank(v1).unwrap();
        let b = bank(v1).unwrap();
        assert_eq!(bank_rows(&a)[0].natural_key, bank_rows(&b)[0].natural_key);
        assert!(bank_rows(&a)[0].natural_key.starts_with("SBI:h:"));
    }

    #[test]
    fn a_bank_v1_line_the_bank_reports_failed_is_skipped() {
        let v1 = "utr,rrn,paid_amount,trans_complete_date,bank_name,transaction_status,approval_code\n\
                  U1,R1,10.00,2026-11-20,SBI,SUCCESS,A\nU2,R2,20.00,2026-11-20,SBI,failed,B\n";
        let p = bank(v1).unwrap();
        assert_eq!(bank_rows(&p).iter().map(|l| l.utr.as_deref()).collect::<Vec<_>>(), [Some("U1")]);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(
            (p.skipped[0].line, p.skipped[0].reason.as_str()),
            (3, "the bank reports it FAILED: no money moved")
        );
    }

    #[test]
    fn bad_rows_name_line_column_and_reason() {
        let text = format!(
            "{PG_SIMPLE}T1,M1,-5,INR,2026-11-20,,UPI,U1,,\nT2,M1,10,INR,2026-02-30,,UPI,U2,,\nT3,M1,10,INR,2026-11-20,,CHEQUE,U3,,\n=HYPERLINK(1),M1,10,INR,2026-11-20,,UPI,U4,,\nT5,M1,abc,INR,2026-11-20,,UPI,U5,,\nT6,M1,10,INR,2026-11-20,,UPI,U6,,\n"
        );
        let p = pg(&text).unwrap();
        assert_eq!(pg_rows(&p).len(), 1);
        let e: Vec<(u64, Option<&str>)> = p.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(
            e,
            vec![
                (2, Some("Amount")),
                (3, Some("Transaction Date")),
                (4, Some("Payment Method")),
                (5, Some("Transaction ID")),
                (6, Some("Amount"))
            ]
        );
        assert!(p.errors[0].message.contains("negative"));
        assert!(p.errors[3].message.contains("formula"));
    }

    #[test]
    fn a_bad_date_is_blamed_on_the_date_column_and_a_bad_time_on_the_time_column() {
        let text = format!(
            "{PG_SIMPLE}T1,M1,10,INR,2026-02-30,10:00:00,UPI,U1,,\nT2,M1,10,INR,2026-11-20,25:61:00,UPI,U2,,\nT3,M1,10,INR,2026-11-20,10:00:00,UPI,U3,,\n"
        );
        let p = pg(&text).unwrap();
        let e: Vec<(u64, Option<&str>)> = p.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(e, vec![(2, Some("Transaction Date")), (3, Some("Transaction Time"))]);
    }
}
