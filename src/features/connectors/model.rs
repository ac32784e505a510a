//! What the connectors page and API show and take: a connector's card (its settings, never a
//! secret, only whether one is set), and the input an admin gives to create or edit one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::features::overview::model::Health;

/// The time zone a schedule is read in unless another is given.
pub const DEFAULT_TIMEZONE: &str = "Asia/Kolkata";
/// Fire times a card shows ahead.
pub const NEXT_RUNS: usize = 5;
/// Runs a card's history shows.
pub const HISTORY: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectorType {
    #[serde(rename = "BANK_SFTP")]
    BankSftp,
    #[serde(rename = "PG_API")]
    PgApi,
}

impl ConnectorType {
    pub const ALL: [ConnectorType; 2] = [ConnectorType::BankSftp, ConnectorType::PgApi];

    pub fn code(self) -> &'static str {
        match self {
            ConnectorType::BankSftp => "BANK_SFTP",
            ConnectorType::PgApi => "PG_API",
        }
    }

    pub fn parse(code: &str) -> Option<ConnectorType> {
        ConnectorType::ALL.into_iter().find(|t| t.code().eq_ignore_ascii_case(code.trim()))
    }

    pub fn label(self) -> &'static str {
        match self {
            ConnectorType::BankSftp => "Bank statement over SFTP",
            ConnectorType::PgApi => "PG transactions over an HTTP API",
        }
    }

    /// The secrets the type takes; a connector holds one of them (`password` or `privateKey`) or
    /// the one (`apiKey`).
    pub fn secret_names(self) -> &'static [SecretName] {
        match self {
            ConnectorType::BankSftp => &[SecretName::Password, SecretName::PrivateKey],
            ConnectorType::PgApi => &[SecretName::ApiKey],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SecretName {
    #[serde(rename = "password")]
    Password,
    #[serde(rename = "privateKey")]
    PrivateKey,
    #[serde(rename = "apiKey")]
    ApiKey,
}

impl SecretName {
    pub const ALL: [SecretName; 3] = [SecretName::Password, SecretName::PrivateKey, SecretName::ApiKey];

    /// The name stored and used by the API.
    pub fn code(self) -> &'static str {
        match self {
            SecretName::Password => "password",
            SecretName::PrivateKey => "privateKey",
            SecretName::ApiKey => "apiKey",
        }
    }

    pub fn parse(code: &str) -> Option<SecretName> {
        SecretName::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            SecretName::Password => "Password",
            SecretName::PrivateKey => "Private key",
            SecretName::ApiKey => "API key",
        }
    }
}

/// A connector's settings, stored as its `config` (only the keys of its type) and given and shown
/// by the API under these names. `layout` (a bank layout's name) is stored as the connector's
/// mapping, not in `config`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// A file name pattern with a date token, e.g. `AXIS_SETTLE_{YYYY-MM-DD}_*.csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Whether each file comes with a `<file>.sha256` checksum beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidecar: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_codes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_back: Option<i32>,
}

/// Whether a secret is set, never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretState {
    pub name: SecretName,
    /// When it was saved (sealed in the database).
    pub set_at: Option<DateTime<Utc>>,
    /// The environment variable it is read from instead (a connector set up outside the page).
    pub from_env: Option<String>,
}

/// A connector as its card and `GET /api/ingest/v1/connectors/{id}` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorCard {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ConnectorType,
    pub status: String,
    pub health: Health,
    pub health_reason: String,
    pub schedule: String,
    pub timezone: String,
    /// The schedule's next fire times (none while paused).
    pub next_runs: Vec<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub config: ConnectorConfig,
    pub secrets: Vec<SecretState>,
    pub auto_recon: bool,
    pub host_key_fingerprint: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

/// What became of a file a run found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileOutcome {
    /// Stored as a new upload.
    Ingested,
    /// Taken before (the same name and SHA-256), or the same file stored before.
    Seen,
    /// Not taken, with the reason.
    Refused,
    /// A test's finding: a run would take it.
    New,
}

impl FileOutcome {
    pub fn label(self) -> &'static str {
        match self {
            FileOutcome::Ingested => "ingested",
            FileOutcome::Seen => "seen before",
            FileOutcome::Refused => "refused",
            FileOutcome::New => "new",
        }
    }
}

