//! What every HTML page shares: the context around its content (the flash message, the
//! CSRF token for its forms, the store in use and who is signed in), the CSRF check of its
//! forms, and the error pages ([`ErrorResponse`]).

mod app_keys;
mod error;

use rocket::http::Status;
use rocket_redis_sessions::flash::{self, Flash};
use rocket_redis_sessions::{Session, SessionError, SessionLayer, csrf};
use serde::Serialize;

pub use self::app_keys::{
    AppKeyView, AppKeys, Describe, Described, app_entries, is_app_key, rfc3339,
};
pub use self::error::{ErrorResponse, catchers, save_failed};
use crate::user::SignedInUser;

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
            csrf_token: csrf::token(session)?,
            store: layer.store_name(),
            fallback: layer.is_fallback(),
            user: SignedInUser::get(session),
        })
    }
}

/// Checks a form's CSRF token against the session's: a form without the right one gets
/// 403 and changes nothing.
///
/// # Errors
/// The 403 page, which asks the visitor to reload and try again.
pub fn check_csrf(session: &Session<'_>, token: Option<&str>) -> Result<(), ErrorResponse> {
    match token.is_some_and(|token| csrf::verify(session, token)) {
        true => Ok(()),
        false => {
            rocket::info!("a form without a valid CSRF token was refused");
            Err(ErrorResponse::new(
                Status::Forbidden,
                "This form has expired or did not come from this site. Go back, reload the \
                 page and try again.",
            ))
        }
    }
}
