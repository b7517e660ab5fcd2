//! The pool's `[databases.NAME]` table: one Redis server, a Redis Cluster, or a primary
//! managed by Redis Sentinel, and the checks that refuse a bad table at launch.

use std::time::Duration;

use redis::{ConnectionInfo, IntoConnectionInfo};
use serde::Deserialize;

use super::RedisPoolError;

/// How the pool reaches Redis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedisMode {
    /// One Redis server at `url`.
    #[default]
    Single,
    /// A Redis Cluster, found through the seed nodes in `urls`.
    Cluster,
    /// The primary that the Sentinels in `sentinels` name for `master_name`.
    Sentinel,
}

impl RedisMode {
    /// `"single"`, `"cluster"` or `"sentinel"`, as in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Cluster => "cluster",
            Self::Sentinel => "sentinel",
        }
    }
}

/// The `[databases.NAME]` keys this pool reads.
///
/// ```toml
/// [default.databases.sessions]
/// mode = "single"                  # or "cluster", "sentinel"
/// url = "redis://127.0.0.1:6379/0" # single
/// # urls = ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]      # cluster: seed nodes
/// # sentinels = ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379"] # sentinel
/// # master_name = "sessions"                                        # sentinel
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RedisPoolConfig {
    /// `"single"`, `"cluster"` or `"sentinel"`. _Default:_ `"single"`.
    #[serde(default)]
    pub mode: RedisMode,
    /// Single: the server, `redis://[user:password@]host:port/db` (not used by a cluster,
    /// so a table can switch to one over it). Sentinel (optional):
    /// the user, password and database for the primary, whose host and port the
    /// Sentinels give (`redis://:password@primary/0`; its host is not used). This crate
    /// builds redis-rs without TLS, so a `rediss://` URL is refused at launch; an app that
    /// needs TLS turns on redis-rs's `tokio-rustls-comp` feature in its own `Cargo.toml`
    /// (not tested here). _Default:_ none.
    #[serde(default)]
    pub url: Option<String>,
    /// Cluster: seed nodes, `redis://[user:password@]host:port`, all with the same
    /// credentials; one that answers is enough. _Default:_ none.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Sentinel: the Sentinels, `redis://host:port`. _Default:_ none.
    #[serde(default)]
    pub sentinels: Vec<String>,
    /// Sentinel: the name the Sentinels monitor the primary under. _Default:_ none.
    #[serde(default)]
    pub master_name: Option<String>,
    /// Most connections the pool opens (single and sentinel; a cluster shares one).
    /// _Default:_ `workers * 4`.
    pub max_connections: usize,
    /// Seconds to wait for a free connection, and for a new one to connect.
    /// _Default:_ `5`.
    pub connect_timeout: u64,
    /// Milliseconds to wait for the answer to one command. _Default:_ `1000`.
    #[serde(default = "default_response_timeout_ms")]
    pub response_timeout_ms: u64,
    /// Cluster: milliseconds a whole request may take, following redirections and
    /// retrying while a failover is under way. Equal to `response_timeout_ms`, requests
    /// fail fast (503) during a failover; a few seconds more than the cluster's
    /// `cluster-node-timeout` rides it out. _Default:_ `response_timeout_ms`.
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// Sentinel: how often (milliseconds) a Sentinel is asked which server is primary, so
    /// that a failover is followed even while the old primary still answers.
    /// _Default:_ `500`.
    #[serde(default = "default_sentinel_poll_ms")]
    pub sentinel_poll_ms: u64,
    /// Replicas that must have a session write before it counts as saved (every mode).
    /// Redis replicates asynchronously, so a failover can drop the last writes a primary
    /// acknowledged: a sign-out or an id rotation lost that way revives the old id. With
    /// `1` or more, each write carries `WAIT` in the same round trip and is reported as
    /// saved only once that many replicas confirm it; otherwise the request answers 503
    /// (the write may still be on the primary, but was not promised). `0`: no wait.
    /// _Default:_ `0`.
    #[serde(default)]
    pub min_replicas_ack: u32,
    /// Milliseconds a write waits for `min_replicas_ack` replicas. _Default:_ `250`.
    #[serde(default = "default_replica_ack_timeout_ms")]
    pub replica_ack_timeout_ms: u64,
}

fn default_replica_ack_timeout_ms() -> u64 {
    250
}

fn default_response_timeout_ms() -> u64 {
    1000
}

fn default_sentinel_poll_ms() -> u64 {
    500
}

