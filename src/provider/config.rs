//! `[provider]` configuration: read once at ignite into [`ProviderConfig`] and checked.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use rocket::figment::Figment;
use serde::Deserialize;

use super::ProviderError;

/// Longest life of an authorization code: RFC 6749 §4.1.2 recommends ten minutes at most.
const MAX_CODE_TTL: u64 = 600;
/// Longest life of an access token: one year.
const MAX_TOKEN_TTL: u64 = 365 * 86_400;

/// The `[provider]` table. Every field has a default; `ROCKET_PROVIDER={key=value}`
/// overrides any of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// Whether the `/provider/*` routes are mounted. Off unless configured, so a deployment
    /// that drops the table does not keep an authorization server that signs anyone in.
    /// _Default:_ `false`.
    pub enabled: bool,
    /// Prefix of every Redis key the provider writes. _Default:_ `"provider:"`.
    pub key_prefix: String,
    /// Seconds an authorization code lives, at most 600. _Default:_ `60`.
    pub code_ttl: u64,
    /// Seconds an access token lives. _Default:_ `3600`.
    pub token_ttl: u64,
    /// The registered clients, by client id. _Default:_ none.
    pub clients: BTreeMap<String, ClientConfig>,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            key_prefix: "provider:".into(),
            code_ttl: 60,
            token_ttl: 3600,
            clients: BTreeMap::new(),
        }
    }
}

/// One `[provider.clients.<id>]` table.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// The exact redirect URIs this client may use (absolute, no fragment). Empty means
    /// `["{oauth.public_url}/oauth/callback"]`, this app's own callback. _Default:_ `[]`.
    pub redirect_uris: Vec<String>,
    /// The client's secret. Unset means a random one is made at each launch (the app's own
    /// OAuth client reads it from [`BuiltinClients`](super::BuiltinClients)).
    /// _Default:_ none.
    pub client_secret: Option<String>,
}

// By hand: a derived Debug would print the secret.
impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = self.client_secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("ClientConfig")
            .field("redirect_uris", &self.redirect_uris)
            .field("client_secret", &secret)
            .finish()
    }
}

impl ProviderConfig {
    /// Reads the `provider` table of `figment` (all defaults when it is absent) and checks it.
    ///
    /// # Errors
    /// [`ProviderError::Config`] for a value of the wrong type or an unknown key,
    /// [`ProviderError::Invalid`] for a value out of range.
    pub fn from_figment(figment: &Figment) -> Result<Self, ProviderError> {
        let config: Self = crate::config::table(figment, "provider")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ProviderError> {
        let invalid = |message: &str| Err(ProviderError::Invalid(message.into()));
        if !(1..=MAX_CODE_TTL).contains(&self.code_ttl) {
            return invalid("code_ttl must be between 1 and 600 seconds");
        }
        if !(1..=MAX_TOKEN_TTL).contains(&self.token_ttl) {
            return invalid("token_ttl must be between 1 and 31536000 seconds");
        }
        for (id, client) in &self.clients {
            // RFC 6749 §2.3.1 carries ids inside HTTP Basic, where a ':' would split them.
            if id.is_empty() || id.contains(':') || id.chars().any(char::is_control) {
                return invalid("client ids must be non-empty, without ':' or control characters");
            }
            if client.client_secret.as_deref().is_some_and(str::is_empty) {
                return Err(ProviderError::Invalid(format!("client {id:?}: empty client_secret")));
            }
        }
        Ok(())
    }

    /// How long a code lives.
    pub fn code_ttl(&self) -> Duration {
        Duration::from_secs(self.code_ttl)
    }

    /// How long an access token lives.
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl)
    }
}
