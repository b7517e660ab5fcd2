//! Server-side sessions for Rocket: a [`Session`] request guard, a [`SessionFairing`] that
//! saves after the handler, and the [`store::SessionStore`] contract with Redis and memory
//! stores.
//!
//! Life cycle of one request:
//! 1. A handler (or guard) asks for [`Session`]: the cookie is parsed and the session is
//!    loaded in one store operation that also restarts its idle timeout. Routes that never
//!    ask cost nothing.
//! 2. The handler reads and changes it; a first write to a new session, `cycle_id` and
//!    `destroy` set or remove the cookie right away (Rocket sends only cookies set while
//!    the handler runs).
//! 3. After the handler, the fairing commits by [`Status`]: at most one store operation,
//!    none for an unchanged session, none for a 5xx response. A failed save turns the
//!    response into a 503: never a silent loss.

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
