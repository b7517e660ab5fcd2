//! [`SessionLayer`]: what the guard and the fairing share: the configuration, the store,
//! the request-local slot the guard fills and the fairing empties, and the cookie.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use rocket::http::Cookie;
use rocket::tokio::sync::OnceCell;

use crate::SessionId;
use crate::config::SessionConfig;
use crate::metrics::Metrics;
use crate::pool::{RedisMode, RedisPool};
use crate::state::{Commit, State};
use crate::store::{
    Backend, Ending, Fields, SessionStore, StoreError, UserKey, UserSession, millis, now_ms,
};

/// The session layer's managed state: configuration and store, shared by every request.
/// [`SessionFairing`](crate::SessionFairing) puts it in place at ignite; an app may read it
/// as `&State<SessionLayer>` (for a health check, or to show which store is in use).
pub struct SessionLayer {
    config: SessionConfig,
    backend: Backend,
    fallback: bool,
    csrf_cookie_name: String,
    metrics: Metrics,
}

impl SessionLayer {
    pub(crate) fn new(config: SessionConfig, backend: Backend, fallback: bool) -> Self {
        let csrf_cookie_name = format!("{}-csrf", config.cookie_name);
        let mode = match backend.redis_pool().map(RedisPool::mode) {
            Some(RedisMode::Single) => "single",
            Some(RedisMode::Cluster) => "cluster",
            Some(RedisMode::Sentinel) => "sentinel",
            None => "none",
        };
        let metrics = Metrics::register(backend.name(), mode);
        Self { config, backend, fallback, csrf_cookie_name, metrics }
    }

    /// The name of the cookie that carries the CSRF token of a visitor without a stored
    /// session: the session cookie's name and `-csrf` (see [`crate::csrf`]).
    pub fn csrf_cookie_name(&self) -> &str {
        &self.csrf_cookie_name
    }

    /// The checked `[sessions]` configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The store's short name: `"redis"`, `"memory"`, or an app store's own.
    pub fn store_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The Redis pool the sessions go through; `None` when they are not in the built-in
    /// Redis store of [`SessionFairing::redis`](crate::SessionFairing::redis) (the memory
    /// store, a store handed to `with_store`, or `store = "auto"` fallen back to memory).
    pub fn redis_pool(&self) -> Option<&RedisPool> {
        self.backend.redis_pool()
    }

    /// The store in use, through the [`SessionStore`] contract (to end another session by
    /// its id, say).
    pub fn store(&self) -> &dyn SessionStore {
        self.backend.as_dyn()
    }

    /// Whether `store = "auto"` fell back to memory because Redis did not answer at launch.
    pub fn is_fallback(&self) -> bool {
        self.fallback
    }

