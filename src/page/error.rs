//! Error pages at the edge: the cause is logged, the visitor sees a status and one short
//! sentence (HTML, or JSON under `/api/`), never internals.

use std::borrow::Cow;
use std::io::Cursor;

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::{Json, json};
use rocket::{Catcher, Request, Response, catch, catchers};
use rocket_dyn_templates::{Template, context};

use rocket_redis_sessions::SessionError;

const UNAVAILABLE: &str = "Sessions are unavailable right now. Please try again in a moment.";

/// An error answer: a status and a message fit for visitors.
#[derive(Debug)]
pub struct ErrorResponse {
    status: Status,
    message: Cow<'static, str>,
}

impl ErrorResponse {
    /// An error page with `status` and `message`.
    pub fn new(status: Status, message: impl Into<Cow<'static, str>>) -> Self {
        Self { status, message: message.into() }
    }
}

impl From<SessionError> for ErrorResponse {
    fn from(e: SessionError) -> Self {
        let status = e.status();
        let message = match &e {
            SessionError::TooLarge { .. } | SessionError::TooManyKeys { .. } => {
                "Your session is full: remove something first."
            }
            SessionError::InvalidKey(_) => "That key cannot be used.",
            SessionError::Deserialize { .. } => {
                "A value in your session does not have the expected type."
            }
            SessionError::Unavailable => UNAVAILABLE,
            SessionError::Index(_) => {
                "Your sessions could not be read or ended right now. Nothing was lost: try \
                 again in a moment."
            }
            SessionError::Serialize { .. } | SessionError::Rng(_) | SessionError::NotAttached => {
                "Something went wrong on our side."
            }
        };
        if status.class().is_server_error() {
            rocket::error!("session error: {e}");
        } else {
            rocket::info!("session error: {e}");
        }
        Self::new(status, message)
    }
}

fn wants_json(req: &Request<'_>) -> bool {
    req.uri().path().starts_with("/api/")
        || req.accept().is_some_and(|accept| accept.preferred().is_json())
}

impl<'r> Responder<'r, 'static> for ErrorResponse {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let code = self.status.code;
        if wants_json(req) {
            let body = json!({ "error": self.message, "status": code });
            return (self.status, Json(body)).respond_to(req);
        }
        let reason = self.status.reason().unwrap_or("Error");
        let page = Template::render(
            "error/page",
            context! { code, reason, message: self.message, title: reason },
        );
        (self.status, page).respond_to(req)
    }
}

/// The answer when a session could not be saved after its handler: a 503 page when the
/// store failed, a 413 page when the save would have taken the session past its limits.
pub fn save_failed(req: &Request<'_>, status: Status) -> Response<'static> {
    let message = match status.code {
        413 => FULL,
        _ => UNAVAILABLE,
    };
    ErrorResponse::new(status, message).respond_to(req).unwrap_or_else(|_| {
        Response::build()
            .status(status)
            .header(ContentType::Plain)
            .sized_body(message.len(), Cursor::new(message))
            .finalize()
    })
}

/// What a visitor reads when simultaneous requests would take the session past its limits.
const FULL: &str = "Your session is full, so this change was not saved. Delete some keys and try \
                    again.";

#[catch(default)]
fn default(status: Status, _req: &Request<'_>) -> ErrorResponse {
    let message = match status.code {
        404 => "There is nothing at this address.",
        503 => UNAVAILABLE,
        400 | 422 => "The request could not be understood.",
        403 => "You are not allowed to do that.",
        413 => "The request is too large.",
        500..=599 => "Something went wrong on our side. Please try again.",
        _ => "The request could not be served.",
    };
    ErrorResponse::new(status, message)
}

/// Every catcher of the app.
pub fn catchers() -> Vec<Catcher> {
    catchers![default]
}