impl Default for RedisPoolConfig {
    /// A single server on `127.0.0.1:6379`, database 0.
    fn default() -> Self {
        Self {
            mode: RedisMode::Single,
            url: Some("redis://127.0.0.1:6379/0".into()),
            urls: Vec::new(),
            sentinels: Vec::new(),
            master_name: None,
            max_connections: 16,
            connect_timeout: 5,
            response_timeout_ms: default_response_timeout_ms(),
            request_timeout_ms: None,
            sentinel_poll_ms: default_sentinel_poll_ms(),
            min_replicas_ack: 0,
            replica_ack_timeout_ms: default_replica_ack_timeout_ms(),
        }
    }
}

/// A configuration checked and parsed: what the pool is built from.
pub(super) enum Checked {
    Single(ConnectionInfo),
    Cluster(Vec<ConnectionInfo>),
    Sentinel { sentinels: Vec<ConnectionInfo>, master_name: String, node: ConnectionInfo },
}

fn invalid(message: impl Into<String>) -> RedisPoolError {
    RedisPoolError::Invalid(message.into())
}

/// Parses `url`, naming it by `what` in errors (never by its text, which may hold a
/// password).
fn parse(url: &str, what: &str) -> Result<ConnectionInfo, RedisPoolError> {
    url.into_connection_info().map_err(|e| {
        let detail = e.to_string().replace(url, "<url>");
        invalid(format!("{what} is not a usable Redis URL: {detail}"))
    })
}

impl RedisPoolConfig {
    /// A single server at `url`, other settings at their defaults.
    pub fn single(url: impl Into<String>) -> Self {
        Self { url: Some(url.into()), ..Self::default() }
    }

    /// Milliseconds a cluster request may take in all.
    pub(super) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.unwrap_or(self.response_timeout_ms))
    }

    /// Checks the keys `mode` uses: present and well-formed. Keys of the other modes are
    /// ignored, so that a profile or `ROCKET_DATABASES` can switch modes over a table
    /// that holds another mode's keys (a `url` under a cluster's `urls`, say).
    pub(super) fn check(&self) -> Result<Checked, RedisPoolError> {
        if self.response_timeout_ms == 0 || self.request_timeout_ms == Some(0) {
            return Err(invalid("response_timeout_ms and request_timeout_ms must be > 0"));
        }
        if self.min_replicas_ack > 0 && self.replica_ack_timeout_ms == 0 {
            // WAIT with 0 waits forever.
            return Err(invalid("replica_ack_timeout_ms must be > 0 with min_replicas_ack"));
        }
        if self.min_replicas_ack > 0
            && self.replica_ack_timeout_ms >= self.request_timeout().as_millis() as u64
        {
            return Err(invalid(
                "replica_ack_timeout_ms must be less than response_timeout_ms (and \
                 request_timeout_ms): the wait happens inside one reply",
            ));
        }
        match self.mode {
            RedisMode::Single => {
                let url = self.url.as_deref().ok_or(RedisPoolError::MissingUrl)?;
                Ok(Checked::Single(parse(url, "`url`")?))
            }
            RedisMode::Cluster => {
                if self.urls.is_empty() {
                    return Err(invalid(
                        "mode = \"cluster\" needs `urls`, the seed nodes, in a list (its \
                         `url` is not used): \
                         urls = [\"redis://10.0.0.1:7000\", \"redis://10.0.0.2:7000\"]",
                    ));
                }
                let mut seeds = Vec::with_capacity(self.urls.len());
                for (i, url) in self.urls.iter().enumerate() {
                    let seed = parse(url, &format!("`urls` entry {}", i + 1))?;
                    if seed.redis_settings().db() != 0 {
                        return Err(invalid(format!(
                            "`urls` entry {} names database {}: a Redis Cluster has only \
                             database 0 (drop the `/{}`)",
                            i + 1,
                            seed.redis_settings().db(),
                            seed.redis_settings().db()
                        )));
                    }
                    seeds.push(seed);
                }
                Ok(Checked::Cluster(seeds))
            }
            RedisMode::Sentinel => {
                if self.sentinels.is_empty() {
                    return Err(invalid(
                        "mode = \"sentinel\" needs `sentinels`: \
                         sentinels = [\"redis://10.0.0.1:26379\", \"redis://10.0.0.2:26379\"]",
                    ));
                }
                let master_name = self.master_name.clone().unwrap_or_default();
                if master_name.trim().is_empty() {
                    return Err(invalid(
                        "mode = \"sentinel\" needs `master_name`, the name the Sentinels \
                         monitor the primary under (`sentinel monitor NAME ...`)",
                    ));
                }
                let sentinels = self
                    .sentinels
                    .iter()
                    .enumerate()
                    .map(|(i, url)| parse(url, &format!("`sentinels` entry {}", i + 1)))
                    .collect::<Result<Vec<_>, _>>()?;
                let node = match &self.url {
                    Some(url) => parse(url, "`url`")?,
                    None => parse("redis://127.0.0.1:6379/0", "the default")?,
                };
                Ok(Checked::Sentinel { sentinels, master_name, node })
            }
        }
    }
}
