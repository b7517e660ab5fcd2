//! The dashboard's forms: set, delete, rotate the id, end the session. Each checks the
//! CSRF token (403 and no change without it) and answers 303 to `/` with a flash message.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Route, State, post, routes};
use rocket_dyn_templates::Template;

use rocket_redis_sessions::flash::{self, Kind};
use rocket_redis_sessions::{Session, SessionLayer};

use super::pages::{Refused, dashboard};
use crate::page::{AppKeys, ErrorResponse, check_csrf, is_app_key};

/// Longest key accepted from the form, in bytes.
pub const MAX_KEY_BYTES: usize = 128;
/// Longest value accepted from the form, in bytes.
pub const MAX_VALUE_BYTES: usize = 4096;

// Every field defaults to "": a form missing its token still reaches the handler, which
// answers 403 before looking at anything else.

#[derive(FromForm)]
struct SetForm<'r> {
    #[field(default = "")]
    csrf_token: &'r str,
    #[field(default = "")]
    key: &'r str,
    #[field(default = "")]
    value: &'r str,
}

#[derive(FromForm)]
struct KeyForm<'r> {
    #[field(default = "")]
    csrf_token: &'r str,
    #[field(default = "")]
    key: &'r str,
}

#[derive(FromForm)]
struct TokenForm<'r> {
    #[field(default = "")]
    csrf_token: &'r str,
}

/// Why a key or value from the form is refused, if it is.
fn refusal(key: &str, value: &str) -> Option<String> {
    if key.trim().is_empty() {
        return Some("The key cannot be empty.".into());
    }
    if key.len() > MAX_KEY_BYTES {
        return Some(format!("Keys can be at most {MAX_KEY_BYTES} bytes long."));
    }
    if is_app_key(key) {
        return Some("Keys starting with “_” are managed by the app.".into());
    }
    if value.len() > MAX_VALUE_BYTES {
        return Some(format!("Values can be at most {MAX_VALUE_BYTES} bytes (4 KiB) long."));
    }
    None
}

/// The result of a form: back to the dashboard, or the dashboard again with the error.
#[derive(rocket::Responder)]
enum Answer {
    Done(Redirect),
    Refused((Status, Template)),
}

/// Stores `value` (as a JSON string) under `key`.
#[post("/session", data = "<form>")]
async fn set(
    session: Session<'_>,
    layer: &State<SessionLayer>,
    app_keys: &State<AppKeys>,
    form: Form<SetForm<'_>>,
) -> Result<Answer, ErrorResponse> {
    check_csrf(&session, Some(form.csrf_token))?;
    if let Some(error) = refusal(form.key, form.value) {
        let refused = Refused { error, key: form.key.into(), value: form.value.into() };
        let page = dashboard(&session, layer, app_keys, Some(refused)).await?;
        return Ok(Answer::Refused((Status::UnprocessableEntity, page)));
    }
    session.insert(form.key, form.value)?;
    flash::set(&session, Kind::Success, format!("Stored “{}”.", form.key))?;
    Ok(Answer::Done(Redirect::to("/")))
}

/// Removes `key`.
#[post("/session/delete", data = "<form>")]
fn delete(session: Session<'_>, form: Form<KeyForm<'_>>) -> Result<Redirect, ErrorResponse> {
    check_csrf(&session, Some(form.csrf_token))?;
    if form.key.len() > MAX_KEY_BYTES {
        let message = format!("Keys can be at most {MAX_KEY_BYTES} bytes long.");
        return Err(ErrorResponse::new(Status::UnprocessableEntity, message));
    }
    let message = match is_app_key(form.key) {
        true => (Kind::Error, format!("“{}” is managed by the app.", form.key)),
        false if session.remove(form.key) => (Kind::Success, format!("Removed “{}”.", form.key)),
        false => (Kind::Error, format!("There is no “{}” to remove.", form.key)),
    };
    flash::set(&session, message.0, message.1)?;
    Ok(Redirect::to("/"))
}

/// Gives the session a new id; the data stays.
#[post("/session/regenerate", data = "<form>")]
fn regenerate(session: Session<'_>, form: Form<TokenForm<'_>>) -> Result<Redirect, ErrorResponse> {
    check_csrf(&session, Some(form.csrf_token))?;
    session.cycle_id()?;
    flash::set(&session, Kind::Success, "Your session has a new id; its data stayed.")?;
    Ok(Redirect::to("/"))
}

/// Ends the session; the next page starts a new one.
#[post("/session/destroy", data = "<form>")]
fn destroy(session: Session<'_>, form: Form<TokenForm<'_>>) -> Result<Redirect, ErrorResponse> {
    check_csrf(&session, Some(form.csrf_token))?;
    session.destroy();
    let message = "Your session was ended and its data deleted. This page already runs on a \
                   new, empty one, with a new id.";
    flash::set(&session, Kind::Success, message)?;
    Ok(Redirect::to("/"))
}

pub(super) fn routes() -> Vec<Route> {
    routes![set, delete, regenerate, destroy]
}
