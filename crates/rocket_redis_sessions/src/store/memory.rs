//! [`MemoryStore`]: sessions in this process's memory, with the same contract as Redis.
//! Lost on restart and not shared between processes; for development and single-process
//! deployments that accept that.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{
    BoundWrite, Changes, Clock, Ending, Expiry, Fields, Limits, SessionStore, StoreError, UserKey,
    UserSession,
};
use crate::SessionId;

/// Expired entries are swept after this many creations.
const SWEEP_EVERY: u32 = 1024;

/// Sessions in memory, behind one lock held only for map operations (never across I/O).
#[derive(Debug)]
pub struct MemoryStore {
    expiry: Expiry,
    limits: Limits,
    clock: Clock,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<SessionId, Entry>,
    /// Each user's index: handle to the session it names.
    users: HashMap<UserKey, BTreeMap<String, Device>>,
    creates_since_sweep: u32,
}

#[derive(Debug)]
struct Entry {
    fields: Fields,
    expires_ms: u64,
    /// When the session was last loaded or written: its last-seen time.
    seen_ms: u64,
}

/// A session in a user's index.
#[derive(Debug)]
struct Device {
    id: SessionId,
    device: String,
}

impl MemoryStore {
    /// An empty store.
    pub fn new(expiry: Expiry) -> Self {
        Self::with_clock(expiry, Clock::system())
    }

    /// An empty store reading the time from `clock`.
    pub fn with_clock(expiry: Expiry, clock: Clock) -> Self {
        Self { expiry, limits: Limits::NONE, clock, inner: Mutex::new(Inner::default()) }
    }

    /// The store, refusing saves past `limits` ([`StoreError::TooLarge`]).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        let now = self.clock.now_ms();
        self.lock().entries.values().filter(|e| e.expires_ms > now).count()
    }

    /// Whether no live session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map is never left half-changed by a panic (each operation is one map call),
        // so a poisoned lock still guards consistent data.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds the record of `id`, unless it would be past its absolute lifetime already.
    fn insert(&self, inner: &mut Inner, id: &SessionId, fields: &Fields, now: u64) {
        if let Some(ttl) = self.expiry.ttl_ms(id.created_ms(), now) {
            let entry = Entry { fields: fields.clone(), expires_ms: now + ttl, seen_ms: now };
            inner.entries.insert(id.clone(), entry);
        }
    }

    /// The live entry of `id`, its idle timeout restarted; an expired one is dropped.
    fn touch<'a>(&self, inner: &'a mut Inner, id: &SessionId, now: u64) -> Option<&'a mut Entry> {
        let ttl = match inner.entries.get(id) {
            Some(e) if e.expires_ms > now => self.expiry.ttl_ms(id.created_ms(), now),
            Some(_) => None,
            None => return None,
        };
        match ttl {
            Some(ttl) => {
                let entry = inner.entries.get_mut(id)?;
                entry.expires_ms = now + ttl;
                entry.seen_ms = now;
                Some(entry)
            }
            None => {
                inner.entries.remove(id);
                None
            }
        }
    }
}

/// Applies `changes` to `fields`, if `limits` allow them (checked under the store's lock:
/// the same step as the write).
fn apply(fields: &mut Fields, changes: &Changes, limits: &Limits) -> Result<(), StoreError> {
    if !limits.allows(fields, changes) {
        return Err(StoreError::TooLarge);
    }
    for (field, value) in changes {
        match value {
            Some(value) => fields.insert(field.clone(), value.clone()),
            None => fields.remove(field),
        };
    }
    Ok(())
}

