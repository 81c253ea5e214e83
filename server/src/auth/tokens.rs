//! Secrets handed to clients (session and API tokens; reset, invitation, e-mail verification
//! and unlock tokens; recovery codes): generated from the OS's random source, stored only as SHA-256 digests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// What a token is for; its prefix makes a leaked token recognisable (secret scanners).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    Api,
    PasswordReset,
    Invitation,
    EmailVerification,
    Unlock,
}

impl TokenKind {
    /// The prefix every token of this kind starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Session => "atr_s_",
            Self::Api => "atr_p_",
            Self::PasswordReset => "atr_r_",
            Self::Invitation => "atr_i_",
            Self::EmailVerification => "atr_v_",
            Self::Unlock => "atr_u_",
        }
    }

    /// The value of `auth_tokens.kind` for the kinds stored there.
    pub fn stored_name(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Api => "api",
            Self::PasswordReset => "password_reset",
            Self::Invitation => "invitation",
            Self::EmailVerification => "email_verification",
            Self::Unlock => "unlock",
        }
    }
}

/// A fresh token of `kind`: 256 random bits.
pub fn generate(kind: TokenKind) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a secret. Tokens carry 256 bits of entropy, so a fast hash is enough:
/// nothing can be brute-forced from the digest.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Ten recovery codes like `k3f9-x2m7`: short enough to type, 40 bits each, single use.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..10)
        .map(|_| {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).expect("the operating system's random source works");
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..4], &chars[4..])
        })
        .collect()
}

/// Recovery codes compare without case, blanks or the dash.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_prefixed() {
        let a = generate(TokenKind::Session);
        let b = generate(TokenKind::Session);
        assert_ne!(a, b);
        assert!(a.starts_with("atr_s_") && a.len() == 6 + 43);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn recovery_codes_normalise() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        let code = &codes[0];
        assert_eq!(
            normalize_recovery_code(&code.to_uppercase().replace('-', " - ")),
            code.replace('-', "")
        );
    }
}
