//! Configuration from the environment (a `.env` file is read first if present), with the names of
//! the staging checklist and spec 09. Secrets are held here but never logged or rendered.

use std::time::Duration;

use crate::auth::session::SessionRules;
use crate::http::cidr::Cidr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Demo,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The networks whose webhooks may be configured (spec 03 §3.1).
pub use crate::features::disputes::model::NETWORKS as DISPUTE_NETWORKS;

#[derive(Clone)]

pub struct Config {
    pub database_url: String,
    /// The schema owner's connection (`MIGRATION_DATABASE_URL`): migrations run as it, and it then
    /// grants the role of `database_url` only what the application needs (the audit tables stay
    /// append-only for it). Unset: one role does both (a development database).
    pub migration_database_url: Option<String>,
    pub db_max_connections: u32,
    pub log_level: String,
    pub log_file: Option<String>,
    pub log_format: LogFormat,
    pub app_env: AppEnv,
    pub sandbox: bool,
    pub feature_bank_sftp_ingestion: bool,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub object_store_url: String,
    /// Largest accepted recon upload (`UPLOAD_MAX_MB`, default 25).
    pub upload_max_bytes: usize,
    /// Most data rows a recon upload may have (`UPLOAD_MAX_ROWS`, default 2,000,000).
    pub upload_max_rows: u64,
    /// HMAC-SHA256 secrets of the dispute webhooks, per network (upper-case), from
    /// `DISPUTES_WEBHOOK_SECRET_<NETWORK>`. A network without a secret gets no webhook.
    pub dispute_webhook_secrets: std::collections::BTreeMap<String, String>,
    pub metrics_addr: Option<String>,
    /// The public origin (e.g. `https://ops.settlepaisa.com`) when served behind a proxy; it also
    /// marks the session cookie `Secure`. Without it, the request's own `Host` is the origin.
    pub public_origin: Option<String>,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// The peers whose `X-Forwarded-For` is believed when it is trusted (`TRUSTED_PROXIES`,
    /// comma-separated addresses or CIDR blocks; default this host: `127.0.0.1/32,::1/128`).
    pub trusted_proxies: Vec<Cidr>,
    /// Longest one SQL statement may run (`DB_STATEMENT_TIMEOUT_SECS`, default 30); bulk writes
    /// (uploads, run results) lift it for their own transaction (see `db::lift_statement_timeout`).
    pub db_statement_timeout: Duration,
    /// Longest a connection may sit idle inside an open transaction, holding its locks
    /// (`DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS`, default 60).
    pub db_idle_in_transaction_timeout: Duration,
    /// Longest a request may take, uploads excepted (`REQUEST_TIMEOUT_SECS`, default 30).
    pub request_timeout: Duration,
    /// The job queue's heartbeat and how long a running job may miss it before another worker
    /// takes it over (`JOB_STALE_AFTER_SECS`, default 120; the heartbeat every eighth of that).
    pub job_timing: crate::jobs::Timing,
    /// How long a stopping server (SIGTERM) lets its running job go on before leaving it to
    /// another instance (`SHUTDOWN_GRACE_SECS`, default 25: systemd's stop time-out is 30).
    pub shutdown_grace: Duration,
    /// Longest an upload's body may go without a chunk before it is cut off with 408
    /// (`UPLOAD_IDLE_TIMEOUT_SECS`, default 30).
    pub upload_idle_timeout: Duration,
    /// Where scheduled reports are e-mailed from (`SMTP_HOST`…); `None` (no `SMTP_HOST`): e-mail
    /// is off, and runs store their files without telling anyone.
    pub smtp: Option<SmtpConfig>,
    /// The key connector secrets are sealed with (`SECRETS_KEY`); `None`: no secret can be saved
    /// or used, and the connectors page says so.
    pub secrets_key: Option<crate::secrets::SecretsKey>,
    /// Time limits and retries of a PG_API connector's requests.
    pub connector_http: crate::features::connectors::pg_api::Policy,
    /// How an XLSX report (a download or a scheduled run) lays out its rows: a worksheet's every
    /// row, on up to four worksheets. Not read from the environment; tests make it small, to reach
    /// the limit with a few rows.
    pub xlsx_limits: crate::http::xlsx::SheetLimits,
}

