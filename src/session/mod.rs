//! Server-side sessions for Rocket: a [`Session`] request guard, a [`SessionFairing`] that
//! saves after the handler, and the [`store::SessionStore`] contract with Redis and memory
//! stores.
//!
//! Life cycle of one request:
//! 1. A handler (or guard) asks for [`Session`]: the cookie is parsed and the session is
//!    loaded in one store operation that also restarts its idle timeout. Routes that never
//!    ask cost nothing.
//! 2. The handler reads and changes it in memory (`insert`, `remove`, `cycle_id`,
//!    `destroy`, ...).
//! 3. After the handler, the fairing commits by [`Status`]: at most one store operation,
//!    none for an unchanged session, none for a 5xx response. Only once that write has
//!    succeeded does it set (or remove) the cookie, as a response header: a failed save
//!    turns the response into a 503 without a cookie, never a silent loss; and a catcher,
//!    which resets Rocket's cookie jar, cannot separate a saved session from its cookie.

mod config;
mod error;
mod fairing;
mod guard;
mod id;
mod state;
pub mod store;

pub use self::config::{ConfigError, SameSiteConfig, SessionConfig, StoreKind};
pub use self::error::SessionError;
pub use self::fairing::{ErrorPage, SessionFairing, SessionLayer};
pub use self::guard::Session;
pub use self::id::SessionId;
pub use self::state::Status;
