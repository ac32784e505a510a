//! The audit log's types and pure rules: the URL query and its typed filter, a row as the page and
//! the API show it, the readable diff of a row's before and after, the masking of personal data for
//! the auditor, and the walk that checks the hash chain link by link.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Role;

/// The page's URL as the browser has it: `actor`, `role`, `action`, `targetType`, `targetId`,
/// `outcome`, `from`, `to`, `ip`, `page` (the API's names, with `limit`/`offset` for `page`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub role: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub ip: Option<String>,
    pub page: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub const ALL: [Outcome; 2] = [Outcome::Success, Outcome::Failure];
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code().eq_ignore_ascii_case(s.trim()))
    }
}

/// The typed filter every list, count and export runs on. Each field narrows by equality; the
/// dates are IST calendar days, both inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    /// The actor's e-mail (lower case), or for a command-line change the operator it names.
    pub actor: Option<String>,
    pub role: Option<Role>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The address in its canonical text (`10.0.0.1`, `2001:db8::1`).
    pub ip: Option<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Whether a page may start at `offset`: within the first [`COUNT_CAP`] rows of any view, so
    /// that no request walks millions of index entries to skip them; further back, a date range
    /// (or another filter) brings the rows forward.
    pub fn page_allowed(&self, offset: i64) -> Result<(), String> {
        if offset < COUNT_CAP {
            Ok(())
        } else {
            Err(format!(
                "Pages go up to the first {} events: narrow the filter (dates, an actor, an action) to see further.",
                crate::money::format_count(COUNT_CAP)
            ))
        }
    }
}

pub const PAGE_SIZE: i64 = 50;
pub use crate::paging::{MatchCount, COUNT_CAP};
const MAX_TEXT: usize = 200;

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl AuditQuery {
    /// The typed filter and the 1-based page; anything unknown is refused with a sentence.
    pub fn parse(&self) -> Result<(Filter, i64), String> {
        let short = |v: &Option<String>, what: &str| -> Result<Option<String>, String> {
            match text(v) {
                Some(s) if s.chars().count() > MAX_TEXT => Err(format!("{what} is too long.")),
                other => Ok(other),
            }
        };
        let date = |v: &Option<String>, what: &str| -> Result<Option<NaiveDate>, String> {
            text(v).map(|d| crate::ist::parse_date(&d, what).map_err(|e| e.to_string())).transpose()
        };
        let from = date(&self.from, "From")?;
        let to = date(&self.to, "To")?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err("The From date is after the To date.".into());
            }
        }
        let role = text(&self.role)
            .map(|r| Role::parse(&r.to_ascii_lowercase()).ok_or(format!("Unknown role {r:?}.")))
            .transpose()?;
        let outcome = text(&self.outcome)
            .map(|o| Outcome::parse(&o).ok_or(format!("The outcome is success or failure, not {o:?}.")))
            .transpose()?;
        let ip = text(&self.ip)
            .map(|ip| ip.parse::<IpAddr>().map(|a| a.to_string()).map_err(|_| format!("{ip:?} is not an IP address.")))
            .transpose()?;
        let page = text(&self.page).map(|p| crate::paging::parse_page(&p)).transpose()?.unwrap_or(1);
        let filter = Filter {
            actor: short(&self.actor, "The actor")?.map(|a| a.to_lowercase()),
            role,
            action: short(&self.action, "The action")?,
            target_type: short(&self.target_type, "The target type")?,
            target_id: short(&self.target_id, "The target id")?,
            outcome,
            from,
            to,
            ip,
        };
        Ok((filter, page))
    }
}

/// One audit row as the page, the API and the export show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// Its place in the hash chain (1, 2, 3, …).
    pub chain_seq: i64,
    pub at: DateTime<Utc>,
    /// The actor's e-mail; for a command-line change the operator; `None` for the system.
    pub actor: Option<String>,
    pub roles: Vec<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub success: bool,
    pub ip: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub details: Option<String>,
    /// SHA-256 of the row and its predecessor's hash, hex.
    pub row_hash: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: MatchCount,
    pub has_next: bool,
}

/// What `/audit` shows for its URL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub filter: Filter,
    pub page_number: i64,
    pub page: AuditPage,
    /// The actions and target types the log holds (the filter's choices).
    pub actions: Vec<String>,
    pub target_types: Vec<String>,
    /// Personal data in before/after was masked for this caller (the auditor).
    pub masked: bool,
}

