//! Types shared by the exception pages (server and browser), the JSON API and the queries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Paise;

/// A work-queue status (spec 2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Open,
    Investigating,
    Snoozed,
    Escalated,
    Resolved,
    WontFix,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Open, Status::Investigating, Status::Snoozed, Status::Escalated, Status::Resolved, Status::WontFix];
    /// The statuses that still need work: an "open exception" in every count (the queue, Overview,
    /// the recon summary) and the set a recon run may auto-resolve.
    pub const ACTIVE: [Status; 4] = [Status::Open, Status::Investigating, Status::Snoozed, Status::Escalated];

    /// The stored codes of a set, to bind into SQL as an array (`status = ANY($n)`).
    pub fn codes(set: &[Status]) -> Vec<&'static str> {
        set.iter().map(|s| s.code()).collect()
    }

    /// The stored, URL and API value (`wont_fix`).
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Investigating => "investigating",
            Status::Snoozed => "snoozed",
            Status::Escalated => "escalated",
            Status::Resolved => "resolved",
            Status::WontFix => "wont_fix",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::Investigating => "Investigating",
            Status::Snoozed => "Snoozed",
            Status::Escalated => "Escalated",
            Status::Resolved => "Resolved",
            Status::WontFix => "Won't fix",
        }
    }

    pub fn is_closed(self) -> bool {
        !Status::ACTIVE.contains(&self)
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            Status::Open => "bg-sky-100 text-sky-800",
            Status::Investigating => "bg-indigo-100 text-indigo-800",
            Status::Snoozed => "bg-slate-200 text-slate-700",
            Status::Escalated => "bg-amber-100 text-amber-900",
            Status::Resolved => "bg-emerald-100 text-emerald-800",
            Status::WontFix => "bg-zinc-200 text-zinc-700",
        }
    }
}

/// Resolution codes (spec 2.5) with their labels.
pub const RESOLUTIONS: [(&str, &str); 7] = [
    ("MANUAL_MATCH", "Manual match"),
    ("AUTO_MATCHED", "Auto matched"),
    ("ACCOUNTING_ADJUSTMENT", "Accounting adjustment"),
    ("WRITE_OFF", "Write-off"),
    ("DUPLICATE", "Duplicate"),
    ("FALSE_POSITIVE", "False positive"),
    ("WONT_FIX", "Won't fix"),
];

pub fn resolution_label(code: &str) -> &str {
    RESOLUTIONS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or(code)
}

pub const SEVERITIES: [&str; 4] = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];

pub fn severity_class(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" => "bg-red-100 text-red-800",
        "HIGH" => "bg-orange-100 text-orange-900",
        "MEDIUM" => "bg-yellow-100 text-yellow-900",
        _ => "bg-slate-100 text-slate-700",
    }
}

/// The actions a user may take on one exception (the API's `action` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActionKind {
    Assign,
    Take,
    Investigate,
    Snooze,
    Escalate,
    Resolve,
    Reopen,
    Comment,
    Tag,
    Untag,
    Severity,
}

impl ActionKind {
    pub const ALL: [ActionKind; 11] = [
        ActionKind::Assign,
        ActionKind::Take,
        ActionKind::Investigate,
        ActionKind::Snooze,
        ActionKind::Escalate,
        ActionKind::Resolve,
        ActionKind::Reopen,
        ActionKind::Comment,
        ActionKind::Tag,
        ActionKind::Untag,
        ActionKind::Severity,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ActionKind::Assign => "assign",
            ActionKind::Take => "take",
            ActionKind::Investigate => "investigate",
            ActionKind::Snooze => "snooze",
            ActionKind::Escalate => "escalate",
            ActionKind::Resolve => "resolve",
            ActionKind::Reopen => "reopen",
            ActionKind::Comment => "comment",
            ActionKind::Tag => "tag",
            ActionKind::Untag => "untag",
            ActionKind::Severity => "severity",
        }
    }

    pub fn parse(code: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Assign => "Assign",
            ActionKind::Take => "Assign to me",
            ActionKind::Investigate => "Start investigating",
            ActionKind::Snooze => "Snooze",
            ActionKind::Escalate => "Escalate",
            ActionKind::Resolve => "Resolve",
            ActionKind::Reopen => "Reopen",
            ActionKind::Comment => "Comment",
            ActionKind::Tag => "Add tags",
            ActionKind::Untag => "Remove tags",
            ActionKind::Severity => "Change severity",
        }
    }
}

