//! A bank's SFTP server, as a BANK_SFTP run sees it: connect (the host key checked against the
//! pinned fingerprint), sign in with the password or the private key, list the directory, read a
//! `.sha256` sidecar, and stream a file in chunks (never a whole-file buffer) into the upload path.
//! Every failure comes back in words an analyst can act on ("authentication failed for user
//! axis_recon", "the server's host key changed …").

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::fs::File;
use russh_sftp::client::SftpSession;
use tokio::io::AsyncReadExt;

use crate::error::AppError;
use crate::secrets::Plain;

/// How long connecting and signing in may take, and how long one SFTP request may wait.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT_SECS: u64 = 30;
/// A silent connection is dropped after this long.
const INACTIVITY: Duration = Duration::from_secs(60);
/// The chunk a download is read in.
const CHUNK: usize = 256 * 1024;
/// The most a sidecar may hold (a hash and a file name).
const MAX_SIDECAR: u64 = 4 * 1024;
/// The most entries a directory listing may have.
pub const MAX_LISTED: usize = 10_000;

/// Where and as whom to connect.
pub struct Target<'a> {
    /// The host as configured (for messages).
    pub host: &'a str,
    /// The address it resolved to, checked ([`super::rules::reachable`]).
    pub addr: std::net::SocketAddr,
    pub username: &'a str,
    pub password: Option<&'a Plain>,
    pub private_key: Option<&'a Plain>,
    /// The fingerprint pinned at the first contact (`SHA256:…`); `None` takes the server's.
    pub pinned: Option<&'a str>,
}

/// A signed-in SFTP session.
pub struct Sftp {
    sftp: SftpSession,
    /// The server's host key fingerprint, as offered at this connection.
    pub fingerprint: String,
    session: client::Handle<HostKey>,
}

/// A file the directory lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub size: u64,
}

struct HostKey {
    pinned: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for HostKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let offered = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.fingerprint(HashAlg::Sha256).to_string(),
            PublicKeyOrCertificate::Certificate(cert) => cert.public_key().fingerprint(HashAlg::Sha256).to_string(),
        };
        let trusted = self.pinned.as_deref().is_none_or(|pinned| pinned == offered);
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(offered);
        Ok(trusted)
    }
}

/// Connect and sign in. The host key is checked before any secret is sent.
pub async fn connect(target: &Target<'_>) -> Result<Sftp, String> {
    let where_ = format!("{}:{}", target.host, target.addr.port());
    let seen = Arc::new(Mutex::new(None));
    let handler = HostKey { pinned: target.pinned.map(String::from), seen: seen.clone() };
    let config = Arc::new(client::Config { inactivity_timeout: Some(INACTIVITY), ..Default::default() });
    let connecting = client::connect(config, target.addr, handler);
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, connecting).await;
    let offered = || seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut session = match connected {
        Err(_) => return Err(format!("{where_} did not answer within {} seconds.", CONNECT_TIMEOUT.as_secs())),
        Ok(Err(russh::Error::UnknownKey)) => {
            return Err(format!(
                "the server's host key changed: {where_} offered {}, but {} is pinned. Refused to connect. \
                 Ask the bank whether it changed its key; if it did, an admin clears the pinned key on the \
                 connector's card and tests again.",
                offered().unwrap_or_else(|| "an unknown key".into()),
                target.pinned.unwrap_or("another key"),
            ));
        }
        Ok(Err(e)) => return Err(format!("could not connect to {where_}: {}", connect_error(&e))),
        Ok(Ok(session)) => session,
    };
    let fingerprint = offered().ok_or_else(|| format!("{where_} offered no host key."))?;
    let signing_in = async {
        match (target.private_key, target.password) {
            (Some(key), _) => {
                let key = russh::keys::decode_secret_key(key.expose(), None)
                    .map_err(|e| format!("the private key does not read ({e}); give it in OpenSSH or PEM form."))?;
                let hash = session.best_supported_rsa_hash().await.map_err(|e| e.to_string())?.flatten();
                session
                    .authenticate_publickey(target.username, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                    .await
                    .map_err(|e| e.to_string())
            }
            (None, Some(password)) => {
                session.authenticate_password(target.username, password.expose()).await.map_err(|e| e.to_string())
            }
            (None, None) => Err("no password or private key is set for this connector.".into()),
        }
    };
    let auth = tokio::time::timeout(CONNECT_TIMEOUT, signing_in)
        .await
        .map_err(|_| format!("{where_} did not finish signing in within {} seconds.", CONNECT_TIMEOUT.as_secs()))??;
    if !auth.success() {
        return Err(format!("authentication failed for user {}", target.username));
    }
    let opened = async {
        let channel = session.channel_open_session().await.map_err(|e| e.to_string())?;
        channel.request_subsystem(true, "sftp").await.map_err(|e| e.to_string())?;
        let sftp = SftpSession::new(channel.into_stream()).await.map_err(|e| e.to_string())?;
        sftp.set_timeout(REQUEST_TIMEOUT_SECS);
        Ok::<_, String>(sftp)
    };
    let sftp = tokio::time::timeout(CONNECT_TIMEOUT, opened)
        .await
        .map_err(|_| format!("{where_} did not open its SFTP service in time."))?
        .map_err(|e| format!("{where_} refused the SFTP service: {e}"))?;
    Ok(Sftp { sftp, fingerprint, session })
}

