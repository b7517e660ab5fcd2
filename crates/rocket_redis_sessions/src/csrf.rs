//! CSRF tokens: every form carries one, every POST checks it.
//!
//! The token is 256 random bits. A visitor with a session keeps it in the session (key
//! [`KEY`]). A visitor without one, who has only looked at a page, keeps it in a cookie of
//! its own (the session cookie's name and `-csrf`, with the session cookie's attributes):
//! a page view then stores nothing in the store, so a crawler costs nothing there. The first
//! form posted with that token moves it into the session (which that form's write
//! creates) and removes the cookie. A POST whose `csrf_token` field matches neither,
//! compared in constant time, changes nothing and gets 403. (A cross-site form sends no
//! cookie of ours under `SameSite=Lax`, and cannot read the token it would have to copy.)

use subtle::ConstantTimeEq;

use crate::{Session, SessionError};

/// The session key holding the CSRF token. Keys starting with `_` belong to the app, not to
/// visitors.
pub const KEY: &str = "_csrf";

/// Whether `value` has a token's shape: 43 characters of base64url.
pub(crate) fn is_token(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The token for the forms of this response, made on first use: the session's, or for a
/// visitor without a stored session the CSRF cookie's (set on this response if new).
///
/// # Errors
/// The session's error when the token cannot be made or stored.
pub fn token(session: &Session<'_>) -> Result<String, SessionError> {
    if let Some(token) = session.get::<String>(KEY)? {
        return Ok(token);
    }
    if session.exists() {
        let token = crate::token::random_token()?;
        session.insert(KEY, &token)?;
        return Ok(token);
    }
    if let Some(Some(token)) = &session.csrf_cookie().outgoing {
        return Ok(token.clone());
    }
    if let Some(token) = session.csrf_cookie_token() {
        return Ok(token);
    }
    let token = crate::token::random_token()?;
    session.csrf_cookie().outgoing = Some(Some(token.clone()));
    Ok(token)
}

/// Whether `submitted` is the session's token, or for a session holding none, the CSRF
/// cookie's (which then moves into the session). Without either, no token is accepted.
pub fn verify(session: &Session<'_>, submitted: &str) -> bool {
    let same = |token: &str| bool::from(token.as_bytes().ct_eq(submitted.as_bytes()));
    if let Ok(Some(token)) = session.get::<String>(KEY) {
        return same(&token);
    }
    match session.csrf_cookie_token() {
        Some(token) if same(&token) => {
            // The session this form writes to keeps the token from now on; if it cannot
            // (the session is full), the cookie stays and the form still counts.
            if session.insert(KEY, &token).is_ok() {
                session.csrf_cookie().outgoing = Some(None);
            }
            true
        }
        _ => false,
    }
}

/// Drops the session's token (and the CSRF cookie), so the next page makes a new one:
/// call it whenever the session's privileges change (sign-in, sign-out).
pub fn forget(session: &Session<'_>) {
    session.remove(KEY);
    if session.csrf_cookie_token().is_some() {
        session.csrf_cookie().outgoing = Some(None);
    }
}
