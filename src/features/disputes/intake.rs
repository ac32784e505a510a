//! How cases arrive: acquirer CSV files (idempotent on network + network case id, a report of
//! inserted / duplicate / rejected rows with line numbers) and signed network webhooks (HMAC-SHA256
//! over the raw body, replays change nothing). Parsing and signature checks are pure.

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::commands::{self, Actor, NewCase};
use super::rules;
use crate::config::DISPUTE_NETWORKS;
use crate::domain::stored_ref;
use crate::error::AppError;
use crate::ist;
use crate::money::Paise;

/// A refused row: line as a spreadsheet shows it (the header is line 1), column, reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// What an import did; also the JSON API's answer to a script (`POST /v1/chargebacks/import`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub inserted: i64,
    pub duplicates: i64,
    pub rejected: i64,
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// One sentence for the page: counts and the first errors.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Import finished: {} inserted, {} duplicates, {} rejected.",
            self.inserted, self.duplicates, self.rejected
        );
        for e in self.errors.iter().take(5) {
            s.push_str(&format!(
                " Line {}{}: {}.",
                e.line,
                e.column.as_ref().map(|c| format!(" ({c})")).unwrap_or_default(),
                e.message
            ));
        }
        if self.errors.len() > 5 {
            s.push_str(&format!(" …and {} more (the API lists them all).", self.errors.len() - 5));
        }
        s
    }
}

/// The columns of an acquirer file, by their normalised header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    NetworkCaseId,
    Network,
    MerchantId,
    MerchantName,
    TxnRef,
    Rrn,
    Utr,
    Amount,
    ReasonCode,
    Reason,
    ChargebackDate,
    DueDate,
}

impl Column {
    fn from_header(header: &str) -> Option<Column> {
        let key: String = header.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        Some(match key.as_str() {
            "caseref" | "networkcaseid" | "caseid" | "casereference" | "caserefnetworkcaseid" => Column::NetworkCaseId,
            "network" | "acquirer" | "scheme" => Column::Network,
            "merchantid" | "mid" => Column::MerchantId,
            "merchantname" | "merchant" => Column::MerchantName,
            "txnref" | "transactionid" | "txnid" | "transactionref" => Column::TxnRef,
            "rrn" => Column::Rrn,
            "utr" => Column::Utr,
            "amount" | "amountinrupees" | "amountrupees" | "amountinr" | "chargebackamount" => Column::Amount,
            "reasoncode" => Column::ReasonCode,
            "reason" | "reasondescription" => Column::Reason,
            "chargebackdate" | "receiveddate" | "date" | "cbdate" => Column::ChargebackDate,
            "duedate" | "evidenceduedate" | "responsedue" => Column::DueDate,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Column::NetworkCaseId => "network case id",
            Column::Network => "network",
            Column::MerchantId => "merchant id",
            Column::MerchantName => "merchant name",
            Column::TxnRef => "txn ref",
            Column::Rrn => "RRN",
            Column::Utr => "UTR",
            Column::Amount => "amount",
            Column::ReasonCode => "reason code",
            Column::Reason => "reason",
            Column::ChargebackDate => "chargeback date",
            Column::DueDate => "due date",
        }
    }
}

const REQUIRED: [Column; 5] =
    [Column::NetworkCaseId, Column::MerchantId, Column::Amount, Column::ReasonCode, Column::ChargebackDate];

/// `2026-11-20`, `20-11-2026`, `20/11/2026`, `20-Nov-2026`, `20 Nov 2026`: a four-digit year from
/// [`crate::ist::FIRST_YEAR`] to [`crate::ist::LAST_YEAR`]. chrono's `%Y` also reads one to three
/// digits, so `20-11-26` would otherwise be 26 Nov of the year 20.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    use chrono::Datelike;
    let t = text.trim();
    for format in ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d-%b-%Y", "%d %b %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, format) {
            if (crate::ist::FIRST_YEAR..=crate::ist::LAST_YEAR).contains(&d.year()) {
                return Ok(d);
            }
        }
    }
    Err(format!(
        "{t:?} is not a date from {} to {} (use YYYY-MM-DD or DD-MM-YYYY, with a four-digit year)",
        crate::ist::FIRST_YEAR,
        crate::ist::LAST_YEAR
    ))
}

