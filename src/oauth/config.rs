//! `[oauth]` configuration: where the app is reached and which providers it signs in with.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The `[oauth]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthConfig {
    /// Where browsers reach this app; the callback is `{public_url}/oauth/callback`.
    /// Read by [`Site`](crate::site::Site). _Default:_ `http://{address}:{port}` of the
    /// listener (`localhost` when it listens on every address).
    pub public_url: Option<String>,
    /// Sign-in attempts a session may have under way at once; starting one more drops the
    /// oldest. _Default:_ `5`.
    pub max_pending: usize,
    /// The providers, by name. _Default:_ none.
    pub providers: BTreeMap<String, ProviderConfig>,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self { public_url: None, max_pending: 5, providers: BTreeMap::new() }
    }
}

/// One `[oauth.providers.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// The name on the sign-in button. _Default:_ the table's name.
    pub display_name: Option<String>,
    /// `true` for the built-in demo server: its URLs are this app's `/provider/*` and its
    /// client secret is handed over in-process. _Default:_ `false`.
    pub builtin: bool,
    /// The authorization endpoint. _Default:_ none (required unless `builtin`).
    pub authorize_url: Option<String>,
    /// The token endpoint. _Default:_ none (required unless `builtin`).
    pub token_url: Option<String>,
    /// The endpoint answering who the token's user is. _Default:_ none (required unless
    /// `builtin`).
    pub userinfo_url: Option<String>,
    /// The token revocation endpoint (RFC 7009): the access token is revoked there as
    /// soon as the user's identity is read, since the app keeps no token. _Default:_ none
    /// (the token is dropped and lives out its lifetime at the provider).
    pub revoke_url: Option<String>,
    /// This app's client id at the provider. _Default:_ none, required.
    pub client_id: String,
    /// Name of the environment variable holding the client secret (the secret itself is
    /// never in a file). _Default:_ none.
    pub client_secret_env: Option<String>,
    /// Scopes to ask for. _Default:_ none.
    pub scopes: Vec<String>,
}
