//! Test helpers: the app on a private key prefix, cookies, and Redis (see `redis.rs`).
#![allow(dead_code)] // each test binary uses a different part of these helpers

pub mod redis;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rocket::figment::Figment;
use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::{Build, Rocket};
use serde_json::{Value, json};

/// A key prefix no other test uses.
pub fn unique_prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("test:{test}:{nanos}:{}:", N.fetch_add(1, Ordering::Relaxed))
}

/// The configuration of `Rocket.toml`'s `profile`, without environment overrides.
pub fn profile_figment(profile: &str) -> Figment {
    Figment::from(rocket::Config::default())
        .merge(Toml::file("Rocket.toml").nested())
        .select(profile)
}

/// Settings for one test app: `Rocket.toml` (debug), then `redis_url`, `prefix`,
/// `store = "redis"` and quiet logs, then `overrides` (a JSON object of dotted keys).
pub fn figment(redis_url: &str, prefix: &str, overrides: Value) -> Figment {
    let base = json!({
        "log_level": "off",
        "databases.sessions.url": redis_url,
        "databases.sessions.connect_timeout": 1,
        "databases.sessions.response_timeout_ms": 500,
        "sessions.key_prefix": prefix,
        "sessions.store": "redis",
    });
    with(with(profile_figment("debug"), base), overrides)
}

/// `figment` with each dotted key of the JSON object `values` set in every profile.
pub fn with(mut figment: Figment, values: Value) -> Figment {
    if let Value::Object(map) = values {
        for (key, value) in map {
            figment = figment.merge(Serialized::global(&key, value));
        }
    }
    figment
}

/// The demo app on `redis_url` with keys under `prefix`.
pub fn app(redis_url: &str, prefix: &str) -> Rocket<Build> {
    rocket_redis_sessions::rocket_from(figment(redis_url, prefix, json!({})))
}

/// A tracked local client (it keeps cookies like a browser) for `rocket`.
pub async fn client(rocket: Rocket<Build>) -> Client {
    Client::tracked(rocket).await.expect("the app ignites")
}

/// An untracked local client: requests carry only the cookies a test gives them.
pub async fn untracked(rocket: Rocket<Build>) -> Client {
    Client::untracked(rocket).await.expect("the app ignites")
}

/// The session cookie this response sets (`name`, default config: "session").
pub fn set_cookie<'a>(res: &'a LocalResponse<'_>, name: &str) -> Option<Cookie<'a>> {
    res.headers().get("Set-Cookie").filter_map(|v| Cookie::parse(v).ok()).find(|c| c.name() == name)
}

/// The JSON body of `res`, after checking its status.
pub async fn json_body(res: LocalResponse<'_>, status: Status) -> Value {
    assert_eq!(res.status(), status, "unexpected status");
    let body = res.into_string().await.expect("a body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Now, in ms since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}