fn connect_error(e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// A remote path: the directory and a listed name.
pub fn remote_path(directory: &str, name: &str) -> String {
    let dir = directory.trim_end_matches('/');
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl Sftp {
    /// The regular files of `directory`, by name.
    pub async fn list(&self, directory: &str) -> Result<Vec<Listed>, String> {
        let dir = if directory.trim().is_empty() { "." } else { directory };
        let entries: Vec<_> =
            self.sftp.read_dir(dir).await.map_err(|e| format!("could not list {dir}: {e}"))?.collect();
        if entries.len() > MAX_LISTED {
            return Err(format!("{dir} lists more than {MAX_LISTED} entries: ask the bank to clear old files out."));
        }
        let mut files: Vec<Listed> = entries
            .into_iter()
            .filter(|e| e.file_type().is_file())
            .map(|e| Listed { name: e.file_name(), size: e.metadata().len() })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    /// The SHA-256 a `.sha256` sidecar states (its first word, 64 hex digits).
    pub async fn sidecar(&self, path: &str) -> Result<String, String> {
        let mut file = self.sftp.open(path).await.map_err(|e| format!("could not open {path}: {e}"))?;
        let mut text = Vec::new();
        (&mut file)
            .take(MAX_SIDECAR)
            .read_to_end(&mut text)
            .await
            .map_err(|e| format!("could not read {path}: {e}"))?;
        parse_sidecar(&String::from_utf8_lossy(&text)).ok_or_else(|| format!("{path} does not hold a SHA-256 checksum"))
    }

    /// A file to read chunk by chunk, refused past `limits`.
    pub async fn open(&self, path: &str, limits: Limits) -> Result<Download, String> {
        let file = self.sftp.open(path).await.map_err(|e| format!("could not open {path}: {e}"))?;
        Ok(Download { file, path: path.to_string(), read: 0, limit: limits.any, limits })
    }

    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self.session.disconnect(russh::Disconnect::ByApplication, "", "en").await;
    }
}

/// The checksum a sidecar states: its first word when that is 64 hex digits (`sha256sum` output).
pub fn parse_sidecar(text: &str) -> Option<String> {
    let word = text.split_whitespace().next()?;
    (word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit())).then(|| word.to_ascii_lowercase())
}

/// The most a downloaded file may be: any file (read as it streams), and a workbook (a zip, which
/// the reader holds whole: the upload limit).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub any: u64,
    pub workbook: u64,
}

/// A remote file being read, as the upload path's body.
pub struct Download {
    file: File,
    path: String,
    read: u64,
    /// The limit in force: [`Limits::any`], or [`Limits::workbook`] once the file shows it is one.
    limit: u64,
    limits: Limits,
}

impl crate::features::recon::store::Body for Download {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        let mut buf = BytesMut::with_capacity(CHUNK);
        while buf.len() < CHUNK {
            let n = self.file.read_buf(&mut buf).await.map_err(|e| {
                AppError::Transport(format!(
                    "the connection broke while downloading {} (after {} bytes): {e}",
                    self.path,
                    self.read + buf.len() as u64
                ))
            })?;
            if n == 0 {
                break;
            }
        }
        if self.read == 0 && buf.starts_with(b"PK\x03\x04") {
            self.limit = self.limits.workbook;
        }
        self.read += buf.len() as u64;
        if self.read > self.limit {
            return Err(AppError::BadRequest(format!(
                "{} is larger than {} MB, the most a connector takes{}: refused whole, nothing written.",
                self.path,
                self.limit / (1024 * 1024),
                if self.limit == self.limits.workbook { " as a workbook" } else { "" }
            )));
        }
        Ok((!buf.is_empty()).then(|| buf.freeze()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecars_read_like_sha256sum() {
        let hash = "A".repeat(64);
        assert_eq!(parse_sidecar(&format!("{hash}  AXIS_SETTLE_2026-11-30_01.csv\n")), Some("a".repeat(64)));
        assert_eq!(parse_sidecar(&"b".repeat(64)), Some("b".repeat(64)));
        assert_eq!(parse_sidecar(""), None);
        assert_eq!(parse_sidecar(&"g".repeat(64)), None);
        assert_eq!(parse_sidecar(&"a".repeat(63)), None);
    }

    #[test]
    fn remote_paths_join_once() {
        assert_eq!(remote_path("/outgoing/", "a.csv"), "/outgoing/a.csv");
        assert_eq!(remote_path("outgoing", "a.csv"), "outgoing/a.csv");
        assert_eq!(remote_path("", "a.csv"), "a.csv");
    }
}