    /// Checks that the store answers, with one cheap request (a `PING` for Redis).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.backend.ping().await
    }

    /// The live sessions of the user `user_id` (as the app passed it to
    /// [`Session::bind_user`](crate::Session::bind_user)), oldest first: for an admin page,
    /// say. None is marked `current`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store fails, [`StoreError::Unsupported`] for an
    /// app's store that keeps no index.
    pub async fn user_sessions(&self, user_id: &str) -> Result<Vec<UserSession>, StoreError> {
        self.backend.as_dyn().user_sessions(&UserKey::new(user_id)).await
    }

    /// Ends every session of the user `user_id` at once (after a password change, or when
    /// an account is locked): each is gone for the device that held it, and a request in
    /// flight on one cannot bring it back. Returns how many were live.
    ///
    /// # Errors
    /// As [`SessionLayer::user_sessions`].
    pub async fn end_user_sessions(&self, user_id: &str) -> Result<usize, StoreError> {
        self.backend.as_dyn().end_user_sessions(&UserKey::new(user_id), &Ending::All).await
    }

    /// Loads the session `id` from the store.
    pub(crate) async fn load(&self, id: &SessionId) -> Result<Option<Fields>, StoreError> {
        let start = Instant::now();
        let loaded = self.backend.load(id).await;
        self.metrics.loaded(start, &loaded);
        loaded
    }

    /// Sends `commit` to the store in one operation. `Ok(false)` when the session turned
    /// out to be gone (ended by another request meanwhile): it is not brought back.
    pub(crate) async fn apply(&self, commit: Commit) -> Result<bool, StoreError> {
        let store = &self.backend;
        let Some(op) = Metrics::kind(&commit) else { return Ok(true) };
        let start = Instant::now();
        let applied = match commit {
            Commit::Nothing => Ok(true),
            Commit::Create { id, fields } => store.create(&id, &fields).await.map(|()| true),
            Commit::Update { id, changes } => store.update(&id, &changes).await,
            Commit::Renew { old, new, changes } => store.renew(&old, &new, &changes).await,
            Commit::Delete { id } => store.delete(&id).await.map(|()| true),
            Commit::Replace { old, id, fields } => {
                store.replace(&old, &id, &fields).await.map(|()| true)
            }
            Commit::Bound(write) => store.as_dyn().commit_bound(&write).await,
        };
        self.metrics.applied(op, start, &applied);
        let alive = applied?;
        if !alive {
            rocket::info!("the session ended during the request; its changes were dropped");
        }
        Ok(alive)
    }

    /// The session cookie carrying `id`, with every attribute the configuration asks for,
    /// expiring with the session's absolute lifetime.
    pub(crate) fn cookie(&self, id: &SessionId) -> Cookie<'static> {
        let deadline = id.created_ms().saturating_add(millis(self.config.absolute()));
        let seconds = deadline.saturating_sub(now_ms()).div_ceil(1000);
        let mut cookie = self.base_cookie(self.config.cookie_name.clone(), id.encode());
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        cookie.set_max_age(rocket::time::Duration::seconds(seconds));
        cookie
    }

    /// The cookie that removes the session cookie: same name, path, domain and flags.
    pub(crate) fn removal_cookie(&self) -> Cookie<'static> {
        let mut cookie = self.base_cookie(self.config.cookie_name.clone(), String::new());
        cookie.make_removal();
        cookie
    }

    /// The CSRF cookie carrying `token` (`None`: the cookie that removes it), with the
    /// session cookie's attributes, for as long as the browser runs.
    pub(crate) fn csrf_cookie(&self, token: Option<String>) -> Cookie<'static> {
        let removal = token.is_none();
        let mut cookie = self.base_cookie(self.csrf_cookie_name.clone(), token.unwrap_or_default());
        if removal {
            cookie.make_removal();
        }
        cookie
    }

    fn base_cookie(&self, name: String, value: String) -> Cookie<'static> {
        let config = &self.config;
        let mut cookie = Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .secure(config.secure())
            .same_site(config.same_site.into())
            .build();
        if let Some(domain) = &config.domain {
            cookie.set_domain(domain.clone());
        }
        cookie
    }
}

/// The per-request slot in Rocket's `local_cache`: filled by the first `Session` guard,
/// emptied by the fairing after the handler. `None` inside: the load failed.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) loaded: OnceCell<Option<Mutex<State>>>,
    pub(crate) csrf: Mutex<CsrfCookie>,
}

/// What this response does to the CSRF cookie of a visitor without a stored session (see
/// [`crate::csrf`]).
#[derive(Debug, Default)]
pub(crate) struct CsrfCookie {
    /// `Some(Some(token))` sets it, `Some(None)` removes it, `None` leaves it as the
    /// browser holds it.
    pub(crate) outgoing: Option<Option<String>>,
}

impl Slot {
    /// What the CSRF cookie must become, if anything.
    pub(crate) fn take_csrf(&self) -> Option<Option<String>> {
        self.csrf.lock().unwrap_or_else(PoisonError::into_inner).outgoing.take()
    }

    /// The state, if a guard loaded it during this request.
    pub(crate) fn take_state(&self) -> Option<State> {
        let state = self.loaded.get()?.as_ref()?;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        Some(std::mem::replace(&mut *state, State::fresh(false)))
    }
}
