//! Unit tests of `id.rs`.

use super::*;

#[test]
fn an_id_round_trips_through_its_cookie_form() {
    let id = SessionId::generate().expect("OS random source");
    let encoded = id.encode();
    assert_eq!(encoded.len(), ENCODED_LEN);
    assert_eq!(SessionId::parse(&encoded), Some(id));
}

#[test]
fn two_ids_differ() {
    let a = SessionId::generate().expect("OS random source");
    let b = SessionId::generate().expect("OS random source");
    assert_ne!(a, b);
}

#[test]
fn garbled_values_are_rejected() {
    let good = SessionId::generate().expect("OS random source").encode();
    for bad in [
        "",
        "abc",
        &good[1..],
        &format!("{good}A"),
        &"*".repeat(ENCODED_LEN),
        // 43 chars whose last one carries bits past 256: not canonical base64
        &format!("{}B", "A".repeat(42)),
    ] {
        assert_eq!(SessionId::parse(bad), None, "{bad:?} must not parse");
    }
}

#[test]
fn the_storage_key_is_the_prefix_and_the_hex_sha256_of_the_id() {
    let id = SessionId::from_bytes([0u8; ID_BYTES]);
    // SHA-256 of 32 zero bytes.
    let expected = "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925";
    assert_eq!(id.storage_key("s:"), format!("s:{expected}"));
    assert_eq!(id.clone().storage_key("t:"), format!("t:{expected}"), "the digest is kept");
    assert!(!id.storage_key("").contains(&id.encode()));
}

#[test]
fn debug_output_never_shows_the_id() {
    let id = SessionId::generate().expect("OS random source");
    assert!(!format!("{id:?}").contains(&id.encode()));
}
