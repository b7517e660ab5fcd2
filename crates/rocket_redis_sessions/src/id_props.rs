//! Property tests of `id.rs`: the session cookie's value is the first untrusted input a
//! request brings, so `SessionId::parse` gets hostile strings of every kind.

use proptest::prelude::*;

use super::*;

/// The base64url alphabet, the only characters of an id in its cookie form.
const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn in_alphabet(c: char) -> bool {
    ALPHABET.contains(c)
}

/// Strings of `len` characters of the base64url alphabet.
fn alphabet_string(len: impl Into<proptest::sample::SizeRange>) -> impl Strategy<Value = String> {
    let chars: Vec<char> = ALPHABET.chars().collect();
    prop::collection::vec(prop::sample::select(chars), len).prop_map(|c| c.into_iter().collect())
}

/// Characters that are not in the alphabet: base64's other alphabet and padding, ASCII
/// punctuation and controls, whitespace, and characters of 2, 3 and 4 UTF-8 bytes
/// (some of which look like alphabet characters).
fn foreign_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '+', '/', '=', '.', '~', '%', ' ', '\t', '\n', '\0', '"', ';', ',', '\\', '\u{7f}',
            'é', 'Ａ', 'А', '０', '\u{200b}', '\u{feff}', '😀',
        ]),
        any::<char>().prop_filter("not in the alphabet", |c| !in_alphabet(*c)),
    ]
}

/// Hostile strings of about an id's length: mostly alphabet characters, some foreign ones,
/// so that many of them get past the length check to the decoder.
fn near_id() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => prop::sample::select(ALPHABET.chars().collect::<Vec<_>>()),
        1 => foreign_char(),
    ];
    prop::collection::vec(piece, ENCODED_LEN - 3..=ENCODED_LEN + 3)
        .prop_map(|c| c.into_iter().collect())
}

