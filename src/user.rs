//! The signed-in user, kept in the session after a successful OAuth sign-in.

use serde::{Deserialize, Serialize};

use rocket_redis_sessions::{Session, SessionError};

/// Who signed in, through which provider, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// The provider's name in the configuration.
    pub provider: String,
    /// The provider's stable id for the user (`sub`, or `id` for providers like GitHub).
    pub sub: String,
    /// A name to show.
    pub name: String,
    /// Sign-in time, seconds since the Unix epoch.
    pub signed_in_at: u64,
}

impl SignedInUser {
    /// Session key of the signed-in user.
    pub const KEY: &str = "_user";

    /// The signed-in user of `session`, if any (a value of the wrong shape counts as none).
    pub fn get(session: &Session<'_>) -> Option<Self> {
        session.get(Self::KEY).ok().flatten()
    }

    /// Stores `self` as the signed-in user.
    ///
    /// # Errors
    /// The session's error when it cannot be stored.
    pub fn store(&self, session: &Session<'_>) -> Result<(), SessionError> {
        session.insert(Self::KEY, self)
    }

    /// The id the session layer indexes the user's sessions by: the provider and its id
    /// for the user (the same person through two providers is two users here).
    pub fn user_id(&self) -> String {
        format!("{}:{}", self.provider, self.sub)
    }

    /// Signs the user out; returns whether someone was signed in.
    pub fn clear(session: &Session<'_>) -> bool {
        session.remove(Self::KEY)
    }
}
