//! The connectors' rules, pure: what a valid connector is (every problem found, in words), its
//! schedule's fire times in its time zone, and the file pattern's date token.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::model::{ConnectorConfig, ConnectorInput, ConnectorType, SecretName, DEFAULT_TIMEZONE};
use crate::secrets::Plain;

/// The date tokens a file pattern may carry, and how each writes the cycle date.
pub const DATE_TOKENS: [(&str, &str); 4] =
    [("{YYYY-MM-DD}", "%Y-%m-%d"), ("{YYYYMMDD}", "%Y%m%d"), ("{DDMMYYYY}", "%d%m%Y"), ("{DD-MM-YYYY}", "%d-%m-%Y")];
/// Longest secret accepted (a 4096-bit RSA private key in PEM is about 3.3 KB).
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
/// Most merchant codes one PG API connector pulls.
pub const MAX_MERCHANT_CODES: usize = 50;
/// Most days back a PG API run reaches.
pub const MAX_DAYS_BACK: i32 = 31;

/// A connector that passed every check: what is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valid {
    pub name: String,
    pub kind: ConnectorType,
    pub schedule: String,
    pub timezone: Tz,
    pub auto_recon: bool,
    /// The stored `config`: only the keys of the connector's type (`layout` apart).
    pub config: ConnectorConfig,
    /// The bank layout's name (BANK_SFTP), resolved to its mapping by the caller.
    pub layout: Option<String>,
    /// The secrets given (new values), each checked; their `Debug` hides them.
    pub secrets: Vec<(SecretName, Plain)>,
}

impl Valid {
    /// Where the connector connects: its SFTP server and user, or its API's base URL. A stored
    /// secret is never sent to a new destination: an edit that changes it gives the secret again.
    pub fn destination(&self) -> String {
        destination(&self.config)
    }
}

/// A stored connector's destination (see [`Valid::destination`]).
pub fn destination(config: &ConnectorConfig) -> String {
    match &config.base_url {
        Some(url) => url.clone(),
        None => format!(
            "sftp://{}@{}:{}",
            config.username.as_deref().unwrap_or_default(),
            config.host.as_deref().unwrap_or_default(),
            config.port.unwrap_or(22)
        ),
    }
}

