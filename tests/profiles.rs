//! `Rocket.toml`'s profiles: what debug and release extract, and the release key rule.

use crate::common;

use rocket::http::Status;
use rocket_redis_sessions::RedisPoolConfig;
use rocket_redis_sessions::{SameSiteConfig, SessionConfig, StoreKind};
use serde_json::json;

use common::redis::RedisServer;

#[test]
fn the_debug_profile_uses_auto_and_a_plain_cookie() {
    let config = SessionConfig::from_figment(&common::profile_figment("debug")).unwrap();
    assert_eq!(config.store, StoreKind::Auto);
    assert!(!config.secure());
    assert_eq!(config.cookie_name, "session");
    assert_eq!(config.same_site, SameSiteConfig::Lax);
    assert_eq!((config.idle_timeout, config.absolute_timeout), (1800, 86_400));
    assert_eq!(config.key_prefix, "session:");
}

#[test]
fn the_release_profile_uses_redis_only_and_a_secure_host_cookie() {
    let config = SessionConfig::from_figment(&common::profile_figment("release")).unwrap();
    assert_eq!(config.store, StoreKind::Redis);
    assert!(config.secure());
    assert_eq!(config.cookie_name, "__Host-session");
}

#[test]
fn both_profiles_configure_a_bounded_redis_pool() {
    for profile in ["debug", "release"] {
        let figment = common::with(
            common::profile_figment(profile),
            json!({"databases.sessions.max_connections": 8}),
        );
        let pool: RedisPoolConfig = figment.extract_inner("databases.sessions").unwrap();
        assert_eq!(pool.url.as_deref(), Some("redis://127.0.0.1:6379/0"));
        assert_eq!((pool.connect_timeout, pool.response_timeout_ms), (2, 1000));
    }
}

#[test]
fn rocket_toml_commits_no_secret_key() {
    let toml = std::fs::read_to_string("Rocket.toml").unwrap();
    assert!(
        !toml.lines().any(|l| l.trim_start().starts_with("secret_key")),
        "a secret key is never committed"
    );
}

/// Nothing in the app is signed or encrypted with Rocket's `secret_key` (the session cookie
/// is a random id), so the release profile starts without one.
#[rocket::async_test]
async fn release_starts_without_a_secret_key_while_redis_is_down_and_answers_503() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    redis.stop();
    let figment = common::with(
        common::profile_figment("release"),
        json!({
            "log_level": "off",
            "databases.sessions.url": url,
            "databases.sessions.connect_timeout": 1,
        }),
    );
    let client = common::untracked(rocket_redis_sessions_demo::rocket_from(figment)).await;
    let res = client.get("/api/counter").dispatch().await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
    let res = client.get("/health").dispatch().await;
    let body = common::json_body(res, Status::ServiceUnavailable).await;
    assert_eq!(body, json!({"status": "unavailable", "store": "redis", "circuit": "open"}));
}