/// The page's URL query, exactly as the browser has it. Lists (`status`, `severity`, `reason`) are
/// comma-separated; [`ExceptionsQuery::parse`] turns the whole into a typed [`Filter`] and refuses
/// unknown values with a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionsQuery {
    /// `active` (the default: everything not closed), `all`, or statuses.
    pub status: Option<String>,
    pub severity: Option<String>,
    pub reason: Option<String>,
    pub merchant: Option<String>,
    pub acquirer: Option<String>,
    /// Cycle date range.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `me`, `none`, or a user's email.
    pub assignee: Option<String>,
    /// `1` for SLA breached only.
    pub breached: Option<String>,
    /// Δ range in rupees.
    pub dmin: Option<String>,
    pub dmax: Option<String>,
    /// Exception id, UTR or txn id.
    pub q: Option<String>,
    /// `due` (default), `age`, `delta`.
    pub sort: Option<String>,
    pub page: Option<String>,
}

/// The list's query as the JSON API names it (spec 07): `merchantId`, one `cycleDate` or a
/// `from`/`to` range, `slaBreached` as `true`/`false`, Δ bounds in whole paise, and `limit`/`offset`
/// instead of a page; lists comma-separated. [`ExceptionsQuery::parse_api`] reads it by the page's
/// rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionsApiQuery {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub reason: Option<String>,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
    pub cycle_date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub assignee: Option<String>,
    pub sla_breached: Option<String>,
    pub delta_min_paise: Option<String>,
    pub delta_max_paise: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AssigneeFilter {
    Me,
    Nobody,
    Email(String),
}

/// The typed filter every list, count and bulk action runs on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    /// Empty: every status.
    pub statuses: Vec<Status>,
    pub severities: Vec<String>,
    pub reasons: Vec<String>,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub assignee: Option<AssigneeFilter>,
    pub sla_breached: bool,
    pub delta_min: Option<Paise>,
    pub delta_max: Option<Paise>,
    pub q: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    /// SLA due, soonest first.
    #[default]
    Due,
    /// Oldest first.
    Age,
    /// Largest Δ first.
    Delta,
}

impl SortKey {
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Due => "due",
            SortKey::Age => "age",
            SortKey::Delta => "delta",
        }
    }
    pub fn parse(s: &str) -> Option<SortKey> {
        [SortKey::Due, SortKey::Age, SortKey::Delta].into_iter().find(|k| k.param() == s)
    }
}

pub const PAGE_SIZE: i64 = 25;

