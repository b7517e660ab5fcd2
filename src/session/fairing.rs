//! [`SessionFairing`]: picks the store at ignite and commits each request's session work
//! after its handler.

use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::{ContentType, Cookie, Header, Status as HttpStatus};
use rocket::{Build, Request, Response, Rocket};
use rocket_db_pools::Database;

use super::SessionId;
use super::config::{SessionConfig, StoreKind};
use super::guard::{Slot, now_ms};
use super::state::{Commit, CookieChange};
use super::store::{Expiry, MemoryStore, Record, RedisStore, SessionStore, StoreError, millis};
use crate::redis_pool::RedisPool;

/// Builds the response sent instead of the handler's when the session cannot be saved.
pub type ErrorPage = for<'r> fn(&'r Request<'_>) -> Response<'static>;

/// Where the Redis store gets its pool.
type FetchPool = fn(&Rocket<Build>) -> Option<RedisPool>;

/// The session layer's managed state: configuration and store, shared by every request.
pub struct SessionLayer {
    config: SessionConfig,
    store: Arc<dyn SessionStore>,
    /// The same store when it is the built-in Redis one: a request's load and save then
    /// run as futures of known type, without the trait's boxed futures.
    redis: Option<Arc<RedisStore>>,
    fallback: bool,
}

impl SessionLayer {
    /// The checked `[sessions]` configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The store in use.
    pub fn store(&self) -> &dyn SessionStore {
        &*self.store
    }

    /// Loads the session `id` from the store.
    pub(crate) async fn load(&self, id: &SessionId) -> Result<Option<Record>, StoreError> {
        match &self.redis {
            Some(redis) => redis.load_now(id).await,
            None => self.store.load(id).await,
        }
    }

    /// Sends `commit` to the store in one operation. `Ok(false)` when the session turned
    /// out to be gone (ended by another request meanwhile): it is not brought back.
    async fn apply(&self, commit: Commit) -> Result<bool, StoreError> {
        let store = &*self.store;
        let alive = match commit {
            Commit::Nothing => true,
            Commit::Create { id, record } => store.create(&id, &record).await.map(|()| true)?,
            Commit::Update { id, created_ms, changes } => match &self.redis {
                Some(redis) => redis.update_now(&id, created_ms, &changes).await?,
                None => store.update(&id, created_ms, &changes).await?,
            },
            Commit::Renew { old, new, created_ms, changes } => {
                store.renew(&old, &new, created_ms, &changes).await?
            }
            Commit::Delete { id } => store.delete(&id).await.map(|()| true)?,
            Commit::Replace { old, id, record } => {
                store.replace(&old, &id, &record).await.map(|()| true)?
            }
        };
        if !alive {
            rocket::info!("the session ended during the request; its changes were dropped");
        }
        Ok(alive)
    }

    /// Whether `store = "auto"` fell back to memory because Redis did not answer at launch.
    pub fn is_fallback(&self) -> bool {
        self.fallback
    }

    /// The session cookie carrying `value`, with every attribute the configuration asks
    /// for, expiring after `max_age`.
    fn cookie(&self, value: String, max_age: Duration) -> Cookie<'static> {
        let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        let mut cookie = self.base_cookie(value);
        cookie.set_max_age(rocket::time::Duration::seconds(seconds));
        cookie
    }

    /// The cookie that removes the session cookie: same name, path, domain and flags.
    fn removal_cookie(&self) -> Cookie<'static> {
        let mut cookie = self.base_cookie(String::new());
        cookie.make_removal();
        cookie
    }

    fn base_cookie(&self, value: String) -> Cookie<'static> {
        let config = &self.config;
        let mut cookie = Cookie::build((config.cookie_name.clone(), value))
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

enum Source {
    Pool(FetchPool),
    Store(Arc<dyn SessionStore>),
}

/// Attach after the database fairing:
///
/// ```rust,no_run
/// use rocket_db_pools::Database;
/// use rocket_redis_sessions::redis_pool::RedisPool;
/// use rocket_redis_sessions::session::SessionFairing;
///
/// #[derive(Database)]
/// #[database("sessions")]
/// struct Sessions(RedisPool);
///
/// let rocket = rocket::build()
///     .attach(Sessions::init())
///     .attach(SessionFairing::redis::<Sessions>());
/// ```
pub struct SessionFairing {
    source: Source,
    error_page: ErrorPage,
}

fn fetch_pool<D: Database<Pool = RedisPool>>(rocket: &Rocket<Build>) -> Option<RedisPool> {
    D::fetch(rocket).map(|db| RedisPool::clone(db))
}

impl SessionFairing {
    /// Sessions kept where `[sessions] store` says, Redis being the pool of database `D`.
    pub fn redis<D: Database<Pool = RedisPool>>() -> Self {
        Self { source: Source::Pool(fetch_pool::<D>), error_page: default_error_page }
    }