fn network_of(text: &str) -> Result<String, String> {
    let n = text.trim().to_ascii_uppercase();
    if DISPUTE_NETWORKS.contains(&n.as_str()) {
        Ok(n)
    } else {
        Err(format!("{:?} is not a network ({})", text.trim(), DISPUTE_NETWORKS.join(", ")))
    }
}

/// A parsed file: the rows that can be inserted (with their line) and the refused ones.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub cases: Vec<(u64, NewCase)>,
    pub errors: Vec<RowError>,
}

/// Parse an acquirer chargeback file. `network` applies to rows without a network column.
/// A file-level problem (not UTF-8, no header, missing required columns) is an `Err`.
pub fn parse_file(bytes: &[u8], network: Option<&str>) -> Result<ParsedFile, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| format!("The file is not UTF-8 text (byte {}).", e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or("");
    if header_line.trim().is_empty() {
        return Err("The file is empty; the first line must be the header.".into());
    }
    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| header_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let default_network = match network.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(network_of(n)?),
        None => None,
    };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("The header row cannot be read: {e}"))?.clone();
    let columns: Vec<Option<Column>> = headers.iter().map(Column::from_header).collect();
    let missing: Vec<&str> = REQUIRED.iter().filter(|c| !columns.contains(&Some(**c))).map(|c| c.label()).collect();
    if !missing.is_empty() {
        return Err(format!("The header lacks the column(s): {}.", missing.join(", ")));
    }
    if default_network.is_none() && !columns.contains(&Some(Column::Network)) {
        return Err("The file has no network column; choose the network the file came from.".into());
    }

    // The header's width up to its last named column (a header ending in a delimiter has an
    // empty one after it, which rows may fill with nothing).
    let named_width = headers.iter().enumerate().filter(|(_, h)| !h.trim().is_empty()).last().map_or(0, |(i, _)| i + 1);
    let mut parsed = ParsedFile::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                parsed.errors.push(RowError { line, column: None, message: format!("unreadable row: {e}") });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        // More fields than the header: an unquoted delimiter inside a value, such as `1,234.50`,
        // has shifted the columns after it. Refused rather than read into the wrong columns: a
        // row longer than the header, even by an empty field (`…,1,234.50,` under
        // `…,Amount,Reason` would otherwise be ₹1 with the reason "234.50"), and a row with a
        // value beyond the header's last named column (a header ending in a delimiter).
        let filled = record.iter().enumerate().filter(|(_, f)| !f.trim().is_empty()).last().map_or(0, |(i, _)| i + 1);
        if record.len() > headers.len() || filled > named_width {
            parsed.errors.push(RowError {
                line,
                column: None,
                message: format!(
                    "has {} fields where the header has {named_width}: quote a value that holds the delimiter (such as an amount written 1,234.50)",
                    record.len().max(filled)
                ),
            });
            continue;
        }
        let get = |col: Column| -> Option<String> {
            columns
                .iter()
                .position(|c| *c == Some(col))
                .and_then(|i| record.get(i))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("null") && !v.eq_ignore_ascii_case("n/a"))
        };
        match parse_row(&get, default_network.as_deref()) {
            Ok(case) => parsed.cases.push((line, case)),
            Err((column, message)) => {
                parsed.errors.push(RowError { line, column: Some(column.label().to_string()), message })
            }
        }
    }
    Ok(parsed)
}

