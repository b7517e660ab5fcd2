//! The [`SessionStore`] contract and its two implementations, [`RedisStore`] and
//! [`MemoryStore`].
//!
//! A store keeps one record per session id: a map of fields, each a JSON text. Stores own
//! expiry: a record vanishes after `idle` without a `load` or a write, and after `absolute`
//! from its creation (the time the id carries, [`SessionId::created_ms`]) whatever
//! happens. Every store must pass the shared conformance suite
//! (`tests/suite/store_conformance.rs`).

mod backend;
mod memory;
mod redis;
mod touches;
mod users;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) use self::backend::Backend;
pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;
pub use self::users::BINDING_FIELD;
pub use self::users::{Binding, BoundWrite, Ending, UserKey, UserSession, is_handle};
use crate::SessionId;

/// A session's data: field name to JSON text, in key order. Sessions hold a handful of
/// keys: a sorted map needs no hashing and lists them in a stable order.
pub type Fields = BTreeMap<String, String>;

/// Changed fields in key order, each key once: `Some(json)` sets a field, `None` removes
/// it.
pub type Changes = Vec<(String, Option<String>)>;

/// How long records live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// Lifetime without use; every load and write starts it again.
    pub idle: Duration,
    /// Lifetime from creation, however often the session is used.
    pub absolute: Duration,
}

impl Expiry {
    /// Milliseconds the record of a session created at `created_ms` may still live at `now_ms`:
    /// the idle timeout, cut short by the absolute deadline. `None` once that has passed.
    pub fn ttl_ms(&self, created_ms: u64, now_ms: u64) -> Option<u64> {
        let deadline = created_ms.saturating_add(millis(self.absolute));
        let left = deadline.checked_sub(now_ms).filter(|&left| left > 0)?;
        Some(left.min(millis(self.idle)))
    }
}

/// How large a session may grow: a save past either limit is refused
/// ([`StoreError::TooLarge`]) in the same step that would write it, so the limits hold
/// however many requests write to one session at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of data (every key and value, as stored).
    pub max_bytes: usize,
    /// Most keys.
    pub max_keys: usize,
}

impl Limits {
    /// No limits.
    pub const NONE: Self = Self { max_bytes: usize::MAX, max_keys: usize::MAX };

    /// Whether `changes` may be applied to `fields`: a write that grows the session must
    /// leave it within both limits; one that does not grow it goes through (even past a
    /// limit lowered since). The rule every store applies in the step that writes; the
    /// session is measured only when the write grows it.
    pub fn allows(&self, fields: &Fields, changes: &Changes) -> bool {
        let (mut grow, mut added) = (0_i128, 0_i128);
        for (key, value) in changes {
            let size = |value: &String| (key.len() + value.len()) as i128;
            let (old, new) = (fields.get(key).map(size), value.as_ref().map(size));
            grow += new.unwrap_or(0) - old.unwrap_or(0);
            added += i128::from(new.is_some()) - i128::from(old.is_some());
        }
        // Reserved fields (the session layer's own, starting with NUL) count for neither.
        let keys = fields.keys().filter(|k| !k.starts_with('\0')).count();
        if added > 0 && keys as i128 + added > self.max_keys as i128 {
            return false;
        }
        let size = || {
            let data = fields.iter().filter(|(k, _)| !k.starts_with('\0'));
            data.map(|(k, v)| (k.len() + v.len()) as i128).sum::<i128>()
        };
        grow <= 0 || size() + grow <= self.max_bytes as i128
    }
}

/// `d` in whole milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The system's wall clock, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, millis)
}

/// The time source of a store, in milliseconds since the Unix epoch. Production uses
/// [`Clock::system`]; tests move a clock by hand to cross the absolute deadline without
/// waiting.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Self {
        Self(Arc::new(now_ms))
    }

    /// A clock that reads `f`.
    pub fn from_fn(f: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// The current time in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend did not answer or answered with an error. Retrying later may work.
    #[error("session store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// `create` or `renew` found a record under the new id already.
    #[error("a session with this id already exists")]
    Collision,
    /// `update` or `renew` would take the session past the store's [`Limits`]; nothing
    /// was written.
    #[error("the session would exceed its size or key limit")]
    TooLarge,
    /// The store keeps no per-user index (an app's own store that does not implement it).
    #[error("this session store keeps no per-user index")]
    Unsupported,
}

