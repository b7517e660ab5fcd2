//! One-time messages kept in the session across a redirect: set by a POST handler, shown
//! (and removed) by the next page.

use serde::{Deserialize, Serialize};

use crate::{Session, SessionError};

/// Session key of the pending message.
/// The session key holding the pending flash message.
pub const KEY: &str = "_flash";

/// How a message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Something worked.
    Success,
    /// Something was refused or failed.
    Error,
}

/// A message for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// Success or error.
    pub kind: Kind,
    /// The text, shown escaped.
    pub message: String,
}

/// Leaves `message` for the next page.
///
/// # Errors
/// The session's error when it cannot be stored.
pub fn set(
    session: &Session<'_>,
    kind: Kind,
    message: impl Into<String>,
) -> Result<(), SessionError> {
    session.insert(KEY, &Flash { kind, message: message.into() })
}

/// Takes the pending message, if any: it is shown once.
pub fn take(session: &Session<'_>) -> Option<Flash> {
    // A value of the wrong shape is dropped rather than shown.
    session.take(KEY).ok().flatten()
}
