//! TOTP (RFC 6238): 6 digits, 30-second steps, SHA-1 — what every authenticator app speaks.

use totp_rs::{Algorithm, Secret, TOTP};

/// Issuer shown in authenticator apps.
const ISSUER: &str = "Atrium";

/// A fresh 160-bit secret, base32-encoded.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    // One step of skew either way: clocks on phones drift.
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// The `otpauth://` URL an authenticator app imports (as a QR code).
pub fn otpauth_url(secret: &str, account: &str) -> Option<String> {
    totp(secret, account).map(|t| t.get_url())
}

/// Whether `code` is valid now for `secret`.
pub fn verify(secret: &str, code: &str) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    totp(secret, "user").is_some_and(|t| t.check_current(&code).unwrap_or(false))
}

/// Whether a presented second factor looks like a TOTP code (digits) rather than a recovery code.
pub fn looks_like_code(text: &str) -> bool {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_codes_verify() {
        let secret = new_secret();
        let code = totp(&secret, "a@b.c").unwrap().generate_current().unwrap();
        assert!(verify(&secret, &code));
        assert!(!verify(&secret, "000000") || code == "000000");
        assert!(!verify(&secret, "12345"));
        assert!(
            otpauth_url(&secret, "a@b.c")
                .unwrap()
                .starts_with("otpauth://totp/Atrium:a%40b.c?")
        );
    }
}
