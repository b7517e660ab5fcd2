//! Secrets and the names they are stored under: 256-bit tokens from the OS CSPRNG in
//! base64url, and lowercase hex SHA-256 digests, so that storage never holds a usable
//! secret (session ids, CSRF tokens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 256 bits from the OS CSPRNG, base64url without padding (43 characters).
///
/// # Errors
/// When the OS random source fails; no token is ever made from a weaker source.
pub(crate) fn random_token() -> Result<String, getrandom::Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes()?))
}

/// 32 bytes from the OS CSPRNG.
///
/// # Errors
/// When the OS random source fails.
pub(crate) fn random_bytes() -> Result<[u8; 32], getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// The SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// `bytes` in lowercase hex (ASCII).
pub(crate) fn hex(bytes: &[u8; 32]) -> [u8; 64] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 64];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    hex
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