fn list_of(v: &Option<String>) -> Vec<String> {
    v.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The longest search text a filter takes.
pub const MAX_SEARCH_CHARS: usize = 200;
/// The longest filter, all its values together (in characters): every status, severity and
/// reason chosen at once is far below it.
const MAX_FILTER_CHARS: usize = 4_096;

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ExceptionsQuery {
    /// The typed filter, sort and 1-based page of a URL.
    pub fn parse(&self) -> Result<(Filter, SortKey, i64), String> {
        // A filter is also a cache key (the counts): no URL makes a large one.
        let length: usize = self.pairs().iter().filter_map(|(_, v)| v.as_deref()).map(|v| v.chars().count()).sum();
        if length > MAX_FILTER_CHARS {
            return Err(format!("The filter is too long: at most {MAX_FILTER_CHARS} characters in all."));
        }
        let statuses = match text(&self.status).as_deref() {
            None | Some("active") => Status::ACTIVE.to_vec(),
            Some("all") => Vec::new(),
            Some(_) => list_of(&self.status)
                .iter()
                .map(|s| Status::parse(s).ok_or(format!("Unknown status {s:?}.")))
                .collect::<Result<_, _>>()?,
        };
        let severities = list_of(&self.severity)
            .into_iter()
            .map(|s| {
                let up = s.to_ascii_uppercase();
                SEVERITIES.contains(&up.as_str()).then_some(up).ok_or(format!("Unknown severity {s:?}."))
            })
            .collect::<Result<_, _>>()?;
        let reasons = list_of(&self.reason)
            .into_iter()
            .map(|r| {
                let up = r.to_ascii_uppercase();
                (up.len() <= 40 && up.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                    .then_some(up)
                    .ok_or(format!("Unknown reason {r:?}."))
            })
            .collect::<Result<_, _>>()?;
        let date = |v: &Option<String>, what: &str| -> Result<Option<NaiveDate>, String> {
            text(v).map(|d| crate::ist::parse_date(&d, what).map_err(|e| e.to_string())).transpose()
        };
        let from = date(&self.from, "Cycle from")?;
        let to = date(&self.to, "Cycle to")?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err("The cycle From date is after the To date.".into());
            }
        }
        let rupees = |v: &Option<String>, what: &str| -> Result<Option<Paise>, String> {
            text(v).map(|r| Paise::parse_rupees(&r).map_err(|m| format!("{what}: {m}."))).transpose()
        };
        let delta_min = rupees(&self.dmin, "Δ from")?;
        let delta_max = rupees(&self.dmax, "Δ to")?;
        if let (Some(a), Some(b)) = (delta_min, delta_max) {
            if a > b {
                return Err("The Δ From amount is more than the To amount.".into());
            }
        }
        let assignee = text(&self.assignee).map(|a| match a.as_str() {
            "me" => AssigneeFilter::Me,
            "none" => AssigneeFilter::Nobody,
            email => AssigneeFilter::Email(email.to_ascii_lowercase()),
        });
        let breached = match text(&self.breached).as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => return Err(format!("breached must be 1 or 0, not {other:?}.")),
        };
        let sort = text(&self.sort).map(|s| SortKey::parse(&s).ok_or(format!("Unknown sort {s:?}."))).transpose()?;
        let page = text(&self.page).map(|p| crate::paging::parse_page(&p)).transpose()?;
        // A search is a UTR, an id or a few words.
        let q = text(&self.q);
        if q.as_ref().is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
            return Err(format!("The search text is at most {MAX_SEARCH_CHARS} characters."));
        }
        let filter = Filter {
            statuses,
            severities,
            reasons,
            merchant_id: text(&self.merchant).map(|m| m.to_ascii_uppercase()),
            acquirer: text(&self.acquirer).map(|a| a.to_ascii_uppercase()),
            from,
            to,
            assignee,
            sla_breached: breached,
            delta_min,
            delta_max,
            q,
        };
        Ok((filter, sort.unwrap_or_default(), page.unwrap_or(1)))
    }

    /// The typed filter and sort of the JSON API's query ([`ExceptionsApiQuery`]): its names
    /// mapped onto the page's, then [`ExceptionsQuery::parse`], then the Δ bounds in paise.
    pub fn parse_api(api: &ExceptionsApiQuery) -> Result<(Filter, SortKey), String> {
        if api.cycle_date.is_some() && (api.from.is_some() || api.to.is_some()) {
            return Err("Give cycleDate, or from and to, not both.".into());
        }
        let breached = match text(&api.sla_breached).as_deref() {
            None | Some("false") | Some("0") => None,
            Some("true") | Some("1") => Some("1".to_string()),
            Some(other) => return Err(format!("slaBreached must be true or false, not {other:?}.")),
        };
        let query = ExceptionsQuery {
            status: api.status.clone(),
            severity: api.severity.clone(),
            reason: api.reason.clone(),
            merchant: api.merchant_id.clone(),
            acquirer: api.acquirer.clone(),
            from: api.cycle_date.clone().or(api.from.clone()),
            to: api.cycle_date.clone().or(api.to.clone()),
            assignee: api.assignee.clone(),
            breached,
            q: api.q.clone(),
            sort: api.sort.clone(),
            ..Default::default()
        };
        let (mut filter, sort, _) = query.parse()?;
        let paise = |v: &Option<String>, name: &str| -> Result<Option<Paise>, String> {
            text(v)
                .map(|s| {
                    s.parse::<i64>()
                        .ok()
                        .filter(|p| *p >= 0)
                        .map(Paise)
                        .ok_or_else(|| format!("{name} must be a whole number of paise."))
                })
                .transpose()
        };
        filter.delta_min = paise(&api.delta_min_paise, "deltaMinPaise")?;
        filter.delta_max = paise(&api.delta_max_paise, "deltaMaxPaise")?;
        Ok((filter, sort))
    }

    fn pairs(&self) -> [(&'static str, &Option<String>); 14] {
        [
            ("status", &self.status),
            ("severity", &self.severity),
            ("reason", &self.reason),
            ("merchant", &self.merchant),
            ("acquirer", &self.acquirer),
            ("from", &self.from),
            ("to", &self.to),
            ("assignee", &self.assignee),
            ("breached", &self.breached),
            ("dmin", &self.dmin),
            ("dmax", &self.dmax),
            ("q", &self.q),
            ("sort", &self.sort),
            ("page", &self.page),
        ]
    }

    /// `/exceptions?…` with the non-empty parameters, in a stable order.
    pub fn href(&self) -> String {
        self.href_at("/exceptions")
    }

    /// The same query on another path (the CSV export).
    pub fn href_at(&self, path: &str) -> String {
        crate::ui::query_href(path, &self.pairs())
    }

    /// The query as `(name, value)` pairs (hidden fields of the "all matching" bulk form).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        self.pairs()
            .iter()
            .filter(|(k, _)| *k != "page" && *k != "sort")
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (*k, v.to_string())))
            .collect()
    }

    /// A saved view's stored filters (spec 2.5's JSON shape: lists as arrays, `slaBreached` as a
    /// boolean) as a page query.
    pub fn from_view(filters: &serde_json::Value) -> ExceptionsQuery {
        let get = |key: &str| -> Option<String> {
            match filters.get(key)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Array(items) => {
                    Some(items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join(","))
                }
                serde_json::Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
            .filter(|s| !s.is_empty())
        };
        ExceptionsQuery {
            status: get("status"),
            severity: get("severity"),
            reason: get("reason"),
            merchant: get("merchantId"),
            acquirer: get("acquirer"),
            from: get("from"),
            to: get("to"),
            assignee: get("assignee"),
            breached: get("slaBreached").filter(|b| b == "1"),
            dmin: get("deltaMin"),
            dmax: get("deltaMax"),
            q: get("q"),
            sort: get("sort"),
            page: None,
        }
    }

    /// The inverse of [`ExceptionsQuery::from_view`].
    pub fn to_view(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        let list = |v: &Option<String>| serde_json::Value::from(list_of(v));
        let mut put = |key: &str, value: Option<serde_json::Value>| {
            if let Some(v) = value {
                m.insert(key.to_string(), v);
            }
        };
        put("status", text(&self.status).map(|_| list(&self.status)));
        put("severity", text(&self.severity).map(|_| list(&self.severity)));
        put("reason", text(&self.reason).map(|_| list(&self.reason)));
        put("merchantId", text(&self.merchant).map(Into::into));
        put("acquirer", text(&self.acquirer).map(Into::into));
        put("from", text(&self.from).map(Into::into));
        put("to", text(&self.to).map(Into::into));
        put("assignee", text(&self.assignee).map(Into::into));
        put("slaBreached", (text(&self.breached).as_deref() == Some("1")).then_some(true.into()));
        put("deltaMin", text(&self.dmin).map(Into::into));
        put("deltaMax", text(&self.dmax).map(Into::into));
        put("q", text(&self.q).map(Into::into));
        put("sort", text(&self.sort).map(Into::into));
        serde_json::Value::Object(m)
    }
}