/// Check `input` as a new connector (`existing` None) or as an edit of one whose stored secrets
/// are `existing` (an edit need not give them again), its schedule read from `now`. Every problem
/// is named, in one message.
pub fn validate(input: &ConnectorInput, existing: Option<&[SecretName]>, now: DateTime<Utc>) -> Result<Valid, String> {
    let mut problems: Vec<String> = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        problems.push("Give the connector a name of 1 to 100 characters.".into());
    }
    let kind = ConnectorType::parse(&input.kind);
    if kind.is_none() {
        problems.push(format!("The type must be BANK_SFTP or PG_API, not {:?}.", input.kind.trim()));
    }
    let timezone_text = input.timezone.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(DEFAULT_TIMEZONE);
    let timezone = match timezone_text.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            problems.push(format!("{timezone_text:?} is not a time zone: use a name such as Asia/Kolkata."));
            None
        }
    };
    let schedule = input.schedule.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Err(e) = next_fires(&schedule, timezone.unwrap_or(chrono_tz::Asia::Kolkata), now, 1) {
        problems.push(e);
    }
    let c = &input.config;
    let mut config = ConnectorConfig::default();
    let mut layout = None;
    match kind {
        Some(ConnectorType::BankSftp) => {
            config.host = check_host(c.host.as_deref(), &mut problems);
            config.port = Some(match c.port {
                Some(0) => {
                    problems.push("The port must be a number from 1 to 65535.".into());
                    0
                }
                Some(p) => p,
                None => 22,
            });
            config.username = match c.username.as_deref().map(str::trim) {
                Some(u)
                    if !u.is_empty()
                        && u.len() <= 64
                        && !u.starts_with('-')
                        && u.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-')) =>
                {
                    Some(u.to_string())
                }
                _ => {
                    problems.push("Give the SFTP user name (up to 64 letters, digits, . _ and -).".into());
                    None
                }
            };
            config.directory = match c.directory.as_deref().map(str::trim) {
                Some(d)
                    if !d.is_empty() && d.len() <= 255 && !d.starts_with('-') && !d.chars().any(char::is_control) =>
                {
                    Some(d.to_string())
                }
                _ => {
                    problems
                        .push("Give the remote directory the bank's files are in (e.g. /outgoing/settlement).".into());
                    None
                }
            };
            config.pattern = match c.pattern.as_deref().map(str::trim) {
                Some(p) if !p.is_empty() => match check_pattern(p) {
                    Ok(()) => Some(p.to_string()),
                    Err(e) => {
                        problems.push(e);
                        None
                    }
                },
                _ => {
                    problems
                        .push("Give the file name pattern, with a date token: AXIS_SETTLE_{YYYY-MM-DD}_*.csv.".into());
                    None
                }
            };
            config.sidecar = Some(c.sidecar.unwrap_or(false));
            layout = c.layout.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(String::from);
            if layout.is_none() {
                problems.push("Choose the bank layout its files are read with.".into());
            }
        }
        Some(ConnectorType::PgApi) => {
            config.base_url = match c.base_url.as_deref().map(str::trim) {
                Some(u) if !u.is_empty() => match check_base_url(u) {
                    Ok(u) => Some(u),
                    Err(e) => {
                        problems.push(e);
                        None
                    }
                },
                _ => {
                    problems.push("Give the API's base URL (https://…).".into());
                    None
                }
            };
            let codes: Vec<String> =
                c.merchant_codes.clone().unwrap_or_default().iter().map(|m| m.trim().to_string()).collect();
            if codes.is_empty() || codes.len() > MAX_MERCHANT_CODES {
                problems.push(format!("Give 1 to {MAX_MERCHANT_CODES} merchant codes."));
            } else if let Some(bad) = codes.iter().find(|m| {
                m.is_empty()
                    || m.len() > 64
                    || !m.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            }) {
                problems.push(format!("{bad:?} is not a merchant code (letters, digits, _ and -)."));
            }
            config.merchant_codes = Some(codes);
            let days = c.days_back.unwrap_or(1);
            if !(0..=MAX_DAYS_BACK).contains(&days) {
                problems.push(format!("Days back must be 0 to {MAX_DAYS_BACK}, not {days}."));
            }
            config.days_back = Some(days);
        }
        None => {}
    }
    let mut secrets = Vec::new();
    for (code, value) in &input.secrets {
        let Some(secret) = SecretName::parse(code) else {
            problems.push(format!("{code:?} is not a secret a connector takes (password, privateKey, apiKey)."));
            continue;
        };
        if let Some(kind) = kind.filter(|k| !k.secret_names().contains(&secret)) {
            problems.push(format!("A {} connector takes no {}.", kind.code(), secret.code()));
            continue;
        }
        if value.trim().is_empty() {
            problems.push(format!("The {} is empty.", secret.label().to_lowercase()));
            continue;
        }
        if value.len() > MAX_SECRET_BYTES || value.contains('\0') {
            problems.push(format!("The {} is too long or not text.", secret.label().to_lowercase()));
            continue;
        }
        if secret == SecretName::PrivateKey && !value.trim_start().starts_with("-----BEGIN ") {
            problems.push("The private key must be in OpenSSH or PEM form (-----BEGIN … PRIVATE KEY-----).".into());
            continue;
        }
        secrets.push((secret, Plain::new(value.clone())));
    }
    if let Some(kind) = kind {
        let given: Vec<SecretName> = secrets.iter().map(|(s, _)| *s).collect();
        let held = |s: SecretName| given.contains(&s) || existing.is_some_and(|e| e.contains(&s));
        match kind {
            ConnectorType::BankSftp => {
                if given.contains(&SecretName::Password) && given.contains(&SecretName::PrivateKey) {
                    problems.push("Give a password or a private key, not both.".into());
                } else if !held(SecretName::Password) && !held(SecretName::PrivateKey) {
                    problems.push("Give the SFTP password or a private key.".into());
                }
            }
            ConnectorType::PgApi => {
                if !held(SecretName::ApiKey) {
                    problems.push("Give the API key.".into());
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join(" "));
    }
    Ok(Valid {
        name,
        kind: kind.expect("checked above"),
        schedule,
        timezone: timezone.expect("checked above"),
        auto_recon: input.auto_recon.unwrap_or(true),
        config,
        layout,
        secrets,
    })
}

/// A host name (letters, digits and `-` in dot-separated labels) or an IP address; never a
/// link-local address (169.254.0.0/16, fe80::/10: cloud metadata services live there) or an
/// unspecified one.
fn check_host(host: Option<&str>, problems: &mut Vec<String>) -> Option<String> {
    let host = host.map(str::trim).unwrap_or_default().to_ascii_lowercase();
    let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().ok();
    let name_ok = host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        });
    match ip {
        Some(ip) if forbidden_ip(ip) => {
            problems.push(format!("{host} is a link-local or unspecified address: give the server's own address."));
            None
        }
        Some(ip) => Some(ip.to_string()),
        None if name_ok => Some(host),
        None => {
            problems.push(format!("{host:?} is not a host name or IP address."));
            None
        }
    }
}

