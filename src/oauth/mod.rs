//! The OAuth 2.0 client side: authorization code flow with PKCE (through the `oauth2`
//! crate), the `state` and verifier kept in the session across the round trip.
//!
//! 1. `/oauth/login?provider=NAME` stores a [`flow::PendingFlow`] (state, verifier, return
//!    path) under its own session key and redirects to the provider.
//! 2. `/oauth/callback` takes that attempt out of the session, checks `state` in constant
//!    time and its age, exchanges the code with the verifier, fetches the user, stores
//!    [`SignedInUser`](crate::user::SignedInUser) and rotates the session id.

mod client;
mod config;
pub mod flow;
mod routes;

use rocket::fairing::AdHoc;
use rocket_redis_sessions::SessionLayer;

pub use self::client::{Builtin, ExchangeError, Providers};
pub use self::config::{OAuthConfig, ProviderConfig};
use crate::site::Site;

/// Where providers send visitors back.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// Reads `[oauth]`, builds the providers (the built-in one from the [`Builtin`] the app
/// hands over as managed state) and mounts the routes. Needs the [`Site`].
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("OAuth client", |rocket| async {
        if rocket.state::<SessionLayer>().is_none() {
            // The session fairing failed and said why; the client cannot work without it.
            rocket::warn!("OAuth client not mounted: the session layer is missing");
            return Ok(rocket);
        }
        let Some(site) = rocket.state::<Site>() else {
            rocket::error!("OAuth client: the site stage is not attached");
            return Err(rocket);
        };
        let built = crate::config::table::<OAuthConfig>(rocket.figment(), "oauth")
            .map_err(|e| e.to_string())
            .and_then(|config| Providers::new(&config, &site.public_url, rocket.state()));
        match built {
            Ok(providers) => Ok(rocket.manage(providers).mount("/", routes::routes())),
            Err(e) => {
                rocket::error!("invalid [oauth] configuration: {e}");
                Err(rocket)
            }
        }
    })
}
