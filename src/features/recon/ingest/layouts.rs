//! The layouts a file may be in: the built-in PG and bank formats and the banks' stored layouts,
//! and what a header row says about them — which layout it is (the most specific one whose
//! columns are all there, or the one the user named, checked), and where each column is. Column
//! names match in any spelling (`Transaction ID`, `transaction_id`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Pg,
    Bank,
}

/// What an amount column counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AmountUnit {
    Rupees,
    Paise,
}

impl AmountUnit {
    pub fn code(self) -> &'static str {
        match self {
            AmountUnit::Rupees => "rupees",
            AmountUnit::Paise => "paise",
        }
    }

    /// `rupees` (or `inr`) | `paise`, in any case; `None` for anything else.
    pub fn parse(text: &str) -> Option<AmountUnit> {
        match text.trim().to_ascii_lowercase().as_str() {
            "rupees" | "inr" => Some(AmountUnit::Rupees),
            "paise" => Some(AmountUnit::Paise),
            _ => None,
        }
    }
}

/// What the upload form adds to a file's own content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The merchant of every row, for a layout without a merchant column.
    pub merchant: Option<String>,
    /// The unit of an amount column whose name does not say it, instead of the layout's.
    pub unit: Option<AmountUnit>,
    /// The upload's cycle date: the date of the rows of a layout without a date column.
    pub cycle_date: Option<NaiveDate>,
}

/// A stored per-bank layout (the `bank_column_mappings` table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankMapping {
    pub bank_code: String,
    pub layout_name: String,
    pub file_type: String,
    pub delimiter: u8,
    pub header_row: usize,
    pub date_format: String,
    pub reference_column: String,
    pub gross_amount_column: String,
    pub net_amount_column: Option<String>,
    pub txn_date_column: String,
    pub value_date_column: Option<String>,
    pub utr_column: Option<String>,
    pub rrn_column: Option<String>,
    pub direction_column: Option<String>,
    pub remarks_column: Option<String>,
    /// A status per line: a line the bank reports as failed moved no money and is skipped.
    pub status_column: Option<String>,
    /// The bank of each line, for an export that covers several banks (else `bank_code`).
    pub bank_name_column: Option<String>,
    /// Charges the bank deducted, for a statement without a net column (`FEE_INR,GST_INR`): the
    /// net credited is the gross less these.
    pub charges_columns: Option<String>,
    pub amounts_in_paise: bool,
}

/// The layouts shipped with the product; the migration `bank_layouts` stores the same rows (a
/// test keeps them equal), where an admin can add more.
pub fn shipped_mappings() -> Vec<BankMapping> {
    let m = |bank: &str, name: &str, file_type: &str, delimiter: u8, date_format: &str, cols: [&str; 9]| BankMapping {
        bank_code: bank.into(),
        layout_name: name.into(),
        file_type: file_type.into(),
        delimiter,
        header_row: 1,
        date_format: date_format.into(),
        reference_column: cols[0].into(),
        gross_amount_column: cols[1].into(),
        net_amount_column: Some(cols[2]).filter(|c| !c.is_empty()).map(Into::into),
        txn_date_column: cols[3].into(),
        value_date_column: Some(cols[4]).filter(|c| !c.is_empty()).map(Into::into),
        utr_column: Some(cols[5]).filter(|c| !c.is_empty()).map(Into::into),
        rrn_column: Some(cols[6]).filter(|c| !c.is_empty()).map(Into::into),
        direction_column: Some(cols[7]).filter(|c| !c.is_empty()).map(Into::into),
        remarks_column: Some(cols[8]).filter(|c| !c.is_empty()).map(Into::into),
        status_column: None,
        bank_name_column: None,
        charges_columns: None,
        amounts_in_paise: false,
    };
    let with = |m: BankMapping, status: Option<&str>, bank_name: Option<&str>, paise: bool| BankMapping {
        status_column: status.map(Into::into),
        bank_name_column: bank_name.map(Into::into),
        amounts_in_paise: paise,
        ..m
    };
    vec![
        m(
            "AXIS",
            "AXIS SFTP settlement",
            "csv",
            b',',
            "%d-%m-%Y",
            ["TXNID", "CREDIT_AMT", "NET_CR_AMT", "POST_DATE", "VALUE_DATE", "UTR", "RRN", "", "REMARKS"],
        ),
        m(
            "AXIS",
            "AXIS MIS (tilde .txt)",
            "txt",
            b'~',
            "%d-%m-%Y",
            ["Tran Id", "Amount", "", "Tran Date", "Value Date", "UTR No", "", "Cr/Dr", "Particulars"],
        ),
        m(
            "HDFC",
            "HDFC account statement",
            "csv",
            b',',
            "%d/%m/%Y",
            ["Chq/Ref Number", "Deposit Amount", "", "Date", "Value Dt", "UTR", "", "", "Narration"],
        ),
        m(
            "ICICI",
            "ICICI CMS statement",
            "csv",
            b',',
            "%d-%m-%Y",
            ["Tran. Id", "Amount (INR)", "", "Txn Posted Date", "Value Date", "UTR Number", "", "Cr/Dr", "Description"],
        ),
        m(
            "SBI",
            "SBI e-statement",
            "csv",
            b',',
            "%d %b %Y",
            ["Ref No./Cheque No.", "Credit", "", "Txn Date", "Value Date", "UTR", "", "", "Description"],
        ),
        m(
            "BOB",
            "BOB settlement report",
            "csv",
            b',',
            "%d/%m/%Y",
            [
                "Transaction Ref",
                "Gross Amount",
                "Net Amount",
                "Transaction Date",
                "Settlement Date",
                "UTR",
                "RRN",
                "",
                "Remarks",
            ],
        ),
        // The layouts of the system SettlePaisa Ops replaces (issue 11), as its banks wrote them.
        with(
            m(
                "AXIS",
                "AXIS recon export",
                "csv",
                b',',
                "%d-%b-%y",
                [
                    "TXN_REF",
                    "AMOUNT_INR",
                    "NET_AMOUNT_INR",
                    "TXN_DATE_TIME",
                    "SETTLEMENT_DATE",
                    "UTR_NO",
                    "",
                    "",
                    "REMARKS",
                ],
            ),
            Some("TXN_STATUS"),
            None,
            false,
        ),
        BankMapping {
            charges_columns: Some("FEE_INR,GST_INR".into()),
            ..with(
                m(
                    "ICICI",
                    "ICICI NEFT report",
                    "csv",
                    b',',
                    "%d-%b-%y %H:%M:%S",
                    ["TXN_ID", "AMOUNT_INR", "", "TXN_DATE", "", "UTR", "", "", ""],
                ),
                Some("STATUS"),
                None,
                false,
            )
        },
        // Whole numbers such as 150000 for ₹1,500.00: paise by this layout's definition.
        with(
            m(
                "AXIS",
                "AXIS SFTP drop",
                "csv",
                b',',
                "%Y-%m-%d",
                ["TRANSACTION_ID", "AMOUNT", "", "DATE", "", "UTR", "", "", ""],
            ),
            None,
            None,
            true,
        ),
        // Whole numbers such as 1000 for ₹1,000.00: rupees by this layout's definition.
        with(
            m(
                "ANY",
                "Bank credits export",
                "csv",
                b',',
                "%Y-%m-%d",
                ["bank_reference", "amount", "", "credited_at", "", "utr", "", "", ""],
            ),
            None,
            Some("bank_name"),
            false,
        ),
        with(
            m(
                "ANY",
                "Bank statement export (paise)",
                "csv",
                b',',
                "%Y-%m-%d",
                [
                    "bank_ref",
                    "amount_paise",
                    "",
                    "transaction_date",
                    "value_date",
                    "utr",
                    "",
                    "debit_credit",
                    "remarks",
                ],
            ),
            None,
            Some("bank_name"),
            true,
        ),
    ]
}