/// One row of the queue (and of the CSV export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRow {
    pub id: String,
    pub reason_code: String,
    pub reason_label: String,
    pub severity: String,
    /// As of the read: a snoozed exception whose time has passed reads as open.
    pub status: Status,
    pub pg_amount: Option<Paise>,
    pub bank_amount: Option<Paise>,
    pub delta: Option<Paise>,
    pub merchant_id: Option<String>,
    pub merchant_name: Option<String>,
    /// The merchant code is not known yet (issue 11): its money is kept out of settlement until an
    /// admin creates the merchant or maps the code.
    pub merchant_unknown: bool,
    pub acquirer: Option<String>,
    pub cycle_date: NaiveDate,
    pub utr: Option<String>,
    pub txn_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: DateTime<Utc>,
    pub sla_breached: bool,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: i64,
    pub by_status: Vec<(Status, i64)>,
    pub by_severity: Vec<(String, i64)>,
    pub by_reason: Vec<(String, i64)>,
}

/// The queue's tiles: the whole queue, whatever the filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    pub open: i64,
    pub investigating: i64,
    pub snoozed: i64,
    pub sla_breached: i64,
    pub resolved_7d: i64,
    pub inflow_24h: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: Uuid,
    pub name: String,
    pub shared: bool,
    /// Whether this user may delete it (own views; admins also shared ones).
    pub deletable: bool,
    pub query: ExceptionsQuery,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

