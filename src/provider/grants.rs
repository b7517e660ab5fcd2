//! [`Grants`]: authorization codes and access tokens between requests, in Redis through
//! the app's pool, or in memory when the sessions are.
//!
//! ```text
//! {key_prefix}code:{sha256hex(code)}    JSON CodeGrant    TTL code_ttl   taken by GETDEL
//! {key_prefix}token:{sha256hex(token)}  JSON TokenGrant   TTL token_ttl
//! {key_prefix}used:{sha256hex(code)}    sha256hex(token)  TTL code_ttl   (see issue_token)
//! ```
//! Only digests appear in keys: a dump, `MONITOR` or `SCAN` shows no usable code or token.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rocket_redis_sessions::redis::{self, Cmd, FromRedisValue, RedisError};
use serde::{Deserialize, Serialize};

use super::{ProviderConfig, ProviderError};
use rocket_redis_sessions::RedisPool;

use crate::secret::{random_token, sha256_hex};

/// Expired memory entries are swept once the map holds this many.
const SWEEP_AT: usize = 1024;

/// What an authorization code stands for, until it is exchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CodeGrant {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) code_challenge: String,
    pub(super) scope: String,
    pub(super) sub: String,
    pub(super) name: String,
}

/// What an access token stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TokenGrant {
    pub(super) client_id: String,
    pub(super) scope: String,
    pub(super) sub: String,
    pub(super) name: String,
}

/// The grant store, as managed state.
pub(super) struct Grants {
    backend: Backend,
    prefix: String,
    code_ttl: Duration,
    token_ttl: Duration,
}

enum Backend {
    Redis(RedisPool),
    Memory(Map),
}

impl Grants {
    /// Grants kept in Redis, under `config.key_prefix`.
    pub(super) fn redis(pool: RedisPool, config: &ProviderConfig) -> Self {
        Self::new(Backend::Redis(pool), config)
    }

    /// Grants kept in this process's memory.
    pub(super) fn memory(config: &ProviderConfig) -> Self {
        Self::new(Backend::Memory(Mutex::default()), config)
    }

    fn new(backend: Backend, config: &ProviderConfig) -> Self {
        Self {
            backend,
            prefix: config.key_prefix.clone(),
            code_ttl: config.code_ttl(),
            token_ttl: config.token_ttl(),
        }
    }

