//! Unit tests of `id.rs`.

use super::*;

#[test]
fn an_id_round_trips_through_its_cookie_form() {
    let id = SessionId::generate(1_795_000_000_000, None).expect("OS random source");
    let encoded = id.encode();
    assert_eq!(encoded.len(), ENCODED_LEN);
    assert_eq!(SessionId::parse(&encoded), Some(id));
}

#[test]
fn two_ids_differ() {
    let a = SessionId::generate(1_795_000_000_000, None).expect("OS random source");
    let b = SessionId::generate(1_795_000_000_000, None).expect("OS random source");
    assert_ne!(a, b);
}

#[test]
fn garbled_values_are_rejected() {
    let good = SessionId::generate(1_795_000_000_000, None).expect("OS random source").encode();
    for bad in [
        "",
        "abc",
        &good[1..],
        &format!("{good}A"),
        &"*".repeat(ENCODED_LEN),
        // the earlier forms: 32 bytes (43 chars) and 40 bytes (54 chars)
        &"A".repeat(43),
        &"A".repeat(54),
    ] {
        assert_eq!(SessionId::parse(bad), None, "{bad:?} must not parse");
    }
}

#[test]
fn the_storage_key_is_the_prefix_the_tag_and_the_hex_sha256_of_the_id() {
    let mut bytes = [0u8; ID_BYTES];
    bytes[..TAG_BYTES].copy_from_slice(&[0x3f, 0xa9]);
    let id = SessionId::from_bytes(bytes);
    // SHA-256 of 0x3f 0xa9 and 40 zero bytes
    // (`printf '\x3f\xa9' | cat - <(head -c 40 /dev/zero) | sha256sum`).
    let expected = "792b08d59c56a20ce3c2a37da1c59325f24d27d27af286d79acc2975df20a61b";
    assert_eq!(id.storage_key("s:"), format!("s:{{3fa9}}{expected}"));
    assert_eq!(id.clone().storage_key("t:"), format!("t:{{3fa9}}{expected}"), "the digest is kept");
    assert!(!id.storage_key("").contains(&id.encode()));
    // Kept in place up to a 58-byte prefix, allocated past it: the same key either way.
    for prefix in ["p".repeat(58), "p".repeat(59), "é".repeat(20), "é".repeat(40)] {
        let key = id.key(&prefix);
        assert_eq!(&*key, format!("{prefix}{{3fa9}}{expected}"), "{} bytes", prefix.len());
        assert_eq!(key.to_string(), id.storage_key(&prefix));
    }
    assert!(matches!(id.key(&"p".repeat(58)), StorageKey::Inline { .. }));
    assert!(matches!(id.key(&"p".repeat(59)), StorageKey::Heap(_)));
}

#[test]
fn a_tag_given_is_kept_and_none_draws_one() {
    let first = SessionId::generate(1_795_000_000_000, None).expect("OS random source");
    let next = SessionId::generate(1_795_000_000_000, Some(first.tag())).expect("OS random source");
    assert_eq!(next.tag(), first.tag());
    assert_ne!(next, first, "fresh randomness all the same");
    let key = next.storage_key("s:");
    assert!(key.starts_with(&first.storage_key("s:")[..8]), "one slot: {key}");
    // Drawn tags vary (65 536 values; 64 draws all equal would be a broken source).
    let tags: std::collections::HashSet<SlotTag> =
        (0..64).map(|_| SessionId::generate(0, None).expect("OS random source").tag()).collect();
    assert!(tags.len() > 1, "{tags:?}");
}

#[test]
fn an_id_carries_its_creation_time_and_the_key_depends_on_it() {
    let id = SessionId::generate(1_795_000_000_123, None).expect("OS random source");
    assert_eq!(id.created_ms(), 1_795_000_000_123);
    assert_eq!(SessionId::parse(&id.encode()).map(|id| id.created_ms()), Some(1_795_000_000_123));
    // The same randomness with another time is another id, stored under another key.
    let mut bytes = id.bytes;
    bytes[ID_BYTES - 1] ^= 1;
    let other = SessionId::from_bytes(bytes);
    assert_ne!(other, id);
    assert_ne!(other.storage_key("s:"), id.storage_key("s:"));
}

#[test]
fn debug_output_never_shows_the_id() {
    let id = SessionId::generate(1_795_000_000_000, None).expect("OS random source");
    assert!(!format!("{id:?}").contains(&id.encode()));
}