/// Everything the `/exceptions` page shows, in one server call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionsView {
    pub kpis: Kpis,
    pub rows: Vec<ExceptionRow>,
    pub counts: Counts,
    pub page_number: i64,
    pub sort: SortKey,
    pub views: Vec<SavedView>,
    pub reasons: Vec<(String, String)>,
    pub merchants: Vec<(String, String)>,
    pub acquirers: Vec<String>,
    pub assignees: Vec<Person>,
    pub can_work: bool,
    pub now: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgSide {
    pub txn_id: String,
    pub merchant: String,
    pub amount: Paise,
    pub payment_method: String,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub txn_at: DateTime<Utc>,
    pub cycle_date: NaiveDate,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankSide {
    pub bank_name: String,
    pub bank_ref: Option<String>,
    pub amount: Paise,
    pub direction: String,
    pub utr: Option<String>,
    pub txn_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub remarks: Option<String>,
}

/// One entry of the action log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionEntry {
    pub action: String,
    /// The user's email; `None` for the system (recon runs, the snooze job).
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionDetail {
    pub row: ExceptionRow,
    pub reason_description: String,
    pub resolution_hint: String,
    pub sla_hours: i32,
    pub run_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub pg: Option<PgSide>,
    pub bank: Option<BankSide>,
    /// Oldest first.
    pub actions: Vec<ActionEntry>,
}

/// The detail page: the record and what this user may do with it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionView {
    pub detail: ExceptionDetail,
    pub allowed: Vec<ActionKind>,
    pub next_steps: Vec<String>,
    pub assignees: Vec<Person>,
    pub me: Option<String>,
    pub now: DateTime<Utc>,
}

