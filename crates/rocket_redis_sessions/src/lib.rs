//! Server-side sessions for [Rocket](https://rocket.rs) 0.5, kept in Redis through the
//! app's own [`rocket_db_pools`] pool.
//!
//! - A lazy [`Session`] request guard: only routes that take it touch the store, with one
//!   round trip (one `HGETALL`, with the `PEXPIRE` that restarts the idle timeout once per
//!   `touch_after`).
//! - A [`SessionFairing`] that saves after the handler: only what changed, at most one
//!   round trip, never bringing back a session that ended meanwhile, and only then sets
//!   the cookie. A failed save turns the response into a 503; nothing is saved on a 5xx.
//! - The [`SessionStore`](store::SessionStore) contract, with a Redis store (one hash
//!   per session, keyed by the SHA-256 of the id) and a memory store.
//! - [`RedisPool`], a `rocket_db_pools` pool whose checkout costs no Redis command.
//! - Helpers apps want around sessions: one-time [`flash`] messages and [`csrf`] tokens.
//! - [`metrics`]: loads, saves, rotations, errors and store latency through the `metrics`
//!   facade, for whatever exporter the app installs.
//!
//! # Quick start
//!
//! ```rust
//! use rocket::{Build, Rocket, get, routes};
//! use rocket_db_pools::Database;
//! use rocket_redis_sessions::{RedisPool, Session, SessionError, SessionFairing};
//!
//! // Rocket.toml: [default.databases.sessions] url = "redis://127.0.0.1:6379/0"
//! #[derive(Database)]
//! #[database("sessions")]
//! struct Sessions(RedisPool);
//!
//! #[get("/visits")]
//! fn visits(session: Session<'_>) -> Result<String, SessionError> {
//!     let n = session.get::<u64>("visits")?.unwrap_or(0) + 1;
//!     session.insert("visits", &n)?;
//!     Ok(format!("visit number {n}"))
//! }
//!
//! fn rocket() -> Rocket<Build> {
//!     rocket::build()
//!         .attach(Sessions::init()) // the pool first,
//!         .attach(SessionFairing::redis::<Sessions>()) // then the sessions
//!         .mount("/", routes![visits])
//! }
//! # // Run here without a Redis: the pool connects lazily, and `store = "memory"`
//! # // keeps the sessions in this process.
//! # let figment = rocket::figment::Figment::from(rocket::Config::debug_default())
//! #     .merge(("log_level", "off"))
//! #     .merge(("databases.sessions.url", "redis://127.0.0.1:1/0"))
//! #     .merge(("sessions.store", "memory"));
//! # let client = rocket::local::blocking::Client::tracked(rocket().configure(figment)).unwrap();
//! # assert_eq!(client.get("/visits").dispatch().into_string().unwrap(), "visit number 1");
//! # assert_eq!(client.get("/visits").dispatch().into_string().unwrap(), "visit number 2");
//! ```
//!
//! A route that takes [`Session`] in an app without [`SessionFairing`] stops the launch
//! with a message naming what to attach. The `[sessions]` table ([`SessionConfig`]) sets
//! the cookie, the timeouts and the store; `examples/visits.rs` is the app above.
//!
//! # One request
//!
//! 1. A handler (or guard) asks for [`Session`]: the cookie is parsed and the session is
//!    loaded in one store operation (which restarts its idle timeout, at most once per
//!    `touch_after`).
//! 2. The handler reads and changes it in memory (`insert`, `remove`, `cycle_id`,
//!    `destroy`, ...).
//! 3. After the handler, the fairing commits by [`SessionStatus`]: at most one store
//!    operation, none for an unchanged session, none for a 5xx response. Only once that
//!    write has succeeded does it set (or remove) the cookie, as a response header: a
//!    catcher, which resets Rocket's cookie jar, cannot separate a saved session from its
//!    cookie.
//!
//! This crate turns on no optional Rocket feature (no `http2`, no `secrets`: the cookie
//! holds a random id, not signed data).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
pub mod csrf;
mod device;
mod error;
mod fairing;
pub mod flash;
mod guard;
mod id;
mod layer;
pub mod metrics;
pub mod pool;
mod state;
pub mod store;
mod token;

pub use redis;

pub use self::config::{ConfigError, SameSiteConfig, SessionConfig, StoreKind};
pub use self::device::device_label;
pub use self::error::SessionError;
pub use self::fairing::{ErrorPage, SessionFairing};
pub use self::guard::Session;
pub use self::id::{SessionId, SlotTag};
pub use self::layer::SessionLayer;
pub use self::pool::{Durability, RedisMode, RedisPool, RedisPoolConfig, RedisPoolError};
pub use self::state::SessionStatus;
