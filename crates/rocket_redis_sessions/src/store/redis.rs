//! [`RedisStore`]: one Redis hash per session, one field per session key.
//!
//! ```text
//! {prefix}{tag}{sha256hex(id)}  HASH  TTL = min(idle, time left before the absolute deadline)
//!   "<key>"   JSON text of each session value
//!   "\0"     "" only in a session without data (Redis holds no empty hash)
//! ```
//! The hash holds the session's data and nothing else: the creation time, which the
//! absolute lifetime is counted from, is part of the id (see [`SessionId`]), so a load
//! reads back no field of ours (every reply value costs the app time to parse). The layout has no version field: a new layout would derive its keys from ids
//! of another form. Session keys never start with NUL, so fields that do are ours.
//! Every key the store writes has a TTL, and a hash without one is no session: no load
//! serves it and no save revives it (or gives it one); each deletes it.
//!
//! Every operation is one round trip: a load is `HGETALL` + `PEXPIRE … XX` pipelined (plus
//! a `PEXPIRE` cut to the absolute deadline in a session's last idle period). Creates and
//! saves, which must check and write in one step, are Lua scripts sent by `EVALSHA` (with
//! one `EVAL` fallback the first time a server sees them): a save checks that the session
//! still exists and that the changes keep it within `max_bytes` and `max_keys` ([`Limits`])
//! in the step that writes them, so that no number of simultaneous writers can take a
//! session past its limits. (Only a save that grows the session measures it, inside
//! Redis: the hash holds nothing but the data, so a load parses no field of ours.)

use redis::{self, Cmd, ErrorKind, RedisError, Script, ServerErrorKind, Value};

use std::sync::Arc;
use std::time::Duration;

use super::touches::Touches;
use super::users::IndexEntry;
use super::{
    BINDING_FIELD, Binding, BoundWrite, Changes, Clock, Ending, Expiry, Fields, Limits,
    SessionStore, StoreError, UserKey, UserSession,
};
use crate::pool::{Durability, RedisMode, RedisPool, RedisPoolError};
use crate::{SessionId, SlotTag};

/// Sessions in Redis, through a [`RedisPool`].
#[derive(Debug, Clone)]
pub struct RedisStore {
    pool: RedisPool,
    prefix: String,
    expiry: Expiry,
    limits: Limits,
    clock: Clock,
    scripts: Scripts,
    /// When this process last restarted each session's idle timeout (see `touch_after`).
    touches: Arc<Touches>,
}

#[derive(Debug, Clone)]
struct Scripts {
    create: Lua,
    save: Lua,
    bound: Lua,
    end: Lua,
}

/// A Lua script and its SHA-1, the name `EVALSHA` knows it by.
#[derive(Debug, Clone)]
struct Lua {
    source: &'static str,
    sha1: String,
}

impl Lua {
    fn new(source: &'static str) -> Self {
        Self { source, sha1: Script::new(source).get_hash().to_owned() }
    }
}

impl RedisStore {
    /// A store writing keys `prefix + sha256hex(id)` through `pool`.
    pub fn new(pool: RedisPool, prefix: impl Into<String>, expiry: Expiry) -> Self {
        Self::with_clock(pool, prefix, expiry, Clock::system())
    }

    /// Like [`RedisStore::new`] with the time read from `clock` (for the absolute lifetime;
    /// idle expiry is Redis's own TTL).
    pub fn with_clock(
        pool: RedisPool,
        prefix: impl Into<String>,
        expiry: Expiry,
        clock: Clock,
    ) -> Self {
        let scripts = Scripts {
            create: Lua::new(include_str!("lua/create.lua")),
            save: Lua::new(include_str!("lua/save.lua")),
            bound: Lua::new(include_str!("lua/bound.lua")),
            end: Lua::new(include_str!("lua/end.lua")),
        };
        let touches = Arc::new(Touches::new(0));
        Self { pool, prefix: prefix.into(), expiry, limits: Limits::NONE, clock, scripts, touches }
    }

    /// The store, restarting a session's idle timeout on a read only when this process has
    /// not done so for `touch_after` (a read is then one `HGETALL`). A session used all
    /// along may then end up to `touch_after` before `idle` has passed since its last use.
    /// `Duration::ZERO` (the default): every read restarts it.
    #[must_use]
    pub fn with_touch_after(mut self, touch_after: Duration) -> Self {
        self.touches = Arc::new(Touches::new(super::millis(touch_after)));
        self
    }

    /// The store, refusing saves past `limits` ([`StoreError::TooLarge`]).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The Redis key of `id`.
    pub fn key(&self, id: &SessionId) -> String {
        id.storage_key(&self.prefix)
    }

