//! Secrets at rest (a connector's SFTP password or private key, its PG API key): sealed with
//! AES-256-GCM under the server's key (`SECRETS_KEY`, 32 bytes as base64 or 64 hex digits; `make
//! run` makes one for the demo in `.data/secrets-key`). The database holds a random 96-bit nonce and
//! the ciphertext with its tag, never the key or the plain text. Each secret is bound to where it
//! belongs (its connector and name, the AEAD's associated data), so a ciphertext copied onto
//! another connector, or from the password onto the API key, does not open.
//!
//! A secret is opened only where it is used (a connector's run): no page or API answer carries one,
//! and neither the key nor a plain secret has a `Debug` that shows it.
//!
//! Rotation: the retired key is given as `SECRETS_KEY_PREVIOUS` beside the new `SECRETS_KEY`.
//! Secrets then open under either (new ones are sealed under the new key), and
//! `settlepaisa-ops secrets reseal` seals every stored secret again under the new key, after which
//! the previous key can go (docs/runbooks/rotate-a-secret.md).

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;

/// The server's key for secrets at rest, and during a rotation the key it replaces (which still
/// opens, never seals).
#[derive(Clone)]
pub struct SecretsKey(Key<Aes256Gcm>, Option<Key<Aes256Gcm>>);

/// Under which key a stored secret opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenedUnder {
    Current,
    Previous,
}

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
        Self::parse_named("SECRETS_KEY", text)
    }

    /// [`Self::parse`], its refusals naming the variable `var` the text came from.
    pub fn parse_named(var: &str, text: &str) -> Result<SecretsKey, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| format!("{var} is not hex"))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| format!("{var} must be 32 bytes as base64 (44 characters) or 64 hex digits"))?
        };
        if bytes.len() != 32 {
            return Err(format!("{var} must be 32 bytes (AES-256); it holds {}", bytes.len()));
        }
        Ok(SecretsKey(*Key::<Aes256Gcm>::from_slice(&bytes), None))
    }

    /// A new random key, as base64 (what `make run` writes for the demo).
    pub fn generate() -> String {
        base64::engine::general_purpose::STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// This key, with `previous` (the key it replaces) still opening what was sealed under it.
    pub fn with_previous(self, previous: SecretsKey) -> SecretsKey {
        SecretsKey(self.0, Some(previous.0))
    }

    /// Whether `other` is the same current key (however each was written).
    pub fn same_key_as(&self, other: &SecretsKey) -> bool {
        self.0 == other.0
    }

    /// A short fingerprint of the current key (the first 12 hex digits of its SHA-256), to tell keys
    /// apart in a command's output without showing one.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.0)
    }

    /// The previous key's fingerprint, when one is set.
    pub fn previous_fingerprint(&self) -> Option<String> {
        self.1.as_ref().map(fingerprint)
    }

    /// Whether a previous key is set (a rotation under way).
    pub fn has_previous(&self) -> bool {
        self.1.is_some()
    }

    /// Seal `plain` for the place `context` names (e.g. `connector:<id>:password`), always under
    /// the current key.
    pub fn seal(&self, context: &str, plain: &str) -> Sealed {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let ciphertext = Aes256Gcm::new(&self.0)
            .encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: context.as_bytes() })
            // Encryption fails only for a message beyond AES-GCM's 64 GB limit.
            .expect("a secret is far below AES-GCM's message limit");
        Sealed { nonce: nonce.to_vec(), ciphertext }
    }

    /// Open a secret sealed for `context`, under the current key or the previous one; refused for
    /// another key, another place or any change.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Plain, String> {
        self.open_saying_under(context, sealed).map(|(plain, _)| plain)
    }

    /// [`Self::open`], and under which key it opened (a reseal seals again what opened under the
    /// previous one).
    pub fn open_saying_under(&self, context: &str, sealed: &Sealed) -> Result<(Plain, OpenedUnder), String> {
        if sealed.nonce.len() != 12 {
            return Err("the stored secret is damaged (its nonce is not 12 bytes)".into());
        }
        let under = |key: &Key<Aes256Gcm>| {
            Aes256Gcm::new(key)
                .decrypt(Nonce::from_slice(&sealed.nonce), Payload { msg: &sealed.ciphertext, aad: context.as_bytes() })
                .ok()
        };
        let (plain, opened) = match (under(&self.0), &self.1) {
            (Some(plain), _) => (plain, OpenedUnder::Current),
            (None, Some(previous)) => match under(previous) {
                Some(plain) => (plain, OpenedUnder::Previous),
                None => {
                    return Err("the stored secret opens with neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS \
                                (another key, or it was altered): save it again"
                        .to_string())
                }
            },
            (None, None) => {
                return Err("the stored secret does not open with this server's SECRETS_KEY (another key, or it \
                            was altered): save it again"
                    .to_string())
            }
        };
        String::from_utf8(plain).map(|p| (Plain(p), opened)).map_err(|_| "the stored secret is not text".to_string())
    }
}

fn fingerprint(key: &Key<Aes256Gcm>) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(key.as_slice()))[..12].to_string()
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
    fn during_a_rotation_both_keys_open_and_only_the_new_one_seals() {
        let (old, new) = (key(), key());
        let sealed_old = old.seal("connector:1:password", "before");
        let rotating = new.clone().with_previous(old.clone());
        assert!(rotating.has_previous() && !new.has_previous());
        let (plain, under) = rotating.open_saying_under("connector:1:password", &sealed_old).unwrap();
        assert_eq!((plain.expose(), under), ("before", OpenedUnder::Previous));
        assert!(rotating.open("connector:2:password", &sealed_old).is_err(), "the place still binds it");
        let sealed_new = rotating.seal("connector:1:password", "after");
        assert_eq!(new.open_saying_under("connector:1:password", &sealed_new).unwrap().1, OpenedUnder::Current);
        assert!(old.open("connector:1:password", &sealed_new).is_err(), "sealed under the new key only");
        assert!(
            new.open("connector:1:password", &sealed_old).is_err(),
            "without the previous key, the old one is shut"
        );
        assert!(format!("{rotating:?}").contains("hidden"));
        assert_eq!(rotating.fingerprint(), new.fingerprint());
        assert_eq!(rotating.previous_fingerprint(), Some(old.fingerprint()));
        assert_ne!(old.fingerprint(), new.fingerprint());
        assert_eq!(new.fingerprint().len(), 12);
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
