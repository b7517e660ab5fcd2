//! The per-request session state machine: what the handler did, and what must be
//! committed to the store once the response is known.
//!
//! ```text
//!   load ──found──▶ Unchanged ──insert/remove──▶ Changed
//!     │                 │  └──────cycle_id──────▶ Renewed ◀── cycle_id ── Changed
//!     └─missing──▶ New  └──────destroy─────────▶ Purged  ◀── destroy ── Changed/Renewed
//!                                                  └── insert ──▶ New (old id still deleted)
//! ```
//! Nothing here does I/O or touches cookies. [`State::into_commit`] says what to write and
//! what the visitor's cookie must become once that write has succeeded.

use std::cell::OnceCell;
use std::collections::BTreeSet;

use crate::SessionId;
use crate::id::SlotTag;
use crate::store::{BINDING_FIELD, Binding, BoundWrite, Changes, Fields};

/// What happened to the session during this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Loaded and not modified: nothing to save.
    Unchanged,
    /// Not in the store yet; created at commit if it holds data.
    New,
    /// Loaded and modified: the changed fields are saved.
    Changed,
    /// Given a new id: the data moves to it and the old id stops working.
    Renewed,
    /// Destroyed: deleted from the store at commit.
    Purged,
}

/// The single store operation that commits a request's session work.
#[derive(Debug, PartialEq, Eq)]
pub enum Commit {
    /// Nothing to write.
    Nothing,
    /// Create a new session.
    Create { id: SessionId, fields: Fields },
    /// Write the changed fields of an existing session, if it still exists.
    Update { id: SessionId, changes: Changes },
    /// Move an existing session to a new id with its changes.
    Renew { old: SessionId, new: SessionId, changes: Changes },
    /// Delete a session.
    Delete { id: SessionId },
    /// Delete a destroyed session and create its successor (sign-out with a flash message).
    Replace { old: SessionId, id: SessionId, fields: Fields },
    /// A write to a session that is, or becomes, bound to a user, with the index entries
    /// that change with it (anything but a plain save of a bound session).
    Bound(Box<BoundWrite>),
}

/// What the visitor's session cookie must become once the commit has succeeded.
#[derive(Debug, PartialEq, Eq)]
pub enum CookieChange {
    /// Leave it as the visitor holds it.
    Keep,
    /// Set it to this id (new session, or a new id for the same one).
    Set(SessionId),
    /// Remove it: the session ended, or the cookie named no live session.
    Remove,
}

/// A request's view of its session.
#[derive(Debug)]
pub struct State {
    status: SessionStatus,
    /// Id whose record the store held at load time.
    stored: Option<SessionId>,
    /// Id the visitor holds once this response arrives.
    id: Option<SessionId>,
    /// Stored id to delete because the session was destroyed.
    purge: Option<SessionId>,
    /// Whether the request carried a session cookie at all (valid or not).
    client_cookie: bool,
    fields: Fields,
    /// Keys set or removed since the load; their values are taken from `fields` at commit.
    changed: BTreeSet<String>,
    /// The stored session's tie to a user, as loaded: the reserved field's text, read
    /// into `binding` only when a request asks (a plain read or save of a bound session
    /// never does).
    binding_field: Option<String>,
    binding: OnceCell<Option<Box<Binding>>>,
    /// A tie made (`Some(Some(_))`) or undone (`Some(None)`) in this request.
    rebind: Option<Option<Box<Binding>>>,
}

impl State {
    /// A session loaded from the store under `id`.
    pub fn loaded(id: SessionId, mut fields: Fields) -> Self {
        // Reserved fields sort first: a session without one pays a single comparison.
        let reserved = fields.first_key_value().is_some_and(|(k, _)| k.starts_with('\0'));
        let binding_field = match reserved {
            true => fields.remove(BINDING_FIELD),
            false => None,
        };
        Self {
            status: SessionStatus::Unchanged,
            stored: Some(id.clone()),
            id: Some(id),
            purge: None,
            client_cookie: true,
            fields,
            changed: BTreeSet::new(),
            binding_field,
            binding: OnceCell::new(),
            rebind: None,
        }
    }

    /// No session in the store: an empty one, created at commit if it gets data.
    /// `client_cookie` tells whether the request carried a (dead or garbled) session cookie,
    /// which is then removed unless a new session replaces it.
    pub fn fresh(client_cookie: bool) -> Self {
        Self {
            status: SessionStatus::New,
            stored: None,
            id: None,
            purge: None,
            client_cookie,
            fields: Fields::new(),
            changed: BTreeSet::new(),
            binding_field: None,
            binding: OnceCell::new(),
            rebind: None,
        }
    }

    /// The current status.
    pub fn status(&self) -> SessionStatus {
        self.status
    }

    /// The id the visitor holds once this response arrives: `None` while the session
    /// holds nothing, and once it is destroyed.
    pub fn id(&self) -> Option<&SessionId> {
        self.id.as_ref()
    }

