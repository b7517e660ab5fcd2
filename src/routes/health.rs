//! `GET /health`: one `PING` to the session store, no session.

use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, routes};

use rocket_redis_sessions::SessionLayer;

/// 200 `{"status":"ok","store":...}` when the store answers within its timeout,
/// 503 `{"status":"unavailable",...}` when it does not.
#[get("/health")]
async fn health(layer: &State<SessionLayer>) -> (Status, Json<Value>) {
    let store = layer.store_name();
    match layer.ping().await {
        Ok(()) => (Status::Ok, Json(json!({"status": "ok", "store": store}))),
        Err(e) => {
            rocket::warn!("health check: {e}");
            let body = json!({"status": "unavailable", "store": store});
            (Status::ServiceUnavailable, Json(body))
        }
    }
}

pub(super) fn routes() -> Vec<Route> {
    routes![health]
}
