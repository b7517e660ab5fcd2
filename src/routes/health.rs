//! `GET /health`: one `PING` to the session store, no session.

use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, routes};

use rocket_redis_sessions::{RedisMode, SessionLayer};

/// 200 `{"status":"ok","store":...}` when the store answers within its timeout,
/// 503 `{"status":"unavailable",...}` when it does not. With Redis on one server or under
/// Sentinel, `"circuit"` says whether the pool's breaker is `"closed"` (requests go to
/// Redis) or `"open"` (Redis failed to answer: session requests get 503 at once until the
/// probe hears from it; this check then answers at once too).
#[get("/health")]
async fn health(layer: &State<SessionLayer>) -> (Status, Json<Value>) {
    let store = layer.store_name();
    let mut body = match layer.ping().await {
        Ok(()) => json!({"status": "ok", "store": store}),
        Err(e) => {
            rocket::warn!("health check: {e}");
            json!({"status": "unavailable", "store": store})
        }
    };
    // Read after the ping, which may have just opened it.
    let pool = layer.redis_pool().filter(|pool| pool.mode() != RedisMode::Cluster);
    if let Some(pool) = pool {
        body["circuit"] = json!(if pool.is_unavailable() { "open" } else { "closed" });
    }
    let status = match body["status"] == "ok" {
        true => Status::Ok,
        false => Status::ServiceUnavailable,
    };
    (status, Json(body))
}

pub(super) fn routes() -> Vec<Route> {
    routes![health]
}
