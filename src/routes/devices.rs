//! "Your sessions": the signed-in user's sessions on every device, with forms to end one
//! or all the others. Each form checks the CSRF token (403 and no change without it) and
//! answers 303 to `/` with a flash message.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Route, post, routes};
use serde::Serialize;

use rocket_redis_sessions::Session;
use rocket_redis_sessions::flash::{self, Kind};
use rocket_redis_sessions::store::is_handle;

use crate::page::{ErrorResponse, check_csrf, rfc3339};

/// One session of the user, as the dashboard lists it.
#[derive(Debug, Serialize)]
pub(super) struct Device {
    handle: String,
    device: String,
    /// RFC 3339 times.
    created: Option<String>,
    last_seen: Option<String>,
    current: bool,
}

/// The signed-in user's sessions, for the dashboard.
#[derive(Debug, Serialize)]
pub(super) struct Devices {
    list: Vec<Device>,
    /// Set when the list could not be read (the store failed): the page says so instead
    /// of failing whole.
    error: Option<&'static str>,
}

/// The sessions of the session's user; `None` when no user is signed in on it.
pub(super) async fn devices(session: &Session<'_>) -> Option<Devices> {
    if !session.is_bound() {
        return None;
    }
    match session.user_sessions().await {
        Ok(sessions) => {
            let list = sessions
                .into_iter()
                .map(|s| Device {
                    created: rfc3339(s.created()),
                    last_seen: rfc3339(s.last_seen()),
                    handle: s.handle,
                    device: s.device,
                    current: s.current,
                })
                .collect();
            Some(Devices { list, error: None })
        }
        Err(e) => {
            rocket::error!("cannot list the user's sessions: {e}");
            let error = "Your sessions cannot be listed right now; try again in a moment.";
            Some(Devices { list: Vec::new(), error: Some(error) })
        }
    }
}

#[derive(FromForm)]
struct EndForm<'r> {
    #[field(default = "")]
    csrf_token: &'r str,
    #[field(default = "")]
    handle: &'r str,
}

#[derive(FromForm)]
struct TokenForm<'r> {
    #[field(default = "")]
    csrf_token: &'r str,
}

/// The answer to a form of a visitor who is not signed in (any more: another device may
/// have signed this one out).
fn not_signed_in(session: &Session<'_>) -> Result<Redirect, ErrorResponse> {
    flash::set(session, Kind::Error, "You are not signed in, so there are no sessions to end.")?;
    Ok(Redirect::to("/"))
}

/// Ends one of the user's sessions, by its handle; this one too, if asked.
#[post("/sessions/end", data = "<form>")]
async fn end(session: Session<'_>, form: Form<EndForm<'_>>) -> Result<Redirect, ErrorResponse> {
    check_csrf(&session, Some(form.csrf_token))?;
    if !is_handle(form.handle) {
        return Err(ErrorResponse::new(Status::UnprocessableEntity, "That is not a session."));
    }
    if !session.is_bound() {
        return not_signed_in(&session);
    }
    let this_one = session.user_handle().as_deref() == Some(form.handle);
    let ended = session.end_user_session(form.handle).await?;
    let message = match (this_one, ended) {
        (true, _) => "This session was ended: you are signed out on this device.",
        (false, true) => "That session was ended: its device is signed out.",
        (false, false) => "That session had already ended.",
    };
    flash::set(&session, Kind::Success, message)?;
    Ok(Redirect::to("/"))
}

/// Ends every session of the user but this one.
#[post("/sessions/end-others", data = "<form>")]
async fn end_others(
    session: Session<'_>,
    form: Form<TokenForm<'_>>,
) -> Result<Redirect, ErrorResponse> {
    check_csrf(&session, Some(form.csrf_token))?;
    if !session.is_bound() {
        return not_signed_in(&session);
    }
    let ended = session.end_other_user_sessions().await?;
    let message = match ended {
        0 => "You were signed in nowhere else.".to_owned(),
        1 => "Signed out 1 other session.".to_owned(),
        n => format!("Signed out {n} other sessions."),
    };
    flash::set(&session, Kind::Success, message)?;
    Ok(Redirect::to("/"))
}

pub(super) fn routes() -> Vec<Route> {
    routes![end, end_others]
}