/// How the server reaches its mail relay (its `Debug` hides the password).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `SettlePaisa Ops <reports@example.com>`.
    pub from: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, required (the default; port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on this host or in a test).
    None,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("from", &self.from)
            .finish()
    }
}

impl SmtpConfig {
    /// From `SMTP_HOST`, `SMTP_PORT`, `SMTP_TLS` (`starttls`, `tls` or `none`), `SMTP_USERNAME`,
    /// `SMTP_PASSWORD` and `SMTP_FROM`; `Ok(None)` without a host.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<SmtpConfig>, String> {
        let Some(host) = var("SMTP_HOST") else { return Ok(None) };
        let tls = match var("SMTP_TLS").as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("starttls") => SmtpTls::StartTls,
            Some("tls") => SmtpTls::Tls,
            Some("none") => SmtpTls::None,
            Some(other) => return Err(format!("SMTP_TLS must be starttls, tls or none, not {other:?}")),
        };
        let default_port = match tls {
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        };
        let port = match var("SMTP_PORT") {
            None => default_port,
            Some(p) => p.parse().map_err(|_| format!("SMTP_PORT must be a port number, not {p:?}"))?,
        };
        let username = var("SMTP_USERNAME");
        let password = var("SMTP_PASSWORD");
        if username.is_some() != password.is_some() {
            return Err("SMTP_USERNAME and SMTP_PASSWORD go together".into());
        }
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if tls == SmtpTls::None && password.is_some() && !loopback {
            return Err("SMTP_TLS=none would send SMTP_PASSWORD in clear to another host: use starttls or tls".into());
        }
        let from = var("SMTP_FROM").unwrap_or_else(|| "SettlePaisa Ops <reports@settlepaisa.invalid>".into());
        Ok(Some(SmtpConfig { host, port, tls, username, password, from }))
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"<redacted>")
            .field("db_max_connections", &self.db_max_connections)
            .field("app_env", &self.app_env)
            .field("session_idle", &self.session_idle)
            .field("session_absolute", &self.session_absolute)
            .field("public_origin", &self.public_origin)
            .finish_non_exhaustive()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn flag(name: &str, default: bool) -> bool {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("1" | "true" | "yes" | "on") => true,
        Some("0" | "false" | "no" | "off") => false,
        _ => default,
    }
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| format!("{name} must be a number, got {v:?}")),
    }
}

/// A whole number of seconds (zero turns the limit off, as Postgres reads a zero timeout).
fn seconds(name: &str, default: u64) -> Result<Duration, String> {
    number(name, default).map(Duration::from_secs)
}

