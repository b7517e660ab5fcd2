use super::*;

fn pool() -> RedisPool {
    let config = RedisPoolConfig {
        // Nothing connects: the pool connects lazily, and no future here is polled.
        url: "redis://127.0.0.1:1/0".into(),
        max_connections: 4,
        connect_timeout: 1,
        response_timeout_ms: 1000,
    };
    RedisPool::new(&config).unwrap()
}

/// Every request's load and save await a checkout. Deadpool's checkout, which may
/// connect, is a future of several KB: inline, it made each request's session futures
/// that large, allocated and copied on every request (7.8 KB each, seen with a probe on
/// `malloc`), although it runs once per new connection.
#[test]
fn a_checkout_future_does_not_hold_the_connect_path() {
    let pool = pool();
    let checkout = pool.get();
    let size = std::mem::size_of_val(&checkout);
    assert!(size <= 64, "RedisPool::get's future is {size} bytes");
}
