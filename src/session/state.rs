//! The per-request session state machine: what the handler did, and what must be
//! committed to the store once the response is known.
//!
//! ```text
//!   load ──found──▶ Unchanged ──insert/remove──▶ Changed
//!     │                 │  └──────cycle_id──────▶ Renewed ◀── cycle_id ── Changed
//!     └─missing──▶ New  └──────destroy─────────▶ Purged  ◀── destroy ── Changed/Renewed
//!                                                  └── insert ──▶ New (old id still deleted)
//! ```
//! Nothing here does I/O or touches cookies: a transition that gives the visitor a new id
//! returns it, and the caller sets the cookie while the handler still runs.

use super::SessionId;
use super::store::{Changes, Fields, Record};

/// What happened to the session during this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
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
    Create { id: SessionId, record: Record },
    /// Write the changed fields of an existing session, if it still exists.
    Update { id: SessionId, changes: Changes },
    /// Move an existing session to a new id with its changes.
    Renew { old: SessionId, new: SessionId, changes: Changes },
    /// Delete a session.
    Delete { id: SessionId },
    /// Delete a destroyed session and create its successor (sign-out with a flash message).
    Replace { old: SessionId, id: SessionId, record: Record },
}

/// A request's view of its session.
#[derive(Debug)]
pub struct State {
    status: Status,
    /// Id whose record the store held at load time.
    stored: Option<SessionId>,
    /// Id the visitor holds once this response arrives.
    id: Option<SessionId>,
    /// Stored id to delete because the session was destroyed.
    purge: Option<SessionId>,
    created_ms: u64,
    fields: Fields,
    changes: Changes,
}

impl State {
    /// A session loaded from the store under `id`.
    pub fn loaded(id: SessionId, record: Record) -> Self {
        Self {
            status: Status::Unchanged,
            stored: Some(id.clone()),
            id: Some(id),
            purge: None,
            created_ms: record.created_ms,
            fields: record.fields,
            changes: Changes::new(),
        }
    }

    /// No session in the store: an empty one, created at commit if it gets data.
    pub fn fresh(now_ms: u64) -> Self {
        Self {
            status: Status::New,
            stored: None,
            id: None,
            purge: None,
            created_ms: now_ms,
            fields: Fields::new(),
            changes: Changes::new(),
        }
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Creation time in ms since the Unix epoch (of the session to be created, if new).
    pub fn created_ms(&self) -> u64 {
        self.created_ms
    }

    /// The data.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Whether a record exists (or will, once committed) for the visitor.
    pub fn exists(&self) -> bool {
        match self.status {
            Status::Unchanged | Status::Changed | Status::Renewed => true,
            Status::New => !self.fields.is_empty(),
            Status::Purged => false,
        }
    }

    /// Sets `key` to the JSON text `value`. Returns a newly minted id when the visitor
    /// must now get a cookie; `Ok(None)` when nothing changed or the cookie is in place.
    pub fn insert<E>(
        &mut self,
        key: &str,
        value: String,
        now_ms: u64,
        mint: impl FnOnce() -> Result<SessionId, E>,
    ) -> Result<Option<SessionId>, E> {
        if self.fields.get(key) == Some(&value) {
            return Ok(None);
        }
        let minted = self.mark_written(now_ms, mint)?;
        self.changes.insert(key.to_owned(), Some(value.clone()));
        self.fields.insert(key.to_owned(), value);
        Ok(minted)
    }

    /// Removes `key`; returns its JSON text if it was there.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let old = self.fields.remove(key)?;
        self.changes.insert(key.to_owned(), None);
        if self.status == Status::Unchanged {
            self.status = Status::Changed;
        }
        Some(old)
    }

    /// Removes every key; the session itself (and its id) stays.
    pub fn clear(&mut self) {
        let keys: Vec<String> = self.fields.keys().cloned().collect();
        for key in keys {
            self.remove(&key);
        }
    }

    /// Gives the session a new id, keeping its data. Returns the id the cookie must now
    /// carry, or `None` when there is no session to rotate.
    pub fn cycle_id<E>(
        &mut self,
        mint: impl FnOnce() -> Result<SessionId, E>,
    ) -> Result<Option<SessionId>, E> {
        match self.status {
            Status::Unchanged | Status::Changed | Status::Renewed => {
                self.status = Status::Renewed;
            }
            Status::New if self.id.is_some() => {}
            Status::New | Status::Purged => return Ok(None),
        }
        let id = mint()?;
        self.id = Some(id.clone());
        Ok(Some(id))
    }

    /// Ends the session: its data goes, the stored record is deleted at commit. Returns
    /// whether the visitor held a session cookie that must now be removed.
    pub fn destroy(&mut self) -> bool {
        if let Some(stored) = self.stored.take() {
            self.purge = Some(stored);
        }
        self.fields.clear();
        self.changes.clear();
        let had_cookie = self.id.take().is_some();
        self.status = match self.purge {
            Some(_) => Status::Purged,
            None => Status::New,
        };
        had_cookie
    }

    fn mark_written<E>(
        &mut self,
        now_ms: u64,
        mint: impl FnOnce() -> Result<SessionId, E>,
    ) -> Result<Option<SessionId>, E> {
        match self.status {
            Status::Unchanged => self.status = Status::Changed,
            Status::Changed | Status::Renewed => {}
            Status::New | Status::Purged if self.id.is_none() => {
                let id = mint()?;
                self.status = Status::New;
                self.created_ms = now_ms;
                self.id = Some(id.clone());
                return Ok(Some(id));
            }
            Status::New | Status::Purged => {}
        }
        Ok(None)
    }

    /// What to write, and whether the visitor's session cookie set during this request
    /// points at nothing and must not be sent.
    pub fn into_commit(self) -> (Commit, bool) {
        let record = |fields| Record { created_ms: self.created_ms, fields };
        match (self.status, self.stored, self.id, self.purge) {
            (Status::Unchanged, ..) => (Commit::Nothing, false),
            (Status::Changed, Some(id), ..) => {
                (Commit::Update { id, changes: self.changes }, false)
            }
            (Status::Renewed, Some(old), Some(new), _) => {
                (Commit::Renew { old, new, changes: self.changes }, false)
            }
            (Status::New, _, Some(id), purge) if !self.fields.is_empty() => {
                let record = record(self.fields);
                match purge {
                    Some(old) => (Commit::Replace { old, id, record }, false),
                    None => (Commit::Create { id, record }, false),
                }
            }
            (Status::New | Status::Purged, _, id, purge) => {
                let commit = purge.map_or(Commit::Nothing, |id| Commit::Delete { id });
                (commit, id.is_some())
            }
            // Changed and Renewed always have a stored id (and Renewed a new one).
            (Status::Changed | Status::Renewed, ..) => (Commit::Nothing, false),
        }
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
