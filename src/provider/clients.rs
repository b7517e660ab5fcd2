//! [`BuiltinClients`]: the clients registered with the demo authorization server, their
//! exact redirect URIs and secrets, shared as managed state.

use std::collections::BTreeMap;
use std::fmt;

use oauth2::url::Url;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ProviderError;
use super::config::ProviderConfig;

/// One registered client.
pub(super) struct Client {
    redirect_uris: Vec<String>,
    secret: String,
}

impl Client {
    /// Whether `uri` is one of the client's redirect URIs, character for character
    /// (RFC 6749 §3.1.2.3; no prefix or pattern matching, which open redirects live on).
    pub(super) fn allows(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| registered == uri)
    }
}

/// The clients of the demo authorization server, as managed state.
///
/// The app hands the demo client's secret to its own OAuth client from here:
///
/// ```rust,no_run
/// # fn f(rocket: &rocket::Rocket<rocket::Orbit>) {
/// use rocket_redis_sessions_demo::provider::BuiltinClients;
///
/// let secret: Option<&str> =
///     rocket.state::<BuiltinClients>().and_then(|clients| clients.secret("demo-client"));
/// # }
/// ```
/// Empty when `[provider] enabled = false`.
#[derive(Default)]
pub struct BuiltinClients {
    clients: BTreeMap<String, Client>,
}

// By hand: a derived Debug would print the secrets.
impl fmt::Debug for BuiltinClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uris = self.clients.iter().map(|(id, c)| (id, &c.redirect_uris));
        f.debug_map().entries(uris).finish()
    }
}

impl BuiltinClients {
    /// The clients of `config`: a client without `redirect_uris` gets `default_redirect_uri`,
    /// one without `client_secret` a random 256-bit secret.
    ///
    /// # Errors
    /// [`ProviderError::Invalid`] for a redirect URI that is not an absolute URL without a
    /// fragment (RFC 6749 §3.1.2), [`ProviderError::Rng`] when no secret can be drawn.
    pub(super) fn from_config(
        config: &ProviderConfig,
        default_redirect_uri: &str,
    ) -> Result<Self, ProviderError> {
        let mut clients = BTreeMap::new();
        for (id, client) in &config.clients {
            let redirect_uris = match client.redirect_uris.is_empty() {
                true => vec![default_redirect_uri.to_owned()],
                false => client.redirect_uris.clone(),
            };
            for uri in &redirect_uris {
                check_redirect_uri(id, uri)?;
            }
            let secret = match &client.client_secret {
                Some(secret) => secret.clone(),
                None => {
                    rocket::info!("provider: client {id:?} gets a random secret for this run");
                    crate::secret::random_token()?
                }
            };
            clients.insert(id.clone(), Client { redirect_uris, secret });
        }
        Ok(Self { clients })
    }

    /// The secret of client `client_id`, or `None` for an unknown client.
    pub fn secret(&self, client_id: &str) -> Option<&str> {
        self.clients.get(client_id).map(|c| c.secret.as_str())
    }

    /// The exact redirect URIs of client `client_id`, or `None` for an unknown client.
    pub fn redirect_uris(&self, client_id: &str) -> Option<&[String]> {
        self.clients.get(client_id).map(|c| c.redirect_uris.as_slice())
    }

    /// The registered client ids.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }

    /// Every client id with its secret.
    pub fn secrets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.clients.iter().map(|(id, client)| (id.as_str(), client.secret.as_str()))
    }

    pub(super) fn get(&self, client_id: &str) -> Option<&Client> {
        self.clients.get(client_id)
    }

    /// Whether `secret` is the secret of `client_id`. The comparison is of SHA-256 digests
    /// in constant time, so neither the content nor the length of the secret leaks through
    /// timing.
    pub(super) fn authenticate(&self, client_id: &str, secret: &str) -> bool {
        let Some(client) = self.clients.get(client_id) else {
            return false;
        };
        let expected = Sha256::digest(client.secret.as_bytes());
        let given = Sha256::digest(secret.as_bytes());
        bool::from(expected.ct_eq(&given))
    }
}

fn check_redirect_uri(client_id: &str, uri: &str) -> Result<(), ProviderError> {
    let invalid = |why: &str| {
        ProviderError::Invalid(format!("client {client_id:?}: redirect URI {uri:?} {why}"))
    };
    let url = Url::parse(uri).map_err(|e| invalid(&format!("is not an absolute URL ({e})")))?;
    if url.fragment().is_some() {
        return Err(invalid("has a fragment (RFC 6749 §3.1.2)"));
    }
    if url.cannot_be_a_base() {
        return Err(invalid("is not a hierarchical URL"));
    }
    Ok(())
}