fn parse_row(
    get: &dyn Fn(Column) -> Option<String>,
    default_network: Option<&str>,
) -> Result<NewCase, (Column, String)> {
    let required = |col: Column| get(col).ok_or((col, "is empty".to_string()));
    let acquirer = match get(Column::Network) {
        Some(n) => network_of(&n).map_err(|m| (Column::Network, m))?,
        None => default_network.map(str::to_string).ok_or((Column::Network, "is empty".to_string()))?,
    };
    let network_case_id = required(Column::NetworkCaseId)?;
    let merchant_id = required(Column::MerchantId)?.to_ascii_uppercase();
    let amount = Paise::parse_rupees(&required(Column::Amount)?).map_err(|m| (Column::Amount, m))?;
    if amount.0 <= 0 {
        return Err((Column::Amount, "must be more than zero".into()));
    }
    let received = parse_date(&required(Column::ChargebackDate)?).map_err(|m| (Column::ChargebackDate, m))?;
    let due = get(Column::DueDate).map(|d| parse_date(&d)).transpose().map_err(|m| (Column::DueDate, m))?;
    if due.is_some_and(|d| d < received) {
        return Err((Column::DueDate, "is before the chargeback date".into()));
    }
    for (col, value) in [(Column::NetworkCaseId, &network_case_id), (Column::MerchantId, &merchant_id)] {
        if value.chars().count() > 64 || value.starts_with(['=', '+', '-', '@']) {
            return Err((col, format!("{value:?} is not a valid identifier")));
        }
    }
    Ok(NewCase {
        acquirer,
        network_case_id,
        merchant_id,
        merchant_name: get(Column::MerchantName),
        txn_ref: get(Column::TxnRef),
        // UTR and RRN as uploads store a transaction's, so the link finds them by equality.
        rrn: get(Column::Rrn).and_then(|r| stored_ref(&r)),
        utr: get(Column::Utr).and_then(|u| stored_ref(&u)),
        amount,
        fees: Paise::ZERO,
        reason_code: required(Column::ReasonCode)?,
        reason_description: get(Column::Reason).unwrap_or_default(),
        received_at: ist::start_of_day(received),
        evidence_due_at: due.map(commands::deadline_on),
    })
}