/// Addresses a connector never reaches: link-local (cloud metadata services), unspecified,
/// broadcast and multicast — an IPv4 address written as IPv6 (`::ffff:169.254.169.254`) as itself.
fn forbidden_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_ip(std::net::IpAddr::V4(v4)),
            None => v6.is_unspecified() || v6.is_multicast() || (v6.segments()[0] & 0xffc0) == 0xfe80,
        },
    }
}

/// The address to connect to, from what the host name resolved to at run time: the first one a
/// connector may reach. A name that resolves only to forbidden addresses (a DNS name, or a number
/// such as `2852039166` that the resolver reads as 169.254.169.254) is refused in words, so the
/// check made when the connector was saved cannot be got round.
pub fn reachable(host: &str, resolved: &[std::net::SocketAddr]) -> Result<std::net::SocketAddr, String> {
    if resolved.is_empty() {
        return Err(format!("{host} does not resolve to any address."));
    }
    resolved.iter().copied().find(|a| !forbidden_ip(a.ip())).ok_or_else(|| {
        format!("{host} resolves to a link-local, unspecified or multicast address, which a connector never reaches.")
    })
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(v4) => v4.is_loopback(),
        url::Host::Ipv6(v6) => v6.is_loopback(),
    }
}

/// An `https://` URL with a host and no credentials, query or fragment (the key goes in the
/// secret); `http://` only to this machine (the sandbox); never a link-local address. The text is
/// not repeated in the refusal: it may hold a credential.
fn check_base_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("The base URL is not a URL ({e})."))?;
    let host = url.host().ok_or_else(|| "The base URL has no host.".to_string())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put the API's credentials in the API key, not in the URL.".into());
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err("The base URL must be https:// (http:// only to this machine, for the sandbox).".into()),
        _ => return Err("The base URL must be an https:// URL.".into()),
    }
    let ip = match &host {
        url::Host::Ipv4(v4) => Some(std::net::IpAddr::V4(*v4)),
        url::Host::Ipv6(v6) => Some(std::net::IpAddr::V6(*v6)),
        url::Host::Domain(_) => None,
    };
    if ip.is_some_and(forbidden_ip) {
        return Err("The base URL points at a link-local or unspecified address.".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("The base URL takes no query or fragment.".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A pattern names files in one directory (no `/`), carries one date token, and reads as a glob
/// once the date is in it.
fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.contains('/') || pattern.contains('\\') || pattern.len() > 200 || pattern.chars().any(char::is_control) {
        return Err(format!("{pattern:?} is not a file name pattern (a name in the remote directory, no /)."));
    }
    let tokens = DATE_TOKENS.iter().filter(|(t, _)| pattern.contains(t)).count();
    if tokens != 1 {
        let names: Vec<&str> = DATE_TOKENS.iter().map(|(t, _)| *t).collect();
        return Err(format!(
            "The file pattern needs one date token ({}), e.g. AXIS_SETTLE_{{YYYY-MM-DD}}_*.csv.",
            names.join(", ")
        ));
    }
    file_glob(pattern, NaiveDate::from_ymd_opt(2026, 1, 31).expect("a date")).map(|_| ())
}

/// The pattern for one cycle date, as a glob (`*` any run of characters, `?` one).
pub fn file_glob(pattern: &str, date: NaiveDate) -> Result<glob::Pattern, String> {
    let mut text = pattern.to_string();
    for (token, format) in DATE_TOKENS {
        text = text.replace(token, &date.format(format).to_string());
    }
    glob::Pattern::new(&text).map_err(|e| format!("{pattern:?} is not a file name pattern: {e}."))
}

/// Whether a file the server lists is one the pattern takes: a plain name (no `/`, not `.` or
/// `..`) that the glob matches, `*` never crossing a `/`.
pub fn takes_file(glob: &glob::Pattern, name: &str) -> bool {
    let options = glob::MatchOptions { require_literal_separator: true, ..glob::MatchOptions::new() };
    !name.contains(['/', '\\']) && name != "." && name != ".." && glob.matches_with(name, options)
}

/// The schedule's next `n` fire times after `after`, read in `timezone`; refused in words when the
/// expression does not read (five cron fields) or never fires.
pub fn next_fires(cron: &str, timezone: Tz, after: DateTime<Utc>, n: usize) -> Result<Vec<DateTime<Utc>>, String> {
    let parsed = cron.parse::<croner::Cron>().map_err(|e| {
        format!("\"{cron}\" is not a schedule: {e}. Use five cron fields, e.g. \"30 6 * * *\" for 06:30 every day.")
    })?;
    if cron.split_whitespace().count() != 5 {
        return Err(format!("\"{cron}\" is not a schedule: use five cron fields (minute hour day month weekday)."));
    }
    let mut out = Vec::with_capacity(n);
    let mut at = after.with_timezone(&timezone);
    for _ in 0..n {
        at = parsed.find_next_occurrence(&at, false).map_err(|_| format!("\"{cron}\" never comes round."))?;
        out.push(at.with_timezone(&Utc));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_time_addresses_are_checked_whatever_the_name_said() {
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        assert_eq!(reachable("bank", &[at("10.0.0.5:22")]), Ok(at("10.0.0.5:22")));
        assert!(reachable("2852039166", &[at("169.254.169.254:22")]).unwrap_err().contains("link-local"));
        assert!(reachable("mapped", &[at("[::ffff:169.254.169.254]:22")]).is_err(), "IPv4 in IPv6 is itself");
        assert!(reachable("any", &[at("0.0.0.0:22")]).is_err());
        assert!(reachable("multi", &[at("224.0.0.1:22")]).is_err());
        assert_eq!(reachable("two", &[at("169.254.1.1:22"), at("127.0.0.1:22")]), Ok(at("127.0.0.1:22")));
        assert!(reachable("none", &[]).unwrap_err().contains("does not resolve"));
    }
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap()
    }

    fn sftp() -> ConnectorInput {
        ConnectorInput {
            name: " AXIS SFTP ".into(),
            kind: "bank_sftp".into(),
            schedule: "30  6 * * *".into(),
            timezone: None,
            auto_recon: None,
            config: ConnectorConfig {
                host: Some("SFTP.axis.example".into()),
                username: Some("axis_recon".into()),
                directory: Some("/outgoing".into()),
                pattern: Some("AXIS_SETTLE_{YYYY-MM-DD}_*.csv".into()),
                layout: Some("AXIS SFTP settlement".into()),
                base_url: Some("https://ignored.example".into()),
                ..Default::default()
            },
            secrets: BTreeMap::from([("password".to_string(), "s3cret pw".to_string())]),
            version: None,
        }
    }

    #[test]
    fn a_bank_sftp_connector_keeps_only_its_own_settings() {
        let v = validate(&sftp(), None, now()).unwrap();
        assert_eq!(v.name, "AXIS SFTP");
        assert_eq!(v.kind, ConnectorType::BankSftp);
        assert_eq!(v.schedule, "30 6 * * *");
        assert_eq!(v.timezone, chrono_tz::Asia::Kolkata);
        assert!(v.auto_recon, "on unless turned off");
        assert_eq!(v.config.host.as_deref(), Some("sftp.axis.example"));
        assert_eq!(v.config.port, Some(22));
        assert_eq!(v.config.sidecar, Some(false));
        assert_eq!(v.config.base_url, None, "a PG API setting is not kept on an SFTP connector");
        assert_eq!(v.layout.as_deref(), Some("AXIS SFTP settlement"));
        assert_eq!(v.secrets, vec![(SecretName::Password, Plain::new("s3cret pw".into()))]);
        assert!(!format!("{v:?}").contains("s3cret"), "Debug hides the secret");
        assert!(!format!("{:?}", sftp()).contains("s3cret"), "so does the input's");
        assert_eq!(v.destination(), "sftp://axis_recon@sftp.axis.example:22");
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let mut bad = sftp();
        bad.name = String::new();
        bad.schedule = "every morning".into();
        bad.config.host = Some("host name; rm".into());
        bad.config.pattern = Some("AXIS_*.csv".into());
        bad.config.layout = None;
        bad.secrets = BTreeMap::from([("privateKey".to_string(), "not a key".to_string())]);
        let e = validate(&bad, None, now()).unwrap_err();
        for needle in [
            "a name",
            "\"every morning\" is not a schedule",
            "is not a host",
            "one date token",
            "bank layout",
            "OpenSSH or PEM",
            "password or a private key",
        ] {
            assert!(e.contains(needle), "{needle:?} in {e}");
        }
    }

    #[test]
    fn hosts_users_and_directories_are_plain() {
        for (host, ok) in [
            ("sftp.axis.example", true),
            ("127.0.0.1", true),
            ("[::1]", true),
            ("169.254.169.254", false),
            ("0.0.0.0", false),
            ("fe80::1", false),
            ("-oProxyCommand=x", false),
            ("a..b", false),
            ("host name", false),
        ] {
            let mut input = sftp();
            input.config.host = Some(host.into());
            assert_eq!(validate(&input, None, now()).is_ok(), ok, "{host}");
        }
        for (user, ok) in [("axis_recon", true), ("a.b-c", true), ("-oProxy", false), ("a b", false), ("a$b", false)] {
            let mut input = sftp();
            input.config.username = Some(user.into());
            assert_eq!(validate(&input, None, now()).is_ok(), ok, "{user}");
        }
        let mut input = sftp();
        input.config.directory = Some("-x".into());
        assert!(validate(&input, None, now()).is_err());
        input = sftp();
        input.secrets.insert("password".into(), "   ".into());
        assert!(validate(&input, None, now()).unwrap_err().contains("password is empty"));
    }

    #[test]
    fn secrets_are_one_of_the_types_and_an_edit_keeps_the_stored_ones() {
        let mut both = sftp();
        both.secrets.insert("privateKey".into(), "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n".into());
        assert!(validate(&both, None, now()).unwrap_err().contains("not both"));
        let mut none = sftp();
        none.secrets.clear();
        assert!(validate(&none, None, now()).unwrap_err().contains("password or a private key"));
        assert!(validate(&none, Some(&[SecretName::PrivateKey]), now()).is_ok(), "an edit keeps the stored key");
        let mut wrong = sftp();
        wrong.secrets.insert("apiKey".into(), "k".into());
        assert!(validate(&wrong, None, now()).unwrap_err().contains("takes no apiKey"));
    }

    #[test]
    fn a_pg_api_connector_needs_a_plain_url_codes_and_a_key() {
        let mut input = ConnectorInput {
            name: "PG sandbox".into(),
            kind: "PG_API".into(),
            schedule: "0 * * * *".into(),
            timezone: Some("UTC".into()),
            config: ConnectorConfig {
                base_url: Some("http://127.0.0.1:3000/api/pg/".into()),
                merchant_codes: Some(vec!["MER001".into(), " MER-2 ".into()]),
                host: Some("kept out".into()),
                ..Default::default()
            },
            secrets: BTreeMap::from([("apiKey".to_string(), "k".to_string())]),
            ..Default::default()
        };
        let v = validate(&input, None, now()).unwrap();
        assert_eq!(v.config.base_url.as_deref(), Some("http://127.0.0.1:3000/api/pg"));
        assert_eq!(v.config.merchant_codes, Some(vec!["MER001".to_string(), "MER-2".to_string()]));
        assert_eq!(v.config.days_back, Some(1));
        assert_eq!(v.config.host, None);
        assert_eq!(v.timezone, chrono_tz::UTC);
        for (url, needle) in [
            ("ftp://x.example", "must be an https:// URL"),
            ("http://pg.example", "http:// only to this machine"),
            ("https://169.254.169.254/latest", "link-local"),
            ("https://user:pw@x.example", "not in the URL"),
            ("https://x.example/?k=1", "no query"),
            ("not a url", "is not a URL"),
        ] {
            input.config.base_url = Some(url.into());
            let e = validate(&input, None, now()).unwrap_err();
            assert!(e.contains(needle), "{url}: {e}");
            assert!(!e.contains("pw@"), "a refused URL is not repeated");
        }
        input.config.base_url = Some("https://pg.example".into());
        input.config.days_back = Some(90);
        input.config.merchant_codes = Some(vec!["bad code".into()]);
        input.timezone = Some("Mars/Olympus".into());
        let e = validate(&input, None, now()).unwrap_err();
        assert!(e.contains("Days back") && e.contains("not a merchant code") && e.contains("not a time zone"), "{e}");
    }

    #[test]
    fn the_pattern_takes_the_cycle_date_in_its_token_form() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let g = file_glob("AXIS_SETTLE_{YYYY-MM-DD}_*.csv", date).unwrap();
        assert!(g.matches("AXIS_SETTLE_2026-11-30_01.csv"));
        assert!(!g.matches("AXIS_SETTLE_2026-11-29_01.csv"));
        assert!(!g.matches("AXIS_SETTLE_2026-11-30_01.csv.sha256"));
        assert!(file_glob("HDFC{DDMMYYYY}.txt", date).unwrap().matches("HDFC30112026.txt"));
        assert!(file_glob("x_{YYYYMMDD}?.csv", date).unwrap().matches("x_20261130a.csv"));
        assert!(takes_file(&g, "AXIS_SETTLE_2026-11-30_01.csv"));
        assert!(!takes_file(&g, "AXIS_SETTLE_2026-11-30_/../../etc.csv"), "a listed name with a path is never taken");
        assert!(!takes_file(&g, ".."));
        assert!(check_pattern("in/sub_{YYYY-MM-DD}.csv").is_err());
        assert!(check_pattern("{YYYYMMDD}_{YYYY-MM-DD}.csv").is_err(), "one token");
        assert!(check_pattern("a_{YYYYMMDD}_[.csv").is_err(), "not a glob");
    }

    #[test]
    fn the_next_fires_are_read_in_the_connectors_time_zone() {
        // 2026-11-30 01:00 UTC is 06:30 IST.
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let fires = next_fires("30 6 * * *", chrono_tz::Asia::Kolkata, now, 5).unwrap();
        assert_eq!(fires.len(), 5);
        assert_eq!(fires[0], Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap());
        assert_eq!(fires[4], Utc.with_ymd_and_hms(2026, 12, 4, 1, 0, 0).unwrap());
        let london =
            next_fires("0 9 * * *", chrono_tz::Europe::London, Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap(), 1);
        assert_eq!(london.unwrap()[0], Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap(), "BST");
        assert!(next_fires("0 0 31 2 *", chrono_tz::UTC, now, 1).unwrap_err().contains("never"));
        assert!(next_fires("* * * * * *", chrono_tz::UTC, now, 1).is_err(), "six fields");
    }
}
