//! Unit tests of `mod.rs`.

use super::*;

#[test]
fn the_ttl_is_the_idle_timeout_cut_short_by_the_absolute_deadline() {
    let expiry = Expiry { idle: Duration::from_secs(10), absolute: Duration::from_secs(100) };
    assert_eq!(expiry.ttl_ms(1_000, 1_000), Some(10_000));
    assert_eq!(expiry.ttl_ms(1_000, 95_000), Some(6_000));
    assert_eq!(expiry.ttl_ms(1_000, 101_000), None);
    assert_eq!(expiry.ttl_ms(1_000, 200_000), None);
}
