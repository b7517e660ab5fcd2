//! Unit tests of `secret.rs`.

use super::*;

#[test]
fn the_digest_is_the_sha256_of_the_input_in_lowercase_hex() {
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(sha256_hex(b""), empty);
}

#[test]
fn tokens_are_43_base64url_characters_and_differ() {
    let (a, b) = (random_token().unwrap(), random_token().unwrap());
    assert_eq!(a.len(), 43);
    assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert_ne!(a, b);
}
