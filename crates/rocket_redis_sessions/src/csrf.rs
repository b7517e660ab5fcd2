//! CSRF tokens bound to the session: every form carries one, every POST checks it.
//!
//! The token is 256 random bits kept in the session (key owned here). A POST whose
//! `csrf_token` field does not match it, compared in constant time, changes nothing and
//! gets 403.

use subtle::ConstantTimeEq;

use crate::{Session, SessionError};

/// Session key of the token. Keys starting with `_` belong to the app, not to visitors.
/// The session key holding the CSRF token.
pub const KEY: &str = "_csrf";

/// The session's CSRF token, made on first use.
///
/// # Errors
/// The session's error when the token cannot be made or stored.
pub fn token(session: &Session<'_>) -> Result<String, SessionError> {
    if let Some(token) = session.get::<String>(KEY)? {
        return Ok(token);
    }
    let token = crate::token::random_token()?;
    session.insert(KEY, &token)?;
    Ok(token)
}

/// Whether `submitted` is the session's token. A session without a token accepts none.
pub fn verify(session: &Session<'_>, submitted: &str) -> bool {
    match session.get::<String>(KEY) {
        Ok(Some(token)) => bool::from(token.as_bytes().ct_eq(submitted.as_bytes())),
        _ => false,
    }
}

/// Drops the session's token, so the next page makes a new one: call it whenever the
/// session's privileges change (sign-in, sign-out).
pub fn forget(session: &Session<'_>) {
    session.remove(KEY);
}