/// The secrets key from `SECRETS_KEY`, with `SECRETS_KEY_PREVIOUS` (the key being rotated out)
/// still opening what it sealed. A previous key without a current one, or the same key twice, is
/// refused in words.
fn secrets_key(
    current: Option<String>,
    previous: Option<String>,
) -> Result<Option<crate::secrets::SecretsKey>, String> {
    use crate::secrets::SecretsKey;
    let current = current.as_deref().map(|k| SecretsKey::parse_named("SECRETS_KEY", k)).transpose()?;
    let previous = previous.as_deref().map(|k| SecretsKey::parse_named("SECRETS_KEY_PREVIOUS", k)).transpose()?;
    match (current, previous) {
        (None, None) => Ok(None),
        (None, Some(_)) => {
            Err("SECRETS_KEY_PREVIOUS is set without SECRETS_KEY: set the new key as SECRETS_KEY".into())
        }
        (Some(current), None) => Ok(Some(current)),
        (Some(current), Some(previous)) => {
            if current.same_key_as(&previous) {
                return Err("SECRETS_KEY_PREVIOUS is the same as SECRETS_KEY: it must be the key being replaced".into());
            }
            Ok(Some(current.with_previous(previous)))
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let _ = dotenvy::dotenv();
        let database_url = match var("DATABASE_URL") {
            Some(url) => url,
            None => match var("DB_HOST") {
                Some(host) => format!(
                    "postgres://{}:{}@{}:{}/{}",
                    var("DB_USER").unwrap_or_else(|| "postgres".into()),
                    var("DB_PASSWORD").unwrap_or_default(),
                    host,
                    var("DB_PORT").unwrap_or_else(|| "5432".into()),
                    var("DB_NAME").unwrap_or_else(|| "settlepaisa".into()),
                ),
                None => {
                    return Err("No database configured: set DATABASE_URL (or DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, \
                                DB_NAME), or start through `make run`, which starts the project's own PostgreSQL."
                        .into())
                }
            },
        };
        let app_env = match var("APP_ENV").as_deref() {
            None | Some("demo") => AppEnv::Demo,
            Some("production") => AppEnv::Production,
            Some(other) => return Err(format!("APP_ENV must be demo or production, got {other:?}")),
        };
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(format!("LOG_FORMAT must be pretty or json, got {other:?}")),
        };
        Ok(Config {
            database_url,
            migration_database_url: var("MIGRATION_DATABASE_URL"),
            db_max_connections: number("DB_MAX_CONNECTIONS", 20)?,
            log_level: var("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            log_file: var("LOG_FILE"),
            log_format,
            app_env,
            sandbox: flag("SANDBOX", app_env == AppEnv::Demo),
            feature_bank_sftp_ingestion: flag("FEATURE_BANK_SFTP_INGESTION", false),
            session_idle: Duration::from_secs(60 * number::<u64>("SESSION_IDLE_MINUTES", 15)?),
            session_absolute: Duration::from_secs(3600 * number::<u64>("SESSION_ABSOLUTE_HOURS", 12)?),
            object_store_url: var("OBJECT_STORE_URL").unwrap_or_else(|| "file://.data/objects".into()),
            upload_max_bytes: 1024 * 1024 * number::<usize>("UPLOAD_MAX_MB", 25)?,
            upload_max_rows: number::<u64>("UPLOAD_MAX_ROWS", 2_000_000)?,
            dispute_webhook_secrets: DISPUTE_NETWORKS
                .iter()
                .filter_map(|n| var(&format!("DISPUTES_WEBHOOK_SECRET_{n}")).map(|s| (n.to_string(), s)))
                .collect(),
            metrics_addr: var("METRICS_ADDR"),
            public_origin: var("PUBLIC_ORIGIN").map(|o| o.trim_end_matches('/').to_string()),
            trust_forwarded_for: flag("TRUST_FORWARDED_FOR", false),
            trusted_proxies: match var("TRUSTED_PROXIES") {
                Some(list) => Cidr::parse_list(&list).map_err(|e| format!("TRUSTED_PROXIES: {e}"))?,
                None => Cidr::LOOPBACK.to_vec(),
            },
            db_statement_timeout: seconds("DB_STATEMENT_TIMEOUT_SECS", 30)?,
            db_idle_in_transaction_timeout: seconds("DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS", 60)?,
            request_timeout: seconds("REQUEST_TIMEOUT_SECS", 30)?,
            job_timing: crate::jobs::Timing::stale_after(seconds("JOB_STALE_AFTER_SECS", 120)?)?,
            shutdown_grace: seconds("SHUTDOWN_GRACE_SECS", 25)?,
            upload_idle_timeout: seconds("UPLOAD_IDLE_TIMEOUT_SECS", 30)?,
            smtp: SmtpConfig::from_env(var)?,
            secrets_key: secrets_key(var("SECRETS_KEY"), var("SECRETS_KEY_PREVIOUS"))?,
            connector_http: crate::features::connectors::pg_api::Policy::DEFAULT,
            xlsx_limits: crate::http::xlsx::SheetLimits::DEFAULT,
        })
    }

    /// Defaults for tests: the given database, demo mode, spec session rules.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_string(),
            migration_database_url: None,
            db_max_connections: 5,
            log_level: "warn".into(),
            log_file: None,
            log_format: LogFormat::Pretty,
            app_env: AppEnv::Demo,
            sandbox: true,
            feature_bank_sftp_ingestion: false,
            session_idle: Duration::from_secs(15 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            object_store_url: "memory://".into(),
            upload_max_bytes: 25 * 1024 * 1024,
            upload_max_rows: 2_000_000,
            dispute_webhook_secrets: [("VISA".to_string(), "test-visa-webhook-secret".to_string())].into(),
            metrics_addr: None,
            public_origin: None,
            trust_forwarded_for: false,
            trusted_proxies: Cidr::LOOPBACK.to_vec(),
            db_statement_timeout: Duration::from_secs(30),
            db_idle_in_transaction_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            job_timing: crate::jobs::Timing::DEFAULT,
            shutdown_grace: Duration::from_secs(25),
            upload_idle_timeout: Duration::from_secs(30),
            smtp: None,
            secrets_key: Some(
                crate::secrets::SecretsKey::parse("7465737420736563726574206b657920666f7220636f6e6e6563746f7273a1b2")
                    .expect("the tests' key is 32 bytes"),
            ),
            // Short, so the tests of a slow or failing PG API end in seconds.
            connector_http: crate::features::connectors::pg_api::Policy {
                timeout: Duration::from_secs(2),
                attempts: 3,
                backoff: Duration::from_millis(50),
            },
            xlsx_limits: crate::http::xlsx::SheetLimits::DEFAULT,
        }
    }

    /// What `serve` checks before it listens: production runs only behind TLS at a known origin,
    /// since that origin is the CSRF check's reference and it alone makes the session cookie
    /// `Secure`; and without the schema owner's URL (production does not migrate in `serve`).
    pub fn check_serving(&self) -> Result<(), String> {
        if self.app_env != AppEnv::Production {
            return Ok(());
        }
        // The owner's credentials stay with the migration step: a compromised server must not
        // hold the power to disable the audit tables' append-only triggers.
        if self.migration_database_url.is_some() {
            return Err(format!(
                "APP_ENV=production refuses to serve with MIGRATION_DATABASE_URL in its environment: {}",
                crate::db::SERVE_AS_APP_ROLE
            ));
        }
        match self.public_origin.as_deref() {
            Some(origin) if origin.strip_prefix("https://").is_some_and(|host| !host.is_empty()) => Ok(()),
            Some(origin) => {
                Err(format!("APP_ENV=production needs PUBLIC_ORIGIN to be an https:// origin, got {origin:?}"))
            }
            None => Err("APP_ENV=production needs PUBLIC_ORIGIN (e.g. https://ops.example.com)".into()),
        }
    }

    /// The demo data set has well-known passwords: it may never be loaded in production.
    pub fn check_demo_seed(&self) -> Result<(), String> {
        match self.app_env {
            AppEnv::Demo => Ok(()),
            AppEnv::Production => Err("seed demo is refused with APP_ENV=production: the demo users have \
                                       published passwords"
                .into()),
        }
    }

    pub fn session_rules(&self) -> SessionRules {
        SessionRules {
            idle_secs: self.session_idle.as_secs() as i64,
            absolute_secs: self.session_absolute.as_secs() as i64,
            touch_every_secs: 60.min(self.session_idle.as_secs() as i64 / 2).max(1),
        }
    }

    pub fn cookie_secure(&self) -> bool {
        self.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previous_secrets_key_needs_a_current_one_and_differs_from_it() {
        let (a, b) = (crate::secrets::SecretsKey::generate(), crate::secrets::SecretsKey::generate());
        assert!(secrets_key(None, None).unwrap().is_none());
        assert!(!secrets_key(Some(a.clone()), None).unwrap().unwrap().has_previous());
        assert!(secrets_key(Some(a.clone()), Some(b.clone())).unwrap().unwrap().has_previous());
        assert!(secrets_key(None, Some(b.clone())).unwrap_err().contains("without SECRETS_KEY"));
        assert!(secrets_key(Some(a.clone()), Some(format!(" {a}"))).unwrap_err().contains("the same"));
        let as_hex = hex::encode(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &a).unwrap());
        assert!(secrets_key(Some(a.clone()), Some(as_hex)).unwrap_err().contains("the same"), "hex or base64 alike");
        assert!(secrets_key(Some(a), Some("short".into())).unwrap_err().starts_with("SECRETS_KEY_PREVIOUS"));
    }

    #[test]
    fn smtp_is_off_without_a_host_and_checked_with_one() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(SmtpConfig::from_env(env(&[])), Ok(None));
        let c = SmtpConfig::from_env(env(&[("SMTP_HOST", "mail.example.com")])).unwrap().unwrap();
        assert_eq!((c.port, c.tls), (587, SmtpTls::StartTls));
        let c = SmtpConfig::from_env(env(&[("SMTP_HOST", "127.0.0.1"), ("SMTP_TLS", "none"), ("SMTP_PORT", "2525")]))
            .unwrap()
            .unwrap();
        assert_eq!((c.port, c.tls), (2525, SmtpTls::None));
        assert!(SmtpConfig::from_env(env(&[("SMTP_HOST", "h"), ("SMTP_TLS", "ssl3")]))
            .unwrap_err()
            .contains("SMTP_TLS"));
        assert!(SmtpConfig::from_env(env(&[("SMTP_HOST", "h"), ("SMTP_PORT", "x")]))
            .unwrap_err()
            .contains("SMTP_PORT"));
        assert!(SmtpConfig::from_env(env(&[("SMTP_HOST", "h"), ("SMTP_USERNAME", "u")])).is_err());
        let clear: &'static [(&str, &str)] =
            &[("SMTP_HOST", "mail.example.com"), ("SMTP_TLS", "none"), ("SMTP_USERNAME", "u"), ("SMTP_PASSWORD", "p")];
        assert!(SmtpConfig::from_env(env(clear)).unwrap_err().contains("in clear"));
        let local: &'static [(&str, &str)] =
            &[("SMTP_HOST", "127.0.0.1"), ("SMTP_TLS", "none"), ("SMTP_USERNAME", "u"), ("SMTP_PASSWORD", "secret")];
        let c = SmtpConfig::from_env(env(local)).unwrap().unwrap();
        assert!(!format!("{c:?}").contains("secret"));
    }

    fn production(origin: Option<&str>) -> Config {
        let mut config = Config::for_tests("postgres://unused");
        config.app_env = AppEnv::Production;
        config.public_origin = origin.map(str::to_string);
        config
    }

    #[test]
    fn production_serves_only_behind_an_https_origin() {
        assert!(production(Some("https://ops.settlepaisa.test")).check_serving().is_ok());
        let missing = production(None).check_serving().unwrap_err();
        assert!(missing.contains("PUBLIC_ORIGIN"), "{missing}");
        assert!(production(Some("http://ops.settlepaisa.test")).check_serving().is_err());
        assert!(production(Some("https://")).check_serving().is_err());
        let mut with_owner = production(Some("https://ops.settlepaisa.test"));
        with_owner.migration_database_url = Some("postgres://owner@db/settlepaisa".into());
        let refused = with_owner.check_serving().unwrap_err();
        assert!(refused.contains("MIGRATION_DATABASE_URL") && refused.contains("settlepaisa-ops migrate"), "{refused}");
        // Demo mode keeps serving on plain http at whatever host it is reached by.
        assert!(Config::for_tests("postgres://unused").check_serving().is_ok());
    }

    #[test]
    fn demo_data_is_refused_in_production() {
        assert!(Config::for_tests("postgres://unused").check_demo_seed().is_ok());
        let refused = production(Some("https://ops.settlepaisa.test")).check_demo_seed().unwrap_err();
        assert!(refused.contains("production"), "{refused}");
    }
}