/// A built-in format, or a bank's stored layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    PgSimple,
    PgV1,
    PgV2,
    /// `pg_txn_id, merchant_id, order_id, amount_paise, fee_paise, tax_paise, status, captured_at,
    /// utr`: V2 without method or bank.
    PgCaptured,
    /// `order_id, txn_id, gross_amount, net_amount, txn_date, utr, rrn, …`: rupees, no merchant.
    PgOrders,
    /// `transaction_id, merchant_id, amount_paise, currency, transaction_date,
    /// transaction_timestamp, payment_method, …`: paise.
    PgExport,
    /// `transaction_id, merchant_id, amount, utr, payment_mode, status, customer_email,
    /// customer_phone`: no date (the cycle date applies).
    PgPayments,
    BankSimple,
    BankV1,
    Mapping(Box<BankMapping>),
}

impl Format {
    pub fn name(&self) -> String {
        match self {
            Format::PgSimple => "PG simple".into(),
            Format::PgV1 => "PG V1".into(),
            Format::PgV2 => "PG V2".into(),
            Format::PgCaptured => "PG V2 captured export".into(),
            Format::PgOrders => "PG order export".into(),
            Format::PgExport => "PG transaction export".into(),
            Format::PgPayments => "PG payments (no date)".into(),
            Format::BankSimple => "Bank simple".into(),
            Format::BankV1 => "Bank V1".into(),
            Format::Mapping(m) => format!("{} ({})", m.layout_name, m.bank_code),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Format::PgSimple
            | Format::PgV1
            | Format::PgV2
            | Format::PgCaptured
            | Format::PgOrders
            | Format::PgExport
            | Format::PgPayments => Kind::Pg,
            _ => Kind::Bank,
        }
    }

    /// The name an upload form or the API gives the format (`pg_v2`, …, or a bank layout's name).
    pub fn code(&self) -> String {
        match self {
            Format::PgSimple => "pg_simple".into(),
            Format::PgV1 => "pg_v1".into(),
            Format::PgV2 => "pg_v2".into(),
            Format::PgCaptured => "pg_v2_captured".into(),
            Format::PgOrders => "pg_orders".into(),
            Format::PgExport => "pg_export".into(),
            Format::PgPayments => "pg_payments".into(),
            Format::BankSimple => "bank_simple".into(),
            Format::BankV1 => "bank_v1".into(),
            Format::Mapping(m) => m.layout_name.clone(),
        }
    }

