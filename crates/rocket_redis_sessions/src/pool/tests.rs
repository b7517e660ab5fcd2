use super::*;

fn config(url: &str) -> RedisPoolConfig {
    RedisPoolConfig { max_connections: 4, connect_timeout: 1, ..RedisPoolConfig::single(url) }
}

fn pool() -> RedisPool {
    // Nothing connects: the pool connects lazily, and no future here is polled.
    RedisPool::new(&config("redis://127.0.0.1:1/0")).unwrap()
}

/// This crate builds redis-rs without TLS: a `rediss://` URL is refused when the pool is
/// built (at launch) with redis-rs's reason, not at the first request.
#[test]
fn a_tls_url_is_refused_at_launch_without_tls_support() {
    match RedisPool::new(&config("rediss://127.0.0.1:6380/0")) {
        Err(e @ RedisPoolError::Invalid(_)) => {
            assert!(e.to_string().contains("TLS"), "unclear error: {e}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a rediss:// URL was accepted without TLS support"),
    }
}

/// Every request's load and save await a checkout. Deadpool's checkout, which may
/// connect, is a future of several KB: inline, it would make each request's session
/// futures that large, allocated and copied on every request, although it runs once per
/// new connection.
#[test]
fn a_checkout_future_does_not_hold_the_connect_path() {
    let pool = pool();
    let checkout = pool.get();
    let size = std::mem::size_of_val(&checkout);
    assert!(size <= 64, "RedisPool::get's future is {size} bytes");
}

/// A database table without `url` (or no table at all) says so, instead of serde's
/// "missing field".
#[rocket::async_test]
async fn a_pool_without_a_url_says_which_key_to_set() {
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("max_connections", 4))
        .merge(("connect_timeout", 1));
    match <RedisPool as rocket_db_pools::Pool>::init(&figment).await {
        Err(e @ RedisPoolError::MissingUrl) => {
            let message = e.to_string();
            assert!(message.contains("`url`") && message.contains("databases"), "{message}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a pool without a URL was built"),
    }
}

/// The table as `ROCKET_DATABASES` or Rocket.toml would give it.
fn table(json: serde_json::Value) -> Figment {
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("max_connections", 4))
        .merge(("connect_timeout", 1));
    match json {
        serde_json::Value::Object(map) => {
            map.into_iter().fold(figment, |f, (k, v)| f.merge((k.as_str(), v)))
        }
        _ => figment,
    }
}

async fn refusal(json: serde_json::Value) -> String {
    match <RedisPool as rocket_db_pools::Pool>::init(&table(json.clone())).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{json} was accepted"),
    }
}

/// A bad table stops the launch with a message saying what to fix, and never the text of
/// a URL (which may hold a password).
#[rocket::async_test]
async fn bad_tables_are_refused_saying_what_to_fix() {
    use serde_json::json;
    let cases = [
        (json!({"mode": "clustre", "url": "redis://a:1"}), "clustre"),
        (json!({"mode": "cluster"}), "needs `urls`"),
        (json!({"mode": "cluster", "urls": []}), "needs `urls`"),
        (json!({"mode": "cluster", "url": "redis://a:7000"}), "`url` is not used"),
        (json!({"mode": "cluster", "urls": ["redis://a:7000", "redis://b:7000/2"]}), "entry 2"),
        (json!({"mode": "cluster", "urls": ["redis://:pw@a:7000/3"]}), "only database 0"),
        (json!({"mode": "cluster", "urls": ["nope://:secret-pw@a:7000"]}), "entry 1"),
        (json!({"mode": "sentinel", "master_name": "m"}), "needs `sentinels`"),
        (json!({"mode": "sentinel", "sentinels": ["redis://a:26379"]}), "needs `master_name`"),
        (
            json!({"mode": "sentinel", "sentinels": ["redis://a:1"], "master_name": " "}),
            "master_name",
        ),
        (json!({"url": "redis://a:1", "response_timeout_ms": 0}), "must be > 0"),
    ];
    for (json, says) in cases {
        let message = refusal(json.clone()).await;
        assert!(message.contains(says), "{json}: {message:?} should say {says:?}");
        assert!(!message.contains("secret-pw") && !message.contains(":pw@"), "{message}");
    }
}

/// Each mode's table builds a pool (nothing connects yet).
#[rocket::async_test]
async fn each_mode_builds_from_its_table() {
    use serde_json::json;
    for (json, mode) in [
        (json!({"url": "redis://127.0.0.1:1/0"}), RedisMode::Single),
        (
            json!({"mode": "cluster", "urls": ["redis://127.0.0.1:1", "redis://127.0.0.1:2"],
                "request_timeout_ms": 5000}),
            RedisMode::Cluster,
        ),
        (
            json!({"mode": "sentinel", "sentinels": ["redis://127.0.0.1:1"], "master_name": "m",
                "url": "redis://:pw@primary/2"}),
            RedisMode::Sentinel,
        ),
    ] {
        let pool = <RedisPool as rocket_db_pools::Pool>::init(&table(json.clone())).await;
        assert_eq!(pool.unwrap_or_else(|e| panic!("{json}: {e}")).mode(), mode);
    }
}