    /// The pool the store sends through.
    pub fn pool(&self) -> &RedisPool {
        &self.pool
    }

    /// The Redis key of `user`'s index: `prefix`, `user:`, the user's slot tag as a hash
    /// tag, then the hex SHA-256 of the user id. Sessions bound to the user carry the
    /// same slot tag, so on a Cluster they and the index are on one slot.
    pub fn index_key(&self, user: &UserKey) -> String {
        let hex = user.hex();
        format!("{}user:{{{}}}{hex}", self.prefix, &hex[..4])
    }

    /// [`SessionStore::create`].
    ///
    /// # Errors
    /// As the trait's.
    pub async fn create(&self, id: &SessionId, fields: &Fields) -> Result<(), StoreError> {
        self.create_replacing(id, fields, None).await
    }

    /// [`SessionStore::replace`].
    ///
    /// # Errors
    /// As the trait's.
    pub async fn replace(
        &self,
        old: &SessionId,
        id: &SessionId,
        fields: &Fields,
    ) -> Result<(), StoreError> {
        self.create_replacing(id, fields, Some(old)).await
    }

    async fn create_replacing(
        &self,
        id: &SessionId,
        fields: &Fields,
        old: Option<&SessionId>,
    ) -> Result<(), StoreError> {
        let key = id.key(&self.prefix);
        let old_key = old.map(|old| old.key(&self.prefix));
        let mut two = [""; 2];
        let keys = key_list(&mut two, &key, old_key.as_deref());
        let ttl = self.expiry.ttl_ms(id.created_ms(), self.clock.now_ms()).unwrap_or(1);
        let size = fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        let value = self
            .run(&self.scripts.create, keys, 1 + 2 * fields.len(), size, |cmd| {
                cmd.arg(ttl);
                for (field, value) in fields {
                    cmd.arg(field).arg(value);
                }
            })
            .await?;
        match Saved::from_reply(&value)? {
            Saved::Done => {
                self.touches.touched(id, self.clock.now_ms());
                Ok(())
            }
            Saved::Gone | Saved::Taken | Saved::TooLarge => Err(StoreError::Collision),
        }
    }

    /// [`SessionStore::load`]. The store's own methods are the trait's as futures of known
    /// type: the session layer awaits them in place instead of through boxed futures.
    ///
    /// # Errors
    /// As the trait's.
    pub async fn load(&self, id: &SessionId) -> Result<Option<Fields>, StoreError> {
        // One round trip of plain commands (no script: cheaper for Redis): `HGETALL`, and
        // `PEXPIRE` unless this process restarted the idle timeout within `touch_after`.
        // `PEXPIRE` on a missing key does nothing, so a load never creates anything.
        let key = id.key(&self.prefix);
        let key = &*key;
        let idle = super::millis(self.expiry.idle);
        let now = self.clock.now_ms();
        let touch = self.touches.due(id, now);
        let mut read = command("HGETALL", 1, key.len());
        read.arg(key);
        let mut replies = match touch {
            true => {
                let mut touch = command("PEXPIRE", 3, key.len());
                touch.arg(key).arg(idle).arg("XX");
                let mut pipe = redis::Pipeline::with_capacity(2);
                pipe.add_command(read).add_command(touch);
                self.send_pipeline(&pipe).await?.into_iter()
            }
            false => vec![self.send_read(&read).await?, Value::Int(1)].into_iter(),
        };
        let hash = match (replies.next(), replies.next()) {
            // Something other than a hash under a session's key: not ours, so left alone,
            // and the visitor gets a new session (as for a hash we cannot read).
            (Some(Value::ServerError(e)), _) if e.code() == "WRONGTYPE" => {
                rocket::warn!("session {key}: the key does not hold a hash; starting a new one");
                return Ok(None);
            }
            (Some(Value::ServerError(e)), _) | (_, Some(Value::ServerError(e))) => {
                return Err(redis_down(e.into()));
            }
            (hash, Some(Value::Int(1))) => hash,
            // `PEXPIRE … XX` found no TTL: no session, or a hash without one, which no session
            // is (every key the store writes has a TTL): a key someone made persistent, or
            // wrote by hand. Never served, and deleted if it still has no TTL.
            (Some(Value::Array(items)), _) if !items.is_empty() => {
                return self.not_a_session(key).await;
            }
            (Some(Value::Map(items)), _) if !items.is_empty() => {
                return self.not_a_session(key).await;
            }
            _ => return Ok(None),
        };
        let Some(fields) = hash.and_then(|hash| decode_hash(hash, key)) else {
            return Ok(None);
        };
        match self.expiry.ttl_ms(id.created_ms(), now) {
            None => {
                // Past its absolute lifetime: never served, and gone now.
                self.delete(id).await?;
                Ok(None)
            }
            // Not touched: the TTL set by the last touch stops at the deadline already.
            Some(ttl) if ttl < idle && touch => {
                // In its last idle period the TTL must stop at the absolute deadline: one
                // more command, only in that window.
                let cut = redis::cmd("PEXPIRE").arg(key).arg(ttl).arg("XX").to_owned();
                self.send(&cut, None).await?;
                Ok(Some(fields))
            }
            Some(_) => {
                if touch {
                    self.touches.touched(id, now);
                }
                Ok(Some(fields))
            }
        }
    }

