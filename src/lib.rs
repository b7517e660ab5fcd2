//! The demo app of `rocket_redis_sessions`: session pages, a counter, a JSON API and an
//! OAuth sign-in with a built-in authorization server, all through the library as any app
//! would use it.
//!
//! The parts meet here and nowhere else: [`rocket_from`] attaches each part's stage and
//! hands each what it needs from the others.
//!
//! | part | what it is |
//! |---|---|
//! | [`routes`] | the pages, the dashboard's forms, the JSON API, `/health` |
//! | [`oauth`] | the OAuth client: sign-in attempts in the session, the callback |
//! | [`provider`] | the built-in demo authorization server |
//! | [`page`], [`user`], [`site`], [`config`], [`secret`] | shared by the parts |
//! | [`logging`] | the app's log, with no secret in it |
//! | [`prometheus`] | `/metrics`, the session layer's metrics for Prometheus |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod logging;
pub mod oauth;
pub mod page;
pub mod prometheus;
pub mod provider;
pub mod routes;
pub mod secret;
pub mod site;
pub mod user;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;
use rocket_dyn_templates::Template;
use rocket_redis_sessions::{RedisPool, SessionFairing};

use crate::page::AppKeys;
use crate::provider::BuiltinClients;
use crate::site::Site;

/// The app's Redis database, `[databases.sessions]` in `Rocket.toml`.
#[derive(Database)]
#[database("sessions")]
pub struct SessionsDb(RedisPool);

/// The app, configured from `Rocket.toml` and `ROCKET_*` variables.
/// Its log is [`logging`]'s: Rocket's messages without query values or header dumps; its
/// metrics go to a Prometheus exporter, served at `/metrics` ([`prometheus`]).
pub fn rocket() -> Rocket<Build> {
    let figment = rocket::Config::figment();
    logging::install(&figment);
    let metrics = prometheus::install();
    let rocket = rocket_from(figment);
    match metrics {
        Some(handle) => rocket.attach(prometheus::stage(handle)),
        None => rocket,
    }
}

/// The app, configured from `figment` (tests pass their own).
pub fn rocket_from(figment: Figment) -> Rocket<Build> {
    // The dashboard puts the app's own keys into words; a pending sign-in's verifier and
    // full `state` never show on it.
    let app_keys = AppKeys::default()
        .with(oauth::flow::KEY, "Sign-ins under way", oauth::flow::describe_pending)
        .with(oauth::flow::USED_KEY, "Finished sign-ins", oauth::flow::describe_used);
    rocket::custom(figment)
        .attach(SessionsDb::init())
        .attach(SessionFairing::redis::<SessionsDb>().error_page(page::save_failed))
        .attach(Template::fairing())
        .attach(site::stage())
        .attach(routes::stage(app_keys))
        .attach(provider::stage(oauth::CALLBACK_PATH))
        .attach(AdHoc::try_on_ignite("Built-in provider for the OAuth client", hand_over_builtin))
        .attach(oauth::stage())
}

/// Hands the OAuth client the built-in provider, as a client sees one: where browsers go
/// to authorize (the public URL), where the app calls it (where it really listens), and
/// the secrets of its clients. That place must be known before the app listens: a port
/// that Rocket picks at launch (`port = 0`) stops the launch while the provider is on.
async fn hand_over_builtin(rocket: Rocket<Build>) -> Result<Rocket<Build>, Rocket<Build>> {
    let (Some(site), Some(clients)) = (rocket.state::<Site>(), rocket.state::<BuiltinClients>())
    else {
        return Ok(rocket);
    };
    if site.port == 0 && clients.ids().next().is_some() {
        rocket::error!(
            "the built-in provider needs the port the app listens on before it listens: set \
             ROCKET_PORT (port = 0 is picked at launch), or [provider] enabled = false"
        );
        return Err(rocket);
    }
    let builtin = oauth::Builtin {
        authorize_url: format!("{}{}", site.public_url, provider::AUTHORIZE_PATH),
        token_url: format!("{}{}", site.local_url, provider::TOKEN_PATH),
        userinfo_url: format!("{}{}", site.local_url, provider::USERINFO_PATH),
        revoke_url: format!("{}{}", site.local_url, provider::REVOKE_PATH),
        secrets: clients.secrets().map(|(id, secret)| (id.to_owned(), secret.to_owned())).collect(),
    };
    Ok(rocket.manage(builtin))
}
