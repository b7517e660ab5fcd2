//! rocket-redis-sessions: server-side sessions for Rocket 0.5 in Redis, reusing the app's
//! own `rocket_db_pools` pool, and a demo app that shows them at work.
//!
//! The session layer ([`session`]) and the pool ([`redis_pool`]) stand alone; the rest of
//! this crate is the demo app, assembled by [`rocket_from`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod csrf;
pub mod flash;
pub mod oauth;
pub mod provider;
pub mod redis_pool;
pub mod routes;
pub mod session;
pub mod token;

use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;
use rocket_dyn_templates::Template;

use crate::redis_pool::RedisPool;
use crate::session::SessionFairing;

/// The app's Redis database, `[databases.sessions]` in `Rocket.toml`.
#[derive(Database)]
#[database("sessions")]
pub struct SessionsDb(RedisPool);

/// The app, configured from `Rocket.toml` and `ROCKET_*` variables.
pub fn rocket() -> Rocket<Build> {
    rocket_from(rocket::Config::figment())
}

/// The app, configured from `figment` (tests pass their own).
pub fn rocket_from(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .attach(SessionsDb::init())
        .attach(SessionFairing::redis::<SessionsDb>().error_page(routes::errors::save_failed))
        .attach(Template::fairing())
        .attach(routes::stage())
        .attach(provider::stage())
        .attach(oauth::stage())
}