    /// The data.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Whether a record exists (or will, once committed) for the visitor.
    pub fn exists(&self) -> bool {
        match self.status {
            SessionStatus::Unchanged | SessionStatus::Changed | SessionStatus::Renewed => true,
            SessionStatus::New => !self.fields.is_empty() || self.bound().is_some(),
            SessionStatus::Purged => false,
        }
    }

    /// The session's tie to a user once this request is committed.
    pub fn bound(&self) -> Option<&Binding> {
        match (&self.rebind, self.status) {
            (Some(rebind), _) => rebind.as_deref(),
            (None, SessionStatus::New | SessionStatus::Purged) => None,
            (None, _) => self.loaded_binding(),
        }
    }

    /// The tie the stored session has (what the index holds for it now).
    pub fn stored_binding(&self) -> Option<&Binding> {
        self.stored.as_ref().or(self.purge.as_ref()).and_then(|_| self.loaded_binding())
    }

    /// The tie the session was loaded with, read from its field on first use.
    fn loaded_binding(&self) -> Option<&Binding> {
        let parse = || self.binding_field.as_deref().and_then(Binding::parse).map(Box::new);
        self.binding.get_or_init(parse).as_deref()
    }

    /// Ties the session to `binding`'s user, creating it if needed, under a new id with
    /// the user's slot tag (see [`crate::store::UserKey::tag`]).
    pub fn bind<E>(
        &mut self,
        binding: Binding,
        now_ms: u64,
        mint: impl FnOnce(u64, Option<SlotTag>) -> Result<SessionId, E>,
    ) -> Result<(), E> {
        let tag = Some(binding.user.tag());
        let created = self.id.as_ref().map_or(now_ms, SessionId::created_ms);
        self.id = Some(mint(created, tag)?);
        self.status = match self.status {
            SessionStatus::Unchanged | SessionStatus::Changed | SessionStatus::Renewed => {
                SessionStatus::Renewed
            }
            SessionStatus::New | SessionStatus::Purged => SessionStatus::New,
        };
        self.rebind = Some(Some(Box::new(binding)));
        Ok(())
    }

    /// Unties the session from its user, under a new id (kept on the same slot). Does
    /// nothing for a session without a tie.
    pub fn unbind<E>(
        &mut self,
        mint: impl FnOnce(u64, Option<SlotTag>) -> Result<SessionId, E>,
    ) -> Result<(), E> {
        if self.bound().is_none() {
            return Ok(());
        }
        match self.stored_binding() {
            Some(_) => {
                self.cycle_id(mint)?;
                self.rebind = Some(None);
            }
            // Tied in this request only: nothing stored to undo.
            None => self.rebind = None,
        }
        Ok(())
    }

    /// Sets `key` to the JSON text `value`; storing the value already there changes
    /// nothing. The first write to a new session mints its id (`mint` is given the
    /// creation time the id carries, `now_ms`, and the slot tag to keep: that of the
    /// session it replaces, if one was destroyed in this request).
    pub fn insert<E>(
        &mut self,
        key: &str,
        value: String,
        now_ms: u64,
        mint: impl FnOnce(u64, Option<SlotTag>) -> Result<SessionId, E>,
    ) -> Result<(), E> {
        if self.fields.get(key) == Some(&value) {
            return Ok(());
        }
        self.mark_written(now_ms, mint)?;
        match self.fields.get_mut(key) {
            Some(old) => *old = value,
            None => {
                self.fields.insert(key.to_owned(), value);
            }
        }
        self.mark_changed(key);
        Ok(())
    }

    /// Notes `key` for the commit of a stored session (a new one is written whole).
    fn mark_changed(&mut self, key: &str) {
        let stored = matches!(self.status, SessionStatus::Changed | SessionStatus::Renewed);
        if stored && !self.changed.contains(key) {
            self.changed.insert(key.to_owned());
        }
    }