    /// The built-in formats a user may name, by code.
    pub fn built_in(code: &str) -> Option<Format> {
        [
            Format::PgSimple,
            Format::PgV1,
            Format::PgV2,
            Format::PgCaptured,
            Format::PgOrders,
            Format::PgExport,
            Format::PgPayments,
            Format::BankSimple,
            Format::BankV1,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }

    /// The column the amount to match is read from, as the format names it.
    pub fn amount_column(&self) -> &str {
        match self {
            Format::PgSimple | Format::PgPayments | Format::BankSimple => "Amount",
            Format::PgV1 | Format::BankV1 => "paid_amount",
            Format::PgV2 | Format::PgCaptured | Format::PgExport => "amount_paise",
            Format::PgOrders => "gross_amount",
            Format::Mapping(m) => &m.gross_amount_column,
        }
    }

    /// The unit of the amounts by the layout's definition, and whether a user may change it for
    /// an upload: only where the column's name does not say it (a bare `Amount`, not
    /// `amount_paise`, `AMOUNT_INR` or `paid_amount`).
    pub fn amount_unit(&self) -> (AmountUnit, bool) {
        let named = {
            let n = norm(self.amount_column());
            n.ends_with("paise") || n.ends_with("inr") || (n.ends_with("amount") && n != "amount")
        };
        let unit = match self {
            Format::PgV2 | Format::PgCaptured | Format::PgExport => AmountUnit::Paise,
            Format::Mapping(m) if m.amounts_in_paise => AmountUnit::Paise,
            _ => AmountUnit::Rupees,
        };
        (unit, !named)
    }

    /// The unit an upload reads this format's amounts in: the user's where the layout lets them
    /// choose, else the layout's.
    pub fn unit_with(&self, chosen: Option<AmountUnit>) -> Result<AmountUnit, String> {
        let (unit, switchable) = self.amount_unit();
        match chosen {
            Some(c) if c != unit && !switchable => Err(format!(
                "{} names its amounts' unit ({} is in {}): it cannot be read as {}.",
                self.name(),
                self.amount_column(),
                unit.code(),
                c.code()
            )),
            Some(c) => Ok(c),
            None => Ok(unit),
        }
    }

    /// Whether the rows carry their merchant (else the upload form names it).
    pub fn has_merchant_column(&self) -> bool {
        !matches!(self, Format::PgOrders)
    }

    /// Whether the rows say how each payment was made (else the method is UNKNOWN).
    pub fn has_method_column(&self) -> bool {
        !matches!(self, Format::PgCaptured | Format::PgOrders)
    }

    /// Whether the rows carry their date (else the upload's cycle date applies).
    pub fn has_date_column(&self) -> bool {
        !matches!(self, Format::PgPayments)
    }

    /// The columns a header must have for this format, as the format names them.
    pub(super) fn required(&self) -> Vec<String> {
        let fixed: &[&str] = match self {
            Format::PgSimple => &["Transaction ID", "Merchant ID", "Amount", "Transaction Date", "Payment Method"],
            Format::PgV1 => &["transaction_id", "client_code", "paid_amount", "payment_mode", "trans_complete_date"],
            Format::PgV2 => &["pg_txn_id", "merchant_id", "amount_paise", "payment_method", "created_at"],
            Format::PgCaptured => &["pg_txn_id", "merchant_id", "order_id", "amount_paise", "captured_at"],
            Format::PgOrders => &["order_id", "txn_id", "gross_amount", "net_amount", "txn_date"],
            Format::PgExport => {
                &["transaction_id", "merchant_id", "amount_paise", "transaction_timestamp", "payment_method"]
            }
            Format::PgPayments => &["transaction_id", "merchant_id", "amount", "payment_mode", "status"],
            Format::BankSimple => &["Bank Reference", "Amount", "Transaction Date", "Debit/Credit"],
            Format::BankV1 => &["utr", "paid_amount", "trans_complete_date", "bank_name"],
            // The columns the layout reads a decision from are required too: without its status
            // column a failed line would be taken as money, without its charges the net as gross.
            Format::Mapping(m) => {
                let mut cols: Vec<String> =
                    [&m.reference_column, &m.gross_amount_column, &m.txn_date_column].into_iter().cloned().collect();
                cols.extend(m.status_column.iter().cloned());
                cols.extend(
                    m.charges_columns
                        .iter()
                        .flat_map(|c| c.split(',').map(|c| c.trim().to_string()))
                        .filter(|c| !c.is_empty()),
                );
                return cols;
            }
        };
        fixed.iter().map(|s| s.to_string()).collect()
    }
}

/// How long a layout's names may be, and how many charges columns it may list.
const NAME_MAX: usize = 80;
const COLUMN_MAX: usize = 100;
const CHARGES_MAX: usize = 10;

/// Every column a format reads (its required ones and the optional ones it names), as it names
/// them: the header a complete file of the format has.
fn named_columns(f: &Format) -> Vec<String> {
    match f {
        Format::BankSimple => [
            "Bank Reference",
            "Bank Name",
            "Amount",
            "Transaction Date",
            "Value Date",
            "UTR",
            "Remarks",
            "Debit/Credit",
        ]
        .map(String::from)
        .to_vec(),
        Format::BankV1 => ["utr", "rrn", "paid_amount", "trans_complete_date", "bank_name"].map(String::from).to_vec(),
        Format::Mapping(m) => {
            let mut cols = f.required();
            cols.extend(
                [
                    &m.net_amount_column,
                    &m.value_date_column,
                    &m.utr_column,
                    &m.rrn_column,
                    &m.direction_column,
                    &m.remarks_column,
                    &m.bank_name_column,
                ]
                .into_iter()
                .flatten()
                .cloned(),
            );
            cols
        }
        other => other.required(),
    }
}

/// Whether a complete file of `b` (every column it names) would be read as `a` or be ambiguous
/// between them: detection picks the layout needing the most columns among those that fit, and
/// refuses to choose between two needing as many.
fn claims(a: &Format, b: &Format) -> bool {
    let header: Vec<String> = named_columns(b).iter().map(|c| norm(c)).collect();
    let needs = a.required();
    needs.iter().all(|c| header.contains(&norm(c))) && needs.len() >= b.required().len()
}

/// Everything wrong with a bank layout an admin wrote, each in words (none: it may be stored).
/// `others`: every other stored layout, with whether it is active; `active`: whether this one is.
/// Besides each field's own rules, a layout's name must not be a built-in format's code or another
/// layout's name (an upload names a layout by it); it must not read customers' personal data; a
/// column whose name says its unit must agree with the layout's; and an active layout must not
/// claim the files of another active format, nor its files be claimed (detection would read them
/// by the wrong one, or could not choose).
pub fn layout_problems(m: &BankMapping, active: bool, others: &[(BankMapping, bool)]) -> Vec<String> {
    use crate::features::recon::model::DELIMITERS;
    let mut problems = Vec::new();
    let code_ok = (2..=16).contains(&m.bank_code.len())
        && m.bank_code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !code_ok {
        problems.push(format!(
            "The bank code {:?} must be 2 to 16 capital letters, digits or underscores (AXIS, HDFC, ANY).",
            m.bank_code.chars().take(20).collect::<String>()
        ));
    }
    let name = m.layout_name.trim();
    if name.chars().count() < 3 || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        problems.push(format!("The layout name must be 3 to {NAME_MAX} characters on one line."));
    } else if Format::built_in(&name.to_lowercase()).is_some()
        || [Format::BankSimple, Format::BankV1].iter().any(|f| f.name().to_lowercase() == name.to_lowercase())
    {
        problems.push(format!("{name:?} is the name of a built-in format: choose another name."));
    } else if let Some((other, _)) =
        others.iter().find(|(o, _)| o.layout_name.trim().to_lowercase() == name.to_lowercase())
    {
        problems.push(format!(
            "A layout of {} is already called {:?}: an upload names its layout by name, so names are unique.",
            other.bank_code, other.layout_name
        ));
    }
    if !matches!(m.file_type.as_str(), "csv" | "txt" | "xlsx") {
        problems.push("The file type must be csv, txt or xlsx.".into());
    }
    if !DELIMITERS.iter().any(|(d, _, _)| *d == m.delimiter) {
        let names: Vec<&str> = DELIMITERS.iter().map(|(_, _, label)| *label).collect();
        problems.push(format!("The delimiter must be one of: {}.", names.join(", ")));
    }
    if !(1..=50).contains(&m.header_row) {
        problems.push(format!("The header row {} must be between 1 and 50.", m.header_row));
    }
    if let Some(p) = super::dates::format_problem(&m.date_format) {
        problems.push(p);
    }
    // Every column the layout reads, with the field that names it.
    let charges_text = m.charges_columns.as_deref().unwrap_or("");
    let charges: Vec<&str> = charges_text.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
    if charges.len() > CHARGES_MAX || charges_text.chars().count() > CHARGES_MAX * (COLUMN_MAX + 1) {
        problems.push(format!("A layout lists at most {CHARGES_MAX} charges columns."));
        return problems;
    }
    let mut columns: Vec<(&str, &str)> = vec![
        ("reference", m.reference_column.as_str()),
        ("gross amount", m.gross_amount_column.as_str()),
        ("transaction date", m.txn_date_column.as_str()),
    ];
    for (field, column) in [
        ("net amount", &m.net_amount_column),
        ("value date", &m.value_date_column),
        ("UTR", &m.utr_column),
        ("RRN", &m.rrn_column),
        ("direction", &m.direction_column),
        ("remarks", &m.remarks_column),
        ("status", &m.status_column),
        ("bank name", &m.bank_name_column),
    ] {
        if let Some(c) = column.as_deref() {
            columns.push((field, c));
        }
    }
    columns.extend(charges.iter().map(|c| ("charges", *c)));
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (field, column) in &columns {
        let n = norm(column);
        if n.is_empty() {
            problems.push(format!(
                "The {field} column {} must have a letter or a digit in its name.",
                if column.trim().is_empty() {
                    "is required and".to_string()
                } else {
                    format!("{:?}", column.chars().take(40).collect::<String>())
                }
            ));
        } else if column.chars().count() > COLUMN_MAX || column.chars().any(char::is_control) {
            problems.push(format!("The {field} column's name must be at most {COLUMN_MAX} characters on one line."));
        } else if super::personal(column) {
            problems.push(format!(
                "{column:?} holds customers' personal data (an e-mail or a phone): a layout never reads it into the ledger."
            ));
        } else if let Some((_, first)) = seen.iter().find(|(s, _)| *s == n) {
            problems.push(format!(
                "{column:?} is named as both the {first} and the {field} column: each column is read for one thing."
            ));
        } else {
            seen.push((n, field));
        }
    }
    // A column whose name says its unit is read in that unit or not at all.
    let (unit, other) = if m.amounts_in_paise { ("paise", ["inr", "rupees"]) } else { ("rupees", ["paise", "paisa"]) };
    for (field, column) in columns.iter().filter(|(f, _)| matches!(*f, "gross amount" | "net amount" | "charges")) {
        let n = norm(column);
        if let Some(says) = other.iter().find(|o| n.ends_with(*o) && n.len() > o.len()) {
            problems.push(format!(
                "The {field} column {column:?} says its amounts are in {}, but the layout reads them in {unit}.",
                if *says == "inr" || *says == "rupees" { "rupees" } else { "paise" }
            ));
        }
    }
    if m.net_amount_column.is_some() && !charges.is_empty() {
        problems.push(
            "A layout reads the net credited from a net column or as the gross less charges columns, not both.".into(),
        );
    }
    if active && problems.is_empty() {
        let mine = Format::Mapping(Box::new(m.clone()));
        let rivals = [Format::BankSimple, Format::BankV1]
            .into_iter()
            .chain(others.iter().filter(|(_, a)| *a).map(|(o, _)| Format::Mapping(Box::new(o.clone()))));
        for rival in rivals {
            if claims(&mine, &rival) {
                problems.push(format!(
                    "Files of {} (columns {}) would be read by this layout or could not be told from it: name \
                     another column it needs that those files do not have, or make one of them inactive.",
                    rival.name(),
                    named_columns(&rival).join(", ")
                ));
            } else if claims(&rival, &mine) {
                problems.push(format!(
                    "Files of this layout would be read as {} (it needs {}) or could not be told from it: name \
                     another column this layout needs, or make one of them inactive.",
                    rival.name(),
                    rival.required().join(", ")
                ));
            }
        }
    }
    problems
}