/// Import a file in one transaction: valid rows are inserted (or counted as duplicates), refused
/// rows are reported; a database failure rolls the whole file back.
pub async fn import_file(
    pool: &PgPool,
    actor: &Actor,
    bytes: &[u8],
    network: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ImportReport, AppError> {
    let parsed = parse_file(bytes, network).map_err(AppError::BadRequest)?;
    let mut report = ImportReport { errors: parsed.errors, ..Default::default() };
    let mut tx = pool.begin().await?;
    let mut created = Vec::new();
    for (line, case) in &parsed.cases {
        match commands::insert_case(&mut tx, case, now).await {
            Ok(Some(case)) => created.push(case),
            Ok(None) => report.duplicates += 1,
            Err(AppError::BadRequest(message)) => {
                report.errors.push(RowError { line: *line, column: None, message });
            }
            Err(other) => return Err(other),
        }
    }
    report.inserted = created.len() as i64;
    // The audit rows after the last insert (see `commands::record_created`).
    for case in created {
        commands::record_created(&mut tx, actor, case).await?;
    }
    tx.commit().await?;
    report.errors.sort_by_key(|e| e.line);
    report.rejected = report.errors.len() as i64;
    Ok(report)
}

type HmacSha256 = Hmac<Sha256>;

/// Check `sha256=<hex>` (or bare hex) against HMAC-SHA256 of the raw body, in constant time.
pub fn verify_signature(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(given) = header.map(str::trim) else {
        return false;
    };
    let hex_part = given.strip_prefix("sha256=").unwrap_or(given);
    let Ok(given) = hex::decode(hex_part) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The signature a sender computes (used by tests and the docs' example).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookCase {
    network_case_id: String,
    merchant_id: String,
    txn_ref: Option<String>,
    rrn: Option<String>,
    utr: Option<String>,
    amount_paise: i64,
    #[serde(default)]
    fees_paise: i64,
    reason_code: String,
    #[serde(default)]
    reason: String,
    received_at: DateTime<Utc>,
    evidence_due_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum WebhookEvent {
    #[serde(rename = "chargeback.created")]
    Created {
        #[serde(rename = "eventId")]
        event_id: String,
        case: WebhookCase,
    },
    #[serde(rename = "chargeback.resolved")]
    Resolved {
        #[serde(rename = "eventId")]
        event_id: String,
        #[serde(rename = "networkCaseId")]
        network_case_id: String,
        decision: String,
    },
}

/// What a verified webhook event did; the body of the webhook's `200`:
/// `{"status": "duplicate", "eventId"}` for a replay, else `{"status": "applied", "eventId",
/// "chargebackId"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum WebhookOutcome {
    /// The event id was seen before: nothing changed.
    Duplicate { event_id: String },
    /// The event created or resolved the case `chargeback_id`.
    Applied { event_id: String, chargeback_id: Uuid },
}

/// Handle one verified webhook body for `network`.
pub async fn handle_webhook(
    pool: &PgPool,
    network: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<WebhookOutcome, AppError> {
    let event: WebhookEvent = serde_json::from_slice(body).map_err(|e| {
        AppError::BadRequest(format!("The event is not a chargeback.created or chargeback.resolved event: {e}"))
    })?;
    let actor = Actor::System { channel: format!("webhook:{network}") };
    let (event_id, event_type) = match &event {
        WebhookEvent::Created { event_id, .. } => (event_id.clone(), "chargeback.created"),
        WebhookEvent::Resolved { event_id, .. } => (event_id.clone(), "chargeback.resolved"),
    };
    if event_id.trim().is_empty() || event_id.len() > 200 {
        return Err(AppError::BadRequest("eventId must be a non-empty string of at most 200 characters.".into()));
    }
    let mut tx = pool.begin().await?;
    let fresh = sqlx::query!(
        "INSERT INTO dispute_webhook_events (network, event_id, event_type, body_sha256, received_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (network, event_id) DO NOTHING",
        network,
        &event_id,
        event_type,
        hex::encode(Sha256::digest(body)),
        now as DateTime<Utc>
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(WebhookOutcome::Duplicate { event_id });
    }
    let case_id: Uuid = match event {
        WebhookEvent::Created { case, .. } => {
            if case.amount_paise <= 0 || case.fees_paise < 0 {
                return Err(AppError::BadRequest("amountPaise must be positive and feesPaise not negative.".into()));
            }
            let new_case = NewCase {
                acquirer: network.to_string(),
                network_case_id: case.network_case_id.trim().to_string(),
                merchant_id: case.merchant_id.trim().to_ascii_uppercase(),
                merchant_name: None,
                txn_ref: case.txn_ref,
                rrn: case.rrn.as_deref().and_then(stored_ref),
                utr: case.utr.as_deref().and_then(stored_ref),
                amount: Paise(case.amount_paise),
                fees: Paise(case.fees_paise),
                reason_code: case.reason_code,
                reason_description: case.reason,
                received_at: case.received_at,
                evidence_due_at: case.evidence_due_at,
            };
            match commands::create_case(&mut tx, &actor, &new_case, now).await? {
                Some(id) => id,
                None => find_case(&mut tx, network, &new_case.network_case_id).await?,
            }
        }
        WebhookEvent::Resolved { network_case_id, decision, .. } => {
            let id = find_case(&mut tx, network, &network_case_id).await?;
            // Locked before deciding: a user's move committed meanwhile is seen, not overwritten.
            let state = sqlx::query!("SELECT stage, status, outcome FROM chargebacks WHERE id = $1 FOR UPDATE", id)
                .fetch_one(&mut *tx)
                .await?;
            let from = rules::ui_status(&state.stage, &state.status, &state.outcome).ok_or(AppError::Internal)?;
            let decision = decision.to_ascii_uppercase();
            // The case already closed the way the network decided (ops recorded it first): the
            // event is recorded and changes nothing, so the network does not retry it.
            if !rules::already_decided(from, &decision) {
                let to = rules::network_resolution(from, &decision).map_err(AppError::Conflict)?;
                commands::change_status_in(
                    &mut tx,
                    &actor,
                    id,
                    to,
                    Some(&format!("{network} decision: {decision}")),
                    now,
                )
                .await?;
            }
            id
        }
    };
    sqlx::query!(
        "UPDATE dispute_webhook_events SET chargeback_id = $3 WHERE network = $1 AND event_id = $2",
        network,
        &event_id,
        case_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(WebhookOutcome::Applied { event_id, chargeback_id: case_id })
}

async fn find_case(conn: &mut sqlx::PgConnection, network: &str, network_case_id: &str) -> Result<Uuid, AppError> {
    let row = sqlx::query_scalar!(
        "SELECT id FROM chargebacks WHERE acquirer = $1 AND network_case_id = $2",
        network,
        network_case_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(|| AppError::NotFound(format!("No {network} case {network_case_id}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "Case Ref,Merchant ID,Merchant Name,Txn Ref,RRN,UTR,Amount,Reason Code,Reason,Chargeback Date,Due Date";

    #[test]
    fn a_good_file_parses_with_exact_paise_and_ist_dates() {
        let file = format!(
            "\u{feff}{HEADER}\nVCR1,merch_001,Flipkart,TXN1,123456789012,utr 1,\"₹1,234.50\",10.4,,2026-11-20,27-11-2026\n"
        );
        let parsed = parse_file(file.as_bytes(), Some("visa")).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let (line, case) = &parsed.cases[0];
        assert_eq!(*line, 2);
        assert_eq!(case.acquirer, "VISA");
        assert_eq!(case.merchant_id, "MERCH_001");
        assert_eq!(case.amount, Paise(123450));
        assert_eq!(case.utr.as_deref(), Some("UTR1"));
        assert_eq!(case.received_at, ist::start_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
        assert_eq!(ist::date_of(case.evidence_due_at.unwrap()), NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_column() {
        // Line 3 has a quoted newline inside the reason, so the next record starts on line 5.
        let file = format!(
            "{HEADER}\nA1,M1,,,,,-5,10.4,,2026-11-20,\nA2,M1,,,,,10,10.4,\"two\nlines\",2026-11-20,\nA3,M1,,,,,10,10.4,,2026-02-30,\nA4,M1,,,,,10,10.4,,2026-11-20,2026-11-01\n,M1,,,,,10,10.4,,2026-11-20,\n"
        );
        let parsed = parse_file(file.as_bytes(), Some("VISA")).unwrap();
        assert_eq!(parsed.cases.len(), 1);
        assert_eq!(parsed.cases[0].0, 3);
        let lines: Vec<(u64, Option<&str>)> = parsed.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(
            lines,
            vec![
                (2, Some("amount")),
                (5, Some("chargeback date")),
                (6, Some("due date")),
                (7, Some("network case id"))
            ]
        );
        assert!(parsed.errors[0].message.contains("negative"));
    }

    #[test]
    fn two_digit_years_and_shifted_rows_are_refused_with_their_line() {
        // chrono's %Y reads `26` as the year 26: each of these would have been a date 2,000 years ago.
        for text in ["20-11-26", "05/11/26", "20-Nov-26", "26-11-20", "0026-11-20"] {
            assert!(parse_date(text).unwrap_err().contains("four-digit year"), "{text}");
        }
        assert_eq!(parse_date("20-Nov-2026"), Ok(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
        // S1: an unquoted `1,234.50` shifts every column after it: refused, not read as ₹1. S3: a
        // row longer than the header by an empty field is refused too; it cannot be told from a
        // shift into an empty last column (S5 below). S2: a two-digit year. S4 is good.
        let file = format!(
            "{HEADER}\nS1,M1,,,,,1,234.50,10.4,,2026-11-20,2026-11-28\nS2,M1,,,,,10,10.4,,20-11-26,\nS3,M1,,,,,10,10.4,,2026-11-20,,\nS4,M1,,,,,10,10.4,,2026-11-20,\n"
        );
        let parsed = parse_file(file.as_bytes(), Some("VISA")).unwrap();
        let lines: Vec<(u64, Option<&str>)> = parsed.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(lines, vec![(2, None), (3, Some("chargeback date")), (4, None)]);
        for error in [&parsed.errors[0], &parsed.errors[2]] {
            assert!(error.message.contains("has 12 fields where the header has 11"), "{}", error.message);
        }
        assert_eq!(parsed.cases.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [5]);
        // S5: `1,234.50` unquoted before an empty last column (₹1 and the reason "234.50"
        // otherwise); S6 quotes it.
        let reason_last = "Case Ref,Merchant ID,Reason Code,Chargeback Date,Amount,Reason\nS5,M1,10.4,2026-11-20,1,234.50,\nS6,M1,10.4,2026-11-20,\"1,234.50\",\n";
        let parsed = parse_file(reason_last.as_bytes(), Some("VISA")).unwrap();
        assert_eq!(parsed.errors.iter().map(|e| (e.line, e.column.clone())).collect::<Vec<_>>(), [(2, None)]);
        assert!(
            parsed.errors[0].message.contains("has 7 fields where the header has 6"),
            "{}",
            parsed.errors[0].message
        );
        assert_eq!(parsed.cases.len(), 1);
        assert_eq!(parsed.cases[0].1.amount, Paise(123450));
        // A header ending in a delimiter (an empty last column) gives a shifted row no room.
        let trailing = "Case Ref,Merchant ID,Reason Code,Chargeback Date,Amount,\nT1,M1,10.4,2026-11-20,1,234.50\nT2,M1,10.4,2026-11-20,\"1,234.50\",\n";
        let parsed = parse_file(trailing.as_bytes(), Some("VISA")).unwrap();
        assert_eq!(parsed.errors.iter().map(|e| (e.line, e.column.clone())).collect::<Vec<_>>(), [(2, None)]);
        assert_eq!(parsed.cases.len(), 1);
        assert_eq!(parsed.cases[0].1.amount, Paise(123450));
    }

    #[test]
    fn file_level_problems_are_refused_whole() {
        assert!(parse_file(b"", Some("VISA")).unwrap_err().contains("empty"));
        assert!(parse_file(b"Case Ref,Amount\nA,1\n", Some("VISA")).unwrap_err().contains("merchant id"));
        assert!(parse_file(&[0xff, 0xfe, 0x00], Some("VISA")).unwrap_err().contains("UTF-8"));
        assert!(parse_file(format!("{HEADER}\n").as_bytes(), None).unwrap_err().contains("network"));
        assert!(parse_file(format!("{HEADER}\n").as_bytes(), Some("AMEX")).unwrap_err().contains("not a network"));
        // Semicolon files work too.
        let semi = HEADER.replace(',', ";") + "\nB1;M1;;;;;10;10.4;;2026-11-20;\n";
        assert_eq!(parse_file(semi.as_bytes(), Some("RUPAY")).unwrap().cases.len(), 1);
    }

    #[test]
    fn api_bodies() {
        use serde_json::{json, to_value};
        let report = ImportReport {
            inserted: 2,
            duplicates: 1,
            rejected: 2,
            errors: vec![
                RowError { line: 4, column: None, message: "unknown merchant".into() },
                RowError { line: 5, column: Some("amount".into()), message: "is empty".into() },
            ],
        };
        assert_eq!(
            to_value(&report).unwrap(),
            json!({"inserted": 2, "duplicates": 1, "rejected": 2, "errors": [
                {"line": 4, "column": null, "message": "unknown merchant"},
                {"line": 5, "column": "amount", "message": "is empty"},
            ]})
        );
        let replay = WebhookOutcome::Duplicate { event_id: "evt-1".into() };
        assert_eq!(serde_json::to_string(&replay).unwrap(), r#"{"status":"duplicate","eventId":"evt-1"}"#);
        let id = Uuid::nil();
        let applied = WebhookOutcome::Applied { event_id: "evt-2".into(), chargeback_id: id };
        assert_eq!(
            to_value(&applied).unwrap(),
            json!({"status": "applied", "eventId": "evt-2", "chargebackId": id.to_string()})
        );
    }

    #[test]
    fn signatures() {
        let body = br#"{"eventId":"e1"}"#;
        let good = sign("s3cret", body);
        assert!(verify_signature("s3cret", body, Some(&good)));
        assert!(verify_signature("s3cret", body, Some(good.trim_start_matches("sha256="))));
        assert!(!verify_signature("s3cret", body, None));
        assert!(!verify_signature("other", body, Some(&good)));
        assert!(!verify_signature("s3cret", br#"{"eventId":"e2"}"#, Some(&good)));
        assert!(!verify_signature("s3cret", body, Some("sha256=zz")));
    }
}
