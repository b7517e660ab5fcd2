//! The `Authorization` header as the provider reads it: HTTP Basic client credentials
//! (RFC 6749 §2.3.1) at the token endpoint, a bearer token (RFC 6750 §2.1) at userinfo.

use std::convert::Infallible;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use rocket::request::{FromRequest, Outcome, Request};

/// What the request's `Authorization` header holds. Never fails as a guard: each route
/// decides what a missing or malformed header means.
#[derive(Debug)]
pub(super) enum AuthHeader {
    /// No `Authorization` header.
    Missing,
    /// `Basic`: client id and secret, already form-decoded.
    Basic { id: String, secret: String },
    /// `Bearer`: the token.
    Bearer(String),
    /// Anything else: another scheme, bad base64, more than one header.
    Malformed,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthHeader {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let mut values = req.headers().get("Authorization");
        let header = match (values.next(), values.next()) {
            (None, _) => Self::Missing,
            (Some(value), None) => parse(value).unwrap_or(Self::Malformed),
            (Some(_), Some(_)) => Self::Malformed,
        };
        Outcome::Success(header)
    }
}

fn parse(value: &str) -> Option<AuthHeader> {
    let (scheme, credentials) = value.trim().split_once(' ')?;
    let credentials = credentials.trim_start();
    if credentials.is_empty() || credentials.contains(char::is_whitespace) {
        return None;
    }
    // Auth schemes are case-insensitive (RFC 9110 §11.1).
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(AuthHeader::Bearer(credentials.to_owned()));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = STANDARD.decode(credentials).or_else(|_| STANDARD_NO_PAD.decode(credentials));
    let decoded = String::from_utf8(bytes.ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some(AuthHeader::Basic { id: form_decode(id)?, secret: form_decode(secret)? })
}

/// Undoes `application/x-www-form-urlencoded` encoding, which RFC 6749 §2.3.1 applies to
/// the id and secret before they go into Basic: `+` is a space, `%XX` a byte. A `%` not
/// followed by two hex digits stays as it is.
fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (other, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> Option<AuthHeader> {
        parse(&format!("Basic {}", STANDARD.encode(raw)))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let Some(AuthHeader::Basic { id, secret }) = basic("my%3Aapp:a+b%25c%") else {
            panic!("not parsed as Basic");
        };
        assert_eq!((id.as_str(), secret.as_str()), ("my:app", "a b%c%"));
    }

    #[test]
    fn schemes_are_case_insensitive_and_others_are_refused() {
        assert!(matches!(parse("bEaReR abc"), Some(AuthHeader::Bearer(t)) if t == "abc"));
        assert!(parse("Digest abc").is_none());
        assert!(parse("Bearer").is_none());
        assert!(parse("Bearer a b").is_none());
        assert!(basic("no-colon").is_none());
    }
}

#[cfg(test)]
#[path = "auth_header_props.rs"]
mod props;