/// One changed field of a row: its path (`terms.commissionBps`) and its value before and after
/// (`None`: absent on that side).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields that differ between `before` and `after`, objects flattened to dotted paths (in key
/// order), other values compared whole. A value that is not an object is the field `value`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    // Values are compared as JSON (180 and "180" differ), shown as text.
    fn flatten<'v>(prefix: &str, v: &'v Value, out: &mut std::collections::BTreeMap<String, &'v Value>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, v) in m {
                    let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    flatten(&path, v, out);
                }
            }
            other => {
                let key = if prefix.is_empty() { "value".to_string() } else { prefix.to_string() };
                out.insert(key, other);
            }
        }
    }
    let mut b = std::collections::BTreeMap::new();
    let mut a = std::collections::BTreeMap::new();
    if let Some(v) = before {
        flatten("", v, &mut b);
    }
    if let Some(v) = after {
        flatten("", v, &mut a);
    }
    let fields: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    fields
        .into_iter()
        .filter(|f| b.get(*f) != a.get(*f))
        .map(|f| Change { field: f.clone(), before: b.get(f).map(|v| shown(v)), after: a.get(f).map(|v| shown(v)) })
        .collect()
}

/// A JSON value as a person reads it: text without quotes, null as —, the rest as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a JSON key names personal data (spec 09): account numbers, customer e-mail or phone.
pub fn is_personal_key(key: &str) -> bool {
    let k: String = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    k.contains("accountnumber")
        || k.contains("accountno")
        || k == "account"
        || k.contains("phone")
        || k.contains("mobile")
        || (k.contains("email") && (k.contains("customer") || k.contains("payer")))
        || k.contains("vpa")
}

/// Whether a JSON key names free text a person typed (a note, a reason, a comment, remarks), which
/// may carry personal data anywhere in it.
pub fn is_free_text_key(key: &str) -> bool {
    let k: String = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    ["note", "reason", "comment", "remark", "narration", "description", "message", "details"]
        .iter()
        .any(|word| k.contains(word))
}

/// `value` with every personal field's text masked (all but its last four characters), and the
/// personal data in free-text fields masked ([`mask_free_text`]), at any depth.
#[cfg(feature = "ssr")]
pub fn mask_personal(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if is_personal_key(k) {
                        mask_leaf(v)
                    } else if is_free_text_key(k) {
                        mask_free_text_value(v)
                    } else {
                        mask_personal(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_personal).collect()),
        other => other.clone(),
    }
}

/// A free-text field's value, whatever its shape: every text and number in it masked as free text
/// (a personal field inside it as personal).
#[cfg(feature = "ssr")]
fn mask_free_text_value(v: &Value) -> Value {
    match v {
        Value::String(text) => Value::String(mask_free_text(text)),
        Value::Number(n) => {
            let text = n.to_string();
            let masked = mask_free_text(&text);
            if masked == text {
                v.clone()
            } else {
                Value::String(masked)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(mask_free_text_value).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), if is_personal_key(k) { mask_leaf(v) } else { mask_free_text_value(v) }))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(feature = "ssr")]
fn mask_leaf(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(mask_text(s)),
        Value::Number(n) => Value::String(mask_text(&n.to_string())),
        Value::Array(items) => Value::Array(items.iter().map(mask_leaf).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), mask_leaf(v))).collect()),
        Value::Bool(b) => Value::Bool(*b),
    }
}

