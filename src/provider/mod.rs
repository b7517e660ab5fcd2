//! A built-in demo OAuth 2.0 authorization server (RFC 6749, with PKCE S256 per RFC 7636),
//! for trying the sign-in flow without an outside provider.
//!
//! Flow: a client sends the visitor to [`AUTHORIZE_PATH`], which checks the client and its
//! exact redirect URI, then shows a consent page; Approve sends the visitor back with a
//! single-use code, Deny with `error=access_denied`. The client exchanges the code at
//! [`TOKEN_PATH`] (client secret + PKCE verifier) for a bearer token, which
//! [`USERINFO_PATH`] turns into `{"sub", "name"}`; [`REVOKE_PATH`] ends it (RFC 7009).
//! Codes and tokens live in Redis with a TTL (in memory when the sessions are), keyed by
//! their SHA-256 only.
//!
//! Anyone may sign in as any name: it is a demo, never a real identity provider.

mod answer;
mod auth_header;
mod authorize;
mod clients;
mod config;
mod error;
mod form;
mod grants;
mod pkce;
mod request;
mod revoke;
mod token;
mod userinfo;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use rocket_redis_sessions::SessionLayer;

pub use self::clients::BuiltinClients;
pub use self::config::{ClientConfig, ProviderConfig};
pub use self::error::ProviderError;
use self::grants::Grants;
use crate::site::Site;

/// Where the provider's routes are mounted.
pub const BASE_PATH: &str = "/provider";
/// The authorization endpoint (RFC 6749 §3.1), relative to the app's public URL.
pub const AUTHORIZE_PATH: &str = "/provider/authorize";
/// The token endpoint (RFC 6749 §3.2), relative to the app's base URL.
pub const TOKEN_PATH: &str = "/provider/token";
/// The userinfo endpoint, relative to the app's base URL.
pub const USERINFO_PATH: &str = "/provider/userinfo";
/// The token revocation endpoint (RFC 7009), relative to the app's base URL.
pub const REVOKE_PATH: &str = "/provider/revoke";

/// Reads `[provider]` at ignite, manages [`BuiltinClients`] (empty when disabled) and,
/// when `enabled`, the grant store and the `/provider/*` routes. A client that registers
/// no redirect URI gets `{public_url}{callback_path}` of the [`Site`].
///
/// Attach it after the session fairing: the grants go where the sessions go, Redis
/// through the app's pool, or memory when the session layer runs on memory.
pub fn stage(callback_path: &'static str) -> AdHoc {
    AdHoc::try_on_ignite("Demo authorization server", move |rocket| async move {
        match setup(&rocket, callback_path) {
            Ok(None) => Ok(rocket.manage(BuiltinClients::default())),
            Ok(Some((clients, grants))) => Ok(rocket
                .manage(clients)
                .manage(grants)
                .mount(BASE_PATH, authorize::routes())
                .mount(BASE_PATH, token::routes())
                .mount(BASE_PATH, revoke::routes())
                .mount(BASE_PATH, userinfo::routes())),
            Err(e) => {
                rocket::error!("provider: {e}");
                Err(rocket)
            }
        }
    })
}

fn setup(
    rocket: &Rocket<Build>,
    callback_path: &str,
) -> Result<Option<(BuiltinClients, Grants)>, ProviderError> {
    let config = ProviderConfig::from_figment(rocket.figment())?;
    if !config.enabled {
        return Ok(None);
    }
    let site = rocket.state::<Site>().ok_or(ProviderError::Setup("the site is not known"))?;
    let redirect_uri = format!("{}{callback_path}", site.public_url);
    let clients = BuiltinClients::from_config(&config, &redirect_uri)?;
    let Some(layer) = rocket.state::<SessionLayer>() else {
        // The session fairing failed, and launch is aborting already (not worth a second
        // failure), or it is not attached, and the consent page could not work anyway.
        rocket::error!("provider: no session layer, so the provider is not mounted");
        return Ok(None);
    };
    let grants = match layer.redis_pool() {
        Some(pool) => Grants::redis(pool.clone(), &config),
        None => Grants::memory(&config),
    };
    rocket::info!(
        "provider: enabled at {BASE_PATH}, clients {:?}, grants in {}, codes {} s, tokens {} s",
        clients.ids().collect::<Vec<_>>(),
        grants.store_name(),
        config.code_ttl,
        config.token_ttl
    );
    Ok(Some((clients, grants)))
}