/// A header name reduced to lower-case letters and digits (`Transaction ID` → `transactionid`).
pub(super) fn norm(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// `a` (already normalised) equals `b` once normalised, without allocating.
pub(super) fn same_column(a: &str, b: &str) -> bool {
    a.chars().eq(b.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase))
}

/// The format of a header row for a kind of file: `Err` lists what was expected.
pub(super) fn detect(kind: Kind, header: &[String], mappings: &[BankMapping]) -> Result<Format, String> {
    let names: Vec<String> = header.iter().map(|h| norm(h)).collect();
    let mut candidates: Vec<Format> = match kind {
        Kind::Pg => vec![
            Format::PgV2,
            Format::PgV1,
            Format::PgSimple,
            Format::PgCaptured,
            Format::PgOrders,
            Format::PgExport,
            Format::PgPayments,
        ],
        Kind::Bank => vec![Format::BankSimple, Format::BankV1],
    };
    if kind == Kind::Bank {
        candidates.extend(mappings.iter().cloned().map(|m| Format::Mapping(Box::new(m))));
    }
    // The most specific layout wins: the one that needs the most columns and finds them all. Two
    // equally specific ones are not guessed between.
    let fits: Vec<Format> =
        candidates.into_iter().filter(|f| f.required().iter().all(|c| names.contains(&norm(c)))).collect();
    let most = fits.iter().map(|f| f.required().len()).max().unwrap_or(0);
    let best: Vec<&Format> = fits.iter().filter(|f| f.required().len() == most).collect();
    if best.len() > 1 {
        let names: Vec<String> = best.iter().map(|f| f.name()).collect();
        return Err(format!("The header row fits {} alike: name the format on the form.", names.join(" and ")));
    }
    best.first()
        .map(|f| (*f).clone())
        .ok_or_else(|| {
            format!(
                "The header row is not a known {} layout. Expected one of: {}.",
                if kind == Kind::Pg { "PG" } else { "bank" },
                match kind {
                    Kind::Pg => "PG simple (Transaction ID, Merchant ID, Amount, …), PG V1 (transaction_id, client_code, paid_amount, …), PG V2 (pg_txn_id, amount_paise, …), PG V2 captured export (pg_txn_id, order_id, amount_paise, captured_at, …), PG order export (order_id, txn_id, gross_amount, net_amount, txn_date, …), PG transaction export (transaction_id, merchant_id, amount_paise, transaction_timestamp, …), PG payments (transaction_id, merchant_id, amount, payment_mode, status, …)".to_string(),
                    Kind::Bank => {
                        let mut s = "Bank simple (Bank Reference, Amount, Transaction Date, Debit/Credit, …), Bank V1 (utr, paid_amount, trans_complete_date, bank_name, …)".to_string();
                        for m in mappings {
                            s.push_str(&format!(", {} ({}, {}, {})", m.layout_name, m.reference_column, m.gross_amount_column, m.txn_date_column));
                        }
                        s
                    }
                }
            )
        })
}

