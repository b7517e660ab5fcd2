//! Unit tests of `users.rs`.

use super::*;

#[test]
fn a_binding_reads_back_from_its_reserved_field() {
    let binding = Binding::new(UserKey::new("alice@example.com"), "Firefox on Linux").unwrap();
    assert!(is_handle(&binding.handle));
    assert_eq!(Binding::parse(&binding.field_json()), Some(binding.clone()));
    let other = Binding::new(UserKey::new("alice@example.com"), "x").unwrap();
    assert_ne!(binding.handle, other.handle, "handles are random");
    for bad in ["", "\"\"", "\"short\"", "42", &binding.field_value()] {
        assert_eq!(Binding::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn the_user_key_is_a_digest_and_never_the_id() {
    let key = UserKey::new("alice@example.com");
    assert_eq!(key.hex().len(), 64);
    assert!(!key.hex().contains("alice"));
    assert_eq!(key.tag(), [key.0[0], key.0[1]]);
    assert_eq!(UserKey::from_hex(&key.hex()), Some(key.clone()));
    assert!(!format!("{key:?}").contains(&key.hex()), "Debug shows only the start");
}

#[test]
fn device_labels_are_cut_to_size_and_printable() {
    let binding =
        Binding::new(UserKey::new("u"), &format!("a\u{0}b\n{}", "é".repeat(100))).unwrap();
    assert!(binding.device.starts_with("ab"));
    assert!(binding.device.len() <= MAX_DEVICE);
    assert!(!binding.device.chars().any(char::is_control));
}

#[test]
fn endings_pick_their_sessions() {
    assert!(Ending::One("a".into()).includes("a"));
    assert!(!Ending::One("a".into()).includes("b"));
    assert!(!Ending::AllBut("a".into()).includes("a"));
    assert!(Ending::AllBut("a".into()).includes("b"));
    assert!(Ending::All.includes("a"));
}