    /// Sends the one command of a read and returns its reply as it came (an error reply
    /// included), as [`RedisStore::send_pipeline`] does for several.
    async fn send_read(&self, cmd: &Cmd) -> Result<Value, StoreError> {
        let mut conn = self.pool.get().await.map_err(unavailable)?;
        conn.send_command(cmd).await.map_err(redis_down)
    }

    /// [`SessionStore::update`].
    ///
    /// # Errors
    /// As the trait's.
    pub async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool, StoreError> {
        match self.save(id, None, changes).await? {
            Saved::TooLarge => Err(StoreError::TooLarge),
            Saved::Done => {
                self.touches.touched(id, self.clock.now_ms());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// [`SessionStore::renew`].
    ///
    /// # Errors
    /// As the trait's.
    pub async fn renew(
        &self,
        old: &SessionId,
        new: &SessionId,
        changes: &Changes,
    ) -> Result<bool, StoreError> {
        match self.save(old, Some(&new.key(&self.prefix)), changes).await? {
            Saved::Taken => Err(StoreError::Collision),
            Saved::TooLarge => Err(StoreError::TooLarge),
            Saved::Done => {
                self.touches.touched(new, self.clock.now_ms());
                Ok(true)
            }
            Saved::Gone => Ok(false),
        }
    }

    /// [`SessionStore::delete`].
    ///
    /// # Errors
    /// As the trait's.
    pub async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.unlink(&id.key(&self.prefix)).await
    }

    /// [`SessionStore::ping`].
    ///
    /// # Errors
    /// As the trait's.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.send(&redis::cmd("PING"), None).await.map(drop)
    }

    /// Saves `changes` to the session `id` (moving it to `new_key`, if given) if it still
    /// exists; [`Saved::Gone`] without a round trip when the session has passed its absolute
    /// deadline (it is then deleted).
    async fn save(
        &self,
        id: &SessionId,
        new_key: Option<&str>,
        changes: &Changes,
    ) -> Result<Saved, StoreError> {
        let key = id.key(&self.prefix);
        let key = &*key;
        let Some(ttl) = self.expiry.ttl_ms(id.created_ms(), self.clock.now_ms()) else {
            // The deadline passed while the request ran: the session ends here.
            self.unlink(key).await?;
            return Ok(Saved::Gone);
        };
        let size = changes.iter().map(|(k, v)| k.len() + v.as_ref().map_or(0, String::len)).sum();
        let mut two = [""; 2];
        let keys = key_list(&mut two, key, new_key);
        let Limits { max_bytes, max_keys } = self.limits;
        let value = self
            .run(&self.scripts.save, keys, 4 + 2 * changes.len(), size, |cmd| {
                cmd.arg(ttl).arg(max_bytes).arg(max_keys);
                push_changes(cmd, changes);
            })
            .await?;
        Saved::from_reply(&value)
    }

    /// A load found a hash without a TTL at `key`: no session; deleted unless it has
    /// since been given a TTL.
    async fn not_a_session(&self, key: &str) -> Result<Option<Fields>, StoreError> {
        rocket::warn!("session {key}: a hash without a TTL is no session; deleting it");
        self.sweep(key).await?;
        Ok(None)
    }

    /// Deletes the hash at `key` if it has no TTL (no session: a key made persistent or
    /// written by hand). A live session (with its TTL) is left alone.
    async fn sweep(&self, key: &str) -> Result<(), StoreError> {
        let sweep = redis::cmd("PEXPIRE").arg(key).arg(0).arg("NX").to_owned();
        self.send(&sweep, None).await.map(drop)
    }

    /// Deletes `key`: a session's end, which waits for replicas like any save (a lost
    /// delete would revive the session).
    async fn unlink(&self, key: &str) -> Result<(), StoreError> {
        let unlink = redis::cmd("UNLINK").arg(key).to_owned();
        self.send_write(&unlink, None).await.map(drop)
    }

    /// Runs `script` with `EVALSHA`; if the server does not know it yet, once more with
    /// `EVAL`, which also caches it there. `args` adds `arg_count` arguments holding
    /// `arg_bytes` bytes of strings (numbers need not be counted).
    async fn run(
        &self,
        script: &Lua,
        keys: &[&str],
        arg_count: usize,
        arg_bytes: usize,
        args: impl Fn(&mut Cmd) + Sync,
    ) -> Result<Value, StoreError> {
        let build = |verb: &str, body: &str| {
            let key_bytes: usize = keys.iter().map(|k| k.len()).sum();
            let count = 2 + keys.len() + arg_count;
            let mut cmd = command(verb, count, body.len() + key_bytes + arg_bytes);
            cmd.arg(body).arg(keys.len()).arg(keys);
            args(&mut cmd);
            cmd
        };
        let eval = || build("EVAL", script.source);
        self.send_write(&build("EVALSHA", &script.sha1), Some(&eval)).await
    }

    /// Sends the commands of `pipe` in one round trip and returns their replies as they
    /// came (error replies included, for the caller to sort out); resent by the pool as
    /// [`RedisStore::send`] describes.
    async fn send_pipeline(&self, pipe: &redis::Pipeline) -> Result<Vec<Value>, StoreError> {
        let mut conn = self.pool.get().await.map_err(unavailable)?;
        conn.send_pipeline(pipe).await.map_err(redis_down)
    }

    /// Sends `cmd` (then `on_noscript`, if Redis does not know the script) and returns the
    /// reply, an error reply as an error. A connection found dropped is replaced and the
    /// command sent again by the pool: each command here gives the same result when run
    /// twice, except that a repeated create or rename reports a collision, which is an
    /// error either way.
    async fn send(
        &self,
        cmd: &Cmd,
        on_noscript: Option<&(dyn Fn() -> Cmd + Sync)>,
    ) -> Result<Value, StoreError> {
        let mut conn = self.pool.get().await.map_err(unavailable)?;
        let first = conn.send_command(cmd).await;
        let sent = match (first.and_then(error_reply), on_noscript) {
            (Err(e), Some(eval)) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                conn.send_command(&eval()).await.and_then(error_reply)
            }
            (other, _) => other,
        };
        sent.map_err(redis_down)
    }

