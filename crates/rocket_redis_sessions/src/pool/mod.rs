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
//! Configuration lives in the usual `[default.databases.NAME]` table ([`RedisPoolConfig`]):
//!
//! ```toml
//! [default.databases.sessions]
//! url = "redis://127.0.0.1:6379/0"
//! max_connections = 16       # default: workers * 4 (set by rocket_db_pools)
//! connect_timeout = 2        # seconds; pool wait and TCP connect. default: 5
//! response_timeout_ms = 1000 # per command. default: 1000
//! ```
//!
//! Once Redis has failed to answer (no connection within `connect_timeout`, or a reply
//! not within `response_timeout_ms`), a circuit breaker fails every checkout at once while
//! a probe asks Redis every 100 ms: a frozen Redis costs one visitor a timeout, not every
//! visitor ([`PROBE_INTERVAL`]; not on a Cluster).
//!
//! The same pool reaches a Redis Cluster (`mode = "cluster"`: one shared cluster
//! connection, which follows redirections and failovers by itself) or a primary managed by
//! Sentinel (`mode = "sentinel"`: connections to the primary the Sentinels name, retired
//! when they name another).

mod breaker;
mod config;
mod sentinel;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once, RwLock, Weak};
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{self, Metrics, QueueMode, RecycleError, RecycleResult};
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{
    AsyncConnectionConfig, Client, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult,
    ServerErrorKind, Value,
};
use rocket::figment::Figment;

use self::breaker::Breaker;
pub use self::breaker::PROBE_INTERVAL;
use self::config::Checked;
pub use self::config::{RedisMode, RedisPoolConfig};
use self::sentinel::SentinelTarget;

