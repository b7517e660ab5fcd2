//! [`SessionError`]: what a session operation can fail with.

use rocket::Request;
use rocket::http::Status;
use rocket::response::{self, Responder};

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
    /// The insert would give the session more than `max_keys` keys.
    #[error("the session would hold more than {limit} keys")]
    TooManyKeys {
        /// The configured `max_keys`.
        limit: usize,
    },
    /// The OS random source failed; no id is made from a weaker one.
    #[error("cannot mint a session id: {0}")]
    Rng(#[from] getrandom::Error),
    /// [`SessionFairing`](crate::SessionFairing) is not attached to this Rocket.
    #[error("SessionFairing is not attached")]
    NotAttached,
    /// The session could not be loaded; the cause was logged when it happened.
    #[error("the session store is unavailable")]
    Unavailable,
    /// Reading or changing the user's index of sessions failed.
    #[error("the user's sessions could not be read or ended: {0}")]
    Index(#[source] crate::store::StoreError),
}

impl SessionError {
    /// The HTTP status that fits this error: 4xx for what the request asked for, 503 when
    /// the store is down, 500 for faults of ours.
    pub fn status(&self) -> Status {
        match self {
            Self::TooLarge { .. } | Self::TooManyKeys { .. } => Status::PayloadTooLarge,
            Self::InvalidKey(_) => Status::BadRequest,
            Self::Deserialize { .. } => Status::Conflict,
            Self::Unavailable => Status::ServiceUnavailable,
            Self::Index(crate::store::StoreError::Unsupported) => Status::InternalServerError,
            Self::Index(_) => Status::ServiceUnavailable,
            Self::Serialize { .. } | Self::Rng(_) | Self::NotAttached => {
                Status::InternalServerError
            }
        }
    }
}

/// Answers with [`SessionError::status`] through the app's catcher for it, after logging
/// the cause: visitors never see the error's text.
impl<'r> Responder<'r, 'static> for SessionError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        match status.class().is_server_error() {
            true => rocket::error!("session error: {self}"),
            false => rocket::info!("session error: {self}"),
        }
        Err(status)
    }
}