    /// Sessions kept in `store`, whatever `[sessions] store` says.
    pub fn with_store(store: impl SessionStore) -> Self {
        Self { source: Source::Store(Arc::new(store)), error_page: default_error_page }
    }

    /// Uses `page` for the 503 sent when a session cannot be saved.
    pub fn error_page(mut self, page: ErrorPage) -> Self {
        self.error_page = page;
        self
    }

    async fn choose_store(
        &self,
        rocket: &Rocket<Build>,
        config: &SessionConfig,
    ) -> Result<Chosen, String> {
        let fetch = match &self.source {
            Source::Store(store) => return Ok(Chosen::other(store.clone(), false)),
            Source::Pool(fetch) => fetch,
        };
        let expiry = Expiry { idle: config.idle(), absolute: config.absolute() };
        let memory = |fallback| Chosen::other(Arc::new(MemoryStore::new(expiry)), fallback);
        if config.store == StoreKind::Memory {
            return Ok(memory(false));
        }
        let pool =
            fetch(rocket).ok_or("attach the Redis database fairing before SessionFairing")?;
        let redis = Arc::new(RedisStore::new(pool, config.key_prefix.clone(), expiry));
        if config.store == StoreKind::Redis {
            return Ok(Chosen::redis(redis));
        }
        match redis.ping().await {
            Ok(()) => Ok(Chosen::redis(redis)),
            Err(e) => {
                rocket::warn!("sessions: Redis does not answer ({e}).");
                rocket::warn!(
                    "sessions: store = \"auto\" falls back to MEMORY: sessions will NOT survive \
                     a restart and are not shared between processes."
                );
                Ok(memory(true))
            }
        }
    }
}

/// The store picked at ignite.
struct Chosen {
    store: Arc<dyn SessionStore>,
    redis: Option<Arc<RedisStore>>,
    fallback: bool,
}

impl Chosen {
    fn redis(redis: Arc<RedisStore>) -> Self {
        Self { store: redis.clone(), redis: Some(redis), fallback: false }
    }

    fn other(store: Arc<dyn SessionStore>, fallback: bool) -> Self {
        Self { store, redis: None, fallback }
    }
}

fn default_error_page(req: &Request<'_>) -> Response<'static> {
    let json = req.format().is_some_and(|f| f.is_json())
        || req.accept().is_some_and(|a| a.preferred().is_json());
    let (content_type, body): (ContentType, &'static str) = match json {
        true => (ContentType::JSON, r#"{"error":"session store unavailable, try again later"}"#),
        false => (ContentType::Plain, "The session store is unavailable. Try again later.\n"),
    };
    Response::build()
        .status(HttpStatus::ServiceUnavailable)
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
        let Chosen { store, redis, fallback } = match self.choose_store(&rocket, &config).await {
            Ok(chosen) => chosen,
            Err(e) => {
                rocket::error!("sessions: {e}");
                return Err(rocket);
            }
        };
        rocket::info!(
            "sessions: store {}, cookie {:?} (Secure: {}), idle {} s, lifetime {} s",
            store.name(),
            config.cookie_name,
            config.secure(),
            config.idle_timeout,
            config.absolute_timeout
        );
        Ok(rocket.manage(SessionLayer { config, store, redis, fallback }))
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(state) = req.local_cache(Slot::default).take_state() else { return };
        let Some(layer) = req.rocket().state::<SessionLayer>() else { return };
        if res.status().class().is_server_error() {
            // Nothing is saved on a 5xx: the handler may have failed half-way.
            return;
        }
        let created_ms = state.created_ms();
        let (commit, cookie) = state.into_commit();
        let applied = match commit {
            Commit::Nothing => Ok(true),
            // Boxed, and only when there is a write: this fairing's future (which Rocket
            // boxes for every request) then stays small instead of holding room for the
            // whole save.
            commit => Box::pin(layer.apply(commit)).await,
        };
        let cookie = match applied {
            Ok(true) => cookie,
            // The session ended (or moved to a new id) in another request meanwhile. The
            // browser may already hold that newer id, so the cookie is left alone: if it
            // is dead, the next request removes it.
            Ok(false) => CookieChange::Keep,
            Err(e) => {
                rocket::error!("cannot save the session: {e}");
                *res = (self.error_page)(req);
                return;
            }
        };
        // The cookie is written here, as a header, and not through the CookieJar while the
        // handler runs: a catcher resets the jar's changes, which would leave a saved
        // session without its cookie (or a rotated one without its new id).
        let header = match cookie {
            CookieChange::Keep => return,
            CookieChange::Set(id) => {
                let deadline = created_ms.saturating_add(millis(layer.config.absolute()));
                let left_ms = deadline.saturating_sub(now_ms());
                layer.cookie(id.encode(), Duration::from_secs(left_ms.div_ceil(1000)))
            }
            CookieChange::Remove => layer.removal_cookie(),
        };
        strip_session_cookie(res, &layer.config.cookie_name);
        res.adjoin_header(Header::new("Set-Cookie", header.to_string()));
    }
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