    /// Removes `key`; returns its JSON text if it was there.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let old = self.fields.remove(key)?;
        if self.status == SessionStatus::Unchanged {
            self.status = SessionStatus::Changed;
        }
        self.mark_changed(key);
        Some(old)
    }

    /// Removes every key; the session itself (and its id) stays.
    pub fn clear(&mut self) {
        let keys: Vec<String> = self.fields.keys().cloned().collect();
        for key in keys {
            self.remove(&key);
        }
    }

    /// Gives the session a new id, keeping its data, its creation time and its slot tag
    /// (given to `mint`). Does nothing when there is no session to rotate.
    pub fn cycle_id<E>(
        &mut self,
        mint: impl FnOnce(u64, Option<SlotTag>) -> Result<SessionId, E>,
    ) -> Result<(), E> {
        // No id: a new session holding nothing yet, or a destroyed one.
        let Some(current) = &self.id else { return Ok(()) };
        self.id = Some(mint(current.created_ms(), Some(current.tag()))?);
        if let SessionStatus::Unchanged | SessionStatus::Changed = self.status {
            self.status = SessionStatus::Renewed;
        }
        Ok(())
    }

    /// Ends the session: its data goes, the stored record is deleted at commit.
    pub fn destroy(&mut self) {
        if let Some(stored) = self.stored.take() {
            self.purge = Some(stored);
        }
        self.fields.clear();
        self.changed.clear();
        self.rebind = None;
        self.id = None;
        self.status = match self.purge {
            Some(_) => SessionStatus::Purged,
            None => SessionStatus::New,
        };
    }

    fn mark_written<E>(
        &mut self,
        now_ms: u64,
        mint: impl FnOnce(u64, Option<SlotTag>) -> Result<SessionId, E>,
    ) -> Result<(), E> {
        match self.status {
            SessionStatus::Unchanged => self.status = SessionStatus::Changed,
            SessionStatus::Changed | SessionStatus::Renewed => {}
            SessionStatus::New | SessionStatus::Purged if self.id.is_none() => {
                // A session replacing a destroyed one shares its slot: the delete and the
                // create are one step on a Redis Cluster too.
                self.id = Some(mint(now_ms, self.purge.as_ref().map(SessionId::tag))?);
                self.status = SessionStatus::New;
            }
            SessionStatus::New | SessionStatus::Purged => {}
        }
        Ok(())
    }

    /// The changed keys in order with their new values (`None`: removed), moved out of
    /// `fields`.
    fn take_changes(&mut self) -> Changes {
        let changed = std::mem::take(&mut self.changed);
        let mut changes = Changes::with_capacity(changed.len());
        for key in changed {
            let value = self.fields.remove(&key);
            changes.push((key, value));
        }
        changes
    }

    /// Whether the commit involves a user's index: anything but a plain save (or no
    /// write) of a session whose tie stays as it is.
    fn is_bound_commit(&self) -> bool {
        let plain = matches!(self.status, SessionStatus::Unchanged | SessionStatus::Changed)
            && self.rebind.is_none();
        !plain && (self.stored_binding().is_some() || self.bound().is_some())
    }

    /// The commit of a session that is, or becomes, bound to a user.
    fn into_bound_commit(mut self) -> (Commit, CookieChange) {
        let before = self.stored_binding().cloned();
        let after = self.bound().cloned();
        let exists = self.exists();
        let carry = self.status == SessionStatus::Renewed;
        let old = self.stored.take().or(self.purge.take());
        let new = self.id.take().filter(|_| exists);
        let mut changes = match carry {
            true => {
                let changed = std::mem::take(&mut self.changed);
                changed
                    .into_iter()
                    .map(|k| {
                        let value = self.fields.get(&k).cloned();
                        (k, value)
                    })
                    .collect()
            }
            false => Changes::new(),
        };
        let mut fields = std::mem::take(&mut self.fields);
        if let Some(after) = &after {
            fields.insert(BINDING_FIELD.to_owned(), after.field_json());
        }
        if before != after {
            let value = after.as_ref().map(Binding::field_json);
            // Reserved keys sort first.
            changes.insert(0, (BINDING_FIELD.to_owned(), value));
        }
        let cookie = match &new {
            None => CookieChange::Remove,
            Some(new) if old.as_ref() != Some(new) => CookieChange::Set(new.clone()),
            Some(_) => CookieChange::Keep,
        };
        let write = BoundWrite { old, new, carry, changes, fields, unbind: before, bind: after };
        (Commit::Bound(Box::new(write)), cookie)
    }

    /// What to write, and what the visitor's cookie must become once it is written.
    pub fn into_commit(mut self) -> (Commit, CookieChange) {
        if self.is_bound_commit() {
            return self.into_bound_commit();
        }
        let changes = match self.status {
            SessionStatus::Changed | SessionStatus::Renewed => self.take_changes(),
            SessionStatus::Unchanged | SessionStatus::New | SessionStatus::Purged => Changes::new(),
        };
        let stale = match self.client_cookie {
            true => CookieChange::Remove,
            false => CookieChange::Keep,
        };
        match (self.status, self.stored, self.id, self.purge) {
            (SessionStatus::Unchanged, ..) => (Commit::Nothing, CookieChange::Keep),
            (SessionStatus::Changed, Some(id), ..) => {
                (Commit::Update { id, changes }, CookieChange::Keep)
            }
            (SessionStatus::Renewed, Some(old), Some(new), _) => {
                let cookie = CookieChange::Set(new.clone());
                (Commit::Renew { old, new, changes }, cookie)
            }
            (SessionStatus::New, _, Some(id), purge) if !self.fields.is_empty() => {
                let fields = self.fields;
                let cookie = CookieChange::Set(id.clone());
                match purge {
                    Some(old) => (Commit::Replace { old, id, fields }, cookie),
                    None => (Commit::Create { id, fields }, cookie),
                }
            }
            (SessionStatus::New | SessionStatus::Purged, _, _, Some(id)) => {
                (Commit::Delete { id }, CookieChange::Remove)
            }
            (SessionStatus::New | SessionStatus::Purged, _, _, None) => (Commit::Nothing, stale),
            // Changed and Renewed always have a stored id (and Renewed a new one).
            (SessionStatus::Changed | SessionStatus::Renewed, ..) => {
                (Commit::Nothing, CookieChange::Keep)
            }
        }
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