    /// [`RedisStore::send`] for a write: when the pool asks for replicas to confirm writes,
    /// `WAIT` goes in the same round trip, and a write they do not confirm in time is an
    /// error (the request answers 503).
    async fn send_write(
        &self,
        cmd: &Cmd,
        on_noscript: Option<&(dyn Fn() -> Cmd + Sync)>,
    ) -> Result<Value, StoreError> {
        let Some(durability) = self.pool.durability() else {
            return self.send(cmd, on_noscript).await;
        };
        let with_wait = |cmd: Cmd| {
            let mut pipe = redis::Pipeline::with_capacity(2);
            pipe.add_command(cmd).add_command(wait(durability));
            pipe
        };
        let mut replies = self.send_pipeline(&with_wait(cmd.clone())).await?;
        let noscript = |replies: &[Value]| matches!(replies.first(), Some(Value::ServerError(e)) if e.code() == "NOSCRIPT");
        if let Some(eval) = on_noscript
            && noscript(&replies)
        {
            replies = self.send_pipeline(&with_wait(eval())).await?;
        }
        let count = replies.pop();
        let reply = replies.pop().unwrap_or(Value::Nil);
        let reply = error_reply(reply).map_err(redis_down)?;
        confirmed(count, durability)?;
        Ok(reply)
    }
}

/// `WAIT` for `durability`.
fn wait(durability: Durability) -> Cmd {
    let mut wait = redis::cmd("WAIT");
    wait.arg(durability.replicas).arg(durability.timeout.as_millis() as u64);
    wait
}

/// Checks `WAIT`'s reply: as many replicas as `durability` asks for confirmed the write.
fn confirmed(reply: Option<Value>, durability: Durability) -> Result<(), StoreError> {
    match reply {
        Some(Value::Int(n)) if n >= i64::from(durability.replicas) => Ok(()),
        Some(Value::Int(n)) => Err(StoreError::Unavailable(
            format!(
                "the write reached {n} replica(s) within {} ms; min_replicas_ack is {}",
                durability.timeout.as_millis(),
                durability.replicas
            )
            .into(),
        )),
        other => Err(redis_down(
            (ErrorKind::Parse, "unexpected reply to WAIT", format!("{other:?}")).into(),
        )),
    }
}