/// Errors of the pool: a bad configuration at launch, or no connection at request time.
#[derive(Debug, thiserror::Error)]
pub enum RedisPoolError {
    /// The database's table has no `url` (mode `"single"`), or has no table at all.
    #[error(
        "the Redis pool has no `url`: set one in its `[default.databases.NAME]` table of \
         Rocket.toml (e.g. `url = \"redis://127.0.0.1:6379/0\"`) or in ROCKET_DATABASES"
    )]
    MissingUrl,
    /// The `[databases.NAME]` table could not be read.
    #[error("invalid Redis pool configuration: {0}")]
    Config(#[from] Box<rocket::figment::Error>),
    /// The table's settings are wrong or contradict each other; the message says which.
    #[error("invalid Redis pool configuration: {0}")]
    Invalid(String),
    /// The cluster or Sentinel client refused its settings.
    #[error("cannot build the Redis client: {0}")]
    Client(#[source] RedisError),
    /// deadpool refused the pool settings.
    #[error("cannot build the Redis pool: {0}")]
    Build(#[from] managed::BuildError),
    /// No connection could be had within the timeouts.
    #[error("no Redis connection: {0}")]
    Get(#[from] managed::PoolError<RedisError>),
    /// Redis failed to answer a moment ago and has not answered the probe since (the
    /// circuit breaker is open): no connection is tried.
    #[error("Redis is unavailable (it failed to answer; a probe checks it every 100 ms)")]
    Unavailable,
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
    mode: RedisMode,
    /// `min_replicas_ack` and `replica_ack_timeout_ms`, when a write waits for replicas.
    durability: Option<Durability>,
    /// Starts the Sentinel watcher on the first checkout (inside the runtime).
    watcher: Once,
    sentinel_poll: Duration,
    /// Open while Redis does not answer (not on a cluster).
    breaker: Breaker,
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
        let connect = Duration::from_secs(config.connect_timeout);
        let response = Duration::from_millis(config.response_timeout_ms);
        let connection = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect))
            .set_response_timeout(Some(response));
        let target = match config.check()? {
            Checked::Single(info) => {
                Target::Single(Client::open(info).map_err(RedisPoolError::Client)?)
            }
            Checked::Cluster(seeds) => {
                let client = ClusterClient::builder(seeds)
                    .connection_timeout(connect)
                    .response_timeout(response)
                    .overall_response_timeout(Some(config.request_timeout()))
                    .build()
                    .map_err(RedisPoolError::Client)?;
                Target::Cluster(Box::new(client))
            }
            Checked::Sentinel { sentinels, master_name, node } => {
                let target = SentinelTarget::new(sentinels, master_name, node, connection.clone())
                    .map_err(RedisPoolError::Client)?;
                Target::Sentinel(Arc::new(target))
            }
        };
        let epoch = Arc::new(AtomicU64::new(0));
        // One cluster connection serves every request; it heals itself.
        let max_size = match config.mode {
            RedisMode::Cluster => 1,
            _ => config.max_connections.max(1),
        };
        let manager = Manager { target, connection, epoch, made: AtomicU64::new(0) };
        let inner = managed::Pool::builder(manager)
            .max_size(max_size)
            .wait_timeout(Some(connect))
            .create_timeout(Some(connect))
            .recycle_timeout(Some(response))
            .runtime(Runtime::Tokio1)
            // The connection returned last is lent next: concurrent requests then share
            // one hot connection, whose commands go out together, rather than spreading
            // over every connection the pool ever opened.
            .queue_mode(QueueMode::Lifo)
            .build()?;
        let shared = Shared {
            inner,
            hot: RwLock::new(None),
            round_trips: AtomicU64::new(0),
            mode: config.mode,
            durability: (config.min_replicas_ack > 0).then(|| Durability {
                replicas: config.min_replicas_ack,
                timeout: Duration::from_millis(config.replica_ack_timeout_ms),
            }),
            watcher: Once::new(),
            sentinel_poll: Duration::from_millis(config.sentinel_poll_ms.max(10)),
            breaker: Breaker::default(),
        };
        Ok(Self(Arc::new(shared)))
    }

    /// How this pool reaches Redis.
    pub fn mode(&self) -> RedisMode {
        self.0.mode
    }

    /// Connections made so far (a metric; on a cluster, the one shared connection, made
    /// again only if its task died).
    pub fn connections_made(&self) -> u64 {
        self.0.inner.manager().made.load(Ordering::Relaxed)
    }

    /// How many replicas must confirm a session write, and how long it waits for them;
    /// `None` when writes do not wait (`min_replicas_ack = 0`).
    pub fn durability(&self) -> Option<Durability> {
        self.0.durability
    }

    /// Whether Redis is taken to be unavailable: it failed to answer, and the probe has
    /// not heard from it since; checkouts then fail at once (see [`PROBE_INTERVAL`]).
    /// Always `false` on a cluster, which has no breaker.
    pub fn is_unavailable(&self) -> bool {
        self.0.breaker.is_open()
    }

    /// How many times the circuit breaker opened (a metric).
    pub fn breaker_trips(&self) -> u64 {
        self.0.breaker.trips()
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
    /// `connect_timeout`; [`RedisPoolError::Unavailable`] at once while the circuit
    /// breaker is open.
    pub async fn get(&self) -> Result<PooledConnection, RedisPoolError> {
        if self.0.breaker.is_open() {
            return Err(RedisPoolError::Unavailable);
        }
        if self.0.mode == RedisMode::Sentinel {
            self.start_watcher();
        }
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
        let checkout = Box::pin(self.checkout()).await;
        if let Err(e) = &checkout {
            self.trip(e);
        }
        checkout
    }

    /// Opens the circuit breaker after Redis failed to answer with `cause`, and starts
    /// the probe, unless it is open already (or this is a cluster).
    fn trip(&self, cause: &dyn std::fmt::Display) {
        if self.0.mode == RedisMode::Cluster || !self.0.breaker.trip() {
            return;
        }
        rocket::error!(
            "sessions: Redis does not answer ({cause}); session requests get 503 at once \
             while a probe checks it every {} ms",
            PROBE_INTERVAL.as_millis()
        );
        rocket::tokio::spawn(probe(Arc::downgrade(&self.0)));
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

    /// Starts, once, the task that follows the Sentinels' choice of primary.
    fn start_watcher(&self) {
        self.0.watcher.call_once(|| {
            let manager = self.0.inner.manager();
            if let Target::Sentinel(target) = &manager.target {
                let watch = sentinel::watch(
                    target.clone(),
                    manager.epoch.clone(),
                    Arc::downgrade(&self.0),
                    self.0.sentinel_poll,
                );
                rocket::tokio::spawn(watch);
            }
        });
    }

    fn lend(&self, link: Link, health: Health) -> PooledConnection {
        PooledConnection { link, health, pool: self.clone() }
    }

    /// Closes the pool: checked-out connections are dropped when returned.
    pub fn close(&self) {
        self.0.inner.close();
    }
}

/// Asks Redis for a `PING` every [`PROBE_INTERVAL`] through a fresh checkout, until it
/// answers, then closes the breaker. Ends early when the pool is gone.
async fn probe(shared: Weak<Shared>) {
    loop {
        rocket::tokio::time::sleep(PROBE_INTERVAL).await;
        let Some(shared) = shared.upgrade() else { return };
        let pool = RedisPool(shared);
        let answered = match Box::pin(pool.checkout()).await {
            Ok(mut conn) => {
                matches!(conn.send_command(&redis::cmd("PING")).await, Ok(reply) if !matches!(reply, Value::ServerError(_)))
            }
            Err(_) => false,
        };
        if answered {
            pool.0.breaker.close();
            rocket::warn!("sessions: Redis answers again; session requests go through");
            return;
        }
    }
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for RedisPool {
    type Connection = PooledConnection;
    type Error = RedisPoolError;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let single = figment.extract_inner::<RedisMode>("mode").unwrap_or_default();
        if single == RedisMode::Single && figment.find_value("url").is_err() {
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

/// What a write waits for before it counts as saved: `replicas` replicas confirming it
/// (`WAIT`), for at most `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durability {
    /// Replicas that must confirm.
    pub replicas: u32,
    /// The longest wait.
    pub timeout: Duration,
}

/// Where connections go, one variant per deployment shape.
enum Target {
    /// One Redis server.
    Single(Client),
    /// A Redis Cluster (boxed: its client is large, and made once).
    Cluster(Box<ClusterClient>),
    /// The primary the Sentinels name.
    Sentinel(Arc<SentinelTarget>),
}

/// Creates connections; recycles them without a round trip.
pub struct Manager {
    target: Target,
    connection: AsyncConnectionConfig,
    /// Bumped when a connection is found dropped (Redis restarted, or the network cut
    /// it): every connection made before then is retired at its next checkout instead of
    /// failing a visitor's request first.
    epoch: Arc<AtomicU64>,
    /// Connections made.
    made: AtomicU64,
}

/// A live connection of one of the [`Target`] shapes. Cloning it gives another handle on
/// the same multiplexed connection.
#[derive(Clone)]
enum Link {
    /// To one server (single, or the Sentinels' primary).
    Single(MultiplexedConnection),
    /// A handle on the cluster connection's task, which keeps a connection per node.
    Cluster(ClusterConnection),
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
    /// The Sentinels' primary, to forget when the connection turns out not to be one.
    sentinel: Option<Arc<SentinelTarget>>,
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
        // Read before connecting: a failover noticed meanwhile retires this one too.
        let epoch = self.epoch.load(Ordering::Acquire);
        let (link, sentinel) = match &self.target {
            Target::Single(client) => {
                let conn =
                    client.get_multiplexed_async_connection_with_config(&self.connection).await?;
                (Link::Single(conn), None)
            }
            Target::Cluster(client) => (Link::Cluster(client.get_async_connection().await?), None),
            Target::Sentinel(target) => {
                let conn = target.connect(&self.connection).await?;
                (Link::Single(conn), Some(target.clone()))
            }
        };
        self.made.fetch_add(1, Ordering::Relaxed);
        let health = Health {
            broken: Arc::new(AtomicBool::new(false)),
            epoch,
            pool_epoch: self.epoch.clone(),
            sentinel,
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
        if let Link::Cluster(_) = self.link {
            // The cluster connection reconnects, follows redirections and retries by
            // itself: a new one would only throw that state away. It is replaced only
            // when its task is gone (it then fails every command this way).
            if e.is_io_error() && e.to_string().contains("redis_cluster: Unable to") {
                self.health.broken.store(true, Ordering::Release);
            }
            return;
        }
        // After an I/O error the socket is gone; after a timeout the server may be hung.
        // Either way the next checkout makes a new connection. A timeout also opens the
        // circuit breaker: the next requests would only wait the same time.
        if e.is_timeout() || e.is_io_error() || e.is_unrecoverable_error() {
            self.health.broken.store(true, Ordering::Release);
        }
        if e.is_timeout() {
            self.pool.trip(e);
        }
        let not_primary = matches!(
            e.kind(),
            ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
        );
        // A dropped connection usually means every other one is dropped too; a server that
        // is no longer primary (under Sentinel) means every connection is to the wrong one.
        if is_dropped(e) || (not_primary && self.health.sentinel.is_some()) {
            self.retire_all();
        }
    }

    /// Under Sentinel, a reply saying the server is no longer the primary (`READONLY`), or
    /// cannot take writes without replicas (`NOREPLICAS`, an isolated old primary), or has
    /// lost its primary (`MASTERDOWN`): every connection to it is retired and the next
    /// asks the Sentinels again. The reply still goes to the caller (as a failed request).
    fn note_replies(&mut self, replies: &[Value]) {
        if self.health.sentinel.is_none() {
            return;
        }
        let not_primary = replies.iter().any(|reply| match reply {
            Value::ServerError(e) => matches!(e.code(), "READONLY" | "NOREPLICAS" | "MASTERDOWN"),
            _ => false,
        });
        if not_primary {
            self.health.broken.store(true, Ordering::Release);
            self.retire_all();
        }
    }

    /// Retires every connection made so far: the next checkout makes a new one.
    fn retire_all(&self) {
        self.health.pool_epoch.fetch_max(self.health.epoch + 1, Ordering::AcqRel);
        if let Some(sentinel) = &self.health.sentinel {
            sentinel.forget();
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
            Link::Cluster(conn) => conn.req_packed_command(cmd).await,
        };
        self.note(&result);
        if let Ok(reply) = &result {
            self.note_replies(std::slice::from_ref(reply));
        }
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
            Link::Cluster(conn) => conn.req_packed_commands(cmd, offset, count).await,
        };
        self.note(&result);
        if let Ok(replies) = &result {
            self.note_replies(replies);
        }
        result
    }

    /// Whether a command that failed with `e` goes once more on a fresh connection: when
    /// the connection was dropped, except on a cluster, whose connection retried already.
    fn may_resend(&self, e: &RedisError) -> bool {
        is_dropped(e) && !matches!(self.link, Link::Cluster(_))
    }

    /// Sends `cmd` and returns Redis's reply as it came (an error reply is a
    /// `Value::ServerError`), resending once on a fresh connection as described above.
    /// What `redis::Cmd::query_async` does through [`ConnectionLike`], without boxing a
    /// future per command.
    pub async fn send_command(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        match self.send_one(cmd).await {
            Err(e) if self.may_resend(&e) && self.reconnect().await => self.send_one(cmd).await,
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
            Err(e) if self.may_resend(&e) && self.reconnect().await => {
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
            Link::Cluster(conn) => conn.get_db(),
        }
    }
}

/// Whether `e` says the connection was gone (closed by the server or the network), as
/// opposed to slow: a command that failed this way may be sent again on a new connection.
pub fn is_dropped(e: &RedisError) -> bool {
    !e.is_timeout() && (e.is_connection_dropped() || e.is_io_error())
}

#[cfg(test)]
mod tests;