/// What `parse` must hold to on anything: an accepted value is exactly the canonical form
/// of the id it names.
fn check_accepted_is_canonical(value: &str) -> Result<(), TestCaseError> {
    if let Some(id) = SessionId::parse(value) {
        prop_assert_eq!(value.len(), ENCODED_LEN);
        prop_assert!(value.chars().all(in_alphabet), "accepted {:?}", value);
        prop_assert_eq!(id.encode(), value, "accepted a value that is not the id's own form");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any string at all: no panic, and whatever is accepted is canonical.
    #[test]
    fn parse_never_panics_and_accepts_only_canonical_values(value in any::<String>()) {
        check_accepted_is_canonical(&value)?;
    }

    /// Strings made to reach the decoder: the same, at and around an id's length.
    #[test]
    fn near_misses_are_accepted_only_in_canonical_form(value in near_id()) {
        check_accepted_is_canonical(&value)?;
    }

    /// A generated id comes back from its cookie form whole: same id, creation time and tag.
    #[test]
    fn generated_ids_round_trip(created_ms in any::<u64>(), tag in any::<Option<SlotTag>>()) {
        let id = SessionId::generate(created_ms, tag).expect("OS random source");
        let encoded = id.encode();
        prop_assert_eq!(encoded.len(), ENCODED_LEN);
        prop_assert!(encoded.chars().all(in_alphabet), "{}", encoded);
        let parsed = SessionId::parse(&encoded).expect("an id's own form parses");
        prop_assert_eq!(parsed.created_ms(), created_ms);
        prop_assert_eq!(parsed.tag(), id.tag());
        if let Some(tag) = tag {
            prop_assert_eq!(parsed.tag(), tag);
        }
        prop_assert_eq!(parsed.storage_key("s:"), id.storage_key("s:"));
        prop_assert_eq!(parsed, id);
    }

    /// Every 42-byte value is an id whose form parses back to it.
    #[test]
    fn any_id_bytes_round_trip(bytes in any::<[u8; ID_BYTES]>()) {
        let id = SessionId::from_bytes(bytes);
        let parsed = SessionId::parse(&id.encode()).expect("an id's own form parses");
        prop_assert_eq!(parsed.bytes, bytes);
    }

    /// 56 characters of the alphabet are always an id (42 bytes fill 56 characters with no
    /// bit left over), and encode back to exactly those characters: two cookie values
    /// never name one session.
    #[test]
    fn every_value_of_the_alphabet_and_length_is_an_id_in_its_one_form(
        value in alphabet_string(ENCODED_LEN),
    ) {
        let id = SessionId::parse(&value);
        prop_assert!(id.is_some(), "refused {:?}", value);
        prop_assert_eq!(id.map(|id| id.encode()), Some(value));
    }

    /// Alphabet strings of any other length are refused (the earlier 43- and 54-character
    /// forms among them).
    #[test]
    fn other_lengths_are_refused(
        value in alphabet_string(0..=3 * ENCODED_LEN)
            .prop_filter("not an id's length", |v| v.len() != ENCODED_LEN),
    ) {
        prop_assert!(SessionId::parse(&value).is_none(), "accepted {:?}", value);
    }

    /// A valid id with characters replaced by foreign ones of the same UTF-8 length (so the
    /// length check passes) is refused.
    #[test]
    fn a_foreign_character_anywhere_is_refused(
        bytes in any::<[u8; ID_BYTES]>(),
        replacements in prop::collection::vec((any::<prop::sample::Index>(), foreign_char()), 1..4),
    ) {
        let mut value = SessionId::from_bytes(bytes).encode();
        for (at, c) in replacements {
            let width = c.len_utf8();
            let start = at.index(ENCODED_LEN - width + 1);
            // Everything in `value` is ASCII or a replacement made earlier; only replace
            // whole characters.
            if !value.is_char_boundary(start) || !value.is_char_boundary(start + width) {
                continue;
            }
            value.replace_range(start..start + width, c.encode_utf8(&mut [0; 4]));
        }
        prop_assume!(!value.chars().all(in_alphabet));
        prop_assert!(SessionId::parse(&value).is_none(), "accepted {:?}", value);
    }

    /// A valid id with anything around it (whitespace, quotes, padding, a separator, one
    /// more character) is refused, not trimmed into a session.
    #[test]
    fn a_decorated_id_is_refused(
        bytes in any::<[u8; ID_BYTES]>(),
        before in prop::collection::vec(prop_oneof![
            prop::sample::select(vec![" ", "\t", "\n", "\"", "=", ";", "\0", "A", "\u{feff}"])
                .prop_map(str::to_owned),
            alphabet_string(1),
        ], 0..3),
        after in prop::collection::vec(prop_oneof![
            prop::sample::select(vec![" ", "\t", "\r\n", "\"", "=", "==", ";", "\0", "A", "\u{a0}"])
                .prop_map(str::to_owned),
            alphabet_string(1),
        ], 0..3),
    ) {
        prop_assume!(!before.is_empty() || !after.is_empty());
        let id = SessionId::from_bytes(bytes).encode();
        let value = format!("{}{id}{}", before.concat(), after.concat());
        prop_assert!(SessionId::parse(&value).is_none(), "accepted {:?}", value);
    }

    /// Case matters: an id with its letters' case changed is another id or nothing, never
    /// the same session.
    #[test]
    fn a_case_changed_id_is_not_the_same_session(
        bytes in any::<[u8; ID_BYTES]>(),
        at in any::<prop::sample::Index>(),
    ) {
        let encoded = SessionId::from_bytes(bytes).encode();
        let letters: Vec<usize> = encoded
            .char_indices()
            .filter(|(_, c)| c.is_ascii_alphabetic())
            .map(|(i, _)| i)
            .collect();
        prop_assume!(!letters.is_empty());
        let i = letters[at.index(letters.len())];
        let mut changed = encoded.into_bytes();
        changed[i] ^= 0x20; // ASCII case bit
        let changed = String::from_utf8(changed).expect("ASCII");
        let parsed = SessionId::parse(&changed);
        prop_assert!(parsed.as_ref().is_none_or(|id| id.bytes != bytes), "{:?}", changed);
    }
}