/// An error reply from Redis as an error.
fn error_reply(value: Value) -> Result<Value, RedisError> {
    match value {
        Value::ServerError(e) => Err(e.into()),
        other => Ok(other),
    }
}

/// A command `name` with room for `args` more arguments whose strings hold `bytes` bytes:
/// built on every request, so its buffers are sized once instead of grown. Each argument
/// gets 16 bytes more, room for a number written in decimal.
fn command(name: &str, args: usize, bytes: usize) -> Cmd {
    let mut cmd = Cmd::with_capacity(args + 1, name.len() + bytes + 16 * (args + 1));
    cmd.arg(name);
    cmd
}

/// The keys of a script run: `first`, then `second` if there is one, in `two` (no
/// allocation: creates and saves run on every write).
fn key_list<'a>(
    two: &'a mut [&'a str; 2],
    first: &'a str,
    second: Option<&'a str>,
) -> &'a [&'a str] {
    two[0] = first;
    match second {
        Some(second) => {
            two[1] = second;
            &two[..]
        }
        None => &two[..1],
    }
}

fn unavailable(e: RedisPoolError) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

fn redis_down(e: RedisError) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

fn push_changes(cmd: &mut Cmd, changes: &Changes) {
    let sets = changes.iter().filter(|(_, v)| v.is_some()).count();
    cmd.arg(sets * 2);
    for (field, value) in changes {
        if let Some(value) = value {
            cmd.arg(field).arg(value);
        }
    }
    for (field, value) in changes {
        if value.is_none() {
            cmd.arg(field);
        }
    }
}

/// Reads the flat `HGETALL` array of a load: `None` for a missing session (an empty
/// array). Reserved fields (starting with NUL) are left
/// out; so is a field whose name or value is not UTF-8, or whose value is not JSON (kept
/// in Redis, with a warning).
fn decode_hash(value: Value, key: &str) -> Option<Fields> {
    let mut fields = Fields::new();
    // RESP2 answers a flat array of fields and values, RESP3 (`?protocol=resp3` in the
    // URL) a map.
    match value {
        Value::Array(items) if !items.is_empty() => {
            let mut items = items.into_iter();
            while let (Some(field), Some(value)) = (items.next(), items.next()) {
                decode_field(&mut fields, field, value, key);
            }
        }
        Value::Map(pairs) if !pairs.is_empty() => {
            for (field, value) in pairs {
                decode_field(&mut fields, field, value, key);
            }
        }
        _ => return None,
    }
    Some(fields)
}

/// Adds one field of a loaded hash to `fields`, unless it is reserved (starts with NUL)
/// or not UTF-8, or its value is not JSON (those are skipped, with a warning).
fn decode_field(fields: &mut Fields, field: Value, value: Value, key: &str) {
    let (Value::BulkString(field), Value::BulkString(value)) = (field, value) else {
        return;
    };
    if field.first() == Some(&0) {
        // Reserved: the session layer's own. The user binding goes to the layer (which
        // takes it out of the data); the others are skipped.
        if field == BINDING_FIELD.as_bytes()
            && let Ok(value) = String::from_utf8(value)
        {
            fields.insert(BINDING_FIELD.to_owned(), value);
        }
        return;
    }
    let (Ok(field), Ok(value)) = (String::from_utf8(field), String::from_utf8(value)) else {
        rocket::warn!("session {key}: a field that is not UTF-8 was skipped");
        return;
    };
    match serde_json::from_str::<&serde_json::value::RawValue>(&value) {
        Ok(_) => {
            fields.insert(field, value);
        }
        Err(_) => rocket::warn!("session {key}: field {field:?} is not JSON and was skipped"),
    }
}

/// The letters `bound.lua` knows the keys of a [`BoundWrite`] by, in order.
const LETTERS: [char; 4] = ['o', 'n', 'u', 'b'];

/// One run of `bound.lua`: the keys it is given (by letter) and what it does with them.
struct BoundStep<'a> {
    keys: [Option<&'a str>; 4],
    mode: &'static str,
    check: bool,
    /// The handle to remove from the `u` index.
    unbind: &'a str,
}

/// How much of a session a user's index may have lost: every operation on an index reads
/// it, then acts on what it read, unless it changed meanwhile (then it reads again).
const INDEX_ATTEMPTS: usize = 8;

/// An index as read: handle, entry as stored, entry as read.
type IndexEntries = Vec<(String, String, IndexEntry)>;

