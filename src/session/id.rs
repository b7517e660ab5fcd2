//! Session ids: 256 bits from the OS CSPRNG, base64url (no padding) in the cookie.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Bytes of randomness in an id.
const ID_BYTES: usize = 32;
/// Length of an id in its cookie form: 32 bytes in unpadded base64.
const ENCODED_LEN: usize = 43;

/// A session id. Its `Debug` output is redacted: ids are bearer tokens and never logged.
#[derive(Clone)]
pub struct SessionId {
    bytes: [u8; ID_BYTES],
    /// SHA-256 of `bytes`, computed once: a request that loads and then saves its session
    /// names the Redis key twice.
    digest: OnceLock<[u8; 32]>,
}

impl PartialEq for SessionId {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for SessionId {}

impl Hash for SessionId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl SessionId {
    /// Mints a fresh id from the operating system's CSPRNG.
    ///
    /// # Errors
    /// When the OS random source fails; no id is ever made from a weaker source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        crate::token::random_bytes().map(Self::from_bytes)
    }

    fn from_bytes(bytes: [u8; ID_BYTES]) -> Self {
        Self { bytes, digest: OnceLock::new() }
    }

    /// Parses an id from its cookie form. Anything that is not exactly 43 base64url
    /// characters decoding to 32 bytes is rejected (`None`), never repaired.
    pub fn parse(cookie_value: &str) -> Option<Self> {
        if cookie_value.len() != ENCODED_LEN {
            return None;
        }
        let mut bytes = [0u8; ID_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(cookie_value, &mut bytes) {
            Ok(ID_BYTES) => Some(Self::from_bytes(bytes)),
            _ => None,
        }
    }

    /// The value sent in the cookie.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes)
    }

    /// The storage key: `prefix` followed by the hex SHA-256 of the id. A Redis dump,
    /// `MONITOR` or `SCAN` shows these, never a usable token.
    pub fn storage_key(&self, prefix: &str) -> String {
        let mut key = String::with_capacity(prefix.len() + 64);
        key.push_str(prefix);
        let digest = self.digest.get_or_init(|| crate::token::sha256(&self.bytes));
        crate::token::push_hex(&mut key, digest);
        key
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

#[cfg(test)]
#[path = "id_tests.rs"]
mod tests;