/// One action as the API, the forms and the bulk call send it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRequest {
    /// Missing reads as empty, which the action parser refuses with the list of actions.
    #[serde(default)]
    pub action: String,
    /// A user's email or id; empty to unassign.
    pub assignee: Option<String>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` in IST (a datetime-local field).
    pub until: Option<String>,
    pub resolution: Option<String>,
    pub note: Option<String>,
    /// Comma-separated in forms; JSON may also send a list of strings.
    #[serde(default, deserialize_with = "tags_text")]
    pub tags: Option<String>,
    pub severity: Option<String>,
}

/// `tags` as text (`"a, b"`) or as a list (`["a", "b"]`), kept as the comma-separated text the
/// action parser splits.
fn tags_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged, expecting = "tags as text or a list of strings")]
    enum Tags {
        Text(String),
        List(Vec<String>),
    }
    Ok(Option::<Tags>::deserialize(deserializer)?.map(|tags| match tags {
        Tags::Text(text) => text,
        Tags::List(items) => items.join(","),
    }))
}

/// The detail page's action forms: the exception's id beside the action's fields, all on one
/// level. The server function's argument is called `form`, so the inputs are named `form[id]`,
/// `form[action]`, `form[tags]`, … (each at most once per form: the decoder refuses a repeated
/// key, which is why every removable tag has a form of its own).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionActionForm {
    pub id: String,
    #[serde(flatten)]
    pub request: ActionRequest,
}

/// What a bulk action did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    pub matched: i64,
    pub changed: i64,
    /// `(exception id, why)` for the rows left as they were.
    pub skipped: Vec<(String, String)>,
}

impl BulkReport {
    pub fn summary(&self, action: ActionKind) -> String {
        let mut s = format!(
            "{}: {} of {} exception{} changed.",
            action.label(),
            crate::money::format_count(self.changed),
            crate::money::format_count(self.matched),
            if self.matched == 1 { "" } else { "s" }
        );
        if !self.skipped.is_empty() {
            let (id, why) = &self.skipped[0];
            s.push_str(&format!(" {} left as they were (e.g. {id}: {why})", self.skipped.len()));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_parses_into_a_filter_and_back() {
        let q = ExceptionsQuery {
            status: Some("open,investigating".into()),
            severity: Some("critical,HIGH".into()),
            reason: Some("AMOUNT_MISMATCH".into()),
            merchant: Some("merch_001".into()),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-20".into()),
            assignee: Some("me".into()),
            breached: Some("1".into()),
            dmin: Some("2".into()),
            dmax: Some("5.50".into()),
            q: Some(" UTR123 ".into()),
            sort: Some("delta".into()),
            page: Some("3".into()),
            ..Default::default()
        };
        let (f, sort, page) = q.parse().unwrap();
        assert_eq!(f.statuses, vec![Status::Open, Status::Investigating]);
        assert_eq!(f.severities, vec!["CRITICAL", "HIGH"]);
        assert_eq!(f.merchant_id.as_deref(), Some("MERCH_001"));
        assert_eq!(f.assignee, Some(AssigneeFilter::Me));
        assert!(f.sla_breached);
        assert_eq!((f.delta_min, f.delta_max), (Some(Paise(200)), Some(Paise(550))));
        assert_eq!(f.q.as_deref(), Some("UTR123"));
        assert_eq!((sort, page), (SortKey::Delta, 3));
        // A saved view of the query gives the same query back (without the page; values trimmed).
        let round = ExceptionsQuery::from_view(&q.to_view());
        assert_eq!(round, ExceptionsQuery { page: None, q: Some("UTR123".into()), ..q.clone() });
        assert!(q.href().starts_with("/exceptions?status=open%2Cinvestigating&severity="));
    }

    #[test]
    fn a_search_text_is_at_most_200_characters() {
        let query = |q: String| ExceptionsQuery { q: Some(q), ..Default::default() };
        assert!(query("₹".repeat(MAX_SEARCH_CHARS)).parse().is_ok());
        assert_eq!(
            query("a".repeat(MAX_SEARCH_CHARS + 1)).parse().err().as_deref(),
            Some("The search text is at most 200 characters.")
        );
        let many_reasons =
            ExceptionsQuery { reason: Some("UTR_MISSING_OR_INVALID,".repeat(200)), ..Default::default() };
        assert_eq!(
            many_reasons.parse().err().as_deref(),
            Some("The filter is too long: at most 4096 characters in all.")
        );
    }

    #[test]
    fn defaults_and_refusals() {
        let (f, sort, page) = ExceptionsQuery::default().parse().unwrap();
        assert_eq!(f.statuses, Status::ACTIVE.to_vec());
        assert_eq!((sort, page), (SortKey::Due, 1));
        let all = ExceptionsQuery { status: Some("all".into()), ..Default::default() };
        assert!(all.parse().unwrap().0.statuses.is_empty());
        let bad = |q: ExceptionsQuery| q.parse().unwrap_err();
        assert!(bad(ExceptionsQuery { status: Some("closed".into()), ..Default::default() }).contains("status"));
        assert!(bad(ExceptionsQuery { severity: Some("urgent".into()), ..Default::default() }).contains("severity"));
        assert!(bad(ExceptionsQuery {
            from: Some("2026-11-02".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        })
        .contains("after"));
        assert!(bad(ExceptionsQuery { dmin: Some("9".into()), dmax: Some("1".into()), ..Default::default() })
            .contains("more than"));
        assert!(bad(ExceptionsQuery { breached: Some("yes".into()), ..Default::default() }).contains("breached"));
        assert!(bad(ExceptionsQuery { page: Some("0".into()), ..Default::default() }).contains("Page"));
    }

    #[test]
    fn the_seeded_views_read_as_queries() {
        let v = serde_json::json!({"assignee": "me", "status": ["open", "investigating"]});
        let q = ExceptionsQuery::from_view(&v);
        assert_eq!(q.status.as_deref(), Some("open,investigating"));
        assert_eq!(q.assignee.as_deref(), Some("me"));
        let q = ExceptionsQuery::from_view(&serde_json::json!({"slaBreached": true}));
        assert_eq!(q.breached.as_deref(), Some("1"));
        assert!(q.parse().unwrap().0.sla_breached);
    }
}
