//! Session ids: a slot tag, 256 bits from the OS CSPRNG and the session's creation time,
//! base64url (no padding) in the cookie.
//!
//! The creation time travels in the id, not in the store: a load then reads back only
//! the session's own fields (every reply value Redis sends costs the app time to
//! parse). It cannot be forged: the storage key is the SHA-256 of the
//! whole id, so an id with another time names another key, which holds nothing.
//!
//! The slot tag is two random bytes chosen when a session is created and kept by every id
//! it is given later (a rotation, or a session created in place of one that ended). It
//! appears in the storage key as a Redis Cluster hash tag, `{3fa9}`, so an operation on a
//! session's old and new keys stays on one node: a rotation is one atomic `RENAME` on a
//! cluster too. It is neither secret nor derived from anything: the 256 secret bits are
//! apart from it.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Bytes of the slot tag, at the start of an id.
const TAG_BYTES: usize = 2;
/// Bytes of randomness in an id, after the tag.
const RANDOM_BYTES: usize = 32;
/// Bytes of an id: the tag, the randomness, then the creation time (ms since the Unix
/// epoch, big-endian).
const ID_BYTES: usize = TAG_BYTES + RANDOM_BYTES + 8;
/// Length of an id in its cookie form: 42 bytes in unpadded base64.
const ENCODED_LEN: usize = 56;

/// The slot tag of an id: which Redis Cluster slot its session's key hashes to.
pub type SlotTag = [u8; TAG_BYTES];

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
    /// `created_ms` (ms since the Unix epoch; a rotated id keeps its session's time), with
    /// the slot tag `tag` (a rotated id keeps its session's; `None` draws a new one).
    ///
    /// # Errors
    /// When the OS random source fails; no id is ever made from a weaker source.
    pub fn generate(created_ms: u64, tag: Option<SlotTag>) -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; ID_BYTES];
        getrandom::fill(&mut bytes[..TAG_BYTES + RANDOM_BYTES])?;
        if let Some(tag) = tag {
            bytes[..TAG_BYTES].copy_from_slice(&tag);
        }
        bytes[TAG_BYTES + RANDOM_BYTES..].copy_from_slice(&created_ms.to_be_bytes());
        Ok(Self::from_bytes(bytes))
    }

    /// When the session was created (ms since the Unix epoch).
    pub fn created_ms(&self) -> u64 {
        let mut time = [0u8; 8];
        time.copy_from_slice(&self.bytes[TAG_BYTES + RANDOM_BYTES..]);
        u64::from_be_bytes(time)
    }

    /// The id's slot tag, which every later id of its session keeps.
    pub fn tag(&self) -> SlotTag {
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&self.bytes[..TAG_BYTES]);
        tag
    }

    /// 64 of the id's random bits: a key for in-process maps that holds no usable part
    /// of the id.
    pub(crate) fn random_bits(&self) -> u64 {
        let mut bits = [0u8; 8];
        bits.copy_from_slice(&self.bytes[TAG_BYTES..TAG_BYTES + 8]);
        u64::from_le_bytes(bits)
    }

    fn from_bytes(bytes: [u8; ID_BYTES]) -> Self {
        Self { bytes, digest_hex: OnceLock::new() }
    }

    /// Parses an id from its cookie form. Anything that is not exactly 56 base64url
    /// characters decoding to 42 bytes is rejected (`None`), never repaired. (Ids of the
    /// earlier forms, 43 and 54 characters, are rejected too: their sessions are gone.)
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

    /// The storage key: `prefix`, the slot tag in hex as a Redis hash tag (`{3fa9}`), then
    /// the hex SHA-256 of the whole id. A Redis dump, `MONITOR` or `SCAN` shows these,
    /// never a usable token.
    pub fn storage_key(&self, prefix: &str) -> String {
        self.key(prefix).to_string()
    }

    /// [`SessionId::storage_key`] without an allocation for the usual short prefix: a
    /// request names its session's key once or twice.
    pub(crate) fn key(&self, prefix: &str) -> StorageKey {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest =
            self.digest_hex.get_or_init(|| crate::token::hex(&crate::token::sha256(&self.bytes)));
        let mut tag = [b'{', 0, 0, 0, 0, b'}'];
        for (pair, byte) in tag[1..5].chunks_exact_mut(2).zip(self.tag()) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        let len = prefix.len() + tag.len() + digest.len();
        if len > INLINE_KEY {
            let mut key = String::with_capacity(len);
            key.push_str(prefix);
            // Only ASCII hex digits and braces are in `tag` and `digest`.
            key.push_str(std::str::from_utf8(&tag).unwrap_or_default());
            key.push_str(std::str::from_utf8(digest).unwrap_or_default());
            return StorageKey::Heap(key);
        }
        let mut bytes = [0u8; INLINE_KEY];
        let (start, rest) = bytes.split_at_mut(prefix.len());
        start.copy_from_slice(prefix.as_bytes());
        rest[..tag.len()].copy_from_slice(&tag);
        rest[tag.len()..tag.len() + digest.len()].copy_from_slice(digest);
        StorageKey::Inline { bytes, len: len as u8 }
    }
}

/// Longest storage key kept without an allocation: a prefix of up to 58 bytes.
const INLINE_KEY: usize = 128;

/// A session's storage key (see [`SessionId::storage_key`]), as a `&str` through `Deref`.
pub(crate) enum StorageKey {
    /// The key in place: `len` bytes of `bytes`, UTF-8 (the prefix, then ASCII).
    Inline { bytes: [u8; INLINE_KEY], len: u8 },
    /// A key with a long prefix.
    Heap(String),
}

impl std::ops::Deref for StorageKey {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // The bytes are a `&str` prefix and ASCII, cut at their end.
            Self::Inline { bytes, len } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Self::Heap(key) => key,
        }
    }
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
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

#[cfg(test)]
#[path = "id_props.rs"]
mod props;