/// A place to keep sessions. Each method is one step: no other call ever sees it half
/// done.
///
/// # Contract
/// - `load` returns the record if it exists and has not expired, and in the same step
///   starts its idle timeout again. An expired record is never returned.
/// - `create` writes a new record and fails with [`StoreError::Collision`] if the id is
///   taken: it never overwrites.
/// - `update` applies `changes` and starts the idle timeout again, **only if the record
///   still exists**; it returns `false` (and leaves nothing behind) when the record is
///   gone, so a request that outlives a logout can never bring the session back. An update
///   racing the record's end or move to a new id may report `false` after its changes
///   landed: in the record that then ended, or that moved with them.
/// - The absolute lifetime is counted from the creation time the id carries
///   ([`SessionId::created_ms`]): a store never needs to keep or read it.
/// - `renew` moves the record from `old` to `new`, applying `changes`, so the data stays
///   and `old` stops working. `false` when `old` is gone; [`StoreError::Collision`] when
///   `new` is taken. `new` carries `old`'s creation time ([`SessionId::generate`] given
///   `old.created_ms()`), so the absolute lifetime goes on from the same start.
/// - `update` and `renew` refuse changes that would take the record past the store's
///   [`Limits`] (more bytes or keys than allowed, and more than before) with
///   [`StoreError::TooLarge`], writing nothing, checked in the same step as the write.
/// - `replace` is `delete(old)` then `create(id)` as one step.
/// - `delete` removes the record; deleting a missing record succeeds.
/// - A record may have no fields: a session emptied by `update` or `renew` still exists.
/// - No record lives longer than the store's [`Expiry`] allows.
#[rocket::async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// A short name for logs and the health check, such as `"redis"`.
    fn name(&self) -> &'static str;

    /// Loads the record of `id` and refreshes its idle timeout.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the backend fails.
    async fn load(&self, id: &SessionId) -> Result<Option<Fields>, StoreError>;

    /// Creates the record of `id`.
    ///
    /// # Errors
    /// [`StoreError::Collision`] when `id` exists, [`StoreError::Unavailable`] otherwise.
    async fn create(&self, id: &SessionId, fields: &Fields) -> Result<(), StoreError>;

    /// Applies `changes` to the record of `id` if it still exists.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the backend fails.
    async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool, StoreError>;

    /// Moves the record of `old` to `new` and applies `changes`.
    ///
    /// # Errors
    /// [`StoreError::Collision`] when `new` exists, [`StoreError::Unavailable`] otherwise.
    async fn renew(
        &self,
        old: &SessionId,
        new: &SessionId,
        changes: &Changes,
    ) -> Result<bool, StoreError>;

    /// Deletes the record of `old` and creates the record of `id`, in one step (a session
    /// ended and a new one started in the same request, such as a sign-out that leaves a
    /// message for the next page).
    ///
    /// # Errors
    /// [`StoreError::Collision`] when `id` exists (then `old` is left as it was),
    /// [`StoreError::Unavailable`] otherwise.
    async fn replace(
        &self,
        old: &SessionId,
        id: &SessionId,
        fields: &Fields,
    ) -> Result<(), StoreError>;

    /// Deletes the record of `id`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the backend fails.
    async fn delete(&self, id: &SessionId) -> Result<(), StoreError>;

    /// Checks that the backend answers, with one cheap request.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Writes a session that is, or becomes, bound to a user, and the index entries that
    /// change with it, in one step ([`BoundWrite`]). `false` when `write` carries an old
    /// session's data and that session is gone: then nothing is written (the
    /// no-resurrection rule of `update`).
    ///
    /// The default keeps no index: [`StoreError::Unsupported`].
    ///
    /// # Errors
    /// [`StoreError::Collision`] when `write.new` exists, [`StoreError::Unavailable`] when
    /// the backend fails.
    async fn commit_bound(&self, write: &BoundWrite) -> Result<bool, StoreError> {
        let _ = write;
        Err(StoreError::Unsupported)
    }

    /// The live sessions of `user`, oldest first; entries of sessions that ended by
    /// themselves are removed from the index as it is read.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the backend fails; [`StoreError::Unsupported`] by
    /// default.
    async fn user_sessions(&self, user: &UserKey) -> Result<Vec<UserSession>, StoreError> {
        let _ = user;
        Err(StoreError::Unsupported)
    }

    /// Ends the sessions of `user` that `which` names: each is deleted with its index
    /// entry in one step, so a request in flight on it cannot bring it back. Returns how
    /// many live sessions ended.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the backend fails; [`StoreError::Unsupported`] by
    /// default.
    async fn end_user_sessions(&self, user: &UserKey, which: &Ending) -> Result<usize, StoreError> {
        let _ = (user, which);
        Err(StoreError::Unsupported)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
