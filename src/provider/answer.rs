//! The JSON answers of the token and userinfo endpoints: never cached (RFC 6749 §5.1), and
//! on failure an RFC 6749 §5.2 / RFC 6750 §3.1 error body with its challenge header.

use rocket::http::{Header, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{Request, Response};
use serde_json::{Value, json};

use super::ProviderError;

/// A JSON answer with `Cache-Control: no-store` and `Pragma: no-cache`.
#[derive(Debug)]
pub(super) struct JsonAnswer {
    status: Status,
    body: Value,
    challenge: Option<String>,
}

impl JsonAnswer {
    /// 200 with `body`.
    pub(super) fn ok(body: Value) -> Self {
        Self { status: Status::Ok, body, challenge: None }
    }

    /// `status` with `{"error": error, "error_description": description}`. The description
    /// is for developers and never says more than the error code does about secrets.
    pub(super) fn error(status: Status, error: &'static str, description: &'static str) -> Self {
        let body = json!({ "error": error, "error_description": description });
        Self { status, body, challenge: None }
    }

    /// 503 for a grant store that failed; the cause goes to the log only.
    pub(super) fn unavailable(e: &ProviderError) -> Self {
        rocket::error!("provider: {e}");
        Self::error(
            Status::ServiceUnavailable,
            "temporarily_unavailable",
            "the authorization server cannot serve this request right now",
        )
    }

    /// Adds `WWW-Authenticate: challenge` (with 401 answers).
    pub(super) fn challenge(mut self, challenge: impl Into<String>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }
}

impl<'r> Responder<'r, 'static> for JsonAnswer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build_from(Json(self.body).respond_to(req)?);
        response.status(self.status);
        response.header(Header::new("Cache-Control", "no-store"));
        response.header(Header::new("Pragma", "no-cache"));
        if let Some(challenge) = self.challenge {
            response.header(Header::new("WWW-Authenticate", challenge));
        }
        response.ok()
    }
}
