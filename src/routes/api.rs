//! The JSON API: `GET /api/session` and `GET /api/counter`.

use rocket::http::ContentType;
use rocket::serde::Serialize;
use rocket::serde::json::Json;
use rocket::{Route, get, routes};

use rocket_redis_sessions::Session;

use crate::page::ErrorResponse;

/// The session's data as a JSON object; `{}` without a session (none is created).
#[get("/api/session")]
fn session(session: Session<'_>) -> (ContentType, String) {
    (ContentType::JSON, session.to_json())
}

/// The body of `/api/counter`.
#[derive(Serialize)]
#[serde(crate = "rocket::serde")]
struct Count {
    count: u64,
}

/// Adds one to the integer `count` and answers `{"count": n}`.
#[get("/api/counter")]
fn counter(session: Session<'_>) -> Result<Json<Count>, ErrorResponse> {
    let count = session.get::<u64>("count")?.unwrap_or(0).saturating_add(1);
    session.insert("count", &count)?;
    Ok(Json(Count { count }))
}

pub(super) fn routes() -> Vec<Route> {
    routes![session, counter]
}
