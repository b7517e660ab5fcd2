//! Unit tests of `id.rs`.

use super::*;

#[test]
fn an_id_round_trips_through_its_cookie_form() {
    let id = SessionId::generate(1_795_000_000_000).expect("OS random source");
    let encoded = id.encode();
    assert_eq!(encoded.len(), ENCODED_LEN);
    assert_eq!(SessionId::parse(&encoded), Some(id));
}

#[test]
fn two_ids_differ() {
    let a = SessionId::generate(1_795_000_000_000).expect("OS random source");
    let b = SessionId::generate(1_795_000_000_000).expect("OS random source");
    assert_ne!(a, b);
}

#[test]
fn garbled_values_are_rejected() {
    let good = SessionId::generate(1_795_000_000_000).expect("OS random source").encode();
    for bad in [
        "",
        "abc",
        &good[1..],
        &format!("{good}A"),
        &"*".repeat(ENCODED_LEN),
        // 54 chars whose last one carries bits past 320: not canonical base64
        &format!("{}B", "A".repeat(53)),
        // the earlier form: 32 bytes, 43 chars
        &"A".repeat(43),
    ] {
        assert_eq!(SessionId::parse(bad), None, "{bad:?} must not parse");
    }
}

#[test]
fn the_storage_key_is_the_prefix_and_the_hex_sha256_of_the_id() {
    let id = SessionId::from_bytes([0u8; ID_BYTES]);
    // SHA-256 of 40 zero bytes (`head -c 40 /dev/zero | sha256sum`).
    let expected = "2c34ce1df23b838c5abf2a7f6437cca3d3067ed509ff25f11df6b11b582b51eb";
    assert_eq!(id.storage_key("s:"), format!("s:{expected}"));
    assert_eq!(id.clone().storage_key("t:"), format!("t:{expected}"), "the digest is kept");
    assert!(!id.storage_key("").contains(&id.encode()));
}

#[test]
fn an_id_carries_its_creation_time_and_the_key_depends_on_it() {
    let id = SessionId::generate(1_795_000_000_123).expect("OS random source");
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
    let id = SessionId::generate(1_795_000_000_000).expect("OS random source");
    assert!(!format!("{id:?}").contains(&id.encode()));
}
