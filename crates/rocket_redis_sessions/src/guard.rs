//! The [`Session`] request guard: loads the session on first use, then lets the handler
//! read and change it.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocket::http::{CookieJar, HeaderMap, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Ignite, Rocket, Sentinel};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::layer::{CsrfCookie, SessionLayer, Slot};
use crate::state::{SessionStatus, State};
use crate::store::{Binding, Ending, UserKey, UserSession, is_handle, now_ms};
use crate::{SessionError, SessionId, device_label};

/// The visitor's session. Take it as a handler argument; only routes that do so touch the
/// store, once per request however many guards ask for it.
///
/// Changes are saved by [`SessionFairing`](crate::SessionFairing) after the handler, in
/// one store operation, only if something changed and the response is not a 5xx; the
/// cookie follows what was saved. A response to a request that loaded its session gets
/// `Cache-Control: no-store`, unless the handler set a `Cache-Control` of its own. A route taking `Session` (or `Option<Session>`) in an
/// app without the fairing stops the launch (this type is a [`Sentinel`]).
///
/// ```rust,no_run
/// # use rocket::get;
/// use rocket_redis_sessions::{Session, SessionError};
///
/// #[get("/visits")]
/// fn visits(session: Session<'_>) -> Result<String, SessionError> {
///     let n = session.get::<u64>("visits")?.unwrap_or(0) + 1;
///     session.insert("visits", &n)?;
///     Ok(format!("visit number {n}"))
/// }
/// ```
pub struct Session<'r> {
    layer: &'r SessionLayer,
    state: &'r Mutex<State>,
    csrf: &'r Mutex<CsrfCookie>,
    jar: &'r CookieJar<'r>,
    /// The request's headers, read only by [`Session::bind_user`] (the User-Agent).
    headers: &'r HeaderMap<'r>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session<'r> {
    type Error = SessionError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        // The sentinel below stops an app whose routes take `Session` without the layer;
        // a guard of the app's own that asks for `Session` is not in any route's
        // signature, so it can still get here.
        let Some(layer) = req.rocket().state::<SessionLayer>() else {
            rocket::error!("the Session guard was used, but SessionFairing is not attached");
            return Outcome::Error((Status::InternalServerError, SessionError::NotAttached));
        };
        let slot = req.local_cache(Slot::default);
        let jar = req.cookies();
        let loaded = slot.loaded.get_or_init(|| load(layer, jar)).await;
        match loaded {
            Some(state) => {
                let headers = req.headers();
                Outcome::Success(Session { layer, state, csrf: &slot.csrf, jar, headers })
            }
            None => Outcome::Error((Status::ServiceUnavailable, SessionError::Unavailable)),
        }
    }
}

/// A route that takes `Session` in an app without the session layer stops the launch,
/// instead of answering 500 to every request.
impl Sentinel for Session<'_> {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        let missing = rocket.state::<SessionLayer>().is_none();
        if missing {
            rocket::error!(
                "a route takes `Session`, but the session layer is not attached: attach the \
                 pool, then `SessionFairing::redis::<YourDb>()` (or \
                 `SessionFairing::with_store(...)`), e.g. \
                 `.attach(YourDb::init()).attach(SessionFairing::redis::<YourDb>())`"
            );
        }
        missing
    }
}

async fn load(layer: &SessionLayer, jar: &CookieJar<'_>) -> Option<Mutex<State>> {
    let cookie = jar.get(&layer.config().cookie_name);
    let Some(id) = cookie.and_then(|c| SessionId::parse(c.value())) else {
        return Some(Mutex::new(State::fresh(cookie.is_some())));
    };
    match layer.load(&id).await {
        Ok(Some(fields)) => Some(Mutex::new(State::loaded(id, fields))),
        // Unknown, expired or forged: never adopted; the fairing removes the cookie.
        Ok(None) => Some(Mutex::new(State::fresh(true))),
        Err(e) => {
            rocket::error!("cannot load the session: {e}");
            None
        }
    }
}

fn check_key(key: &str) -> Result<(), SessionError> {
    match key.is_empty() || key.starts_with('\0') {
        true => Err(SessionError::InvalidKey(key.to_owned())),
        false => Ok(()),
    }
}

