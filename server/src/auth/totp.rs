//! TOTP (RFC 6238): 6 digits, 30-second steps, SHA-1 — what every authenticator app speaks.
//!
//! A code is accepted for its own time step and one step either side (phone clocks drift).
//! [`verify`] returns the step the code belongs to, so that the caller can refuse a code of a
//! step at or before the last one used (`auth::store::use_totp_step`): one code logs in once.

use totp_rs::{Algorithm, Secret, TOTP};

/// Issuer shown in authenticator apps.
const ISSUER: &str = "Atrium";
/// Seconds per time step.
const STEP_SECS: u64 = 30;

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

/// The time step (30-second counter since the epoch) `code` is valid for now, or `None`
/// when it is not valid now.
pub fn verify(secret: &str, code: &str) -> Option<i64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    verify_at(secret, code, now)
}

/// [`verify`] at `now` (seconds since the epoch).
fn verify_at(secret: &str, code: &str, now: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "user")?;
    let current = now / STEP_SECS;
    // The earliest matching step first: a replay of an old code must meet the step it was
    // first used at, whichever neighbour step also happens to produce the same digits.
    [
        current.checked_sub(1),
        Some(current),
        current.checked_add(1),
    ]
    .into_iter()
    .flatten()
    .find(|step| constant_time_eq(totp.generate(step * STEP_SECS).as_bytes(), code.as_bytes()))
    .and_then(|step| i64::try_from(step).ok())
}

/// Compares without stopping at the first difference, so timing tells nothing of the code.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        assert!(verify(&secret, &code).is_some());
        assert!(verify(&secret, "000000").is_none() || code == "000000");
        assert!(verify(&secret, "12345").is_none());
        assert!(
            otpauth_url(&secret, "a@b.c")
                .unwrap()
                .starts_with("otpauth://totp/Atrium:a%40b.c?")
        );
    }

    #[test]
    fn codes_name_their_step_within_one_step_of_skew() {
        let secret = new_secret();
        let t = totp(&secret, "a@b.c").unwrap();
        let now = 1_800_000_015;
        let step = i64::try_from(now / STEP_SECS).unwrap();
        let at = |s: i64| t.generate(u64::try_from(s).unwrap() * STEP_SECS);
        assert_eq!(verify_at(&secret, &at(step), now), Some(step));
        for neighbour in [step - 1, step + 1] {
            let code = at(neighbour);
            let found = verify_at(&secret, &code, now).expect("a neighbour step is accepted");
            assert!((step - 1..=step + 1).contains(&found) && at(found) == code);
        }
        let old = at(step - 2);
        if ![step - 1, step, step + 1].iter().any(|s| at(*s) == old) {
            assert_eq!(verify_at(&secret, &old, now), None);
        }
    }
}
