//! The JSON API: `GET /api/session` and `GET /api/counter`.

use rocket::http::ContentType;
use rocket::serde::Serialize;
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use serde_json::{Map, Value, json};

use rocket_redis_sessions::Session;

use crate::page::{AppKeys, ErrorResponse, app_entries, is_app_key};

/// The session as a JSON object, by the dashboard's rule: the visitor's keys with their
/// values, the app's own keys (`_`-prefixed) as the dashboard describes them (`label`,
/// `text`, `at`), never their raw values. `{}` without a session (none is created).
#[get("/api/session")]
fn session(session: Session<'_>, app_keys: &State<AppKeys>) -> (ContentType, String) {
    let visitor = session.to_json_where(|key| !is_app_key(key));
    let app = app_entries(&session, app_keys);
    if app.is_empty() {
        return (ContentType::JSON, visitor);
    }
    let mut object: Map<String, Value> = serde_json::from_str(&visitor).unwrap_or_default();
    for view in app {
        let described = json!({"label": view.label, "text": view.text, "at": view.at});
        object.insert(view.key, described);
    }
    (ContentType::JSON, Value::Object(object).to_string())
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
