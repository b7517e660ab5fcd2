//! Property tests of `form.rs`: every provider endpoint reads its parameters from a query
//! string or a form body anyone can send.

use proptest::prelude::*;

use super::*;

/// The names the provider asks for (`Params::one` takes only `'static` names).
const NAMES: &[&str] = &[
    "client_id",
    "client_secret",
    "code",
    "code_verifier",
    "grant_type",
    "redirect_uri",
    "state",
    "error",
];

/// Short strings of any characters, the ones form encoding treats specially often.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec!['&', '=', '%', '+', ' ', ';', '#', '?', '\0', 'é']),
    ];
    prop::collection::vec(c, 0..12).prop_map(|c| c.into_iter().collect())
}

/// A parameter name: one the provider asks for, or any.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![3 => prop::sample::select(NAMES).prop_map(str::to_owned), 1 => text()]
}

/// A value, empty often (empty counts as absent).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just(String::new()), 3 => text()]
}

/// Every byte of `text` as `%XX`, except that unreserved characters stay and a space
/// is `+` or `%20` (clients do either): one of the many ways to write the same pair.
fn percent_encode(text: &str, plus: bool, upper: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b' ' if plus => "+".to_owned(),
            _ if upper => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

/// `pairs` as a form body, each encoded one of the ways clients do.
fn encode(pairs: &[(String, String)], style: &[(bool, bool)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .zip(style.iter().cycle())
        .map(|((n, v), &(plus, upper))| {
            format!("{}={}", percent_encode(n, plus, upper), percent_encode(v, plus, upper))
        })
        .collect();
    encoded.join("&")
}

/// An independent reading of `input` as `application/x-www-form-urlencoded` (the WHATWG
/// URL standard's parser): the reference `Params::parse` is held to.
fn reference_parse(input: &[u8]) -> Vec<(String, String)> {
    fn decode(bytes: &[u8]) -> String {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    input
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.iter().position(|&b| b == b'=') {
            Some(at) => (decode(&piece[..at]), decode(&piece[at + 1..])),
            None => (decode(piece), String::new()),
        })
        .collect()
}

/// What `one(name)` must answer for `pairs`.
fn expected_one<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, ()> {
    let values: Vec<&str> =
        pairs.iter().filter(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.as_str()).collect();
    match values.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(()),
    }
}

fn check_one(params: &Params, pairs: &[(String, String)]) -> Result<(), TestCaseError> {
    for &name in NAMES {
        match (params.one(name), expected_one(pairs, name)) {
            (Ok(got), Ok(want)) => prop_assert_eq!(got, want, "{}", name),
            (Err(Repeated(reported)), Err(())) => prop_assert_eq!(reported, name),
            (got, want) => prop_assert!(false, "{}: got {:?}, want {:?}", name, got, want),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any bytes: no panic, the parameters are the standard reading of them, and `one`
    /// answers by the rules (empty is absent, more than one non-empty value is an error).
    #[test]
    fn any_input_reads_as_the_standard_says(
        input in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..48),
            prop::collection::vec(
                prop::sample::select(b"&=%+aZ09AfG \x80\xff".to_vec()), 0..48),
            text().prop_map(String::into_bytes),
        ],
    ) {
        let params = Params::parse(&input);
        let reference = reference_parse(&input);
        prop_assert_eq!(&params.0, &reference, "{:?}", String::from_utf8_lossy(&input));
        check_one(&params, &reference)?;
    }

    /// Any pairs, percent-encoded any of the usual ways, read back exactly.
    #[test]
    fn encoded_pairs_round_trip(
        pairs in prop::collection::vec((name(), value()), 0..8),
        style in prop::collection::vec((any::<bool>(), any::<bool>()), 1..4),
    ) {
        // A pair with an empty name and value encodes to nothing, `=`: kept as ("", "").
        let body = encode(&pairs, &style);
        let params = Params::parse(body.as_bytes());
        prop_assert_eq!(&params.0, &pairs, "{}", body);
        check_one(&params, &pairs)?;
    }

    /// A parameter sent twice with values is reported, whichever of its spellings
    /// (`code`, `c%6Fde`, `%63ode`) each copy uses; with one value it is read, with none
    /// it is absent.
    #[test]
    fn repeats_are_reported_under_any_spelling(
        name in prop::sample::select(NAMES),
        values in prop::collection::vec(value(), 0..4),
        spellings in prop::collection::vec(prop::collection::vec(any::<bool>(), 16), 4),
        others in prop::collection::vec((name(), value()), 0..4),
    ) {
        let mut body: Vec<String> = values
            .iter()
            .zip(&spellings)
            .map(|(v, escape)| {
                let spelled: String = name
                    .bytes()
                    .zip(escape.iter().cycle())
                    .map(|(b, &e)| if e { format!("%{b:02X}") } else { char::from(b).to_string() })
                    .collect();
                format!("{spelled}={}", percent_encode(v, true, true))
            })
            .collect();
        let others: Vec<(String, String)> =
            others.into_iter().filter(|(n, _)| n != name).collect();
        body.push(encode(&others, &[(false, true)]));
        let params = Params::parse(body.join("&").as_bytes());
        let non_empty: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        match (params.one(name), non_empty.as_slice()) {
            (Ok(None), []) => {}
            (Ok(Some(got)), [one]) => prop_assert_eq!(got, one.as_str()),
            (Err(Repeated(reported)), [_, _, ..]) => prop_assert_eq!(reported, name),
            (got, want) => prop_assert!(false, "got {:?} for values {:?}", got, want),
        }
    }
}
