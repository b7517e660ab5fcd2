//! [`SessionFairing`]: picks the store at ignite and commits each request's session work
//! after its handler.

use std::sync::Arc;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::{Build, Request, Response, Rocket};
use rocket_db_pools::Database;

use crate::config::{SessionConfig, StoreKind};
use crate::layer::{SessionLayer, Slot};
use crate::pool::RedisPool;
use crate::state::{Commit, CookieChange};
use crate::store::{Backend, Expiry, MemoryStore, RedisStore, SessionStore, StoreError};

/// Builds the response sent instead of the handler's when the session cannot be saved:
/// with status 503 when the store failed, 413 when the save would take the session past
/// `max_bytes` or `max_keys` (requests writing to one session at once).
pub type ErrorPage = for<'r> fn(&'r Request<'_>, Status) -> Response<'static>;

/// Where the sessions go, as the app said when it made the fairing.
enum Source {
    /// The Redis pool of a `rocket_db_pools` database (or memory, as `[sessions] store`
    /// says).
    Pool { fetch: fn(&Rocket<Build>) -> Option<RedisPool>, name: &'static str },
    /// A store the app made.
    Store(Arc<dyn SessionStore>),
}

/// The session layer's fairing. Attach it after the database fairing of the pool:
///
/// ```rust,no_run
/// use rocket_db_pools::Database;
/// use rocket_redis_sessions::{RedisPool, SessionFairing};
///
/// #[derive(Database)]
/// #[database("sessions")]
/// struct Sessions(RedisPool);
///
/// let rocket = rocket::build()
///     .attach(Sessions::init())
///     .attach(SessionFairing::redis::<Sessions>());
/// ```
///
/// At ignite it reads `[sessions]` ([`SessionConfig`]), picks the store and manages
/// [`SessionLayer`]; a configuration that cannot work stops the launch with a message
/// naming the table and key. After each handler it commits the session (see the crate
/// docs).
pub struct SessionFairing {
    source: Source,
    error_page: ErrorPage,
}

/// The pool of database `D`, if its fairing made it. Not `D::fetch`, which logs an
/// error of its own that would only blur the one this fairing gives.
fn fetch_pool<D: Database<Pool = RedisPool>>(rocket: &Rocket<Build>) -> Option<RedisPool> {
    rocket.state::<D>().map(|db| RedisPool::clone(db))
}

impl SessionFairing {
    /// Sessions kept where `[sessions] store` says, Redis being the pool of database `D`.
    pub fn redis<D: Database<Pool = RedisPool>>() -> Self {
        let source = Source::Pool { fetch: fetch_pool::<D>, name: D::NAME };
        Self { source, error_page: default_error_page }
    }

    /// Sessions kept in `store`, whatever `[sessions] store` says.
    pub fn with_store(store: impl SessionStore) -> Self {
        Self { source: Source::Store(Arc::new(store)), error_page: default_error_page }
    }

    /// Uses `page` for the 503 (or 413) sent when a session cannot be saved.
    pub fn error_page(mut self, page: ErrorPage) -> Self {
        self.error_page = page;
        self
    }

