//! `RedisPool`: a `rocket_db_pools::Pool` over deadpool and redis-rs whose checkout costs no
//! Redis command.
//!
//! deadpool-redis's stock manager sends `UNWATCH` + `PING` every time it hands out a pooled
//! connection: one extra round trip per request. Ours recycles without I/O and instead
//! retires a connection the moment a command on it fails in a way that leaves it unusable
//! (I/O error, timeout, dropped connection). And since redis-rs connections are
//! multiplexed, a checkout lends a handle and returns the connection at once (most
//! recently returned first): concurrent requests share one connection and their commands
//! leave in shared writes, as with one hand-held multiplexed connection. Every wait is bounded: pool wait and connect by
//! `connect_timeout`, each command by `response_timeout_ms`, so an unreachable Redis turns
//! into an error within those bounds instead of a hung request.
//!
//! Configuration lives in the usual `[default.databases.NAME]` table:
//!
//! ```toml
//! [default.databases.sessions]
//! url = "redis://127.0.0.1:6379/0"
//! max_connections = 16       # default: workers * 4 (set by rocket_db_pools)
//! connect_timeout = 2        # seconds; pool wait and TCP connect. default: 5
//! response_timeout_ms = 1000 # per command. default: 1000
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{self, Metrics, QueueMode, RecycleError, RecycleResult};
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{
    AsyncConnectionConfig, Client, Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value,
};
use rocket::figment::Figment;
use serde::Deserialize;

/// The `[databases.NAME]` keys this pool reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RedisPoolConfig {
    /// Redis URL, `redis://[user:password@]host:port/db`. This crate builds redis-rs
    /// without TLS, so a `rediss://` URL is refused at launch; an app that needs TLS turns
    /// on redis-rs's `tokio-rustls-comp` feature in its own `Cargo.toml` (not tested here).
    /// _Default:_ none, required.
    pub url: String,
    /// Most connections the pool opens. _Default:_ `workers * 4`.
    pub max_connections: usize,
    /// Seconds to wait for a free connection, and for a new one to connect.
    /// _Default:_ `5`.
    pub connect_timeout: u64,
    /// Milliseconds to wait for the answer to one command. _Default:_ `1000`.
    #[serde(default = "default_response_timeout_ms")]
    pub response_timeout_ms: u64,
}

fn default_response_timeout_ms() -> u64 {
    1000
}