impl RedisStore {
    /// [`SessionStore::commit_bound`]: one `bound.lua` run, or, on a Cluster when the
    /// session moves to another slot (a sign-in), two: the new session with its index
    /// entry first, then the old session's end, undone if that session had ended already.
    ///
    /// # Errors
    /// As the trait's.
    pub async fn commit_bound(&self, write: &BoundWrite) -> Result<bool, StoreError> {
        let written = self.write_bound(write).await?;
        if let (true, Some(new)) = (written, &write.new) {
            self.touches.touched(new, self.clock.now_ms());
        }
        Ok(written)
    }

    async fn write_bound(&self, write: &BoundWrite) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let key = |id: &Option<SessionId>| id.as_ref().map(|id| self.key(id));
        let (old, new) = (key(&write.old), key(&write.new));
        let index = |b: &Option<Binding>| b.as_ref().map(|b| self.index_key(&b.user));
        let unbound = index(&write.unbind);
        let bound = index(&write.bind).filter(|_| new.is_some());
        fn handle(b: &Option<Binding>) -> &str {
            b.as_ref().map_or("", |b| b.handle.as_str())
        }
        let gone = handle(&write.unbind);
        let ttl = match &write.new {
            Some(id) => match self.expiry.ttl_ms(id.created_ms(), now) {
                Some(ttl) => Some(ttl),
                // Past its absolute deadline: the session ends here.
                None => {
                    let keys = [old.as_deref(), None, unbound.as_deref(), None];
                    let end = BoundStep { keys, mode: "delete", check: false, unbind: gone };
                    self.bound_step(&end, write, 1).await?;
                    return Ok(false);
                }
            },
            None => None,
        };
        let ttl = ttl.unwrap_or(1);
        let tags = [
            write.old.as_ref().map(SessionId::tag),
            write.new.as_ref().map(SessionId::tag),
            write.unbind.as_ref().map(|b| b.user.tag()),
            write.bind.as_ref().filter(|_| new.is_some()).map(|b| b.user.tag()),
        ];
        let split = self.split(&tags);
        let mode = match (&old, &new) {
            (_, None) => "delete",
            (Some(_), Some(_)) if write.carries() && !split => "move",
            _ => "create",
        };
        let keys = [old.as_deref(), new.as_deref(), unbound.as_deref(), bound.as_deref()];
        if !split {
            let step = BoundStep { keys, mode, check: write.carries(), unbind: gone };
            return match self.bound_step(&step, write, ttl).await? {
                Value::Int(-1) => Err(StoreError::Collision),
                Value::Int(0) if mode != "delete" => Ok(false),
                _ => Ok(true),
            };
        }
        // A Cluster, and the session changes slot. The old session and the index it
        // leaves share its slot; the new one and the index it joins, theirs.
        let [o, n, u, b] = keys;
        let ending =
            BoundStep { keys: [o, None, u, None], mode: "delete", check: false, unbind: gone };
        let starting =
            BoundStep { keys: [None, n, None, b], mode: "create", check: false, unbind: "" };
        if !write.carries() {
            // The old session ends whatever happens (a sign-out that starts another).
            self.bound_step(&ending, write, ttl).await?;
            return match self.bound_step(&starting, write, ttl).await? {
                Value::Int(-1) => Err(StoreError::Collision),
                _ => Ok(true),
            };
        }
        if let Value::Int(-1) = self.bound_step(&starting, write, ttl).await? {
            return Err(StoreError::Collision);
        }
        // A crash here leaves both: the old session, which its visitor still holds, and
        // the new one, listed in the index (where it can be ended) and held by nobody.
        if let Value::Int(0) = self.bound_step(&ending, write, ttl).await? {
            // The old session had ended meanwhile: its successor must not live on.
            let unbind = handle(&write.bind);
            let undo = BoundStep { keys: [n, None, b, None], mode: "delete", check: false, unbind };
            self.bound_step(&undo, write, ttl).await?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Whether the keys with these slot tags must go in more than one script: on a
    /// Cluster, when they are not all on one slot.
    fn split(&self, tags: &[Option<SlotTag>; 4]) -> bool {
        let mut given = tags.iter().flatten();
        let first = given.next();
        self.pool.mode() == RedisMode::Cluster && given.any(|tag| Some(tag) != first)
    }

    /// Runs `bound.lua` for `step` of `write`.
    async fn bound_step(
        &self,
        step: &BoundStep<'_>,
        write: &BoundWrite,
        ttl: u64,
    ) -> Result<Value, StoreError> {
        let mut letters = String::with_capacity(4);
        let mut keys = Vec::with_capacity(4);
        for (letter, key) in LETTERS.iter().zip(step.keys) {
            if let Some(key) = key {
                letters.push(*letter);
                keys.push(key);
            }
        }
        let (entry, index_ttl) = match (&write.bind, &write.new, step.keys[1]) {
            (Some(b), Some(id), Some(key)) => {
                let entry = IndexEntry {
                    key: key.to_owned(),
                    created: id.created_ms(),
                    device: b.device.clone(),
                };
                let deadline = id.created_ms().saturating_add(super::millis(self.expiry.absolute));
                let left = deadline.saturating_sub(self.clock.now_ms()).max(1);
                (serde_json::to_string(&entry).unwrap_or_default(), left)
            }
            _ => (String::new(), 1),
        };
        let (sets, deletes): (Vec<(&str, &str)>, Vec<&str>) = match step.mode {
            "move" => (
                write
                    .changes
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_deref()?)))
                    .collect(),
                write
                    .changes
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(k, _)| k.as_str())
                    .collect(),
            ),
            "create" => {
                (write.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(), Vec::new())
            }
            _ => (Vec::new(), Vec::new()),
        };
        let size = sets.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
            + deletes.iter().map(|k| k.len()).sum::<usize>()
            + entry.len();
        let bind = write.bind.as_ref().map_or("", |b| b.handle.as_str());
        let unbind = step.unbind;
        self.run(&self.scripts.bound, &keys, 9 + 2 * sets.len() + deletes.len(), size, |cmd| {
            cmd.arg(&letters).arg(step.mode).arg(if step.check { "1" } else { "0" });
            cmd.arg(ttl).arg(unbind).arg(bind).arg(&entry).arg(index_ttl);
            cmd.arg(sets.len() * 2);
            for (field, value) in &sets {
                cmd.arg(*field).arg(*value);
            }
            for field in &deletes {
                cmd.arg(*field);
            }
        })
        .await
    }

    /// [`SessionStore::user_sessions`]: the index, then the TTL of each session in it, in
    /// one round trip each; entries of sessions that are gone are then removed.
    ///
    /// A session's last-seen time is read off its TTL: every load and save sets it to
    /// `idle_timeout`, so the session was last used `idle_timeout - TTL` ago. No field is
    /// written for it, and no request pays for it. (In a session's last idle period, whose
    /// TTL stops at the absolute deadline, it reads as the start of that period.)
    ///
    /// # Errors
    /// As the trait's.
    pub async fn user_sessions(&self, user: &UserKey) -> Result<Vec<UserSession>, StoreError> {
        let index = self.index_key(user);
        let entries = self.read_index(&index).await?;
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::Pipeline::with_capacity(entries.len());
        for (_, _, entry) in &entries {
            pipe.cmd("PTTL").arg(&entry.key);
        }
        let ttls = self.send_pipeline(&pipe).await?;
        let now = self.clock.now_ms();
        let idle = super::millis(self.expiry.idle);
        let (mut live, mut gone) = (Vec::new(), Vec::new());
        for (entry, ttl) in entries.into_iter().zip(ttls) {
            match ttl {
                Value::Int(ttl) if ttl > 0 => live.push((entry, ttl.unsigned_abs())),
                Value::ServerError(e) => return Err(redis_down(e.into())),
                // Gone (-2), or a hash without a TTL (-1), which is no session.
                _ => gone.push(entry),
            }
        }
        if !gone.is_empty() {
            // A changed entry (-1) is left for the next read.
            self.end_entries(&index, &gone).await?;
        }
        let mut sessions: Vec<UserSession> = live
            .into_iter()
            .map(|((handle, _, entry), ttl)| {
                let seen = now.saturating_sub(idle).saturating_add(ttl).min(now);
                UserSession {
                    handle,
                    created_ms: entry.created,
                    last_seen_ms: seen.max(entry.created.min(now)),
                    device: entry.device,
                    current: false,
                }
            })
            .collect();
        sessions.sort_by(|a, b| (a.created_ms, &a.handle).cmp(&(b.created_ms, &b.handle)));
        Ok(sessions)
    }

    /// [`SessionStore::end_user_sessions`]: reads the index, then ends the chosen sessions
    /// and their entries in one script, which does nothing if an entry changed since it
    /// was read (its session moved to a new id): then it reads again.
    ///
    /// # Errors
    /// As the trait's.
    pub async fn end_user_sessions(
        &self,
        user: &UserKey,
        which: &Ending,
    ) -> Result<usize, StoreError> {
        let index = self.index_key(user);
        for _ in 0..INDEX_ATTEMPTS {
            let mut chosen = self.read_index(&index).await?;
            chosen.retain(|(handle, ..)| which.includes(handle));
            if chosen.is_empty() {
                return Ok(0);
            }
            if let Some(ended) = self.end_entries(&index, &chosen).await? {
                return Ok(ended);
            }
        }
        Err(StoreError::Unavailable("the user's index kept changing; try again".into()))
    }

    /// Deletes the sessions of `entries` and their entries in `index`, unless an entry
    /// changed since it was read (`None`). Returns how many sessions existed.
    async fn end_entries(
        &self,
        index: &str,
        entries: &IndexEntries,
    ) -> Result<Option<usize>, StoreError> {
        let keys: Vec<&str> =
            std::iter::once(index).chain(entries.iter().map(|(_, _, e)| e.key.as_str())).collect();
        let size = entries.iter().map(|(h, raw, _)| h.len() + raw.len()).sum();
        let reply = self
            .run(&self.scripts.end, &keys, 2 * entries.len(), size, |cmd| {
                for (handle, raw, _) in entries {
                    cmd.arg(handle).arg(raw);
                }
            })
            .await?;
        match reply {
            Value::Int(ended) if ended >= 0 => Ok(Some(ended.unsigned_abs() as usize)),
            Value::Int(_) => Ok(None),
            _ => Err(redis_down((ErrorKind::Parse, "unexpected reply to end.lua").into())),
        }
    }

    /// The entries of `index`: handle, entry as stored, entry as read. An entry that is
    /// not of the store's form is skipped, with a warning.
    async fn read_index(&self, index: &str) -> Result<IndexEntries, StoreError> {
        let reply = self.send(redis::cmd("HGETALL").arg(index), None).await?;
        let pairs: Vec<(Value, Value)> = match reply {
            Value::Array(items) => {
                let mut items = items.into_iter();
                std::iter::from_fn(|| Some((items.next()?, items.next()?))).collect()
            }
            Value::Map(pairs) => pairs,
            _ => Vec::new(),
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (handle, raw) in pairs {
            let (Value::BulkString(handle), Value::BulkString(raw)) = (handle, raw) else {
                continue;
            };
            let (Ok(handle), Ok(raw)) = (String::from_utf8(handle), String::from_utf8(raw)) else {
                continue;
            };
            match serde_json::from_str::<IndexEntry>(&raw) {
                Ok(entry) => entries.push((handle, raw, entry)),
                Err(_) => {
                    rocket::warn!("user index {index}: entry {handle:?} is not ours; skipped")
                }
            }
        }
        Ok(entries)
    }
}