    /// The store for `config`, and whether `store = "auto"` fell back to memory.
    async fn choose_store(
        &self,
        rocket: &Rocket<Build>,
        config: &SessionConfig,
    ) -> Result<(Backend, bool), String> {
        let (fetch, name) = match &self.source {
            Source::Store(store) => return Ok((Backend::Custom(store.clone()), false)),
            Source::Pool { fetch, name } => (fetch, *name),
        };
        let expiry = Expiry { idle: config.idle(), absolute: config.absolute() };
        let memory = || Backend::Memory(MemoryStore::new(expiry).with_limits(config.limits()));
        if config.store == StoreKind::Memory {
            return Ok((memory(), false));
        }
        let pool = fetch(rocket).ok_or_else(|| missing_pool(rocket, name))?;
        let redis = RedisStore::new(pool, config.key_prefix.clone(), expiry)
            .with_limits(config.limits())
            .with_touch_after(config.touch_after());
        if config.store == StoreKind::Redis {
            return Ok((Backend::Redis(redis), false));
        }
        match redis.ping().await {
            Ok(()) => Ok((Backend::Redis(redis), false)),
            Err(e) => {
                rocket::warn!("sessions: Redis does not answer ({e}).");
                rocket::warn!(
                    "sessions: store = \"auto\" falls back to MEMORY: sessions will NOT survive \
                     a restart and are not shared between processes."
                );
                Ok((memory(), true))
            }
        }
    }
}

/// Why the pool of database `name` is not there: its table is missing, or its fairing
/// failed (and said why) or is not attached.
fn missing_pool(rocket: &Rocket<Build>, name: &str) -> String {
    let table = format!("databases.{name}");
    if rocket.figment().find_value(&table).is_err() {
        return format!(
            "there is no [{table}] table: add `[default.{table}]` with \
             `url = \"redis://127.0.0.1:6379/0\"` to Rocket.toml, or set \
             ROCKET_DATABASES='{{{name}={{url=\"redis://127.0.0.1:6379/0\"}}}}'"
        );
    }
    format!(
        "the Redis pool of database `{name}` is not there: attach its fairing \
         (`YourDb::init()`) before SessionFairing; if it is attached, its own error above \
         says what is wrong with [{table}]"
    )
}

fn default_error_page(req: &Request<'_>, status: Status) -> Response<'static> {
    let json = req.format().is_some_and(|f| f.is_json())
        || req.accept().is_some_and(|a| a.preferred().is_json());
    let (content_type, body): (ContentType, &'static str) = match (json, status.code) {
        (true, 413) => (ContentType::JSON, r#"{"error":"the session is full"}"#),
        (false, 413) => (ContentType::Plain, "The session is full: nothing was saved.\n"),
        (true, _) => {
            (ContentType::JSON, r#"{"error":"session store unavailable, try again later"}"#)
        }
        (false, _) => (ContentType::Plain, "The session store is unavailable. Try again later.\n"),
    };
    Response::build()
        .status(status)
        .header(content_type)
        .sized_body(body.len(), std::io::Cursor::new(body))
        .finalize()
}

#[rocket::async_trait]
impl Fairing for SessionFairing {
    fn info(&self) -> Info {
        Info { name: "Sessions", kind: Kind::Ignite | Kind::Response }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let config = match SessionConfig::from_figment(rocket.figment()) {
            Ok(config) => config,
            Err(e) => {
                rocket::error!("{e}");
                return Err(rocket);
            }
        };
        let (backend, fallback) = match self.choose_store(&rocket, &config).await {
            Ok(chosen) => chosen,
            Err(e) => {
                rocket::error!("sessions: {e}");
                return Err(rocket);
            }
        };
        rocket::info!(
            "sessions: store {}, cookie {:?} (Secure: {}), idle {} s, lifetime {} s",
            backend.name(),
            config.cookie_name,
            config.secure(),
            config.idle_timeout,
            config.absolute_timeout
        );
        Ok(rocket.manage(SessionLayer::new(config, backend, fallback)))
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let slot = req.local_cache(Slot::default);
        let Some(state) = slot.take_state() else { return };
        let Some(layer) = req.rocket().state::<SessionLayer>() else { return };
        // A response made from a session is for its visitor only: no cache keeps it
        // (unless the handler said otherwise).
        if !has_header(res, "Cache-Control") {
            res.set_raw_header("Cache-Control", "no-store");
        }
        if res.status().class().is_server_error() {
            // Nothing is saved on a 5xx: the handler may have failed half-way.
            return;
        }
        let (commit, cookie) = state.into_commit();
        let applied = match commit {
            Commit::Nothing => Ok(true),
            // Boxed, and only when there is a write: this fairing's future (which Rocket
            // boxes for every request) then stays small instead of holding room for the
            // whole save.
            commit => Box::pin(layer.apply(commit)).await,
        };
        if let Some(token) = slot.take_csrf() {
            res.adjoin_header(Header::new("Set-Cookie", layer.csrf_cookie(token).to_string()));
        }
        let cookie = match applied {
            Ok(true) => cookie,
            // The session ended (or moved to a new id) in another request meanwhile. The
            // browser may already hold that newer id, so the cookie is left alone: if it
            // is dead, the next request removes it.
            Ok(false) => CookieChange::Keep,
            Err(StoreError::TooLarge) => {
                rocket::info!("the session was not saved: it would exceed its limits");
                *res = (self.error_page)(req, Status::PayloadTooLarge);
                return;
            }
            Err(e) => {
                rocket::error!("cannot save the session: {e}");
                *res = (self.error_page)(req, Status::ServiceUnavailable);
                return;
            }
        };
        // The cookie is written here, as a header, and not through the CookieJar while the
        // handler runs: a catcher resets the jar's changes, which would leave a saved
        // session without its cookie (or a rotated one without its new id).
        let header = match cookie {
            CookieChange::Keep => return,
            CookieChange::Set(id) => layer.cookie(&id),
            CookieChange::Remove => layer.removal_cookie(),
        };
        strip_session_cookie(res, &layer.config().cookie_name);
        res.adjoin_header(Header::new("Set-Cookie", header.to_string()));
    }
}

/// Whether `res` has a header `name` (ASCII, any case). A response holds a handful of
/// headers: comparing their names is cheaper than a lookup in Rocket's header map, which
/// hashes the name byte by byte.
fn has_header(res: &Response<'_>, name: &str) -> bool {
    res.headers().iter().any(|h| h.name().as_str().eq_ignore_ascii_case(name))
}

/// Removes the Set-Cookie headers for the session cookie, keeping every other cookie.
fn strip_session_cookie(res: &mut Response<'_>, name: &str) {
    let all: Vec<String> = res.headers().get("Set-Cookie").map(str::to_owned).collect();
    if all.is_empty() {
        return;
    }
    let prefix = format!("{name}=");
    res.remove_header("Set-Cookie");
    for cookie in all.into_iter().filter(|c| !c.starts_with(&prefix)) {
        res.adjoin_header(Header::new("Set-Cookie", cookie));
    }
}

#[cfg(test)]
#[path = "fairing_tests.rs"]
mod tests;
