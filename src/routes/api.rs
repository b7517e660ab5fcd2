//! The JSON API: `GET /api/session` and `GET /api/counter`.

use rocket::http::ContentType;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, get, routes};

use super::errors::ErrorResponse;
use crate::session::Session;

/// The session's data as a JSON object; `{}` without a session (none is created).
#[get("/api/session")]
fn session(session: Session<'_>) -> (ContentType, String) {
    (ContentType::JSON, session.to_json())
}

/// Adds one to the integer `count` and answers `{"count": n}`.
#[get("/api/counter")]
fn counter(session: Session<'_>) -> Result<Json<Value>, ErrorResponse> {
    let count = session.get::<u64>("count")?.unwrap_or(0).saturating_add(1);
    session.insert("count", &count)?;
    Ok(Json(json!({ "count": count })))
}

pub(super) fn routes() -> Vec<Route> {
    routes![session, counter]
}
