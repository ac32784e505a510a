//! Bank layouts as an admin writes them on `/settings/layouts`: the form (every field text, as a
//! browser posts it), what the list and the editor show, and — on the server — the form read into
//! the layout ingestion uses, refused with every problem in words (the rules themselves are
//! ingestion's: `recon::ingest::layout_problems`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::features::recon::model::DELIMITERS;
use crate::features::recon::model::{FileTally, UploadPreview};

/// A layout as its form posts it (`form[bankCode]`, …): every field text; an unticked box absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LayoutForm {
    /// The layout edited; empty for a new one.
    pub id: String,
    /// When the layout edited was last changed, as the editor read it (RFC 3339): a save over a
    /// newer change is refused instead of undoing it.
    pub version: String,
    pub bank_code: String,
    pub layout_name: String,
    /// `csv` | `txt` | `xlsx`.
    pub file_type: String,
    /// One of the separators of [`DELIMITERS`], by its form value (`tab` for a tab).
    pub delimiter: String,
    /// Text as a form posts it; a JSON client may send a number.
    #[serde(deserialize_with = "text_or_number")]
    pub header_row: String,
    pub date_format: String,
    pub reference_column: String,
    pub gross_amount_column: String,
    pub net_amount_column: String,
    pub txn_date_column: String,
    pub value_date_column: String,
    pub utr_column: String,
    pub rrn_column: String,
    /// Empty: every line is a credit; else the column that says CR/CREDIT/C or DR/DEBIT/D.
    pub direction_column: String,
    pub remarks_column: String,
    pub status_column: String,
    pub bank_name_column: String,
    /// Columns of charges deducted, comma-separated (net = gross less them), for a statement
    /// without a net column.
    pub charges_columns: String,
    /// `rupees` | `paise`.
    pub amounts_in: String,
    /// `Some` (a ticked box): detection tries it on every bank upload. A JSON client may send
    /// `true` / `false`.
    #[serde(deserialize_with = "ticked")]
    pub active: Option<String>,
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        Text(String),
        Number(i64),
    }
    Ok(match Value::deserialize(d)? {
        Value::Text(t) => t,
        Value::Number(n) => n.to_string(),
    })
}

fn ticked<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        Flag(bool),
        Text(String),
    }
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Flag(false)) => None,
        Some(Value::Flag(true)) => Some("on".into()),
        // A ticked box sends `on`; a JSON client may send text too. Anything else is unticked.
        Some(Value::Text(t)) => matches!(t.trim().to_ascii_lowercase().as_str(), "on" | "true").then_some(t),
    })
}

impl LayoutForm {
    /// A new layout's starting values.
    pub fn blank() -> LayoutForm {
        LayoutForm {
            file_type: "csv".into(),
            delimiter: ",".into(),
            header_row: "1".into(),
            date_format: "%d-%m-%Y".into(),
            amounts_in: "rupees".into(),
            active: Some("on".into()),
            ..LayoutForm::default()
        }
    }

    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// The form's separator as the byte a file has; `None` for one a layout may not name.
    pub fn delimiter_byte(&self) -> Option<u8> {
        DELIMITERS.iter().find(|(_, value, _)| *value == self.delimiter).map(|(b, _, _)| *b)
    }

    /// The form's value for a stored separator.
    pub fn delimiter_value(byte: u8) -> String {
        DELIMITERS
            .iter()
            .find(|(b, _, _)| *b == byte)
            .map_or_else(|| (byte as char).to_string(), |(_, v, _)| v.to_string())
    }

    /// The words for the form's separator.
    pub fn delimiter_label(&self) -> &'static str {
        DELIMITERS.iter().find(|(_, value, _)| *value == self.delimiter).map_or("an unknown separator", |(_, _, l)| *l)
    }
}

/// One stored layout, as the list and the editor show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutRow {
    pub form: LayoutForm,
    pub updated_at: DateTime<Utc>,
    /// Who changed it last (e-mail); `None` for a layout as shipped.
    pub updated_by: Option<String>,
}

/// A stored bank upload a layout may be tested on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadChoice {
    pub id: String,
    pub label: String,
}

/// A layout tried on a file: the first rows as it reads them, and for a stored upload, every
/// row's tally beside what the upload recorded when it was read by its own layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutTrial {
    pub file_name: String,
    pub preview: UploadPreview,
    /// For a sample: what an upload of it would be read as once this layout is saved (detection
    /// among the active layouts with this one in its place), or why it would be refused.
    pub detected: Option<Result<String, String>>,
    pub tally: Option<FileTally>,
    pub stored: Option<StoredReading>,
}

/// What a stored upload recorded when it was read: its format, rows accepted, skipped and refused
/// (lines on file already are skipped or refused there, while a trial of the file alone accepts
/// them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredReading {
    pub format: String,
    pub accepted: i64,
    pub skipped: i64,
    pub refused: i64,
}

/// What `/settings/layouts/{id}` shows: the form (a stored layout's values, or a new one's), the
/// uploads it may be tested on, and the test asked for in the address (`?test=`), if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutEditView {
    pub layout: Option<LayoutRow>,
    pub form: LayoutForm,
    pub uploads: Vec<UploadChoice>,
    pub test: Option<Result<LayoutTrial, String>>,
}

#[cfg(feature = "ssr")]
mod server_side {
    use super::LayoutForm;
    use crate::error::AppError;
    use crate::features::recon::ingest::{layout_problems, AmountUnit, BankMapping};

    fn optional(text: &str) -> Option<String> {
        Some(text.trim().to_string()).filter(|t| !t.is_empty())
    }