/// What a save or create reported: the Lua scripts' `1`, `0` and `-1`, read once here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    /// Written.
    Done,
    /// The session had ended (a save), or the id was taken (a create): nothing written.
    Gone,
    /// The new id of a rotation was taken: nothing written.
    Taken,
    /// The changes would take the session past its limits: nothing written.
    TooLarge,
}

impl Saved {
    fn from_reply(value: &Value) -> Result<Self, StoreError> {
        match value {
            Value::Int(1) => Ok(Self::Done),
            Value::Int(0) => Ok(Self::Gone),
            Value::Int(-1) => Ok(Self::Taken),
            Value::Int(-2) => Ok(Self::TooLarge),
            _ => Err(redis_down((ErrorKind::Parse, "unexpected reply to a session script").into())),
        }
    }
}

#[rocket::async_trait]
impl SessionStore for RedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn load(&self, id: &SessionId) -> Result<Option<Fields>, StoreError> {
        RedisStore::load(self, id).await
    }

    async fn create(&self, id: &SessionId, fields: &Fields) -> Result<(), StoreError> {
        RedisStore::create(self, id, fields).await
    }

    async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool, StoreError> {
        RedisStore::update(self, id, changes).await
    }

    async fn renew(
        &self,
        old: &SessionId,
        new: &SessionId,
        changes: &Changes,
    ) -> Result<bool, StoreError> {
        RedisStore::renew(self, old, new, changes).await
    }

    async fn replace(
        &self,
        old: &SessionId,
        id: &SessionId,
        fields: &Fields,
    ) -> Result<(), StoreError> {
        RedisStore::replace(self, old, id, fields).await
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        RedisStore::delete(self, id).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        RedisStore::ping(self).await
    }

    async fn commit_bound(&self, write: &BoundWrite) -> Result<bool, StoreError> {
        RedisStore::commit_bound(self, write).await
    }

    async fn user_sessions(&self, user: &UserKey) -> Result<Vec<UserSession>, StoreError> {
        RedisStore::user_sessions(self, user).await
    }

    async fn end_user_sessions(&self, user: &UserKey, which: &Ending) -> Result<usize, StoreError> {
        RedisStore::end_user_sessions(self, user, which).await
    }
}

#[cfg(test)]
#[path = "redis_props.rs"]
mod props;
