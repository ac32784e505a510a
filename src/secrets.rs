//! Secrets at rest (a connector's SFTP password or private key, its PG API key): sealed with
//! AES-256-GCM under the server's key (`SECRETS_KEY`, 32 bytes as base64 or 64 hex digits; `make
//! run` makes one for the demo in `.data/secrets-key`). The database holds a random 96-bit nonce and
//! the ciphertext with its tag, never the key or the plain text. Each secret is bound to where it
//! belongs (its connector and name, the AEAD's associated data), so a ciphertext copied onto
//! another connector, or from the password onto the API key, does not open.
//!
//! A secret is opened only where it is used (a connector's run): no page or API answer carries one,
//! and neither the key nor a plain secret has a `Debug` that shows it.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;

/// The server's key for secrets at rest.
#[derive(Clone)]
pub struct SecretsKey(Key<Aes256Gcm>);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(<hidden>)")
    }
}

/// A sealed secret as stored: the nonce and the ciphertext (with its 16-byte tag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// A secret in the clear, for the moment it is used; its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Plain(String);

impl Plain {
    pub fn new(text: String) -> Plain {
        Plain(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

impl SecretsKey {
    /// The key from its text: 32 bytes written as standard base64 (44 characters) or as 64 hex
    /// digits. Anything else is refused in words (without repeating the text).
    pub fn parse(text: &str) -> Result<SecretsKey, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| "SECRETS_KEY is not hex".to_string())?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| "SECRETS_KEY must be 32 bytes as base64 (44 characters) or 64 hex digits".to_string())?
        };
        if bytes.len() != 32 {
            return Err(format!("SECRETS_KEY must be 32 bytes (AES-256); it holds {}", bytes.len()));
        }
        Ok(SecretsKey(*Key::<Aes256Gcm>::from_slice(&bytes)))
    }

    /// A new random key, as base64 (what `make run` writes for the demo).
    pub fn generate() -> String {
        base64::engine::general_purpose::STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// Seal `plain` for the place `context` names (e.g. `connector:<id>:password`).
    pub fn seal(&self, context: &str, plain: &str) -> Sealed {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let ciphertext = Aes256Gcm::new(&self.0)
            .encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: context.as_bytes() })
            // Encryption fails only for a message beyond AES-GCM's 64 GB limit.
            .expect("a secret is far below AES-GCM's message limit");
        Sealed { nonce: nonce.to_vec(), ciphertext }
    }

    /// Open a secret sealed for `context`; refused for another key, another place or any change.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Plain, String> {
        if sealed.nonce.len() != 12 {
            return Err("the stored secret is damaged (its nonce is not 12 bytes)".into());
        }
        let plain = Aes256Gcm::new(&self.0)
            .decrypt(Nonce::from_slice(&sealed.nonce), Payload { msg: &sealed.ciphertext, aad: context.as_bytes() })
            .map_err(|_| {
                "the stored secret does not open with this server's SECRETS_KEY (another key, or it was altered): set it again"
                    .to_string()
            })?;
        String::from_utf8(plain).map(Plain).map_err(|_| "the stored secret is not text".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretsKey {
        SecretsKey::parse(&SecretsKey::generate()).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_place() {
        let k = key();
        let sealed = k.seal("connector:1:password", "hunter2 ünï");
        assert_eq!(sealed.nonce.len(), 12);
        assert_eq!(sealed.ciphertext.len(), "hunter2 ünï".len() + 16, "ciphertext and tag only");
        assert!(!sealed.ciphertext.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(k.open("connector:1:password", &sealed).unwrap().expose(), "hunter2 ünï");
        assert!(k.open("connector:2:password", &sealed).is_err(), "another connector");
        assert!(k.open("connector:1:apiKey", &sealed).is_err(), "another secret");
        assert!(key().open("connector:1:password", &sealed).is_err(), "another key");
        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert!(k.open("connector:1:password", &altered).is_err(), "an altered byte");
        let again = k.seal("connector:1:password", "hunter2 ünï");
        assert_ne!(again.nonce, sealed.nonce, "a fresh nonce each time");
    }

    #[test]
    fn keys_are_32_bytes_in_base64_or_hex_and_never_shown() {
        let hex_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let from_hex = SecretsKey::parse(hex_key).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(hex::decode(hex_key).unwrap());
        let from_b64 = SecretsKey::parse(&format!(" {b64}\n")).unwrap();
        let sealed = from_hex.seal("x", "s");
        assert_eq!(from_b64.open("x", &sealed).unwrap().expose(), "s", "the same key either way");
        assert!(SecretsKey::parse("c2hvcnQ=").unwrap_err().contains("32 bytes"));
        assert!(SecretsKey::parse("not a key!").is_err());
        assert_eq!(format!("{from_hex:?}"), "SecretsKey(<hidden>)");
        assert_eq!(format!("{:?}", Plain::new("pw".into())), "<secret>");
    }
}