/// The format of a file from its header: the one the user named (checked against the header),
/// else the detected one.
pub(super) fn resolve(
    kind: Kind,
    format: Option<Format>,
    header: &[String],
    mappings: &[BankMapping],
) -> Result<Format, String> {
    match format {
        Some(f) => {
            if f.kind() != kind {
                return Err(format!("{} is not a {} format.", f.name(), if kind == Kind::Pg { "PG" } else { "bank" }));
            }
            let missing: Vec<String> =
                f.required().into_iter().filter(|c| !header.iter().any(|h| norm(h) == norm(c))).collect();
            if !missing.is_empty() {
                return Err(format!("The header lacks the column(s) {} that {} needs.", missing.join(", "), f.name()));
            }
            Ok(f)
        }
        None => detect(kind, header, mappings),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{bank, bank_rows, pg, pg_rows};
    use super::*;
    use crate::money::Paise;

    #[test]
    fn pg_v1_and_v2_are_detected() {
        let v1 = "transaction_id,client_code,payee_amount,paid_amount,payment_mode,trans_complete_date,bank_name,utr,rrn,approval_code,transaction_status,bank_exclude_amount,settlement_amount\n\
                  SP1,M2,1000.00,1000.00,UPI,2026-11-20 10:00:00,HDFC,U1,R1,A1,SUCCESS,20.00,980.00\n";
        let p = pg(v1).unwrap();
        assert_eq!(p.format, Format::PgV1);
        let r = &pg_rows(&p)[0];
        assert_eq!(
            (r.amount, r.bank_fee, r.expected_settlement),
            (Paise(100000), Some(Paise(2000)), Some(Paise(98000)))
        );
        let v2 = "pg_txn_id,merchant_id,utr,amount_paise,fee_paise,tax_paise,net_paise,status,payment_method,bank,created_at,settled_at\n\
                  P1,M3,U9,150000,3000,540,146460,SUCCESS,CARD,ICICI,2026-11-20T09:30:00,\n";
        let p = pg(v2).unwrap();
        assert_eq!(p.format, Format::PgV2);
        assert_eq!(pg_rows(&p)[0].amount, Paise(150000));
        assert_eq!(pg_rows(&p)[0].expected_settlement, Some(Paise(146460)), "the file's net");
        // Without a net: the amount less the fee and the tax on it (GST 18 % of ₹30 = ₹5.40).
        let no_net = "pg_txn_id,merchant_id,utr,amount_paise,fee_paise,tax_paise,net_paise,status,payment_method,bank,created_at,settled_at\n\
                      P1,M3,U9,150000,3000,540,,SUCCESS,CARD,ICICI,2026-11-20T09:30:00,\n\
                      P2,M3,U8,150000,,,,SUCCESS,CARD,ICICI,2026-11-20T09:30:00,\n\
                      P3,M3,U7,1000,900,540,,SUCCESS,CARD,ICICI,2026-11-20T09:30:00,\n";
        let p = pg(no_net).unwrap();
        let rows = pg_rows(&p);
        assert_eq!(
            rows.iter().map(|r| (r.bank_fee, r.expected_settlement)).collect::<Vec<_>>(),
            [(Some(Paise(3000)), Some(Paise(146460))), (None, None)]
        );
        assert_eq!((p.errors.len(), p.errors[0].line), (1, 4), "fee and tax above the amount");
    }

    #[test]
    fn bank_layouts_including_the_axis_tilde_file() {
        let simple = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\nREF1,HDFC,500.00,2026-11-20,2026-11-21,U1,ok,CR\nREF2,HDFC,10,2026-11-20,,U2,fee,DEBIT\n";
        let p = bank(simple).unwrap();
        assert_eq!(p.format, Format::BankSimple);
        let rows = bank_rows(&p);
        assert_eq!((rows[0].amount, rows[0].credit, rows[1].credit), (Paise(50000), true, false));
        assert_eq!(rows[0].natural_key, "HDFC:REF1");
        let axis = "Tran Id~Amount~Tran Date~Value Date~UTR No~Cr/Dr~Particulars\nA1~1,000.00~20-11-2026~20-11-2026~axisutr1~CR~NEFT credit\n";
        let p = bank(axis).unwrap();
        assert_eq!(p.format.name(), "AXIS MIS (tilde .txt) (AXIS)");
        assert_eq!(bank_rows(&p)[0].amount, Paise(100000));
        let sftp = "TXNID,CREDIT_AMT,NET_CR_AMT,VALUE_DATE,UTR,RRN,AUTH,POST_DATE,BANK,STATUS,REMARKS\nX1,250.00,245.00,21-11-2026,U5,R5,A,20-11-2026,AXIS,OK,\n";
        let p = bank(sftp).unwrap();
        assert_eq!(p.format.name(), "AXIS SFTP settlement (AXIS)");
        let r = &bank_rows(&p)[0];
        assert_eq!(
            (r.amount, r.net, r.txn_date.to_string()),
            (Paise(25000), Some(Paise(24500)), "2026-11-20".to_string())
        );
    }

    use super::super::{parse_with, Records};

    fn read(kind: Kind, text: &str, options: &ReadOptions) -> super::super::Parsed {
        parse_with(text.as_bytes(), kind, None, &shipped_mappings(), options).unwrap()
    }

    fn cycle() -> ReadOptions {
        ReadOptions { cycle_date: NaiveDate::from_ymd_opt(2024, 1, 14), ..Default::default() }
    }

    #[test]
    fn the_old_systems_pg_layouts() {
        // 1. V2 without method or bank; RFC 3339 instants; `failed` is not a payment.
        let v2c = "pg_txn_id,merchant_id,order_id,amount_paise,fee_paise,tax_paise,status,captured_at,utr\n\
                   PG1,merch001,ORD1,12500000,125000,22500,captured,2024-01-14T10:15:00Z,AXISN1\n\
                   PG2,MERCH001,ORD2,8950050,,,failed,2024-01-14T20:22:00Z,AXISN2\n\
                   PG3,MERCH002,ORD3,6780000,67800,12204,captured,2024-01-14T20:35:00Z,AXISN3\n";
        let p = read(Kind::Pg, v2c, &ReadOptions::default());
        assert_eq!(p.format, Format::PgCaptured);
        let rows = pg_rows(&p);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].merchant_id.as_str(), rows[0].amount, rows[0].payment_method),
            ("MERCH001", Paise(12500000), "UNKNOWN")
        );
        assert_eq!(rows[0].expected_settlement, Some(Paise(12500000 - 125000 - 22500)));
        assert_eq!(rows[0].txn_at.to_string(), "2024-01-14 15:45:00", "10:15 UTC is 15:45 IST");
        assert_eq!(rows[1].txn_at.to_string(), "2024-01-15 02:05:00", "the IST date of the instant");
        assert_eq!(p.skipped.len(), 1);
        assert_eq!((p.skipped[0].line, p.skipped[0].reason.as_str()), (3, "status FAILED: not a payment"));

        // 2. Rupees, no merchant column: the form's merchant, or the whole file is refused.
        let orders = "order_id,txn_id,gross_amount,net_amount,txn_date,utr,rrn,approval_code,payment_date_time,bank_name\n\
                      ORD1,TXN1,\"1,25,000.00\",123525.00,2024-01-14 10:15:23,AXISN1,RRN1,APR1,2024-01-14 18:00:00,AXIS\n\
                      ORD2,TXN2,89500.50,88444.40,2024-01-14 10:22:45,AXISN2,RRN2,APR2,2024-01-14 18:00:00,AXIS\n";
        let refused = parse_with(orders.as_bytes(), Kind::Pg, None, &[], &ReadOptions::default()).unwrap_err();
        assert!(refused.contains("has no merchant column"), "{refused}");
        let with = ReadOptions { merchant: Some("MERCH_001".into()), ..Default::default() };
        let p = read(Kind::Pg, orders, &with);
        assert_eq!(p.format, Format::PgOrders);
        let rows = pg_rows(&p);
        assert_eq!((rows[0].txn_id.as_str(), rows[0].merchant_id.as_str()), ("TXN1", "MERCH_001"));
        assert_eq!((rows[0].amount, rows[0].expected_settlement), (Paise(12500000), Some(Paise(12352500))));
        assert_eq!((rows[1].amount, rows[1].rrn.as_deref()), (Paise(8950050), Some("RRN2")));

        // 3. Paise, with a date and an instant: the instant wins.
        let export = "transaction_id,merchant_id,amount_paise,currency,transaction_date,transaction_timestamp,payment_method,utr,rrn,status,bank_name\n\
                      TXN1,MERCH001,150000,INR,2025-10-01,2025-10-01T10:30:00Z,UPI,UTR1,RRN1,SUCCESS,AXIS\n\
                      TXN2,MERCH001,250000,INR,2025-10-01,,NETBANKING,UTR2,,SUCCESS,HDFC\n\
                      TXN3,MERCH003,145000,INR,2025-10-01,2025-10-01,19:30:00Z,UPI,UTR3,RRN3,SUCCESS,ICICI\n";
        let p = read(Kind::Pg, export, &ReadOptions::default());
        assert_eq!(p.format, Format::PgExport);
        let rows = pg_rows(&p);
        assert_eq!((rows[0].amount, rows[0].txn_at.to_string()), (Paise(150000), "2025-10-01 16:00:00".to_string()));
        assert_eq!(
            (rows[1].payment_method, rows[1].txn_at.to_string()),
            ("NETBANKING", "2025-10-01 00:00:00".to_string())
        );
        // The old file's own malformed row (a comma inside the timestamp) is refused, named.
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].line, 4);

        // 4. No date: the cycle date; whole-number amounts are rupees by definition, paise if chosen.
        let payments = "transaction_id,merchant_id,amount,utr,payment_mode,status,customer_email,customer_phone\n\
                        TXN001,MERCHANT_001,1000,UTR1,UPI,SUCCESS,a@example.com,9876543210\n\
                        TXN004,MERCHANT_001,1200,UTR4,UPI,FAILED,b@example.com,9876543213\n\
                        TXN005,MERCHANT_003,3000,UTR5,RTGS,SUCCESS,c@example.com,9876543214\n";
        let p = read(Kind::Pg, payments, &cycle());
        assert_eq!(p.format, Format::PgPayments);
        let rows = pg_rows(&p);
        assert_eq!((rows[0].amount, rows[1].amount), (Paise(100000), Paise(300000)));
        assert_eq!(rows[0].txn_at.to_string(), "2024-01-14 00:00:00");
        assert_eq!(p.skipped.len(), 1);
        let paise = ReadOptions { unit: Some(AmountUnit::Paise), ..cycle() };
        assert_eq!(pg_rows(&read(Kind::Pg, payments, &paise))[0].amount, Paise(1000));
        assert_eq!(Format::PgPayments.amount_unit(), (AmountUnit::Rupees, true));
        // A layout whose column names its unit cannot be read in the other.
        let wrong = ReadOptions { unit: Some(AmountUnit::Rupees), ..Default::default() };
        let refused = parse_with(export.as_bytes(), Kind::Pg, None, &[], &wrong).unwrap_err();
        assert!(refused.contains("amount_paise is in paise"), "{refused}");
    }

    #[test]
    fn the_old_systems_bank_layouts() {
        let bank = |text: &str, options: &ReadOptions| read(Kind::Bank, text, options);
        let rows_of = |p: &super::super::Parsed| match &p.records {
            Records::Bank(r) => r.clone(),
            Records::Pg(_) => unreachable!(),
        };
        // 5. AXIS recon export: rupees, `14-Jan-24` dates, FAILED lines skipped.
        let axis = "TXN_REF,UTR_NO,TXN_TYPE,AMOUNT_INR,CHARGES_INR,GST_INR,NET_AMOUNT_INR,TXN_STATUS,TXN_DATE_TIME,SETTLEMENT_DATE,MERCHANT_REF,REMARKS\n\
                    AXISBNK001,AXISN1,NEFT,125000.00,1250.00,225.00,123525.00,SUCCESS,14-Jan-24 10:15:23,14-Jan-24,MERCH001,Settled\n\
                    AXISBNK005,AXISN5,NEFT,98750.00,987.50,177.75,97584.75,FAILED,14-Jan-24 11:00:15,14-Jan-24,MERCH003,Failed - Insufficient funds\n";
        let p = bank(axis, &ReadOptions::default());
        assert_eq!(p.format.name(), "AXIS recon export (AXIS)");
        let r = &rows_of(&p)[0];
        assert_eq!(
            (r.amount, r.net, r.txn_date.to_string()),
            (Paise(12500000), Some(Paise(12352500)), "2024-01-14".into())
        );
        assert_eq!(
            (r.utr.as_deref(), r.value_date.map(|d| d.to_string())),
            (Some("AXISN1"), Some("2024-01-14".into()))
        );
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].reason, "the bank reports it FAILED: no money moved");

        // 6. ICICI NEFT: `14-Jan-24 10:22:05`.
        let icici = "TXN_ID,UTR,AMOUNT_INR,FEE_INR,GST_INR,STATUS,TXN_DATE\n\
                     TXN1,ICICINEFT1,89500.50,895.00,161.10,SUCCESS,14-Jan-24 10:35:12\n";
        let p = bank(icici, &ReadOptions::default());
        assert_eq!(p.format.name(), "ICICI NEFT report (ICICI)");
        assert_eq!((rows_of(&p)[0].amount, rows_of(&p)[0].txn_date.to_string()), (Paise(8950050), "2024-01-14".into()));

        // 7. The minimal SFTP drop: whole numbers are paise by its definition, rupees if chosen.
        let drop = "TRANSACTION_ID,UTR,AMOUNT,DATE\nTXN20250914001,UTR20250914001,150000,2025-09-14\n";
        let p = bank(drop, &ReadOptions::default());
        assert_eq!(p.format.name(), "AXIS SFTP drop (AXIS)");
        assert_eq!(rows_of(&p)[0].amount, Paise(150000));
        assert_eq!(p.format.amount_unit(), (AmountUnit::Paise, true));
        let rupees = ReadOptions { unit: Some(AmountUnit::Rupees), ..Default::default() };
        assert_eq!(rows_of(&bank(drop, &rupees))[0].amount, Paise(15000000));

        // 8. Credits export: rupees, the bank per line.
        let credits = "utr,bank_name,amount,credited_at,cycle_date,bank_reference\n\
                       UTR12345001,AXIS BANK,1000,2025-09-18 10:30:00,2025-09-18,AXISREF001\n\
                       UTR12345003,icici bank,750,2025-09-18 12:45:00,2025-09-18,ICICIREF003\n";
        let p = bank(credits, &ReadOptions::default());
        assert_eq!(p.format.name(), "Bank credits export (ANY)");
        let rows = rows_of(&p);
        assert_eq!((rows[0].amount, rows[0].bank_name.as_str()), (Paise(100000), "AXIS BANK"));
        assert_eq!(
            (rows[1].amount, rows[1].bank_name.as_str(), rows[1].natural_key.as_str()),
            (Paise(75000), "ICICI BANK", "ICICI BANK:ICICIREF003")
        );

        // 9. Statement export in paise, with a direction.
        let stmt = "bank_ref,bank_name,amount_paise,transaction_date,value_date,utr,remarks,debit_credit\n\
                    BANK1,AXIS,150000,2025-10-01,2025-10-01,UTR1,Payment received,CREDIT\n\
                    BANK2,HDFC,2500,2025-10-01,2025-10-02,UTR2,Charges,DEBIT\n";
        let p = bank(stmt, &ReadOptions::default());
        assert_eq!(p.format.name(), "Bank statement export (paise) (ANY)");
        let rows = rows_of(&p);
        assert_eq!((rows[0].amount, rows[0].credit, rows[1].credit), (Paise(150000), true, false));
        assert_eq!(rows[1].value_date.map(|d| d.to_string()), Some("2025-10-02".into()));
        let refused = parse_with(stmt.as_bytes(), Kind::Bank, None, &shipped_mappings(), &rupees).unwrap_err();
        assert!(refused.contains("cannot be read as rupees"), "{refused}");
    }

    #[test]
    fn a_header_two_layouts_fit_alike_is_not_guessed() {
        let both =
            "transaction_id,merchant_id,amount_paise,transaction_timestamp,payment_method,amount,payment_mode,status\n\
                    T1,M1,100,2026-11-20T10:00:00Z,UPI,1.00,UPI,SUCCESS\n";
        let e = parse_with(both.as_bytes(), Kind::Pg, None, &[], &ReadOptions::default()).unwrap_err();
        assert!(e.contains("PG transaction export and PG payments (no date) alike"), "{e}");
        let named =
            parse_with(both.as_bytes(), Kind::Pg, Some(Format::PgExport), &[], &ReadOptions::default()).unwrap();
        assert_eq!(pg_rows(&named)[0].amount, Paise(100));
        // A layout's status and charges columns are required: without them a failed line or the
        // charges would be misread.
        let icici = "TXN_ID,UTR,AMOUNT_INR,TXN_DATE\nT1,U1,10.00,14-Jan-24 10:00:00\n";
        let e =
            parse_with(icici.as_bytes(), Kind::Bank, None, &shipped_mappings(), &ReadOptions::default()).unwrap_err();
        assert!(e.contains("not a known bank layout"), "{e}");
        // A net above the gross is refused.
        let axis = "TXN_REF,UTR_NO,TXN_TYPE,AMOUNT_INR,CHARGES_INR,GST_INR,NET_AMOUNT_INR,TXN_STATUS,TXN_DATE_TIME,SETTLEMENT_DATE,MERCHANT_REF,REMARKS\n\
                    R1,U1,NEFT,100.00,0,0,100.01,SUCCESS,14-Jan-24 10:15:23,14-Jan-24,M,ok\n";
        let p = read(
            Kind::Bank,
            &format!("{axis}R2,U2,NEFT,100.00,1.00,0.18,98.82,SUCCESS,14-Jan-24 10:15:23,14-Jan-24,M,ok\n"),
            &ReadOptions::default(),
        );
        assert_eq!((p.errors.len(), p.errors[0].line, p.errors[0].column.as_deref()), (1, 2, Some("NET_AMOUNT_INR")));
        // A file without dates needs the cycle date; one without merchants, the merchant.
        let payments = "transaction_id,merchant_id,amount,utr,payment_mode,status\nT1,M1,10,U1,UPI,SUCCESS\n";
        let e = parse_with(payments.as_bytes(), Kind::Pg, None, &[], &ReadOptions::default()).unwrap_err();
        assert!(e.contains("has no date column"), "{e}");
        let orders = "order_id,txn_id,gross_amount,net_amount,txn_date\nO1,T1,10.00,9.80,2024-01-14\n";
        let e = parse_with(orders.as_bytes(), Kind::Pg, None, &[], &ReadOptions::default()).unwrap_err();
        assert!(e.contains("has no merchant column"), "{e}");
        // …and a PG row's expected settlement is part of its amount, never more.
        let with = ReadOptions { merchant: Some("M1".into()), ..Default::default() };
        let p = read(Kind::Pg, &format!("{orders}O2,T2,10.00,10.01,2024-01-14\n"), &with);
        assert_eq!((pg_rows(&p).len(), p.errors.len(), p.errors[0].line), (1, 1, 3));
        assert!(p.errors[0].message.contains("more than the amount"));
    }

    #[test]
    fn the_shipped_layouts_keep_the_rules_an_admins_must() {
        let shipped = shipped_mappings();
        for (i, m) in shipped.iter().enumerate() {
            let others: Vec<(BankMapping, bool)> =
                shipped.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, o)| (o.clone(), true)).collect();
            assert_eq!(layout_problems(m, true, &others), Vec::<String>::new(), "{}", m.layout_name);
        }
    }

    #[test]
    fn a_written_layout_is_refused_in_words() {
        let shipped: Vec<(BankMapping, bool)> = shipped_mappings().into_iter().map(|m| (m, true)).collect();
        let axis = shipped.iter().find(|(m, _)| m.layout_name == "AXIS recon export").unwrap().0.clone();
        let fresh =
            BankMapping { layout_name: "Kotak daily credits".into(), bank_code: "KOTAK".into(), ..axis.clone() };
        let problems = |m: &BankMapping, active: bool| layout_problems(m, active, &shipped).join(" | ");
        // Needs exactly the columns of AXIS recon export: detection could not tell them apart…
        assert!(problems(&fresh, true).contains("Files of AXIS recon export (AXIS)"), "{}", problems(&fresh, true));
        // …nor may it need more of the columns those files have: it would take them over.
        let takeover = BankMapping {
            net_amount_column: None,
            charges_columns: Some("REMARKS".into()),
            remarks_column: None,
            ..fresh.clone()
        };
        assert!(
            problems(&takeover, true).contains("Files of AXIS recon export (AXIS)"),
            "{}",
            problems(&takeover, true)
        );
        // Its own files must not be read by another: Bank simple's columns are all here.
        let simple = BankMapping {
            reference_column: "Bank Reference".into(),
            gross_amount_column: "Amount".into(),
            txn_date_column: "Transaction Date".into(),
            direction_column: Some("Debit/Credit".into()),
            status_column: None,
            net_amount_column: None,
            value_date_column: None,
            utr_column: None,
            remarks_column: None,
            ..fresh.clone()
        };
        assert!(problems(&simple, true).contains("would be read as Bank simple"), "{}", problems(&simple, true));
        // …unless one is inactive, or it needs one more column.
        assert_eq!(problems(&fresh, false), "");
        let more = BankMapping {
            bank_name_column: None,
            charges_columns: None,
            rrn_column: Some("RRN".into()),
            ..fresh.clone()
        };
        assert!(problems(&more, true).contains("could not be told"), "an optional column does not set it apart");
        let apart = BankMapping { status_column: Some("STATE".into()), ..fresh.clone() };
        assert_eq!(problems(&apart, true), "");
        for (bad, says) in [
            (BankMapping { bank_code: "kotak".into(), ..apart.clone() }, "capital letters"),
            (BankMapping { layout_name: "ICICI neft REPORT".into(), ..apart.clone() }, "already called"),
            (BankMapping { layout_name: "pg_v2".into(), ..apart.clone() }, "built-in format"),
            (BankMapping { layout_name: "Bank Simple".into(), ..apart.clone() }, "built-in format"),
            (BankMapping { layout_name: "x".into(), ..apart.clone() }, "3 to 80"),
            (BankMapping { file_type: "pdf".into(), ..apart.clone() }, "csv, txt or xlsx"),
            (BankMapping { delimiter: b'"', ..apart.clone() }, "comma (,), semicolon"),
            (BankMapping { header_row: 0, ..apart.clone() }, "between 1 and 50"),
            (BankMapping { date_format: "%d-%m".into(), ..apart.clone() }, "day, a month and a year"),
            (BankMapping { reference_column: " ".into(), ..apart.clone() }, "reference column is required"),
            (
                BankMapping { utr_column: Some("txn ref".into()), ..apart.clone() },
                "both the reference and the UTR column",
            ),
            (BankMapping { charges_columns: Some("FEE".into()), ..apart.clone() }, "not both"),
            (BankMapping { remarks_column: Some("Customer Email".into()), ..apart.clone() }, "personal data"),
            (BankMapping { utr_column: Some("mobile_no".into()), ..apart.clone() }, "personal data"),
            (
                BankMapping { gross_amount_column: "AMOUNT_PAISE".into(), ..apart.clone() },
                "in paise, but the layout reads them in rupees",
            ),
            (
                BankMapping { net_amount_column: Some("NET_INR".into()), amounts_in_paise: true, ..apart.clone() },
                "in rupees, but the layout reads them in paise",
            ),
            (
                BankMapping {
                    net_amount_column: None,
                    charges_columns: Some("A,B,C,D,E,F,G,H,I,J,K".into()),
                    ..apart.clone()
                },
                "at most 10",
            ),
        ] {
            let p = problems(&bad, true);
            assert!(p.contains(says), "{says}: {p}");
        }
    }

    #[test]
    fn a_header_of_no_layout_lists_them_all() {
        let e = parse_with("a,b,c\n1,2,3\n".as_bytes(), Kind::Pg, None, &[], &ReadOptions::default()).unwrap_err();
        for name in ["PG simple", "PG V2 captured export", "PG order export", "PG transaction export", "PG payments"] {
            assert!(e.contains(name), "{name} in {e}");
        }
        let e = parse_with("a,b,c\n1,2,3\n".as_bytes(), Kind::Bank, None, &shipped_mappings(), &ReadOptions::default())
            .unwrap_err();
        for name in [
            "AXIS recon export",
            "ICICI NEFT report",
            "AXIS SFTP drop",
            "Bank credits export",
            "Bank statement export (paise)",
        ] {
            assert!(e.contains(name), "{name} in {e}");
        }
    }
}