/// Free text (an audit row's details or a note in its before/after, a bank statement's remarks) as
/// a role without personal data (the auditor) sees it: a number that may be an account, card or
/// phone number has every digit but its last four masked, and an e-mail address or UPI id its name
/// but the first character (`rXXXX@okhdfc`). Free text cannot tell a customer's from anyone else's,
/// so every one is masked.
///
/// A number is a run of six or more digits (`123456789012`; numerals of any script), or digit
/// groups of eight or more digits in all, joined by up to twelve spaces (of any kind), dashes and
/// hyphens (of any kind, the minus sign too), dots, underscores, slashes, brackets or invisible
/// format characters (soft hyphen, zero-width space, direction marks), with an optional leading `+` (`+91 98765 43210`,
/// `(022)2345-6789`, `98 76 54 32 10`, `5010.0012.3456`). Calendar dates standing on their own
/// (`2026-12-15`, `04/12/2026`, `04.12.2026`, `2026-12-04T10:30`: a year 1900–2099, a month and a
/// day that could exist) stay as written; so do times and amounts written with commas, as commas
/// and colons join nothing (`₹10,00,000.00`, `10:30`). An amount of six or more digits without
/// commas (`123456.78`) is masked like any digit run, and numbers separated only by spaces may be
/// masked as one; percent-encoded text is not decoded.
#[cfg(feature = "ssr")]
pub fn mask_free_text(text: &str) -> String {
    use regex::Regex;
    use std::sync::LazyLock;
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)
            (?:19|20)[0-9]{2} [/.\p{Pd}\x{2212}] (?:1[0-2]|0?[1-9]) [/.\p{Pd}\x{2212}] (?:3[01]|[12][0-9]|0?[1-9])
          | (?:3[01]|[12][0-9]|0?[1-9]) [/.\p{Pd}\x{2212}] (?:1[0-2]|0?[1-9]) [/.\p{Pd}\x{2212}] (?:19|20)[0-9]{2}",
        )
        .expect("a valid pattern")
    });
    // A date counts only standing on its own: not inside a word, an address or a longer number.
    let stands_alone = |start: usize, end: usize| {
        let before = text[..start].chars().next_back();
        let mut after = text[end..].chars();
        let (next, then) = (after.next(), after.next());
        // Any dash (a date may be written with one; so may a phone number it would run into).
        let dash =
            |c: char| "-\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}\u{2015}\u{2212}\u{fe58}\u{fe63}\u{ff0d}".contains(c);
        let joins = |c: char| c.is_alphanumeric() || "+./@_%".contains(c) || dash(c);
        let joined_before = before.is_some_and(joins);
        // `2026-12-04T10:30:00Z`: an ISO time after the date is no longer number.
        let iso_time = next == Some('T') && then.is_some_and(|c| c.is_ascii_digit());
        let joined_after = next.is_some_and(|c| c.is_alphanumeric() || c == '@' || c == '_') && !iso_time;
        let continues = next.is_some_and(|c| "/.".contains(c) || dash(c)) && then.is_some_and(char::is_numeric);
        !(joined_before || joined_after || continues)
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for date in DATE.find_iter(text) {
        if stands_alone(date.start(), date.end()) {
            out.push_str(&mask_numbers_and_addresses(&text[last..date.start()]));
            out.push_str(date.as_str());
            last = date.end();
        }
    }
    out.push_str(&mask_numbers_and_addresses(&text[last..]));
    out
}

/// [`mask_free_text`] on text without dates.
#[cfg(feature = "ssr")]
fn mask_numbers_and_addresses(text: &str) -> String {
    use regex::{Captures, Regex};
    use std::sync::LazyLock;
    static PERSONAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)
            (?P<name> [\p{L}\p{N}\p{M}\p{Cf}._%+'\-!\#$\&*=?^`{|}\~/]+ )
            (?P<at> \p{Cf}* @[\p{L}\p{N}\p{M}\-]+ (?:\.[\p{L}\p{N}\p{M}\-]+)* )
          | (?P<number> \+?\(? \p{N}+ (?: [\s\p{Pd}\p{Cf}._/()\x{2212}]{1,12} \p{N}+ )* )",
        )
        .expect("a valid pattern")
    });
    PERSONAL
        .replace_all(text, |c: &Captures| {
            if let (Some(name), Some(at)) = (c.name("name"), c.name("at")) {
                let mut chars = name.as_str().chars();
                let first = chars.next().map(String::from).unwrap_or_default();
                return format!("{first}{}{}", "X".repeat(chars.count()), at.as_str());
            }
            let number = &c[0];
            let digits = number.chars().filter(|c| c.is_numeric()).count();
            let grouped = number.chars().any(|c| !c.is_numeric());
            if grouped && digits >= 8 {
                mask_digits_but_last_four(number, digits)
            } else {
                mask_digit_runs(number)
            }
        })
        .into_owned()
}

/// Every digit of `text` (`digits` of them) but the last four as `X`, the rest as written.
#[cfg(feature = "ssr")]
fn mask_digits_but_last_four(text: &str, digits: usize) -> String {
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if c.is_numeric() {
                seen += 1;
                if seen <= digits.saturating_sub(4) {
                    return 'X';
                }
            }
            c
        })
        .collect()
}

