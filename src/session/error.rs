//! [`SessionError`]: what a session operation can fail with.

use super::store::StoreError;

/// Errors of the session API. None of them is shown to visitors as is: the app's error
/// pages say "try again" and the log keeps the cause.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Keys must be non-empty and must not start with a NUL byte (reserved for the store).
    #[error("invalid session key {0:?}: empty or reserved")]
    InvalidKey(String),
    /// The value could not be turned into JSON.
    #[error("cannot store session key {key:?} as JSON: {source}")]
    Serialize {
        /// The session key.
        key: String,
        /// serde's reason.
        #[source]
        source: serde_json::Error,
    },
    /// The stored JSON does not have the requested type.
    #[error("session key {key:?} does not hold the requested type: {source}")]
    Deserialize {
        /// The session key.
        key: String,
        /// serde's reason.
        #[source]
        source: serde_json::Error,
    },
    /// The insert would make the session larger than `max_bytes`.
    #[error("session data would exceed the limit of {limit} bytes")]
    TooLarge {
        /// The configured `max_bytes`.
        limit: usize,
    },
    /// The OS random source failed; no id is made from a weaker one.
    #[error("cannot mint a session id: {0}")]
    Rng(#[from] getrandom::Error),
    /// [`SessionFairing`](super::SessionFairing) is not attached to this Rocket.
    #[error("SessionFairing is not attached")]
    NotAttached,
    /// The session could not be loaded; the cause was logged when it happened.
    #[error("the session store is unavailable")]
    Unavailable,
    /// A store operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
