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

#[test]
fn limits_refuse_only_writes_that_grow_a_session_past_them() {
    let fields: Fields = [("a", "12345"), ("b", "1")].map(|(k, v)| (k.into(), v.into())).into();
    let set = |k: &str, v: &str| (k.to_owned(), Some(v.to_owned()));
    let limits = Limits { max_bytes: 10, max_keys: 2 };
    assert!(limits.allows(&fields, &vec![set("a", "1234567")]), "8 → 10 bytes: at the limit");
    assert!(!limits.allows(&fields, &vec![set("a", "12345678")]), "11 bytes");
    assert!(!limits.allows(&fields, &vec![set("c", "1")]), "a third key");
    let swap = vec![("b".to_owned(), None), set("c", "1")];
    assert!(limits.allows(&fields, &swap), "a key for a key");
    let lowered = Limits { max_bytes: 4, max_keys: 1 };
    assert!(lowered.allows(&fields, &vec![set("a", "1")]), "shrinking past a lowered limit");
    assert!(!lowered.allows(&fields, &vec![set("b", "12")]), "but not growing");
    assert!(Limits::NONE.allows(&fields, &vec![set("z", &"x".repeat(1 << 20))]));
}
