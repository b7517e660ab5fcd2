//! PKCE (RFC 7636), `S256` only: the shape of a challenge or verifier, and the check.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The one transformation accepted. `plain` would let a stolen authorization request
/// redeem its code (RFC 7636 §7.2), so it is refused.
pub(super) const S256: &str = "S256";

/// Whether `value` is 43 to 128 characters of the unreserved set `A-Z a-z 0-9 - . _ ~`
/// (RFC 7636 §4.1 for the verifier, §4.2 for the challenge).
pub(super) fn well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Whether `BASE64URL(SHA256(verifier))` is `challenge` (RFC 7636 §4.6), compared in
/// constant time.
pub(super) fn verify(verifier: &str, challenge: &str) -> bool {
    if !well_formed(verifier) {
        return false;
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_appendix_b_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(verifier, challenge));
        assert!(!verify(challenge, verifier));
    }

    #[test]
    fn short_long_or_reserved_characters_are_not_well_formed() {
        assert!(!well_formed(&"a".repeat(42)));
        assert!(well_formed(&"a".repeat(43)));
        assert!(well_formed(&"a".repeat(128)));
        assert!(!well_formed(&"a".repeat(129)));
        assert!(!well_formed(&format!("{}+", "a".repeat(43))));
    }
}
