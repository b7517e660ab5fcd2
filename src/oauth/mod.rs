//! The OAuth 2.0 client side: authorization code flow with PKCE (through the `oauth2`
//! crate), the `state` and verifier kept in the session across the round trip.
//!
//! 1. `/oauth/login?provider=NAME` stores a [`flow::PendingFlow`] (state, verifier, return
//!    path) under its own session key and redirects to the provider.
//! 2. `/oauth/callback` takes that attempt out of the session, checks `state` in constant
//!    time and its age, exchanges the code with the verifier, fetches the user, stores
//!    [`SignedInUser`] and rotates the session id.

mod client;
mod config;
pub mod flow;
mod routes;
mod user;

use rocket::fairing::AdHoc;

pub use self::client::{ExchangeError, Providers};
pub use self::config::{OAuthConfig, ProviderConfig};
pub use self::user::SignedInUser;
use crate::provider::BuiltinClients;

/// Reads `[oauth]`, builds the providers (after the built-in provider's stage, whose client
/// secret the demo provider uses) and mounts the routes.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("OAuth client", |rocket| async {
        if rocket.state::<crate::session::SessionLayer>().is_none() {
            // The session fairing failed and said why; the client cannot work without it.
            rocket::warn!("OAuth client not mounted: the session layer is missing");
            return Ok(rocket);
        }
        let config: OAuthConfig = match rocket.figment().find_value("oauth") {
            Ok(_) => match rocket.figment().extract_inner("oauth") {
                Ok(config) => config,
                Err(e) => {
                    rocket::error!("invalid [oauth] configuration: {e}");
                    return Err(rocket);
                }
            },
            Err(_) => OAuthConfig::default(),
        };
        match Providers::new(&config, rocket.state::<BuiltinClients>()) {
            Ok(providers) => Ok(rocket.manage(providers).mount("/", routes::routes())),
            Err(e) => {
                rocket::error!("invalid [oauth] configuration: {e}");
                Err(rocket)
            }
        }
    })
}