/// Errors of the pool: a bad configuration at launch, or no connection at request time.
#[derive(Debug, thiserror::Error)]
pub enum RedisPoolError {
    /// The database's table has no `url`, or has no table at all.
    #[error(
        "the Redis pool has no `url`: set one in its `[default.databases.NAME]` table of \
         Rocket.toml (e.g. `url = \"redis://127.0.0.1:6379/0\"`) or in ROCKET_DATABASES"
    )]
    MissingUrl,
    /// The `[databases.NAME]` table could not be read.
    #[error("invalid Redis pool configuration: {0}")]
    Config(#[from] Box<rocket::figment::Error>),
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    Url(#[source] RedisError),
    /// deadpool refused the pool settings.
    #[error("cannot build the Redis pool: {0}")]
    Build(#[from] managed::BuildError),
    /// No connection could be had within the timeouts.
    #[error("no Redis connection: {0}")]
    Get(#[from] managed::PoolError<RedisError>),
}

/// A pool of multiplexed Redis connections, usable as a `rocket_db_pools` database:
///
/// ```rust,no_run
/// use rocket_db_pools::Database;
/// use rocket_redis_sessions::RedisPool;
///
/// #[derive(Database)]
/// #[database("sessions")]
/// struct Sessions(RedisPool);
/// ```
#[derive(Clone)]
pub struct RedisPool(Arc<Shared>);

struct Shared {
    inner: managed::Pool<Manager>,
    /// The connection lent last, while it is healthy: lending it again costs a read lock
    /// and a clone, where going through deadpool costs its semaphore and queue lock, which
    /// two busy worker threads contend for.
    hot: RwLock<Option<(Link, Health)>>,
    round_trips: AtomicU64,
}

impl std::fmt::Debug for RedisPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPool").field("status", &self.0.inner.status()).finish()
    }
}

impl RedisPool {
    /// Builds a pool from its configuration. Connects lazily: a Redis that is down at launch
    /// does not stop the app from starting.
    ///
    /// # Errors
    /// [`RedisPoolError::Url`] for a URL redis-rs cannot parse, [`RedisPoolError::Build`] for
    /// settings deadpool refuses.
    pub fn new(config: &RedisPoolConfig) -> Result<Self, RedisPoolError> {
        let client = Client::open(config.url.as_str()).map_err(RedisPoolError::Url)?;
        let connect = Duration::from_secs(config.connect_timeout);
        let response = Duration::from_millis(config.response_timeout_ms);
        let connection = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect))
            .set_response_timeout(Some(response));
        let epoch = Arc::new(AtomicU64::new(0));
        let manager = Manager { target: Target::Single(client), connection, epoch };
        let inner = managed::Pool::builder(manager)
            .max_size(config.max_connections.max(1))
            .wait_timeout(Some(connect))
            .create_timeout(Some(connect))
            .recycle_timeout(Some(response))
            .runtime(Runtime::Tokio1)
            // The connection returned last is lent next: concurrent requests then share
            // one hot connection, whose commands go out together, rather than spreading
            // over every connection the pool ever opened.
            .queue_mode(QueueMode::Lifo)
            .build()?;
        let shared = Shared { inner, hot: RwLock::new(None), round_trips: AtomicU64::new(0) };
        Ok(Self(Arc::new(shared)))
    }

    /// Round trips to Redis made through this pool so far (a command, or a pipeline of
    /// commands, each counts once): a metric, and what tests count.
    pub fn round_trips(&self) -> u64 {
        self.0.round_trips.load(Ordering::Relaxed)
    }

    /// Lends a handle on a pooled connection. Sends nothing to Redis unless a new
    /// connection must be made.
    ///
    /// # Errors
    /// [`RedisPoolError::Get`] when no connection is free or can be made within
    /// `connect_timeout`.
    pub async fn get(&self) -> Result<PooledConnection, RedisPoolError> {
        if let Ok(hot) = self.0.hot.read()
            && let Some((link, health)) = hot.as_ref()
            && health.is_usable()
        {
            return Ok(self.lend(link.clone(), health.clone()));
        }
        // Boxed: checking out through deadpool, which may connect, is a future of several
        // KB. Inline, it would make the future of every caller (each request's load and
        // save) that large, to be allocated and copied on every request although this
        // path runs once per new connection.
        Box::pin(self.checkout()).await
    }

    /// Checks a connection out of deadpool (connecting if need be) and makes it the hot one.
    async fn checkout(&self) -> Result<PooledConnection, RedisPoolError> {
        let pooled = self.0.inner.get().await?;
        // Lend a handle; the connection itself goes back to the pool right away.
        let (link, health) = (pooled.link.clone(), pooled.health.clone());
        if let Ok(mut hot) = self.0.hot.write() {
            *hot = Some((link.clone(), health.clone()));
        }
        Ok(self.lend(link, health))
    }

    fn lend(&self, link: Link, health: Health) -> PooledConnection {
        PooledConnection { link, health, pool: self.clone() }
    }

    /// Closes the pool: checked-out connections are dropped when returned.
    pub fn close(&self) {
        self.0.inner.close();
    }
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for RedisPool {
    type Connection = PooledConnection;
    type Error = RedisPoolError;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        if figment.find_value("url").is_err() {
            return Err(RedisPoolError::MissingUrl);
        }
        let config: RedisPoolConfig = figment.extract().map_err(Box::new)?;
        Self::new(&config)
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        RedisPool::get(self).await
    }

    async fn close(&self) {
        RedisPool::close(self);
    }
}

/// Where connections go. One variant per deployment shape: Cluster and Sentinel add
/// their own (with their clients from redis-rs) without changing the pool's users.
enum Target {
    /// One Redis server.
    Single(Client),
}

/// Creates connections; recycles them without a round trip.
pub struct Manager {
    target: Target,
    connection: AsyncConnectionConfig,
    /// Bumped when a connection is found dropped (Redis restarted, or the network cut
    /// it): every connection made before then is retired at its next checkout instead of
    /// failing a visitor's request first.
    epoch: Arc<AtomicU64>,
}

/// A live connection of one of the [`Target`] shapes. Cloning it gives another handle on
/// the same multiplexed connection.
#[derive(Clone)]
enum Link {
    Single(MultiplexedConnection),
}

/// What the pool keeps of one connection.
pub struct Connection {
    link: Link,
    health: Health,
}

/// Shared by a pooled connection and every handle lent out from it.
#[derive(Clone)]
struct Health {
    /// Set when a command failed in a way that leaves the connection unusable.
    broken: Arc<AtomicBool>,
    /// The pool's epoch when the connection was made.
    epoch: u64,
    pool_epoch: Arc<AtomicU64>,
}

impl Health {
    /// Whether the connection may be lent: no command on it failed beyond repair, and no
    /// connection was found dropped since it was made.
    fn is_usable(&self) -> bool {
        !self.broken.load(Ordering::Acquire)
            && self.epoch == self.pool_epoch.load(Ordering::Acquire)
    }
}

