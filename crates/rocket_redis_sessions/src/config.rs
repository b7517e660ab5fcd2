//! `[sessions]` configuration: read once at ignite into [`SessionConfig`], checked, then
//! shared read-only with every request.

use std::time::Duration;

use rocket::figment::Figment;
use rocket::http::SameSite;
use serde::{Deserialize, Serialize};

/// Longest timeout accepted, in seconds: ten years.
const MAX_TIMEOUT: u64 = 10 * 365 * 86_400;

/// Which store keeps the sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Redis through the app's `rocket_db_pools` database. Never falls back: while Redis is
    /// down, routes that need the session answer 503.
    Redis,
    /// In this process's memory: lost on restart, not shared between instances.
    Memory,
    /// Redis if it answers at launch, otherwise memory with a loud warning. For development.
    Auto,
}

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSiteConfig {
    /// Sent on top-level navigations from other sites (the OAuth return needs it).
    Lax,
    /// Never sent cross-site. Breaks the return from an OAuth provider.
    Strict,
    /// Sent everywhere; requires `secure = true`.
    None,
}

impl From<SameSiteConfig> for SameSite {
    fn from(value: SameSiteConfig) -> Self {
        match value {
            SameSiteConfig::Lax => SameSite::Lax,
            SameSiteConfig::Strict => SameSite::Strict,
            SameSiteConfig::None => SameSite::None,
        }
    }
}

/// The `[sessions]` table. Every field has a default; `ROCKET_SESSIONS={key=value}`
/// overrides any of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Name of the session cookie. A `__Host-` name requires `secure = true` and no
    /// `domain`; a `__Secure-` name requires `secure = true`. _Default:_ `"session"`.
    pub cookie_name: String,
    /// Prefix of every storage key. _Default:_ `"session:"`.
    pub key_prefix: String,
    /// Seconds a session lives without being used; each use starts it again.
    /// _Default:_ `1800` (30 minutes).
    pub idle_timeout: u64,
    /// Seconds a session lives at most, counted from its creation, however often it is
    /// used. _Default:_ `86400` (24 hours).
    pub absolute_timeout: u64,
    /// Seconds after which a read restarts the idle timeout again: a read of a session
    /// whose timeout this process restarted less than `touch_after` ago is one Redis
    /// command, with no write. A session in use may then end up to `touch_after` seconds
    /// before `idle_timeout` has passed since its last use. `0`: every read restarts it.
    /// Must be below `idle_timeout`. _Default:_ `idle_timeout / 30` (60 for 30 minutes).
    pub touch_after: Option<u64>,
    /// Where sessions live: `"redis"`, `"memory"` or `"auto"`. _Default:_ `"redis"`.
    pub store: StoreKind,
    /// The `Secure` cookie attribute. _Default:_ `false` in the debug profile, `true` in
    /// every other profile.
    pub secure: Option<bool>,
    /// The `SameSite` cookie attribute. _Default:_ `"lax"`.
    pub same_site: SameSiteConfig,
    /// The `Domain` cookie attribute; unset means host-only. _Default:_ none.
    pub domain: Option<String>,
    /// Most bytes a session's data may hold (keys plus JSON values); an insert past it is
    /// refused with an error, and so is a save that simultaneous requests would together
    /// take past it (the store checks as it writes; the response is then 413).
    /// _Default:_ `65536`.
    pub max_bytes: usize,
    /// Most keys a session may hold, enforced like `max_bytes`. _Default:_ `128`.
    pub max_keys: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            cookie_name: "session".into(),
            key_prefix: "session:".into(),
            idle_timeout: 1800,
            absolute_timeout: 86_400,
            touch_after: None,
            store: StoreKind::Redis,
            secure: None,
            same_site: SameSiteConfig::Lax,
            domain: None,
            max_bytes: 64 * 1024,
            max_keys: 128,
        }
    }
}

/// A `[sessions]` table that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The table does not have the expected shape.
    #[error("invalid [sessions] configuration: {0}")]
    Parse(#[from] Box<rocket::figment::Error>),
    /// A value is out of range or contradicts another.
    #[error("invalid [sessions] configuration: {0}")]
    Invalid(&'static str),
}

impl SessionConfig {
    /// Reads the `sessions` table of `figment` (all defaults when it is absent) and checks
    /// it. `secure` left unset becomes `true` outside the debug profile.
    ///
    /// # Errors
    /// [`ConfigError`] when a value has the wrong type or the settings contradict each other
    /// (a `__Host-` cookie without `Secure`, `SameSite=None` without `Secure`, zero timeouts).
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        let mut config: Self = match figment.find_value("sessions") {
            Ok(_) => figment.extract_inner("sessions").map_err(Box::new)?,
            Err(_) => Self::default(),
        };
        if config.secure.is_none() {
            let debug = figment.profile() == rocket::Config::DEBUG_PROFILE;
            config.secure = Some(!debug);
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let secure = self.secure();
        let name = &self.cookie_name;
        let valid_name = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !valid_name {
            return Err(ConfigError::Invalid("cookie_name is not a valid cookie name"));
        }
        // Browsers match these prefixes without regard to case.
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("__host-") && (!secure || self.domain.is_some()) {
            return Err(ConfigError::Invalid(
                "a `__Host-` cookie_name needs `secure = true` and no `domain` (RFC 6265bis)",
            ));
        }
        if lower.starts_with("__secure-") && !secure {
            return Err(ConfigError::Invalid("a `__Secure-` cookie_name needs `secure = true`"));
        }
        if self.same_site == SameSiteConfig::None && !secure {
            return Err(ConfigError::Invalid("`same_site = \"none\"` needs `secure = true`"));
        }
        let timeouts = 1..=MAX_TIMEOUT;
        if !timeouts.contains(&self.idle_timeout) || !timeouts.contains(&self.absolute_timeout) {
            return Err(ConfigError::Invalid(
                "idle_timeout and absolute_timeout must be between 1 and 315360000 (10 years)",
            ));
        }
        if self.touch_after.is_some_and(|after| after >= self.idle_timeout) {
            return Err(ConfigError::Invalid(
                "touch_after must be below idle_timeout (0: every read restarts the idle timeout)",
            ));
        }
        if self.key_prefix.contains(['{', '}']) {
            return Err(ConfigError::Invalid(
                "key_prefix may not contain `{` or `}`: Redis Cluster would take it as the \
                 keys' hash tag and put every session in one slot",
            ));
        }
        if self.max_bytes == 0 || self.max_keys == 0 {
            return Err(ConfigError::Invalid("max_bytes and max_keys must be > 0"));
        }
        Ok(())
    }

    /// Whether the cookie carries `Secure`.
    pub fn secure(&self) -> bool {
        self.secure.unwrap_or(true)
    }

    /// The idle timeout as a [`Duration`].
    pub fn idle(&self) -> Duration {
        Duration::from_secs(self.idle_timeout)
    }

    /// `touch_after` as a [`Duration`], its default filled in.
    pub fn touch_after(&self) -> Duration {
        Duration::from_secs(self.touch_after.unwrap_or(self.idle_timeout / 30))
    }

    /// The store's limits: `max_bytes` and `max_keys`.
    pub fn limits(&self) -> crate::store::Limits {
        crate::store::Limits { max_bytes: self.max_bytes, max_keys: self.max_keys }
    }

    /// The absolute lifetime as a [`Duration`].
    pub fn absolute(&self) -> Duration {
        Duration::from_secs(self.absolute_timeout)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