impl Session<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        // State transitions do not panic half-way; a poisoned lock still holds valid state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value of `key`, or `None` when the session has no such key.
    ///
    /// # Errors
    /// [`SessionError::Deserialize`] when the stored JSON is not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let state = self.lock();
        let Some(json) = state.fields().get(key) else {
            return Ok(None);
        };
        serde_json::from_str(json)
            .map(Some)
            .map_err(|source| SessionError::Deserialize { key: key.to_owned(), source })
    }

    /// Sets `key` to `value`. Storing the value already there changes nothing. The first
    /// write to a new session mints its id; the visitor gets the cookie once it is saved.
    ///
    /// # Errors
    /// [`SessionError::InvalidKey`] for an empty or reserved key,
    /// [`SessionError::Serialize`] when `value` has no JSON form, [`SessionError::TooLarge`]
    /// past `max_bytes`, [`SessionError::TooManyKeys`] past `max_keys`,
    /// [`SessionError::Rng`] when no id can be minted. (Requests writing to one session at
    /// once are checked again by the store as it saves: see
    /// [`SessionFairing`](crate::SessionFairing).)
    pub fn insert<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), SessionError> {
        check_key(key)?;
        let json = serde_json::to_string(value)
            .map_err(|source| SessionError::Serialize { key: key.to_owned(), source })?;
        let mut state = self.lock();
        let config = self.layer.config();
        let others: usize =
            state.fields().iter().filter(|(k, _)| *k != key).map(|(k, v)| k.len() + v.len()).sum();
        if others + key.len() + json.len() > config.max_bytes {
            return Err(SessionError::TooLarge { limit: config.max_bytes });
        }
        if !state.fields().contains_key(key) && state.fields().len() >= config.max_keys {
            return Err(SessionError::TooManyKeys { limit: config.max_keys });
        }
        state.insert(key, json, now_ms(), SessionId::generate)?;
        Ok(())
    }

    /// Whether the session is in the store, or will be once this request ends (it holds
    /// data).
    pub(crate) fn exists(&self) -> bool {
        self.lock().exists()
    }

    /// What this response does to the CSRF cookie (see [`crate::csrf`]).
    pub(crate) fn csrf_cookie(&self) -> MutexGuard<'_, CsrfCookie> {
        self.csrf.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token the request's CSRF cookie carries, if it has a token's shape (read only
    /// when a page or form asks: routes that do not pay for it).
    pub(crate) fn csrf_cookie_token(&self) -> Option<String> {
        let cookie = self.jar.get(self.layer.csrf_cookie_name())?;
        crate::csrf::is_token(cookie.value()).then(|| cookie.value().to_owned())
    }

    /// Removes `key`; returns whether it was there.
    pub fn remove(&self, key: &str) -> bool {
        self.lock().remove(key).is_some()
    }

    /// Removes `key` and returns its value, in one step (single-use values such as flash
    /// messages and OAuth transactions).
    ///
    /// # Errors
    /// [`SessionError::Deserialize`] when the stored JSON is not a `T`; the key is removed
    /// all the same.
    pub fn take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let Some(json) = self.lock().remove(key) else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|source| SessionError::Deserialize { key: key.to_owned(), source })
    }

    /// Removes every key. The session and its id stay.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Gives the session a new id and keeps its data; the old id stops working once the
    /// response is sent. Call it whenever privileges change (sign-in, sign-out).
    ///
    /// # Errors
    /// [`SessionError::Rng`] when no id can be minted.
    pub fn cycle_id(&self) -> Result<(), SessionError> {
        self.lock().cycle_id(SessionId::generate)?;
        Ok(())
    }

    /// Ends the session: its data is deleted from the store and its cookie removed. Writes
    /// after this start a new session with a new id.
    pub fn destroy(&self) {
        self.lock().destroy();
    }

    /// What happened to the session so far in this request.
    pub fn status(&self) -> SessionStatus {
        self.lock().status()
    }

    /// Whether the session is not (yet) in the store.
    pub fn is_new(&self) -> bool {
        matches!(self.status(), SessionStatus::New)
    }

    /// When the session was created; `None` while it holds nothing and does not exist.
    pub fn created_at(&self) -> Option<SystemTime> {
        let state = self.lock();
        let id = state.id().filter(|_| state.exists())?;
        Some(UNIX_EPOCH + Duration::from_millis(id.created_ms()))
    }

    /// When the session will expire if it is not used again: the idle timeout from now,
    /// cut short by the absolute lifetime. `None` while it does not exist.
    pub fn expires_at(&self) -> Option<SystemTime> {
        let config = self.layer.config();
        let created = self.created_at()?;
        let idle = SystemTime::now().checked_add(config.idle())?;
        Some(idle.min(created.checked_add(config.absolute())?))
    }

    /// The id the visitor holds once this response arrives, shortened to its first six
    /// and last four characters (`"P6lq3V…AAAE"`): enough to tell sessions apart on a page
    /// or in a support request, far too little to use. The start is the slot tag (kept by a
    /// [`cycle_id`](Self::cycle_id)) and then random (changed by it); the end encodes the
    /// creation time, which a rotation keeps. `None` while the session has no id (nothing
    /// stored yet).
    pub fn id_hint(&self) -> Option<String> {
        let state = self.lock();
        let id = state.id()?.encode();
        Some(format!("{}…{}", &id[..6], &id[id.len() - 4..]))
    }

    /// The start of the session's Redis key (`key_prefix` and the first twelve hex digits
    /// of the id's SHA-256, then `…`): what to look for in `redis-cli --scan`. (The memory
    /// store keeps sessions by id, under no such key.) `None` while the session has no
    /// id.
    pub fn storage_key_hint(&self) -> Option<String> {
        let state = self.lock();
        let prefix = &self.layer.config().key_prefix;
        let key = state.id()?.storage_key(prefix);
        Some(format!("{}…", &key[..prefix.len() + 12]))
    }

    /// Ties the session to the user `user_id` (any stable id of the app's: a database id,
    /// a provider's subject; only its SHA-256 is stored) and gives it a new id, as a
    /// sign-in should. Once this response is sent the session is in the user's index,
    /// with a label of this device read from its User-Agent, and
    /// [`user_sessions`](Self::user_sessions) lists it on the user's other devices. A
    /// session without data is created by it.
    ///
    /// ```rust,no_run
    /// use rocket::post;
    /// use rocket::response::Redirect;
    /// use rocket_redis_sessions::{Session, SessionError};
    ///
    /// #[post("/signed-in")] // after your own check of the password or the OAuth answer
    /// fn signed_in(session: Session<'_>) -> Result<Redirect, SessionError> {
    ///     session.insert("user", "42")?;
    ///     session.bind_user("42")?; // a new id, and an entry in user 42's index
    ///     Ok(Redirect::to("/"))
    /// }
    ///
    /// #[post("/sessions/others/end")]
    /// async fn end_others(session: Session<'_>) -> Result<String, SessionError> {
    ///     let ended = session.end_other_user_sessions().await?;
    ///     Ok(format!("signed out {ended} other sessions"))
    /// }
    /// ```
    ///
    /// # Errors
    /// [`SessionError::Rng`] when no id or handle can be minted.
    pub fn bind_user(&self, user_id: &str) -> Result<(), SessionError> {
        let device = device_label(self.headers.get_one("User-Agent"));
        let binding = Binding::new(UserKey::new(user_id), &device)?;
        self.lock().bind(binding, now_ms(), SessionId::generate)?;
        Ok(())
    }

    /// Unties the session from its user (a sign-out that keeps the session) and gives it a
    /// new id; its entry leaves the user's index. Nothing happens to a session without a
    /// user.
    ///
    /// # Errors
    /// [`SessionError::Rng`] when no id can be minted.
    pub fn unbind_user(&self) -> Result<(), SessionError> {
        self.lock().unbind(SessionId::generate)?;
        Ok(())
    }

    /// Whether the session is tied to a user (once this request is committed).
    pub fn is_bound(&self) -> bool {
        self.lock().bound().is_some()
    }

    /// This session's handle in its user's index: what [`UserSession::handle`] says of it.
    pub fn user_handle(&self) -> Option<String> {
        self.lock().bound().map(|b| b.handle.clone())
    }

    /// The live sessions of this session's user, oldest first, this one marked
    /// [`current`](UserSession::current); empty for a session without a user. Costs a
    /// store read (two Redis round trips), so call it on the page that shows them only.
    ///
    /// # Errors
    /// [`SessionError::Index`] when the store fails.
    pub async fn user_sessions(&self) -> Result<Vec<UserSession>, SessionError> {
        let Some(binding) = self.lock().bound().cloned() else { return Ok(Vec::new()) };
        let store = self.layer.store();
        let mut sessions = store.user_sessions(&binding.user).await.map_err(SessionError::Index)?;
        for session in &mut sessions {
            session.current = session.handle == binding.handle;
        }
        Ok(sessions)
    }

    /// Ends the user's session with handle `handle` at once (it is gone for the device
    /// that held it; a request in flight on it cannot bring it back). When it is this
    /// one, this session is destroyed too. Returns whether it was live; a handle of no
    /// session of this user (or not of a handle's form) ends nothing.
    ///
    /// # Errors
    /// [`SessionError::Index`] when the store fails.
    pub async fn end_user_session(&self, handle: &str) -> Result<bool, SessionError> {
        let Some(binding) = self.lock().bound().cloned() else { return Ok(false) };
        if !is_handle(handle) {
            return Ok(false);
        }
        let which = Ending::One(handle.to_owned());
        let ended = self.end_sessions(&binding, &which).await?;
        if handle == binding.handle {
            self.destroy();
        }
        Ok(ended > 0)
    }

    /// Ends every session of the user but this one ("sign out everywhere else"). Returns
    /// how many were live.
    ///
    /// # Errors
    /// [`SessionError::Index`] when the store fails.
    pub async fn end_other_user_sessions(&self) -> Result<usize, SessionError> {
        let Some(binding) = self.lock().bound().cloned() else { return Ok(0) };
        self.end_sessions(&binding, &Ending::AllBut(binding.handle.clone())).await
    }

    /// Ends every session of the user, this one included (destroyed). Returns how many
    /// were live.
    ///
    /// # Errors
    /// [`SessionError::Index`] when the store fails.
    pub async fn end_all_user_sessions(&self) -> Result<usize, SessionError> {
        let Some(binding) = self.lock().bound().cloned() else { return Ok(0) };
        let ended = self.end_sessions(&binding, &Ending::All).await?;
        self.destroy();
        Ok(ended)
    }

    async fn end_sessions(&self, binding: &Binding, which: &Ending) -> Result<usize, SessionError> {
        let store = self.layer.store();
        store.end_user_sessions(&binding.user, which).await.map_err(SessionError::Index)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.keys_where(|_| true)
    }

    /// The keys for which `keep` is true, sorted (the app's own keys, say); only those
    /// are copied.
    pub fn keys_where(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        self.lock().fields().keys().filter(|key| keep(key)).cloned().collect()
    }

    /// Every key with its value, sorted by key.
    pub fn entries(&self) -> Vec<(String, serde_json::Value)> {
        let state = self.lock();
        let entries = state.fields().iter();
        entries.filter_map(|(k, v)| Some((k.clone(), serde_json::from_str(v).ok()?))).collect()
    }

    /// The whole session as one JSON object text, keys sorted.
    pub fn to_json(&self) -> String {
        self.to_json_where(|_| true)
    }

    /// The keys for which `keep` is true, with their values, as one JSON object text,
    /// keys sorted (to leave out the app's own keys, say).
    pub fn to_json_where(&self, keep: impl Fn(&str) -> bool) -> String {
        let state = self.lock();
        let fields = state.fields();
        let size = fields.iter().map(|(k, v)| k.len() + v.len() + 4).sum::<usize>();
        let mut out = Vec::with_capacity(2 + size);
        out.push(b'{');
        for (i, (key, value)) in fields.iter().filter(|(key, _)| keep(key)).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // The key as a JSON string; writing a `String` into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut out, key);
            out.push(b':');
            // Stored values were checked to be JSON when loaded or inserted.
            out.extend_from_slice(value.as_bytes());
        }
        out.push(b'}');
        // Only UTF-8 went in.
        String::from_utf8(out).unwrap_or_default()
    }
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("status", &self.status()).finish_non_exhaustive()
    }
}
