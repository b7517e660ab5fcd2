//! The configured providers, ready to use: an `oauth2` client each, and the HTTP client
//! that talks to them (no redirects followed, bounded timeouts).

use std::collections::BTreeMap;
use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::url::form_urlencoded;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::Serialize;
use serde_json::Value;

use super::CALLBACK_PATH;
use super::config::{OAuthConfig, ProviderConfig};
use crate::user::SignedInUser;

/// Largest userinfo answer read.
const MAX_USERINFO_BYTES: usize = 64 * 1024;
/// Longest user id or name kept.
const MAX_NAME_CHARS: usize = 200;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A provider this app can sign in with.
pub struct Provider {
    /// Its name in the configuration.
    pub name: String,
    /// The name on its button.
    pub display_name: String,
    client: Client,
    userinfo_url: String,
    revocation: Option<Revocation>,
    scopes: Vec<String>,
}

/// Where and as whom the app revokes a provider's tokens (RFC 7009). By hand rather than
/// through `oauth2`, which refuses a revocation endpoint that is not HTTPS (the built-in
/// provider's, on loopback, is not).
struct Revocation {
    url: String,
    client_id: String,
    secret: Option<String>,
}

/// What the `/oauth` page lists about a provider.
#[derive(Debug, Serialize)]
pub struct ProviderView {
    /// Its name in the configuration.
    pub name: String,
    /// The name on its button.
    pub display_name: String,
}

/// The app's built-in authorization server as this client sees it, handed over when the
/// app is assembled: its endpoints and the secrets of its clients.
pub struct Builtin {
    /// The authorization endpoint, where browsers go.
    pub authorize_url: String,
    /// The token endpoint, which this app calls.
    pub token_url: String,
    /// The userinfo endpoint, which this app calls.
    pub userinfo_url: String,
    /// The revocation endpoint, which this app calls.
    pub revoke_url: String,
    /// Client id to secret.
    pub secrets: BTreeMap<String, String>,
}

// By hand: a derived Debug would print the secrets.
impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builtin")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("userinfo_url", &self.userinfo_url)
            .field("revoke_url", &self.revoke_url)
            .field("clients", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Every configured provider, and the shared settings.
pub struct Providers {
    providers: BTreeMap<String, Provider>,
    /// How many sign-ins a session may have under way.
    pub max_pending: usize,
    http: reqwest::Client,
}

/// Why a sign-in could not be completed after the provider sent the visitor back.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The token endpoint refused the code or could not be reached.
    #[error("token exchange failed: {0}")]
    Token(String),
    /// The userinfo endpoint failed or answered something unusable.
    #[error("userinfo request failed: {0}")]
    UserInfo(String),
}

fn url<T>(
    make: impl FnOnce(String) -> Result<T, oauth2::url::ParseError>,
    value: String,
    what: &str,
) -> Result<T, String> {
    make(value.clone()).map_err(|e| format!("{what} {value:?} is not a URL: {e}"))
}

