//! [`ProviderError`]: what the demo authorization server can fail with.

use rocket_redis_sessions::redis::RedisError;

use rocket_redis_sessions::RedisPoolError;

/// Errors of the demo authorization server. Visitors and clients never see their text: the
/// routes answer with a status and a short message or an RFC 6749 error code, and log this.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The `[provider]` table does not have the expected shape.
    #[error("invalid [provider] configuration: {0}")]
    Config(#[from] Box<rocket::figment::Error>),
    /// A `[provider]` value is out of range or cannot work.
    #[error("invalid [provider] configuration: {0}")]
    Invalid(String),
    /// The app is not assembled the way the provider needs.
    #[error("cannot start the provider: {0}")]
    Setup(&'static str),
    /// The OS random source failed; no code, token or secret is made from a weaker one.
    #[error("no randomness from the operating system: {0}")]
    Rng(#[from] getrandom::Error),
    /// No Redis connection could be had.
    #[error("grant store unavailable: {0}")]
    Pool(#[from] RedisPoolError),
    /// A Redis command failed.
    #[error("grant store command failed: {0}")]
    Redis(#[from] RedisError),
    /// A stored grant is not the JSON this version writes.
    #[error("stored grant is unreadable: {0}")]
    Json(#[from] serde_json::Error),
    /// A freshly drawn 256-bit code or token was already in use (never expected).
    #[error("a grant with this key already exists")]
    Collision,
}
