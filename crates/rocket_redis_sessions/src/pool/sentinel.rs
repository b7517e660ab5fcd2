//! The primary of a Sentinel-managed Redis: asked of the Sentinels whenever a connection
//! is made, and watched, so that the pool follows a failover without a restart.
//!
//! redis-rs's own Sentinel client resolves the primary only when asked for a connection
//! and never looks again: after a forced `SENTINEL FAILOVER` the old primary keeps taking
//! writes for seconds (until Sentinel turns it into a replica, which then drops them). So
//! the pool asks the Sentinels itself: when it connects, and every `sentinel_poll_ms`
//! from a watcher task, which retires every connection to a server the Sentinels no
//! longer name. Connection failures and `READONLY`/`NOREPLICAS`/`MASTERDOWN` replies
//! retire them too (see the pool). Resolving is throttled: while a failover is under way,
//! a request fails at once instead of asking again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{
    AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, ErrorKind, RedisResult,
};

/// How long after a failed resolve the next one waits; meanwhile connecting fails at once.
const RESOLVE_BACKOFF: Duration = Duration::from_millis(200);

/// The Sentinels, the name of the primary they watch, and what the pool knows of it.
pub(super) struct SentinelTarget {
    sentinels: Vec<Client>,
    master_name: String,
    /// The primary's credentials and database; its address comes from the Sentinels.
    node: ConnectionInfo,
    /// For the questions to the Sentinels.
    probe: AsyncConnectionConfig,
    /// The primary the pool's connections were made to, while they may be used.
    primary: Mutex<Option<ConnectionAddr>>,
    /// When a resolve last failed.
    failed_at: Mutex<Option<Instant>>,
    /// One resolve at a time.
    resolving: rocket::tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SentinelTarget {
    pub(super) fn new(
        sentinels: Vec<ConnectionInfo>,
        master_name: String,
        node: ConnectionInfo,
        probe: AsyncConnectionConfig,
    ) -> RedisResult<Self> {
        let sentinels = sentinels.into_iter().map(Client::open).collect::<RedisResult<_>>()?;
        Ok(Self {
            sentinels,
            master_name,
            node,
            probe,
            primary: Mutex::new(None),
            failed_at: Mutex::new(None),
            resolving: rocket::tokio::sync::Mutex::new(()),
        })
    }

    /// The primary's address as the first Sentinel that answers names it.
    async fn ask(&self) -> RedisResult<ConnectionAddr> {
        let mut last = redis::RedisError::from((ErrorKind::Io, "no Sentinel answered"));
        for sentinel in &self.sentinels {
            match self.ask_one(sentinel).await {
                Ok(addr) => return Ok(addr),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn ask_one(&self, sentinel: &Client) -> RedisResult<ConnectionAddr> {
        let mut conn = sentinel.get_multiplexed_async_connection_with_config(&self.probe).await?;
        self.ask_on(&mut conn).await
    }

    async fn ask_on(&self, conn: &mut MultiplexedConnection) -> RedisResult<ConnectionAddr> {
        let mut ask = redis::cmd("SENTINEL");
        ask.arg("GET-MASTER-ADDR-BY-NAME").arg(&self.master_name);
        let answer: Option<(String, u16)> = ask.query_async(conn).await?;
        match answer {
            Some((host, port)) => Ok(ConnectionAddr::Tcp(host, port)),
            None => Err((ErrorKind::Client, "the Sentinels know no primary by that name").into()),
        }
    }

    /// Connects to the primary the Sentinels name, with `config`, and checks that it is
    /// one. Fails at once while the last failure is recent.
    pub(super) async fn connect(
        &self,
        config: &AsyncConnectionConfig,
    ) -> RedisResult<MultiplexedConnection> {
        let _one = self.resolving.lock().await;
        if lock(&self.failed_at).is_some_and(|at| at.elapsed() < RESOLVE_BACKOFF) {
            return Err((ErrorKind::Io, "the Redis primary was not found a moment ago").into());
        }
        let connected = self.resolve_and_connect(config).await;
        *lock(&self.failed_at) = connected.is_err().then(Instant::now);
        connected
    }

    async fn resolve_and_connect(
        &self,
        config: &AsyncConnectionConfig,
    ) -> RedisResult<MultiplexedConnection> {
        let addr = self.ask().await?;
        let client = Client::open(self.node.clone().set_addr(addr.clone()))?;
        let mut conn = client.get_multiplexed_async_connection_with_config(config).await?;
        let role: redis::Value = redis::cmd("ROLE").query_async(&mut conn).await?;
        let is_primary = match &role {
            redis::Value::Array(items) => {
                matches!(items.first(), Some(redis::Value::BulkString(r)) if r == b"master")
            }
            _ => false,
        };
        if !is_primary {
            return Err((ErrorKind::Io, "the server the Sentinels name is not a primary").into());
        }
        *lock(&self.primary) = Some(addr);
        Ok(conn)
    }

    /// Forgets the primary: the next connection asks the Sentinels again.
    pub(super) fn forget(&self) {
        *lock(&self.primary) = None;
    }
}

/// Asks a Sentinel every `every` which server is primary and, when it names another than
/// the one the pool is connected to, retires every connection (bumps `epoch`). Ends when
/// the pool is dropped.
pub(super) async fn watch<T: Send + Sync>(
    target: std::sync::Arc<SentinelTarget>,
    epoch: std::sync::Arc<AtomicU64>,
    pool: Weak<T>,
    every: Duration,
) {
    let mut conn: Option<MultiplexedConnection> = None;
    let mut next = 0;
    loop {
        rocket::tokio::time::sleep(every).await;
        if pool.strong_count() == 0 {
            return;
        }
        if conn.is_none() {
            let sentinel = &target.sentinels[next % target.sentinels.len()];
            next += 1;
            conn = sentinel.get_multiplexed_async_connection_with_config(&target.probe).await.ok();
        }
        let Some(c) = conn.as_mut() else { continue };
        let named = match target.ask_on(c).await {
            Ok(addr) => addr,
            Err(_) => {
                conn = None;
                continue;
            }
        };
        let moved = {
            let mut primary = lock(&target.primary);
            let moved = primary.as_ref().is_some_and(|current| *current != named);
            if moved {
                *primary = None;
            }
            moved
        };
        if moved {
            rocket::warn!("sessions: Sentinel names a new Redis primary; reconnecting");
            epoch.fetch_add(1, Ordering::AcqRel);
        }
    }
}
