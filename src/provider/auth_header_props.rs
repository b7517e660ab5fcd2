//! Property tests of `auth_header.rs`: the token and userinfo endpoints read the
//! `Authorization` header of anyone who calls them.

use base64::engine::general_purpose::URL_SAFE;
use oauth2::url::form_urlencoded;
use proptest::prelude::*;

use super::*;

/// Short strings of any characters, the ones Basic and form encoding treat specially often.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![':', '%', '+', ' ', '&', '=', '/', '\0', '\t', 'é', '€']),
        1 => prop::sample::select(vec!['2', '5', 'A', 'f', 'G', '3']), // after a '%'
    ];
    prop::collection::vec(c, 0..16).prop_map(|c| c.into_iter().collect())
}

/// `text` as `application/x-www-form-urlencoded` writes it (RFC 6749 §2.3.1).
fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `text` encoded as little as a client may: only `%`, `+` and `:` (and for the id, which
/// Basic ends at the first `:`, that is the one that matters).
fn form_encode_minimally(text: &str) -> String {
    text.replace('%', "%25").replace('+', "%2B").replace(':', "%3A")
}

/// Ways to write a scheme name: any case.
fn scheme_case(scheme: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), scheme.len()).prop_map(move |upper| {
        scheme
            .chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

/// Whitespace around the header value, and spaces (at least one) after the scheme.
fn layout() -> impl Strategy<Value = (String, String, String)> {
    ("[ \t]{0,2}", "[ ]{1,3}", "[ \t]{0,2}")
}

/// Tokens a bearer may send: non-empty, no whitespace.
fn bearer_token() -> impl Strategy<Value = String> {
    text()
        .prop_map(|t| t.replace(char::is_whitespace, ""))
        .prop_filter("non-empty", |t| !t.is_empty())
}

/// What `parse` answers, in a form that compares.
fn parsed(value: &str) -> Option<(&'static str, String, String)> {
    parse(value).map(|header| match header {
        AuthHeader::Basic { id, secret } => ("basic", id, secret),
        AuthHeader::Bearer(token) => ("bearer", token, String::new()),
        AuthHeader::Missing => ("missing", String::new(), String::new()),
        AuthHeader::Malformed => ("malformed", String::new(), String::new()),
    })
}

/// A header value made of pieces that matter to the parser, in any order.
fn hostile_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "Basic", "basic", "BEARER", "Bearer", "Digest", " ", "  ", "\t", ":", "=", "==", "%",
            "%3A", "+", "\u{a0}", "\u{2003}",
        ])
        .prop_map(str::to_owned),
        text(),
        text().prop_map(|t| STANDARD.encode(t)),
        text().prop_map(|t| STANDARD_NO_PAD.encode(t)),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(|b| STANDARD.encode(b)),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any string: no panic; and what is returned is the scheme the value names, with a
    /// credential that stands alone after it.
    #[test]
    fn any_value_parses_to_its_own_scheme_or_nothing(
        value in prop_oneof![any::<String>(), hostile_value()],
    ) {
        let trimmed = value.trim();
        let scheme = trimmed.split(' ').next().unwrap_or_default();
        match parse(&value) {
            None | Some(AuthHeader::Missing | AuthHeader::Malformed) => {}
            Some(AuthHeader::Bearer(token)) => {
                prop_assert!(scheme.eq_ignore_ascii_case("bearer"), "{:?}", value);
                prop_assert!(!token.is_empty() && !token.contains(char::is_whitespace));
                prop_assert!(trimmed.ends_with(&token), "{:?} does not end {:?}", token, value);
                let between = &trimmed[scheme.len()..trimmed.len() - token.len()];
                prop_assert!(between.starts_with(' ') && between.trim().is_empty(), "{:?}", value);
            }
            Some(AuthHeader::Basic { id, secret }) => {
                prop_assert!(scheme.eq_ignore_ascii_case("basic"), "{:?}", value);
                // The credential is base64 of `id:secret`, form-encoded some way.
                let credential = trimmed[scheme.len()..].trim_start();
                // A Basic answer for anything else is a failure of the property, reported
                // with its input like any other.
                let fail = |why: &str| TestCaseError::fail(format!("Basic for {value:?}: {why}"));
                let decoded = STANDARD
                    .decode(credential)
                    .or_else(|_| STANDARD_NO_PAD.decode(credential))
                    .map_err(|_| fail("not base64"))?;
                let decoded = String::from_utf8(decoded).map_err(|_| fail("not UTF-8"))?;
                let (raw_id, raw_secret) = decoded.split_once(':').ok_or_else(|| fail("no ':'"))?;
                prop_assert!(!raw_id.contains(':'));
                prop_assert_eq!(form_decode(raw_id), Some(id));
                prop_assert_eq!(form_decode(raw_secret), Some(secret));
            }
        }
    }

    /// Basic with any id and secret, form-encoded then base64 (padded or not), comes back
    /// as exactly that id and secret, whatever the scheme's case and the spacing.
    #[test]
    fn basic_credentials_round_trip(
        id in text(),
        secret in text(),
        minimal in any::<bool>(),
        padded in any::<bool>(),
        scheme in scheme_case("basic"),
        (before, between, after) in layout(),
    ) {
        let pair = match minimal {
            // A secret may keep its ':': only the first one ends the id.
            true => {
                let secret = secret.replace('%', "%25").replace('+', "%2B");
                format!("{}:{secret}", form_encode_minimally(&id))
            }
            false => format!("{}:{}", form_encode(&id), form_encode(&secret)),
        };
        let credential = match padded {
            true => STANDARD.encode(&pair),
            false => STANDARD_NO_PAD.encode(&pair),
        };
        let value = format!("{before}{scheme}{between}{credential}{after}");
        prop_assert_eq!(parsed(&value), Some(("basic", id, secret)), "{:?}", value);
    }

    /// A bearer token without whitespace comes back as it was sent.
    #[test]
    fn bearer_tokens_round_trip(
        token in bearer_token(),
        scheme in scheme_case("bearer"),
        (before, between, after) in layout(),
    ) {
        let value = format!("{before}{scheme}{between}{token}{after}");
        prop_assert_eq!(parsed(&value), Some(("bearer", token, String::new())), "{:?}", value);
    }

    /// Basic that is not base64, not UTF-8, has no `:`, or decodes to a `%XX` that is not
    /// UTF-8 is refused, never read as some other id and secret.
    #[test]
    fn broken_basic_is_refused(
        id in text(),
        secret in text(),
        how in 0..6u8,
        bytes in prop::collection::vec(128u8..=255, 1..4),
        scheme in scheme_case("basic"),
    ) {
        let credential = match how {
            // not UTF-8 once base64-decoded
            0 => {
                prop_assume!(std::str::from_utf8(&bytes).is_err());
                STANDARD.encode([form_encode(&id).as_bytes(), b":", &bytes].concat())
            }
            // no ':'
            1 => STANDARD.encode(form_encode(&id)),
            // a `%XX` byte that is not UTF-8
            2 => {
                let (id, secret) = (form_encode(&id), form_encode(&secret));
                STANDARD.encode(format!("{id}:{secret}%{:02X}", bytes[0]))
            }
            // the URL-safe alphabet (with at least one of its own characters)
            3 => {
                let (id, secret) = (form_encode(&id), form_encode(&secret));
                let encoded = URL_SAFE.encode(format!("{id}:{secret}"));
                prop_assume!(encoded.contains(['-', '_']));
                encoded
            }
            // a character that is not base64
            4 => format!("{}*", STANDARD_NO_PAD.encode(format!("{id}:{secret}"))),
            // base64 with its padding wrong
            _ => {
                let encoded = STANDARD_NO_PAD.encode(format!("{id}:{secret}"));
                prop_assume!(encoded.len() % 4 != 0);
                format!("{encoded}===")
            }
        };
        let value = format!("{scheme} {credential}");
        prop_assert_eq!(parsed(&value), None, "{:?}", value);
    }

    /// Other schemes, a scheme alone, or a credential with whitespace inside are refused.
    #[test]
    fn other_schemes_and_split_credentials_are_refused(
        scheme in "[A-Za-z][A-Za-z0-9_-]{0,10}",
        token in bearer_token(),
        more in bearer_token(),
        space in prop::sample::select(vec![" ", "\t", "\u{a0}", "\n", "\u{3000}"]),
        known in prop_oneof![scheme_case("basic"), scheme_case("bearer")],
    ) {
        if !scheme.eq_ignore_ascii_case("basic") && !scheme.eq_ignore_ascii_case("bearer") {
            prop_assert_eq!(parsed(&format!("{scheme} {token}")), None);
        }
        prop_assert_eq!(parsed(&known), None);
        prop_assert_eq!(parsed(&format!("{known} ")), None);
        prop_assert_eq!(parsed(&format!("{known} {token}{space}{more}")), None);
        // The scheme is a whole word: `Bearerx token`, `Bearer:token` are other schemes.
        prop_assert_eq!(parsed(&format!("{known}x {token}")), None);
        prop_assert_eq!(parsed(&format!("{known}:{token}")), None);
    }
}