#[rocket::async_trait]
impl SessionStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn load(&self, id: &SessionId) -> Result<Option<Fields>, StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        Ok(self.touch(&mut inner, id, now).map(|entry| entry.fields.clone()))
    }

    async fn create(&self, id: &SessionId, fields: &Fields) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        if self.touch(&mut inner, id, now).is_some() {
            return Err(StoreError::Collision);
        }
        inner.creates_since_sweep += 1;
        if inner.creates_since_sweep >= SWEEP_EVERY {
            inner.creates_since_sweep = 0;
            inner.entries.retain(|_, e| e.expires_ms > now);
            let Inner { entries, users, .. } = &mut *inner;
            for index in users.values_mut() {
                index.retain(|_, device| entries.contains_key(&device.id));
            }
            users.retain(|_, index| !index.is_empty());
        }
        self.insert(&mut inner, id, fields, now);
        Ok(())
    }

    async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        match self.touch(&mut inner, id, now) {
            Some(entry) => apply(&mut entry.fields, changes, &self.limits).map(|()| true),
            None => Ok(false),
        }
    }

    async fn renew(
        &self,
        old: &SessionId,
        new: &SessionId,
        changes: &Changes,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        if self.touch(&mut inner, new, now).is_some() {
            return Err(StoreError::Collision);
        }
        let Some(entry) = self.touch(&mut inner, old, now) else {
            return Ok(false);
        };
        apply(&mut entry.fields, changes, &self.limits)?;
        let Some(entry) = inner.entries.remove(old) else {
            return Ok(false);
        };
        inner.entries.insert(new.clone(), entry);
        Ok(true)
    }

    async fn replace(
        &self,
        old: &SessionId,
        id: &SessionId,
        fields: &Fields,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        if self.touch(&mut inner, id, now).is_some() {
            return Err(StoreError::Collision);
        }
        inner.entries.remove(old);
        self.insert(&mut inner, id, fields, now);
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.lock().entries.remove(id);
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn commit_bound(&self, write: &BoundWrite) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        if let Some(new) = &write.new
            && write.old.as_ref() != Some(new)
            && self.touch(&mut inner, new, now).is_some()
        {
            return Err(StoreError::Collision);
        }
        if write.carries() {
            let Some(old) = &write.old else { return Ok(false) };
            let Some(entry) = self.touch(&mut inner, old, now) else {
                return Ok(false);
            };
            apply(&mut entry.fields, &write.changes, &Limits::NONE)?;
            if let (Some(entry), Some(new)) = (inner.entries.remove(old), &write.new) {
                inner.entries.insert(new.clone(), entry);
            }
        } else {
            if let Some(old) = &write.old {
                inner.entries.remove(old);
            }
            if let Some(new) = &write.new {
                self.insert(&mut inner, new, &write.fields, now);
            }
        }
        if let Some(gone) = &write.unbind
            && let Some(index) = inner.users.get_mut(&gone.user)
        {
            index.remove(&gone.handle);
            if index.is_empty() {
                inner.users.remove(&gone.user);
            }
        }
        if let (Some(bound), Some(new)) = (&write.bind, &write.new) {
            let device = Device { id: new.clone(), device: bound.device.clone() };
            inner.users.entry(bound.user.clone()).or_default().insert(bound.handle.clone(), device);
        }
        Ok(true)
    }

    async fn user_sessions(&self, user: &UserKey) -> Result<Vec<UserSession>, StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        let Inner { entries, users, .. } = &mut *inner;
        let Some(index) = users.get_mut(user) else { return Ok(Vec::new()) };
        // Sessions that ended by themselves leave the index as it is read.
        index.retain(|_, device| entries.get(&device.id).is_some_and(|e| e.expires_ms > now));
        let mut sessions: Vec<UserSession> = index
            .iter()
            .filter_map(|(handle, device)| {
                let entry = entries.get(&device.id)?;
                Some(UserSession {
                    handle: handle.clone(),
                    created_ms: device.id.created_ms(),
                    last_seen_ms: entry.seen_ms,
                    device: device.device.clone(),
                    current: false,
                })
            })
            .collect();
        if index.is_empty() {
            users.remove(user);
        }
        sessions.sort_by(|a, b| (a.created_ms, &a.handle).cmp(&(b.created_ms, &b.handle)));
        Ok(sessions)
    }

    async fn end_user_sessions(&self, user: &UserKey, which: &Ending) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        let Inner { entries, users, .. } = &mut *inner;
        let Some(index) = users.get_mut(user) else { return Ok(0) };
        let mut ended = 0;
        index.retain(|handle, device| {
            if !which.includes(handle) {
                return true;
            }
            let live = entries.remove(&device.id).is_some_and(|e| e.expires_ms > now);
            ended += usize::from(live);
            false
        });
        if index.is_empty() {
            users.remove(user);
        }
        Ok(ended)
    }
}
