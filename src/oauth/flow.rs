//! Pending sign-in attempts, each holding the `state` and PKCE verifier of its round trip,
//! all in one session key: a list of at most `max_pending`, oldest dropped first. One key,
//! written whole, holds that cap whatever the number of simultaneous requests (each
//! request's write replaces the list; no two requests can add up past it). Two tabs
//! signing in one after the other both work; two sign-ins started in the same instant
//! may keep only one (the other's callback then says to start again).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use rocket_redis_sessions::{Session, SessionError};
use serde_json::Value;

use crate::page::Described;

/// Session key of the list of attempts under way.
pub const KEY: &str = "_oauth_flows";
/// Session key of the digests of recently used `state` values (to tell a replay apart).
pub const USED_KEY: &str = "_oauth_used";
/// How many used `state` digests are remembered.
const USED_KEPT: usize = 16;
/// How long an attempt may take, from the redirect to the provider to the callback.
pub const MAX_AGE: Duration = Duration::from_secs(600);

/// One sign-in attempt under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFlow {
    /// The `state` sent to the provider (128 random bits or more).
    pub state: String,
    /// The PKCE code verifier whose S256 challenge was sent.
    pub verifier: String,
    /// The provider's name.
    pub provider: String,
    /// Where to go once signed in: a path on this site.
    pub return_to: String,
    /// Start time, seconds since the Unix epoch.
    pub created_at: u64,
    /// Start time in nanoseconds, to tell apart attempts started in the same second.
    #[serde(default)]
    pub started_ns: u64,
}

/// What the callback found for the `state` it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// A pending attempt with that `state`; it has been removed from the session.
    Flow(Box<PendingFlow>),
    /// An attempt with that `state` finished already: a replay.
    Used,
    /// No attempt of this session ever had that `state`.
    Unknown,
}

/// The time since the Unix epoch.
pub fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// The first 128 bits of the state's SHA-256, in hex: enough to tell states apart.
fn digest(state: &str) -> String {
    let mut hex = crate::secret::sha256_hex(state.as_bytes());
    hex.truncate(32);
    hex
}

impl PendingFlow {
    /// Whether the attempt is older than [`MAX_AGE`] at `now` (seconds).
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.created_at) > MAX_AGE.as_secs()
    }

    /// Adds `self` to the session's attempts; with `max_pending` under way already, the
    /// oldest ones (and any expired) are dropped first.
    ///
    /// # Errors
    /// The session's error when it cannot be stored.
    pub fn start(&self, session: &Session<'_>, max_pending: usize) -> Result<(), SessionError> {
        let now = unix_now().as_secs();
        let mut pending = pending(session);
        pending.retain(|flow| !flow.is_expired(now));
        pending.sort_by_key(|flow| (flow.created_at, flow.started_ns));
        let excess = (pending.len() + 1).saturating_sub(max_pending.max(1));
        pending.drain(..excess);
        pending.push(self.clone());
        session.insert(KEY, &pending)
    }

    /// Takes the attempt whose `state` is `state` out of the session, comparing every
    /// pending one in constant time. A matching attempt is removed whatever the caller
    /// then decides, so each `state` works once.
    ///
    /// # Errors
    /// The session's error when the used-state list cannot be stored.
    pub fn take(session: &Session<'_>, state: &str) -> Result<Found, SessionError> {
        let mut pending = pending(session);
        let mut found = None;
        for (i, flow) in pending.iter().enumerate() {
            if bool::from(flow.state.as_bytes().ct_eq(state.as_bytes())) {
                found = Some(i);
            }
        }
        let used: Vec<String> = session.get(USED_KEY).ok().flatten().unwrap_or_default();
        let Some(i) = found else {
            let replay = used.contains(&digest(state));
            return Ok(if replay { Found::Used } else { Found::Unknown });
        };
        let flow = pending.remove(i);
        match pending.is_empty() {
            true => {
                session.remove(KEY);
            }
            false => session.insert(KEY, &pending)?,
        }
        let mut used = used;
        used.push(digest(state));
        let skip = used.len().saturating_sub(USED_KEPT);
        session.insert(USED_KEY, &used[skip..])?;
        Ok(Found::Flow(Box::new(flow)))
    }
}

/// The dashboard's words for the attempts under way: how many, with which providers, and
/// when the latest started; never a verifier or a `state`.
pub fn describe_pending(value: &Value) -> Described {
    match serde_json::from_value::<Vec<PendingFlow>>(value.clone()) {
        Ok(flows) if !flows.is_empty() => {
            let mut providers: Vec<&str> = flows.iter().map(|f| f.provider.as_str()).collect();
            providers.dedup();
            let n = flows.len();
            let plural = if n == 1 { "" } else { "s" };
            Described {
                text: format!(
                    "{n} sign-in{plural} with {}, waiting for the provider to send you back",
                    providers.join(", ")
                ),
                at: flows.iter().map(|f| f.created_at).max(),
            }
        }
        _ => Described::text("attempts of an unknown shape"),
    }
}

/// The dashboard's words for the used-`state` list.
pub fn describe_used(value: &Value) -> Described {
    let n = value.as_array().map_or(0, Vec::len);
    let plural = if n == 1 { "" } else { "s" };
    Described::text(format!(
        "{n} finished sign-in{plural} remembered (as digests), so that a replayed answer from \
         the provider is refused"
    ))
}

/// Every attempt under way, oldest first, for the `/oauth` page and the cap (a list of
/// an unknown shape counts as none).
pub fn pending(session: &Session<'_>) -> Vec<PendingFlow> {
    session.get(KEY).ok().flatten().unwrap_or_default()
}

/// A return path that stays on this site: it starts with one `/`, has no backslash or
/// control character, is a valid URI path (so the redirect to it cannot fail) and is not
/// too long. Anything else becomes `fallback`.
pub fn safe_return_path(requested: Option<&str>, fallback: &str) -> String {
    let safe = requested.filter(|path| {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && !path.chars().any(char::is_control)
            && path.len() <= 512
            && rocket::http::uri::Origin::parse(path).is_ok()
    });
    safe.unwrap_or(fallback).to_owned()
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