/// What a run found of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFile {
    pub name: String,
    pub outcome: FileOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The upload the file is (new or seen before), its rows and row errors behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<Uuid>,
    #[serde(default)]
    pub rows: i64,
    #[serde(default)]
    pub row_errors: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A run of a connector, as its history and `GET /api/ingest/v1/runs/{id}` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub id: Uuid,
    pub connector_id: Uuid,
    pub connector_name: String,
    /// `SCHEDULED`, `MANUAL`, `TEST` or `BACKFILL`.
    #[serde(rename = "type")]
    pub run_type: String,
    /// `QUEUED`, `RUNNING`, `SUCCEEDED`, `FAILED` or `CANCELLED` (its job was cancelled).
    pub status: String,
    pub cycle_date: Option<NaiveDate>,
    pub queued_at: DateTime<Utc>,
    /// When a worker took it (the queue time while it is queued).
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Who asked for it; `None` for the schedule.
    pub started_by: Option<String>,
    pub files_seen: i32,
    pub files_ingested: i32,
    pub rows_ingested: i32,
    pub error: Option<String>,
    pub files: Vec<RunFile>,
    /// The recon run it queued for its cycle, if it did.
    pub recon_run_id: Option<Uuid>,
    /// What else the run has to say (a recon run it could not queue, and why).
    pub note: Option<String>,
}

/// Everything `/connectors` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectorsView {
    pub cards: Vec<ConnectorCard>,
    /// The newest runs of every connector (at most [`HISTORY`] each), newest first.
    pub runs: Vec<RunView>,
    /// Admin: create, edit and delete.
    pub may_configure: bool,
    /// `sp-ops` and admin: pause and resume.
    pub may_operate: bool,
    /// `FEATURE_BANK_SFTP_INGESTION`.
    pub sftp_enabled: bool,
    /// Whether the server holds a `SECRETS_KEY`.
    pub secrets_ready: bool,
    /// The stored bank layouts' names, for a BANK_SFTP connector.
    pub layouts: Vec<String>,
}

/// A create or edit, as the API's JSON gives it (`{"name", "type", "schedule", "timezone",
/// "autoRecon", "config": {…}, "secrets": {…}}`) and as the page's form is read into.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorInput {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub schedule: String,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub auto_recon: Option<bool>,
    #[serde(default)]
    pub config: ConnectorConfig,
    /// New values only: a secret left out keeps the one stored.
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, String>,
    /// On an edit: the `updatedAt` the edit was made on (a connector changed since is refused).
    #[serde(default)]
    pub version: Option<String>,
}

/// Shows which secrets an input carries, never their values.
impl std::fmt::Debug for ConnectorInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorInput")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("schedule", &self.schedule)
            .field("timezone", &self.timezone)
            .field("auto_recon", &self.auto_recon)
            .field("config", &self.config)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("version", &self.version)
            .finish()
    }
}

/// The page's create/edit form: flat fields (`form[host]`…), read into a [`ConnectorInput`]. Its
/// `Debug` is the input's, which hides the secrets.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub schedule: String,
    #[serde(default)]
    pub timezone: String,
    /// A checkbox: present (`on`) or absent.
    #[serde(default)]
    pub auto_recon: Option<String>,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub directory: String,
    #[serde(default)]
    pub pattern: String,
    #[serde(default)]
    pub sidecar: Option<String>,
    #[serde(default)]
    pub layout: String,
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub merchant_codes: String,
    #[serde(default)]
    pub days_back: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub private_key: String,
    #[serde(default)]
    pub api_key: String,
}

impl std::fmt::Debug for ConnectorForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.input() {
            Ok(input) => write!(f, "ConnectorForm {{ id: {:?}, {input:?} }}", self.id),
            Err(_) => write!(f, "ConnectorForm {{ id: {:?}, name: {:?} }}", self.id, self.name),
        }
    }
}

impl ConnectorForm {
    /// The form as an input: blank fields are absent, a number that does not read is refused.
    pub fn input(&self) -> Result<ConnectorInput, String> {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let port = match text(&self.port) {
            None => None,
            Some(p) => {
                Some(p.parse::<u16>().map_err(|_| format!("The port must be a number from 1 to 65535, not {p:?}."))?)
            }
        };
        let days_back = match text(&self.days_back) {
            None => None,
            Some(d) => Some(d.parse::<i32>().map_err(|_| format!("Days back must be a whole number, not {d:?}."))?),
        };
        let codes: Vec<String> = self
            .merchant_codes
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect();
        let mut secrets = std::collections::BTreeMap::new();
        for (name, value) in [
            (SecretName::Password, &self.password),
            (SecretName::PrivateKey, &self.private_key),
            (SecretName::ApiKey, &self.api_key),
        ] {
            // A key's lines are kept as typed; a password's spaces are its own.
            if !value.trim().is_empty() {
                secrets.insert(name.code().to_string(), value.clone());
            }
        }
        Ok(ConnectorInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            schedule: self.schedule.clone(),
            timezone: text(&self.timezone),
            auto_recon: Some(self.auto_recon.is_some()),
            config: ConnectorConfig {
                host: text(&self.host),
                port,
                username: text(&self.username),
                directory: text(&self.directory),
                pattern: text(&self.pattern),
                sidecar: Some(self.sidecar.is_some()),
                layout: text(&self.layout),
                base_url: text(&self.base_url),
                merchant_codes: (!codes.is_empty()).then_some(codes),
                days_back,
            },
            secrets,
            version: text(&self.version),
        })
    }
}