    /// `"redis"` or `"memory"`, for logs.
    pub(super) fn store_name(&self) -> &'static str {
        match self.backend {
            Backend::Redis(_) => "redis",
            Backend::Memory(_) => "memory",
        }
    }

    /// How long an access token lives.
    pub(super) fn token_ttl(&self) -> Duration {
        self.token_ttl
    }

    fn key(&self, kind: &str, secret: &str) -> String {
        format!("{}{kind}:{}", self.prefix, sha256_hex(secret.as_bytes()))
    }

    /// The key of what is kept about `code` (`kind` `code` or `used`) for the client it was
    /// issued to: the digest covers the client id too, so that another client presenting
    /// the code finds nothing, and can neither spend it nor, by replaying it, revoke the
    /// token it bought. (Client ids hold no control character: NUL separates.)
    fn code_key(&self, kind: &str, client_id: &str, code: &str) -> String {
        self.key(kind, &format!("{client_id}\0{code}"))
    }

    /// Stores `grant` under a new code and returns the code.
    pub(super) async fn issue_code(&self, grant: &CodeGrant) -> Result<String, ProviderError> {
        let code = random_token()?;
        let json = serde_json::to_string(grant)?;
        let key = self.code_key("code", &grant.client_id, &code);
        let stored = match &self.backend {
            Backend::Redis(pool) => {
                let mut cmd = redis::cmd("SET");
                cmd.arg(&key).arg(json).arg("NX").arg("PX").arg(millis(self.code_ttl));
                query::<Option<String>>(pool, &cmd).await?.is_some()
            }
            Backend::Memory(map) => insert_new(map, key, json, self.code_ttl),
        };
        stored.then_some(code).ok_or(ProviderError::Collision)
    }

    /// Takes the grant of `code`, issued to `client_id`, out of the store in one step:
    /// whatever happens next, the code is spent (RFC 6749 §10.5). `None` for an unknown,
    /// spent or expired code, and for a code issued to another client (which stays as it
    /// was: only its own client can spend it).
    pub(super) async fn take_code(
        &self,
        client_id: &str,
        code: &str,
    ) -> Result<Option<CodeGrant>, ProviderError> {
        let key = self.code_key("code", client_id, code);
        let json = match &self.backend {
            Backend::Redis(pool) => query(pool, redis::cmd("GETDEL").arg(&key)).await?,
            Backend::Memory(map) => take_live(map, &key),
        };
        Ok(json.map(|json: String| serde_json::from_str(&json)).transpose()?)
    }

    /// Stores `grant` under a new access token and returns the token. It also notes, for as
    /// long as the code could have lived, which token `code` was exchanged for, so that a
    /// replay of the code revokes it (RFC 6749 §4.1.2).
    ///
    /// Two writes, in this order, each on one key (the two keys may live on different
    /// nodes of a Redis Cluster, so they are not one transaction): the note first, then
    /// the token. A failure between them leaves a note naming no token, which revokes
    /// nothing; never a token a replay could not revoke.
    pub(super) async fn issue_token(
        &self,
        code: &str,
        grant: &TokenGrant,
    ) -> Result<String, ProviderError> {
        let token = random_token()?;
        let json = serde_json::to_string(grant)?;
        let key = self.key("token", &token);
        let used = self.code_key("used", &grant.client_id, code);
        let stored = match &self.backend {
            Backend::Redis(pool) => {
                let mut note = redis::cmd("SET");
                note.arg(&used).arg(sha256_hex(token.as_bytes()));
                note.arg("PX").arg(millis(self.code_ttl));
                query::<()>(pool, &note).await?;
                let mut set = redis::cmd("SET");
                set.arg(&key).arg(json).arg("NX").arg("PX").arg(millis(self.token_ttl));
                query::<Option<String>>(pool, &set).await?.is_some()
            }
            Backend::Memory(map) => {
                insert_new(map, used, sha256_hex(token.as_bytes()), self.code_ttl);
                insert_new(map, key, json, self.token_ttl)
            }
        };
        stored.then_some(token).ok_or(ProviderError::Collision)
    }

    /// Revokes the token that `code` was exchanged for by `client_id`, if it was: called
    /// when a spent code comes back from its client, which means it was stolen or the
    /// client is broken.
    pub(super) async fn revoke_exchanged(
        &self,
        client_id: &str,
        code: &str,
    ) -> Result<bool, ProviderError> {
        let used = self.code_key("used", client_id, code);
        let token_hash: Option<String> = match &self.backend {
            Backend::Redis(pool) => query(pool, redis::cmd("GETDEL").arg(&used)).await?,
            Backend::Memory(map) => take_live(map, &used),
        };
        let Some(token_hash) = token_hash else {
            return Ok(false);
        };
        let key = format!("{}token:{token_hash}", self.prefix);
        match &self.backend {
            Backend::Redis(pool) => query::<()>(pool, redis::cmd("DEL").arg(&key)).await?,
            Backend::Memory(map) => {
                take_live(map, &key);
            }
        }
        Ok(true)
    }

    /// Revokes `token` if it was issued to `client_id`; returns whether it was.
    pub(super) async fn revoke_token(
        &self,
        client_id: &str,
        token: &str,
    ) -> Result<bool, ProviderError> {
        match self.token(token).await? {
            Some(grant) if grant.client_id == client_id => {}
            _ => return Ok(false),
        }
        let key = self.key("token", token);
        match &self.backend {
            Backend::Redis(pool) => query::<()>(pool, redis::cmd("UNLINK").arg(&key)).await?,
            Backend::Memory(map) => {
                take_live(map, &key);
            }
        }
        Ok(true)
    }

    /// The grant behind `token`; `None` for an unknown, revoked or expired token.
    pub(super) async fn token(&self, token: &str) -> Result<Option<TokenGrant>, ProviderError> {
        let key = self.key("token", token);
        let json = match &self.backend {
            Backend::Redis(pool) => query(pool, redis::cmd("GET").arg(&key)).await?,
            Backend::Memory(map) => live(map, &key),
        };
        Ok(json.map(|json: String| serde_json::from_str(&json)).transpose()?)
    }
}

/// Runs `cmd` (the pool resends it once if the connection was dropped).
async fn query<T: FromRedisValue>(pool: &RedisPool, cmd: &Cmd) -> Result<T, ProviderError> {
    let mut conn = pool.get().await?;
    let result: Result<T, RedisError> = cmd.query_async(&mut conn).await;
    Ok(result?)
}

/// `d` in whole milliseconds, as Redis's `PX` takes it.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Key to value and expiry time.
type Map = Mutex<HashMap<String, (String, Instant)>>;

fn lock(map: &Map) -> MutexGuard<'_, HashMap<String, (String, Instant)>> {
    // Each operation is one map call, so a poisoned lock still guards consistent data.
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Inserts unless a live entry holds `key` (Redis's `SET NX`).
fn insert_new(map: &Map, key: String, value: String, ttl: Duration) -> bool {
    let now = Instant::now();
    let mut map = lock(map);
    if map.len() >= SWEEP_AT {
        map.retain(|_, (_, expires)| *expires > now);
    }
    if map.get(&key).is_some_and(|(_, expires)| *expires > now) {
        return false;
    }
    map.insert(key, (value, now + ttl));
    true
}

fn live(map: &Map, key: &str) -> Option<String> {
    let now = Instant::now();
    lock(map).get(key).filter(|(_, expires)| *expires > now).map(|(value, _)| value.clone())
}

fn take_live(map: &Map, key: &str) -> Option<String> {
    let now = Instant::now();
    lock(map).remove(key).filter(|(_, expires)| *expires > now).map(|(value, _)| value)
}