    impl LayoutForm {
        /// The layout the form describes, or every problem with it in words. `others`: every
        /// other stored layout, with whether it is active.
        pub fn to_mapping(&self, others: &[(BankMapping, bool)]) -> Result<BankMapping, AppError> {
            let mut problems = Vec::new();
            let header_row = self.header_row.trim().parse::<usize>().unwrap_or_else(|_| {
                problems.push(format!(
                    "The header row {:?} is not a whole number.",
                    self.header_row.trim().chars().take(20).collect::<String>()
                ));
                1
            });
            // A separator a layout may not name is kept as one, for the rules to refuse in words.
            let delimiter = self.delimiter_byte().unwrap_or(b'"');
            let amounts_in_paise = match AmountUnit::parse(&self.amounts_in) {
                Some(unit) => unit == AmountUnit::Paise,
                None => {
                    problems.push("The amounts must be in rupees or in paise.".into());
                    false
                }
            };
            let mapping = BankMapping {
                bank_code: self.bank_code.trim().to_ascii_uppercase(),
                layout_name: self.layout_name.trim().to_string(),
                file_type: self.file_type.trim().to_ascii_lowercase(),
                delimiter,
                header_row,
                date_format: self.date_format.trim().to_string(),
                reference_column: self.reference_column.trim().to_string(),
                gross_amount_column: self.gross_amount_column.trim().to_string(),
                net_amount_column: optional(&self.net_amount_column),
                txn_date_column: self.txn_date_column.trim().to_string(),
                value_date_column: optional(&self.value_date_column),
                utr_column: optional(&self.utr_column),
                rrn_column: optional(&self.rrn_column),
                direction_column: optional(&self.direction_column),
                remarks_column: optional(&self.remarks_column),
                status_column: optional(&self.status_column),
                bank_name_column: optional(&self.bank_name_column),
                charges_columns: optional(&self.charges_columns),
                amounts_in_paise,
            };
            problems.extend(layout_problems(&mapping, self.is_active(), others));
            if problems.is_empty() {
                Ok(mapping)
            } else {
                Err(AppError::BadRequest(problems.join(" ")))
            }
        }

        /// The form of a stored layout.
        pub fn of(id: &str, version: &str, m: &BankMapping, active: bool) -> LayoutForm {
            let text = |c: &Option<String>| c.clone().unwrap_or_default();
            LayoutForm {
                id: id.to_string(),
                version: version.to_string(),
                bank_code: m.bank_code.clone(),
                layout_name: m.layout_name.clone(),
                file_type: m.file_type.clone(),
                delimiter: LayoutForm::delimiter_value(m.delimiter),
                header_row: m.header_row.to_string(),
                date_format: m.date_format.clone(),
                reference_column: m.reference_column.clone(),
                gross_amount_column: m.gross_amount_column.clone(),
                net_amount_column: text(&m.net_amount_column),
                txn_date_column: m.txn_date_column.clone(),
                value_date_column: text(&m.value_date_column),
                utr_column: text(&m.utr_column),
                rrn_column: text(&m.rrn_column),
                direction_column: text(&m.direction_column),
                remarks_column: text(&m.remarks_column),
                status_column: text(&m.status_column),
                bank_name_column: text(&m.bank_name_column),
                charges_columns: text(&m.charges_columns),
                amounts_in: if m.amounts_in_paise { AmountUnit::Paise } else { AmountUnit::Rupees }.code().into(),
                active: active.then(|| "on".into()),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::features::recon::ingest::shipped_mappings;

        #[test]
        fn a_stored_layout_goes_through_its_form_unchanged() {
            let shipped = shipped_mappings();
            for (i, m) in shipped.iter().enumerate() {
                let others: Vec<(BankMapping, bool)> =
                    shipped.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, o)| (o.clone(), true)).collect();
                let form = LayoutForm::of("id", "v", m, true);
                assert_eq!(&form.to_mapping(&others).unwrap(), m, "{}", m.layout_name);
            }
        }

        #[test]
        fn a_tab_and_a_json_clients_types_read_as_the_forms() {
            let json = r#"{"delimiter": "tab", "headerRow": 2, "active": true}"#;
            let form: LayoutForm = serde_json::from_str(json).unwrap();
            assert_eq!((form.delimiter_byte(), form.header_row.as_str(), form.is_active()), (Some(b'\t'), "2", true));
            for off in [r#"{"active": false}"#, r#"{"active": "false"}"#, r#"{"active": "no"}"#] {
                let form: LayoutForm = serde_json::from_str(off).unwrap();
                assert!(!form.is_active(), "{off}");
            }
            let tab = BankMapping { delimiter: b'\t', ..shipped_mappings()[0].clone() };
            assert_eq!(LayoutForm::of("", "", &tab, true).delimiter, "tab");
        }

        #[test]
        fn a_form_is_refused_with_every_problem() {
            let form = LayoutForm {
                bank_code: "kotak bank".into(),
                layout_name: "K".into(),
                header_row: "first".into(),
                amounts_in: "dollars".into(),
                delimiter: "::".into(),
                ..LayoutForm::blank()
            };
            let AppError::BadRequest(message) = form.to_mapping(&[]).unwrap_err() else { panic!("a 400") };
            for says in [
                "not a whole number",
                "rupees or in paise",
                "capital letters",
                "3 to 80",
                "comma (,), semicolon",
                "reference column is required",
                "gross amount column is required",
            ] {
                assert!(message.contains(says), "{says}: {message}");
            }
        }
    }
}
