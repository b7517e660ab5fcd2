//! The per-user index: which sessions a user has, on which devices, and ending them.
//!
//! A session is tied to a user by [`Session::bind_user`](crate::Session::bind_user). The
//! tie ([`Binding`]) is kept in the session itself, as one reserved field, and in the
//! user's index, one entry per session under an opaque handle. Stores keep both in step:
//! every write that changes a tie goes through [`SessionStore::commit_bound`], one step
//! like any other write (see each store for how).
//!
//! [`SessionStore::commit_bound`]: super::SessionStore::commit_bound

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Changes, Fields};
use crate::SessionId;
use crate::id::SlotTag;
use crate::token::{hex, sha256};

/// The reserved session field holding a session's [`Binding`]: loads hand it to the
/// session layer, never to the app.
pub const BINDING_FIELD: &str = "\0user";

/// Hex digits of a handle.
const HANDLE_HEX: usize = 32;
/// Most bytes of a device label.
const MAX_DEVICE: usize = 64;

/// A user as the stores know them: the SHA-256 of the app's user id. The id itself is
/// never stored, in an index key's name or anywhere else.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UserKey([u8; 32]);

impl UserKey {
    /// The key of the app's user id `user_id` (any stable string: a database id, a
    /// provider's subject).
    pub fn new(user_id: &str) -> Self {
        Self(sha256(user_id.as_bytes()))
    }

    /// The digest in lowercase hex.
    pub fn hex(&self) -> String {
        String::from_utf8_lossy(&hex(&self.0)).into_owned()
    }

    /// The slot tag of the user's sessions and index: the first bytes of the digest. On a
    /// Redis Cluster every session of the user and the index are then on one slot, so
    /// each index operation is one atomic script.
    pub fn tag(&self) -> SlotTag {
        [self.0[0], self.0[1]]
    }

    fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        if text.len() != 64 {
            return None;
        }
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl std::fmt::Debug for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserKey({}…)", &self.hex()[..12])
    }
}

/// A session's tie to a user: the user, the session's handle in the user's index, and the
/// label of the device it was bound on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The user.
    pub user: UserKey,
    /// The session's handle in the user's index: random, kept by every id the session
    /// gets, and unrelated to the id.
    pub handle: String,
    /// A short description of the device, such as `"Firefox on Linux"`.
    pub device: String,
}

impl Binding {
    /// A new tie of a session to `user`, with a fresh handle.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn new(user: UserKey, device: &str) -> Result<Self, getrandom::Error> {
        let random = crate::token::random_bytes()?;
        let handle = String::from_utf8_lossy(&hex(&random)[..HANDLE_HEX]).into_owned();
        Ok(Self { user, handle, device: clean_device(device) })
    }

    /// The value of the reserved field: the handle, the user's digest, the device label.
    pub(crate) fn field_value(&self) -> String {
        format!("{}{}{}", self.handle, self.user.hex(), self.device)
    }

    /// Reads the reserved field back; `None` for a value not of that form.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        // The value is stored as JSON text, like every field.
        let value: String = serde_json::from_str(value).ok()?;
        let handle = value.get(..HANDLE_HEX).filter(|h| is_handle(h))?;
        let user = UserKey::from_hex(value.get(HANDLE_HEX..HANDLE_HEX + 64)?)?;
        let device = value.get(HANDLE_HEX + 64..)?;
        Some(Self { user, handle: handle.to_owned(), device: clean_device(device) })
    }

    /// The reserved field's value as the session stores it (JSON text).
    pub fn field_json(&self) -> String {
        serde_json::Value::String(self.field_value()).to_string()
    }
}

/// Whether `text` has the form of a handle (what a form or URL may hand the app back).
pub fn is_handle(text: &str) -> bool {
    text.len() == HANDLE_HEX
        && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A device label cut to size, printable characters only.
fn clean_device(device: &str) -> String {
    let mut out = String::new();
    for c in device.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > MAX_DEVICE {
            break;
        }
        out.push(c);
    }
    out
}

/// One live session of a user, as [`SessionStore::user_sessions`] lists it.
///
/// [`SessionStore::user_sessions`]: super::SessionStore::user_sessions
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSession {
    /// The opaque handle to end it by.
    pub handle: String,
    /// When the session was created (ms since the Unix epoch).
    pub created_ms: u64,
    /// When it was last used (ms since the Unix epoch), as exactly as its store can
    /// tell (see the store).
    pub last_seen_ms: u64,
    /// The device it was bound on.
    pub device: String,
    /// Whether it is the session of the request that asked (set by
    /// [`Session::user_sessions`](crate::Session::user_sessions); `false` from a store).
    pub current: bool,
}

impl UserSession {
    /// [`UserSession::created_ms`] as a time.
    pub fn created(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.created_ms)
    }

    /// [`UserSession::last_seen_ms`] as a time.
    pub fn last_seen(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.last_seen_ms)
    }
}

/// Which of a user's sessions to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The one with this handle.
    One(String),
    /// All but the one with this handle (the device asking).
    AllBut(String),
    /// All of them.
    All,
}

impl Ending {
    /// Whether the session with `handle` is to end.
    pub fn includes(&self, handle: &str) -> bool {
        match self {
            Self::One(one) => one == handle,
            Self::AllBut(kept) => kept != handle,
            Self::All => true,
        }
    }
}

/// A write to a session that is, or becomes, bound to a user: the session's own write and
/// the index entries it changes, for [`SessionStore::commit_bound`] to do in one step.
///
/// [`SessionStore::commit_bound`]: super::SessionStore::commit_bound
#[derive(Debug, PartialEq, Eq)]
pub struct BoundWrite {
    /// The session as stored before this write (`None`: not stored yet).
    pub old: Option<SessionId>,
    /// Its id after the write (`None`: it ends).
    pub new: Option<SessionId>,
    /// Whether `new` goes on with `old`'s data (a rotation, a sign-in): then `old` must
    /// still exist (or nothing is written) and `changes` apply to its record. Otherwise
    /// `old` (if any) is deleted and `new` holds `fields`.
    pub carry: bool,
    /// The changes since the load, the reserved binding field included.
    pub changes: Changes,
    /// The whole data of `new`, the reserved binding field included (for a store that
    /// writes the record anew instead of applying `changes`).
    pub fields: Fields,
    /// The index entry to remove: the tie `old` had.
    pub unbind: Option<Binding>,
    /// The index entry to add (or point at `new`): the tie `new` has.
    pub bind: Option<Binding>,
}

impl BoundWrite {
    /// Whether `new` goes on with `old`'s data, so `old` must still exist.
    pub fn carries(&self) -> bool {
        self.carry && self.old.is_some() && self.new.is_some()
    }
}

/// The index entry of a session, as the Redis store keeps it: JSON with the session's
/// storage key, its creation time and its device label.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct IndexEntry {
    pub(crate) key: String,
    pub(crate) created: u64,
    pub(crate) device: String,
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
