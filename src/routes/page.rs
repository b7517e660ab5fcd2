//! What every HTML page shows around its content: the flash message, the CSRF token for
//! its forms, the store in use and who is signed in.

use serde::Serialize;

use crate::flash::{self, Flash};
use crate::oauth::SignedInUser;
use crate::session::{Session, SessionError, SessionLayer};

/// The shared part of a page's template context (`page.*` in the templates).
#[derive(Debug, Serialize)]
pub struct Common {
    /// The one-time message left by the previous request.
    pub flash: Option<Flash>,
    /// The token every form on the page carries.
    pub csrf_token: String,
    /// `"redis"` or `"memory"`.
    pub store: &'static str,
    /// Whether `store = "auto"` fell back to memory.
    pub fallback: bool,
    /// Who is signed in.
    pub user: Option<SignedInUser>,
}

impl Common {
    /// Takes the flash message and makes sure the session has a CSRF token.
    ///
    /// # Errors
    /// The session's error when the token cannot be stored.
    pub fn new(session: &Session<'_>, layer: &SessionLayer) -> Result<Self, SessionError> {
        Ok(Self {
            flash: flash::take(session),
            csrf_token: crate::csrf::token(session)?,
            store: layer.store().name(),
            fallback: layer.is_fallback(),
            user: SignedInUser::get(session),
        })
    }
}
