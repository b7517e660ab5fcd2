//! Secrets the demo makes (authorization codes, access tokens, client secrets) and the
//! names they are stored under: 256 bits from the OS CSPRNG in base64url, and the hex
//! SHA-256 of a secret, so that storage never holds a usable one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 256 bits from the OS CSPRNG, base64url without padding (43 characters).
///
/// # Errors
/// When the OS random source fails; no secret is ever made from a weaker source.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

#[cfg(test)]
#[path = "secret_tests.rs"]
mod tests;