impl Providers {
    /// Builds every provider of `config`, sending visitors back to `public_url`. Built-in
    /// providers take their URLs and secret from `builtin`.
    ///
    /// # Errors
    /// A sentence naming the provider and what is missing or malformed.
    pub fn new(
        config: &OAuthConfig,
        public_url: &str,
        builtin: Option<&Builtin>,
    ) -> Result<Self, String> {
        let callback = format!("{public_url}{CALLBACK_PATH}");
        let mut providers = BTreeMap::new();
        let builtin_off = builtin.is_none_or(|builtin| builtin.secrets.is_empty());
        for (name, p) in &config.providers {
            if p.builtin && builtin_off {
                rocket::warn!("[oauth.providers.{name}] skipped: the built-in provider is off");
                continue;
            }
            let provider = Self::provider(&callback, name, p, builtin)
                .map_err(|e| format!("[oauth.providers.{name}]: {e}"))?;
            providers.insert(name.clone(), provider);
        }
        let http = reqwest::Client::builder()
            // Following redirects from a token endpoint invites SSRF; a provider never
            // needs it.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent("rocket-redis-sessions")
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { providers, max_pending: config.max_pending, http })
    }

    fn provider(
        callback: &str,
        name: &str,
        p: &ProviderConfig,
        builtin: Option<&Builtin>,
    ) -> Result<Provider, String> {
        let ((authorize, token, userinfo), revoke, secret) = if p.builtin {
            let builtin = builtin.ok_or("`builtin = true` but the built-in provider is off")?;
            let secret = builtin
                .secrets
                .get(&p.client_id)
                .ok_or("the built-in provider has no such client")?;
            let urls = (&builtin.authorize_url, &builtin.token_url, &builtin.userinfo_url);
            let urls = (urls.0.clone(), urls.1.clone(), urls.2.clone());
            (urls, Some(builtin.revoke_url.clone()), Some(secret.clone()))
        } else {
            let need =
                |v: &Option<String>, what: &str| v.clone().ok_or(format!("`{what}` is missing"));
            let secret = match &p.client_secret_env {
                Some(var) => Some(std::env::var(var).map_err(|_| format!("${var} is not set"))?),
                None => None,
            };
            let urls = (need(&p.authorize_url, "authorize_url")?, need(&p.token_url, "token_url")?);
            let urls = (urls.0, urls.1, need(&p.userinfo_url, "userinfo_url")?);
            (urls, p.revoke_url.clone(), secret)
        };
        if let Some(revoke) = &revoke {
            oauth2::url::Url::parse(revoke).map_err(|e| format!("revoke_url: {e}"))?;
        }
        let revocation = revoke.map(|url| Revocation {
            url,
            client_id: p.client_id.clone(),
            secret: secret.clone(),
        });
        let mut client = BasicClient::new(ClientId::new(p.client_id.clone()))
            .set_auth_uri(url(AuthUrl::new, authorize, "authorize_url")?)
            .set_token_uri(url(TokenUrl::new, token, "token_url")?)
            .set_redirect_uri(url(RedirectUrl::new, callback.to_owned(), "public_url")?);
        if let Some(secret) = secret {
            client = client.set_client_secret(ClientSecret::new(secret));
        }
        oauth2::url::Url::parse(&userinfo).map_err(|e| format!("userinfo_url: {e}"))?;
        Ok(Provider {
            name: name.to_owned(),
            display_name: p.display_name.clone().unwrap_or_else(|| name.to_owned()),
            client,
            userinfo_url: userinfo,
            revocation,
            scopes: p.scopes.clone(),
        })
    }

    /// The provider called `name`.
    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.providers.get(name)
    }

    /// Every provider, for the page.
    pub fn views(&self) -> Vec<ProviderView> {
        let view = |p: &Provider| ProviderView {
            name: p.name.clone(),
            display_name: p.display_name.clone(),
        };
        self.providers.values().map(view).collect()
    }

    /// Exchanges `code` (with the PKCE `verifier`) for a token at `provider`, asks it who
    /// the user is, then revokes the token where the provider can (the app has no other
    /// use for it, and keeps none).
    ///
    /// # Errors
    /// [`ExchangeError`] saying which step failed.
    pub async fn sign_in(
        &self,
        provider: &Provider,
        code: &str,
        verifier: &str,
    ) -> Result<SignedInUser, ExchangeError> {
        let token = provider
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| ExchangeError::Token(describe(&e)))?;
        let user = self.user(provider, token.access_token().secret()).await;
        if let Some(revocation) = &provider.revocation
            && let Err(e) = self.revoke(revocation, token.access_token().secret()).await
        {
            rocket::warn!("{}: the access token could not be revoked: {e}", provider.name);
        }
        user
    }

    /// Revokes `access_token` (RFC 7009 §2.1): the client authenticates as at the token
    /// endpoint, HTTP Basic with its id and secret form-encoded (RFC 6749 §2.3.1), or its
    /// id in the body when it has no secret.
    async fn revoke(&self, revocation: &Revocation, access_token: &str) -> Result<(), String> {
        let encode =
            |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let mut form = vec![("token", access_token), ("token_type_hint", "access_token")];
        let mut request = self.http.post(&revocation.url);
        match &revocation.secret {
            Some(secret) => {
                request = request.basic_auth(encode(&revocation.client_id), Some(encode(secret)));
            }
            None => form.push(("client_id", revocation.client_id.as_str())),
        }
        let response = request.form(&form).send().await.map_err(|e| describe(&e))?;
        match response.status() {
            reqwest::StatusCode::OK => Ok(()),
            status => Err(format!("the provider answered {status}")),
        }
    }

    /// Who the user of `access_token` is, by the provider's userinfo endpoint.
    async fn user(
        &self,
        provider: &Provider,
        access_token: &str,
    ) -> Result<SignedInUser, ExchangeError> {
        let mut response = self
            .http
            .get(&provider.userinfo_url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| ExchangeError::UserInfo(e.to_string()))?;
        let mut body = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|e| ExchangeError::UserInfo(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_USERINFO_BYTES {
                return Err(ExchangeError::UserInfo("answer over 64 KiB".into()));
            }
            body.extend_from_slice(&chunk);
        }
        let info: Value =
            serde_json::from_slice(&body).map_err(|e| ExchangeError::UserInfo(e.to_string()))?;
        // Stored in the session and shown on pages: keep them short.
        let text = |key: &str| match &info[key] {
            Value::String(s) if !s.is_empty() => Some(s.chars().take(MAX_NAME_CHARS).collect()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        // OpenID Connect says `sub`; GitHub and others say `id` and `login`.
        let sub = text("sub").or_else(|| text("id"));
        let sub = sub.ok_or_else(|| ExchangeError::UserInfo("no `sub` or `id`".into()))?;
        let name = text("name").or_else(|| text("login")).unwrap_or_else(|| sub.clone());
        Ok(SignedInUser {
            provider: provider.name.clone(),
            sub,
            name,
            signed_in_at: super::flow::unix_now().as_secs(),
        })
    }
}

/// The error and its causes, for the log.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Provider {
    /// The provider's authorization URL for a new attempt, with its `state` and the PKCE
    /// verifier to keep.
    pub fn start(&self) -> (String, String, String) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = self.scopes.iter().map(|s| Scope::new(s.clone()));
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes)
            .set_pkce_challenge(challenge)
            .url();
        (url.to_string(), state.secret().clone(), verifier.secret().clone())
    }
}
