use super::*;

fn config(url: &str) -> RedisPoolConfig {
    RedisPoolConfig {
        url: url.into(),
        max_connections: 4,
        connect_timeout: 1,
        response_timeout_ms: 1000,
    }
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
        Err(e @ RedisPoolError::Url(_)) => {
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
