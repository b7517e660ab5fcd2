//! [`Touches`]: when this process last restarted each session's idle timeout in Redis, so
//! that a read within `touch_after` of it is one `HGETALL` instead of `HGETALL` +
//! `PEXPIRE`.
//!
//! What is kept is a lower bound: a session this process touched at `t` lives in Redis
//! until at least `t + idle_timeout` (only the store's own writes set its TTL, each to the
//! idle timeout or the absolute deadline). A session is then touched again on its first
//! read after `t + touch_after`, so while it is used it never has less than
//! `idle_timeout - touch_after` left. Other processes keep their own; a restart forgets
//! (the next read touches). Ids are never stored: the map is keyed by 64 of their random
//! bits.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, PoisonError};

use crate::SessionId;

/// Shards of the map: requests on different sessions seldom wait for one another.
const SHARDS: usize = 16;
/// Most sessions remembered per shard; a full shard is emptied (its sessions are touched
/// on their next read, as if `touch_after` were 0), so memory stays bounded whatever the
/// number of sessions.
const PER_SHARD: usize = 8192;

/// The last touch of each session this process read or wrote, by id.
#[derive(Debug)]
pub(crate) struct Touches {
    after_ms: u64,
    shards: [Mutex<HashMap<u64, u64, BuildHasherDefault<RandomBits>>>; SHARDS],
}

/// The hash of a key that is random bits already (from the OS CSPRNG, through the id):
/// the key itself. Nobody can choose keys that collide without knowing the ids.
#[derive(Debug, Default)]
pub(crate) struct RandomBits(u64);

impl Hasher for RandomBits {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here (`write_u64`); any other input is folded in.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, bits: u64) {
        self.0 = bits;
    }
}

impl Touches {
    /// Touches that count as recent for `after_ms` (0: none does; every read touches).
    pub(crate) fn new(after_ms: u64) -> Self {
        Self { after_ms, shards: std::array::from_fn(|_| Mutex::new(HashMap::default())) }
    }

    /// Whether a read of `id` at `now_ms` must restart its idle timeout.
    pub(crate) fn due(&self, id: &SessionId, now_ms: u64) -> bool {
        if self.after_ms == 0 {
            return true;
        }
        let (shard, key) = Self::slot(id);
        let shard = self.shards[shard].lock().unwrap_or_else(PoisonError::into_inner);
        shard.get(&key).is_none_or(|&at| now_ms.saturating_sub(at) >= self.after_ms)
    }

    /// Notes that the idle timeout of `id` was restarted at `now_ms`.
    pub(crate) fn touched(&self, id: &SessionId, now_ms: u64) {
        if self.after_ms == 0 {
            return;
        }
        let (shard, key) = Self::slot(id);
        let mut shard = self.shards[shard].lock().unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= PER_SHARD && !shard.contains_key(&key) {
            shard.clear();
        }
        shard.insert(key, now_ms);
    }

    /// The shard and key of `id`: bits of its random part (never the whole id). The shard
    /// is read from middle bits: the map places a key by its low bits and tells keys apart
    /// by its top bits, which then vary within a shard.
    fn slot(id: &SessionId) -> (usize, u64) {
        let bits = id.random_bits();
        ((bits >> 32) as usize % SHARDS, bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> SessionId {
        SessionId::generate(0, None).unwrap()
    }

    #[test]
    fn a_read_within_the_interval_of_a_touch_is_not_due() {
        let touches = Touches::new(60_000);
        let (a, b) = (id(), id());
        assert!(touches.due(&a, 1_000), "never touched");
        touches.touched(&a, 1_000);
        assert!(!touches.due(&a, 1_000));
        assert!(!touches.due(&a, 60_999));
        assert!(touches.due(&a, 61_000), "the interval has passed");
        assert!(touches.due(&b, 1_000), "another session");
    }

    #[test]
    fn with_no_interval_every_read_is_due() {
        let touches = Touches::new(0);
        let a = id();
        touches.touched(&a, 1_000);
        assert!(touches.due(&a, 1_000));
    }

    #[test]
    fn a_full_shard_is_emptied_so_memory_stays_bounded() {
        let touches = Touches::new(60_000);
        let ids: Vec<SessionId> = (0..SHARDS * PER_SHARD + 1).map(|_| id()).collect();
        for id in &ids {
            touches.touched(id, 1_000);
        }
        let held: usize = touches.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(held <= SHARDS * PER_SHARD, "{held}");
    }
}