impl managed::Manager for Manager {
    type Type = Connection;
    type Error = RedisError;

    async fn create(&self) -> Result<Connection, RedisError> {
        let link = match &self.target {
            Target::Single(client) => Link::Single(
                client.get_multiplexed_async_connection_with_config(&self.connection).await?,
            ),
        };
        let health = Health {
            broken: Arc::new(AtomicBool::new(false)),
            epoch: self.epoch.load(Ordering::Acquire),
            pool_epoch: self.epoch.clone(),
        };
        Ok(Connection { link, health })
    }

    async fn recycle(&self, conn: &mut Connection, _: &Metrics) -> RecycleResult<RedisError> {
        match conn.health.is_usable() {
            true => Ok(()),
            false => Err(RecycleError::message("failed, or made before a drop was seen")),
        }
    }
}

/// A handle on a pooled connection; use it with any redis-rs command.
///
/// A command (or pipeline) that fails because the connection was dropped — a Redis
/// restart, a cut by the network — is sent once more on a fresh connection, so the first
/// request after a restart does not fail. It may then run twice if Redis had run it before
/// the drop: send commands that give the same result when repeated (as `SET`, `GETDEL`,
/// `UNLINK` and the session store's commands and scripts do).
///
/// Redis connections here are multiplexed: many requests can have commands in flight on
/// one connection, and the commands queued while one is written go out in the same
/// write. So a checkout lends a handle and puts the connection straight back in the
/// pool: concurrent requests share a few connections instead of each holding one, which
/// saves a system call per command under load.
pub struct PooledConnection {
    link: Link,
    health: Health,
    pool: RedisPool,
}

impl PooledConnection {
    fn note<T>(&mut self, result: &Result<T, RedisError>) {
        self.pool.0.round_trips.fetch_add(1, Ordering::Relaxed);
        let Err(e) = result else { return };
        // After an I/O error the socket is gone; after a timeout the server may be hung.
        // Either way the next checkout makes a new connection.
        if e.is_timeout() || e.is_io_error() || e.is_unrecoverable_error() {
            self.health.broken.store(true, Ordering::Release);
        }
        // A dropped connection usually means every other one is dropped too.
        if is_dropped(e) {
            self.health.pool_epoch.fetch_max(self.health.epoch + 1, Ordering::AcqRel);
        }
    }

    /// After a dropped connection, moves this handle to a fresh one; whether it could.
    async fn reconnect(&mut self) -> bool {
        match self.pool.get().await {
            Ok(fresh) => {
                *self = fresh;
                true
            }
            Err(_) => false,
        }
    }

    async fn send_one(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        let result = match &mut self.link {
            Link::Single(conn) => conn.send_packed_command(cmd).await,
        };
        self.note(&result);
        result
    }

    async fn send_many(
        &mut self,
        cmd: &Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        let result = match &mut self.link {
            Link::Single(conn) => conn.send_packed_commands(cmd, offset, count).await,
        };
        self.note(&result);
        result
    }

    /// Sends `cmd` and returns Redis's reply as it came (an error reply is a
    /// `Value::ServerError`), resending once on a fresh connection as described above.
    /// What `redis::Cmd::query_async` does through [`ConnectionLike`], without boxing a
    /// future per command.
    pub async fn send_command(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        match self.send_one(cmd).await {
            Err(e) if is_dropped(&e) && self.reconnect().await => self.send_one(cmd).await,
            result => result,
        }
    }

    /// Sends every command of `pipe` in one round trip; their replies, as
    /// [`PooledConnection::send_command`] does for one.
    pub async fn send_pipeline(&mut self, pipe: &Pipeline) -> RedisResult<Vec<Value>> {
        self.send_commands(pipe, 0, pipe.len()).await
    }

    async fn send_commands(
        &mut self,
        pipe: &Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        match self.send_many(pipe, offset, count).await {
            Err(e) if is_dropped(&e) && self.reconnect().await => {
                self.send_many(pipe, offset, count).await
            }
            result => result,
        }
    }
}

impl ConnectionLike for PooledConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(self.send_command(cmd))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(self.send_commands(cmd, offset, count))
    }

    fn get_db(&self) -> i64 {
        match &self.link {
            Link::Single(conn) => conn.get_db(),
        }
    }
}

/// Whether `e` says the connection was gone (closed by the server or the network), as
/// opposed to slow: a command that failed this way may be sent again on a new connection.
pub fn is_dropped(e: &RedisError) -> bool {
    !e.is_timeout() && (e.is_connection_dropped() || e.is_io_error())
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