/// Text with every run of six or more digits masked but its last four.
pub fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 6 {
            out.push_str(&mask_text(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_numeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn mask_text(s: &str) -> String {
    let n = s.chars().count();
    let shown: String = s.chars().skip(n.saturating_sub(4)).collect();
    if n <= 4 {
        "X".repeat(n.max(4))
    } else {
        format!("{}{shown}", "X".repeat(n - 4))
    }
}

/// What the chain check found (the API's and the command line's JSON names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// Every link holds.
    pub ok: bool,
    /// Rows checked (all of them when whole; up to and including the broken one otherwise).
    pub checked: i64,
    /// The id of the first row whose link does not hold.
    pub first_broken_id: Option<i64>,
    /// Its place in the chain.
    #[serde(rename = "firstBrokenPosition")]
    pub first_broken_seq: Option<i64>,
    /// Why, in words.
    pub reason: Option<String>,
    /// The last row's hash (hex) when whole: written down elsewhere, it also anchors the chain's end.
    pub head_hash: Option<String>,
}

/// One row as the check reads it: its stored place and hashes, and the hash the database computes
/// again from its content and its stored `prev_hash`.
#[derive(Clone, Debug)]
pub struct ChainLink {
    pub id: i64,
    pub chain_seq: i64,
    pub prev_hash: Vec<u8>,
    pub row_hash: Vec<u8>,
    pub recomputed: Vec<u8>,
}

pub const GENESIS: [u8; 32] = [0; 32];

/// The walk over the chain in `chain_seq` order: each row must follow the one before (`chain_seq`
/// one more; the first is 1), name its hash as `prev_hash` (the first names 32 zero bytes), and
/// hash to its own `row_hash`. The first row that does not is the break: an edited row breaks at
/// itself, a deleted one at the row after it, a re-hashed edit at the row after it.
#[derive(Debug, Default)]
pub struct ChainCheck {
    checked: i64,
    last: Option<(i64, Vec<u8>)>,
    broken: Option<(i64, i64, String)>,
}

impl ChainCheck {
    /// Feed the next row; `false` once a break is found (the rest need not be read).
    pub fn push(&mut self, link: &ChainLink) -> bool {
        if self.broken.is_some() {
            return false;
        }
        self.checked += 1;
        let (expected_seq, expected_prev) = match &self.last {
            None => (1, GENESIS.to_vec()),
            Some((seq, hash)) => (seq + 1, hash.clone()),
        };
        let why = if link.chain_seq != expected_seq {
            Some(if link.chain_seq > expected_seq {
                format!(
                    "position {} follows position {}: {} row(s) are missing before it",
                    link.chain_seq,
                    expected_seq - 1,
                    link.chain_seq - expected_seq
                )
            } else {
                format!("position {} appears again (after position {})", link.chain_seq, expected_seq - 1)
            })
        } else if link.prev_hash != expected_prev {
            Some("its previous-row hash is not the hash of the row before it".to_string())
        } else if link.recomputed != link.row_hash {
            Some("its content no longer matches its hash (the row was changed)".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            self.broken = Some((link.id, link.chain_seq, why));
            return false;
        }
        self.last = Some((link.chain_seq, link.row_hash.clone()));
        true
    }

    pub fn report(self) -> ChainReport {
        match self.broken {
            Some((id, seq, why)) => ChainReport {
                ok: false,
                checked: self.checked,
                first_broken_id: Some(id),
                first_broken_seq: Some(seq),
                reason: Some(why),
                head_hash: None,
            },
            None => ChainReport {
                ok: true,
                checked: self.checked,
                first_broken_id: None,
                first_broken_seq: None,
                reason: None,
                head_hash: self.last.map(|(_, h)| hex(&h)),
            },
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_url_is_parsed_or_refused_in_words() {
        let q = AuditQuery {
            actor: Some(" Admin@SettlePaisa.test ".into()),
            role: Some("ADMIN".into()),
            action: Some("user.disable".into()),
            outcome: Some("Failure".into()),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            ip: Some("::ffff:10.0.0.1".into()),
            page: Some("2".into()),
            ..Default::default()
        };
        let (f, page) = q.parse().unwrap();
        assert_eq!(f.actor.as_deref(), Some("admin@settlepaisa.test"));
        assert_eq!(f.role, Some(Role::Admin));
        assert_eq!(f.outcome, Some(Outcome::Failure));
        assert_eq!(f.ip.as_deref(), Some("::ffff:10.0.0.1"));
        assert_eq!(page, 2);
        assert!(!f.is_empty());
        assert!(AuditQuery::default().parse().unwrap().0.is_empty());
        for bad in [
            AuditQuery { role: Some("root".into()), ..Default::default() },
            AuditQuery { outcome: Some("maybe".into()), ..Default::default() },
            AuditQuery { ip: Some("10.0.0.300".into()), ..Default::default() },
            AuditQuery { from: Some("2026-12-02".into()), to: Some("2026-12-01".into()), ..Default::default() },
            AuditQuery { from: Some("yesterday".into()), ..Default::default() },
            AuditQuery { page: Some("0".into()), ..Default::default() },
            AuditQuery { target_id: Some("x".repeat(201)), ..Default::default() },
        ] {
            assert!(bad.parse().is_err(), "{bad:?}");
        }
        assert!(Filter::default().page_allowed(COUNT_CAP - 50).is_ok());
        assert!(Filter::default().page_allowed(COUNT_CAP).is_err());
    }

    #[test]
    fn the_diff_names_each_changed_field() {
        let before = json!({"status": "OPEN", "assignee": null, "terms": {"bps": 180, "gst": 18}, "same": 1});
        let after =
            json!({"status": "ASSIGNED", "assignee": "a@x", "terms": {"bps": 200, "gst": 18}, "same": 1, "note": "n"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            vec![
                Change { field: "assignee".into(), before: Some("—".into()), after: Some("a@x".into()) },
                Change { field: "note".into(), before: None, after: Some("n".into()) },
                Change { field: "status".into(), before: Some("OPEN".into()), after: Some("ASSIGNED".into()) },
                Change { field: "terms.bps".into(), before: Some("180".into()), after: Some("200".into()) },
            ]
        );
        // A creation shows every field of the after; a list is compared whole.
        let created = diff(None, Some(&json!({"roles": ["admin", "sp-ops"]})));
        assert_eq!(
            created,
            vec![Change { field: "roles".into(), before: None, after: Some(r#"["admin","sp-ops"]"#.into()) }]
        );
        assert_eq!(diff(Some(&json!(3)), Some(&json!(4)))[0].field, "value");
        assert!(diff(Some(&json!({"a": 1})), Some(&json!({"a": 1}))).is_empty());
        assert_eq!(diff(Some(&json!({"a": 180})), Some(&json!({"a": "180"}))).len(), 1, "a type change is a change");
        assert!(diff(None, None).is_empty());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn personal_fields_are_masked_at_any_depth() {
        let v = json!({"accountNumber": "123456789012", "merchant": "M1",
                       "customer": {"customerEmail": "a@b.in", "phone": 9876543210u64},
                       "rows": [{"account_number": "99887766"}], "status": "OPEN"});
        let m = mask_personal(&v);
        assert_eq!(m["accountNumber"], "XXXXXXXX9012");
        assert_eq!(m["customer"]["customerEmail"], "XXb.in");
        assert_eq!(m["customer"]["phone"], "XXXXXX3210");
        assert_eq!(m["rows"][0]["account_number"], "XXXX7766");
        assert_eq!(m["merchant"], "M1");
        assert_eq!(m["status"], "OPEN");
        assert!(!is_personal_key("actorEmail") && !is_personal_key("accountHolder") && !is_personal_key("email"));
        assert_eq!(mask_digit_runs("paid to 123456789012, ref 12345"), "paid to XXXXXXXX9012, ref 12345");
        assert_eq!(mask_digit_runs("9876543210"), "XXXXXX3210");
        assert_eq!(mask_digit_runs("no digits"), "no digits");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn free_text_hides_numbers_with_separators_and_addresses() {
        let cases = [
            // what mask_digit_runs already did
            ("paid to 123456789012, ref 12345", "paid to XXXXXXXX9012, ref 12345"),
            ("UTR HDFCR52026122300001", "UTR HDFCRXXXXXXXXXX0001"),
            // phones and accounts written in groups
            ("customer called from +91 98765 43210 today", "customer called from +XX XXXXX X3210 today"),
            ("call 98765-43210.", "call XXXXX-X3210."),
            ("office (022) 2345-6789", "office (XXX) XXXX-6789"),
            ("a/c 5010 0012 3456 held", "a/c XXXX XXXX 3456 held"),
            ("card 4111 1111 1111 1111", "card XXXX XXXX XXXX 1111"),
            // e-mail addresses and UPI ids (a phone number as a UPI id too)
            ("mail ravi.kumar@example.co.in now", "mail rXXXXXXXXX@example.co.in now"),
            ("VPA 9876543210@ybl, or ravi@okhdfc", "VPA 9XXXXXXXXX@ybl, or rXXX@okhdfc"),
            // what is not personal stays as written
            ("on 2026-12-04 at 10:30, 04-12-2026", "on 2026-12-04 at 10:30, 04-12-2026"),
            ("₹1,00,000.50 for 12 items, ref 123 456", "₹1,00,000.50 for 12 items, ref 123 456"),
            ("no digits", "no digits"),
            ("", ""),
        ];
        for (text, masked) in cases {
            assert_eq!(mask_free_text(text), masked, "{text}");
        }
        // Other ways of writing a number (any script's digits, other joiners, short groups).
        let more = [
            ("ring +91.98765.43210", "ring +XX.XXXXX.X3210"),
            ("ring 98765/43210 or 9876 5432 10", "ring XXXXX/X3210 or XXXX XX32 10"),
            ("ring 98 76 54 32 10", "ring XX XX XX 32 10"),
            ("ring 98765\u{a0}43210 or 98765 \u{2013} 43210", "ring XXXXX\u{a0}X3210 or XXXXX \u{2013} X3210"),
            ("office (022)2345-6789 or 2345 6789", "office (XXX)XXXX-6789 or XXXX 6789"),
            (
                "\u{ff19}\u{ff18}\u{ff17}\u{ff16}\u{ff15}\u{ff14}\u{ff13}\u{ff12}\u{ff11}\u{ff10}",
                "XXXXXX\u{ff13}\u{ff12}\u{ff11}\u{ff10}",
            ),
            ("mail o'brien@example.in", "mail oXXXXXX@example.in"),
            (
                "₹10,00,000.00 on 04.12.2026 and 2026/12/04, 12345.50",
                "₹10,00,000.00 on 04.12.2026 and 2026/12/04, 12345.50",
            ),
        ];
        for (text, masked) in more {
            assert_eq!(mask_free_text(text), masked, "{text}");
        }
        // Shaped like a date but not one, or a date running into a longer number: masked.
        for (text, masked) in [
            ("9876-54-3210", "XXXX-XX-3210"),
            ("98-76-543210", "XX-XX-XX3210"),
            ("98.76.5432.10", "XX.XX.XX32.10"),
            ("12.34.5678.9012", "XX.XX.XXXX.9012"),
            ("2026-12-0412345", "XXXX-XX-XXX2345"),
            ("2012-10-12-3456", "XXXX-XX-XX-3456"),
            // and dates among other numbers stay dates
            (
                "batch 7 2026-12-04, settled 1500.00 2026-12-05 10:30",
                "batch 7 2026-12-04, settled 1500.00 2026-12-05 10:30",
            ),
            // other joiners and scripts
            ("98765_43210 or 98765    43210", "XXXXX_X3210 or XXXXX    X3210"),
            (
                "\u{2460}\u{2461}\u{2462}\u{2463}\u{2464}\u{2465}\u{2466}\u{2467}",
                "XXXX\u{2464}\u{2465}\u{2466}\u{2467}",
            ),
            ("\u{930}\u{935}\u{93f}@okhdfc", "\u{930}XX@okhdfc"),
            ("ravi!kumar@x.in", "rXXXXXXXXX@x.in"),
            ("ravi/kumar@x.in", "rXXXXXXXXX@x.in"),
            // every day of the month, and ISO times after a date
            ("settled on 2026-12-15, 2026/12/31 and 31.12.2026", "settled on 2026-12-15, 2026/12/31 and 31.12.2026"),
            (
                "from 2026-12-01 to 2026-12-31 at 2026-12-04T10:30:00Z",
                "from 2026-12-01 to 2026-12-31 at 2026-12-04T10:30:00Z",
            ),
            // other dashes and invisible joiners
            (
                "98765\u{2012}43210, 98765\u{2011}43210, 98765\u{2212}43210",
                "XXXXX\u{2012}X3210, XXXXX\u{2011}X3210, XXXXX\u{2212}X3210",
            ),
            (
                "98765\u{ad}43210, 98765\u{200b}43210, 98765\u{feff}43210",
                "XXXXX\u{ad}X3210, XXXXX\u{200b}X3210, XXXXX\u{feff}X3210",
            ),
            ("98765          43210", "XXXXX          X3210"),
            ("98765\u{200e}43210, 98765\u{202c}43210", "XXXXX\u{200e}X3210, XXXXX\u{202c}X3210"),
            // dates written with other dashes stay dates
            (
                "2026\u{2011}12\u{2011}04, 04\u{2010}12\u{2010}2026, 2026\u{ff0d}12\u{ff0d}04",
                "2026\u{2011}12\u{2011}04, 04\u{2010}12\u{2010}2026, 2026\u{ff0d}12\u{ff0d}04",
            ),
            // invisible characters in or after an e-mail name
            ("ravi\u{200b}@x.in, ravi\u{ad}kumar@x.in", "rXXXX@x.in, rXXXXXXXXX@x.in"),
        ] {
            assert_eq!(mask_free_text(text), masked, "{text}");
        }
        // In an audit row's before/after, notes and reasons are free text; ids and statuses are not.
        let v = json!({"note": "customer on +91 98765 43210, ravi@okhdfc",
                       "reason": ["call +91 98765 43210", {"text": "ravi@okhdfc", "phone": "98765"}, 9876543210u64, 12],
                       "batchRef": "STL-20261204-MB000001", "status": "OPEN"});
        let m = mask_personal(&v);
        assert_eq!(m["note"], "customer on +XX XXXXX X3210, rXXX@okhdfc");
        assert_eq!(
            m["reason"],
            json!(["call +XX XXXXX X3210", {"text": "rXXX@okhdfc", "phone": "X8765"}, "XXXXXX3210", 12])
        );
        assert_eq!(m["batchRef"], "STL-20261204-MB000001");
        assert_eq!(m["status"], "OPEN");
        // Nothing of a masked number's first digits is left anywhere in the text.
        let text = "ring +91-98765-43210 or 98765 43210";
        assert!(!mask_free_text(text).contains("98765"), "{}", mask_free_text(text));
    }

    fn link(id: i64, seq: i64, prev: &[u8], hash: u8) -> ChainLink {
        ChainLink { id, chain_seq: seq, prev_hash: prev.to_vec(), row_hash: vec![hash; 32], recomputed: vec![hash; 32] }
    }

    #[test]
    fn the_walk_finds_the_first_broken_link() {
        let whole = [link(10, 1, &GENESIS, 1), link(12, 2, &[1; 32], 2), link(11, 3, &[2; 32], 3)];
        let mut check = ChainCheck::default();
        assert!(whole.iter().all(|l| check.push(l)));
        let r = check.report();
        assert!(r.ok);
        assert_eq!((r.checked, r.head_hash), (3, Some("03".repeat(32))));

        // An edited row: its content no longer hashes to its row_hash.
        let mut edited = whole.clone();
        edited[1].recomputed = vec![9; 32];
        let mut check = ChainCheck::default();
        edited.iter().take_while(|l| check.push(l)).count();
        let r = check.report();
        assert_eq!((r.ok, r.first_broken_id, r.first_broken_seq, r.checked), (false, Some(12), Some(2), 2));

        // A deleted row: the next one is out of place.
        let deleted = [whole[0].clone(), whole[2].clone()];
        let mut check = ChainCheck::default();
        deleted.iter().take_while(|l| check.push(l)).count();
        let r = check.report();
        assert_eq!((r.first_broken_id, r.first_broken_seq), (Some(11), Some(3)));
        assert!(r.reason.unwrap().contains("1 row(s) are missing"));

        // A re-hashed edit: the row itself is consistent, the next one's link is not.
        let mut rehashed = whole.clone();
        rehashed[1].row_hash = vec![7; 32];
        rehashed[1].recomputed = vec![7; 32];
        let mut check = ChainCheck::default();
        rehashed.iter().take_while(|l| check.push(l)).count();
        assert_eq!(check.report().first_broken_id, Some(11));

        // A chain that does not start at the genesis.
        let mut check = ChainCheck::default();
        check.push(&link(5, 1, &[4; 32], 1));
        assert_eq!(check.report().first_broken_id, Some(5));
        // An empty log is whole.
        assert!(ChainCheck::default().report().ok);
    }
}
