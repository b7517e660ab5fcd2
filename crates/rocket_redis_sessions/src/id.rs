//! Session ids: 256 bits from the OS CSPRNG and the session's creation time, base64url
//! (no padding) in the cookie.
//!
//! The creation time travels in the id, not in the store: a load then reads back only
//! the session's own fields (every reply value Redis sends costs the app time to
//! parse). It cannot be forged: the storage key is the SHA-256 of the
//! whole id, so an id with another time names another key, which holds nothing.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Bytes of randomness in an id.
const RANDOM_BYTES: usize = 32;
/// Bytes of an id: the randomness, then the creation time (ms since the Unix epoch,
/// big-endian).
const ID_BYTES: usize = RANDOM_BYTES + 8;
/// Length of an id in its cookie form: 40 bytes in unpadded base64.
const ENCODED_LEN: usize = 54;

/// A session id. Its `Debug` output is redacted: ids are bearer tokens and never logged.
#[derive(Clone)]
pub struct SessionId {
    bytes: [u8; ID_BYTES],
    /// SHA-256 of `bytes` in lowercase hex, computed once: a request that loads and then
    /// saves its session names the Redis key twice.
    digest_hex: OnceLock<[u8; 64]>,
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
    /// Mints a fresh id, from the operating system's CSPRNG, for a session created at
    /// `created_ms` (ms since the Unix epoch; a rotated id keeps its session's time).
    ///
    /// # Errors
    /// When the OS random source fails; no id is ever made from a weaker source.
    pub fn generate(created_ms: u64) -> Result<Self, getrandom::Error> {
        let random = crate::token::random_bytes()?;
        let mut bytes = [0u8; ID_BYTES];
        bytes[..RANDOM_BYTES].copy_from_slice(&random);
        bytes[RANDOM_BYTES..].copy_from_slice(&created_ms.to_be_bytes());
        Ok(Self::from_bytes(bytes))
    }

    /// When the session was created (ms since the Unix epoch).
    pub fn created_ms(&self) -> u64 {
        let mut time = [0u8; 8];
        time.copy_from_slice(&self.bytes[RANDOM_BYTES..]);
        u64::from_be_bytes(time)
    }

    fn from_bytes(bytes: [u8; ID_BYTES]) -> Self {
        Self { bytes, digest_hex: OnceLock::new() }
    }

    /// Parses an id from its cookie form. Anything that is not exactly 54 base64url
    /// characters decoding to 40 bytes is rejected (`None`), never repaired. (Ids of the
    /// earlier 32-byte form, 43 characters, are rejected too: their sessions are gone.)
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
        let hex =
            self.digest_hex.get_or_init(|| crate::token::hex(&crate::token::sha256(&self.bytes)));
        // Only ASCII digits and letters are in `hex`.
        key.push_str(std::str::from_utf8(hex).unwrap_or_default());
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
