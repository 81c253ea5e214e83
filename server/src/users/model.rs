//! The rules for user fields.

use std::collections::BTreeMap;

use crate::error::ApiError;

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in bytes: argon2 takes any length, but a megabyte "password" is
/// a denial-of-service vector.
pub const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_NAME_CHARS: usize = 100;
const MAX_EMAIL_BYTES: usize = 254;
const HANDLE_CHARS: std::ops::RangeInclusive<usize> = 2..=32;

/// A validated new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// `None`: derive one from the e-mail address.
    pub handle: Option<String>,
    pub password: String,
}

impl NewUser {
    /// Normalises and validates the fields; every invalid one is reported at once (422).
    pub fn validate(
        email: &str,
        name: &str,
        handle: Option<&str>,
        password: &str,
    ) -> Result<Self, ApiError> {
        let mut fields = BTreeMap::new();
        let email = normalize_email(email);
        if let Err(why) = check_email(&email) {
            fields.insert("email".to_owned(), why.to_owned());
        }
        let name = name.trim().to_owned();
        if let Err(why) = check_name(&name) {
            fields.insert("name".to_owned(), why);
        }
        let handle = handle.map(|h| h.trim().trim_start_matches('@').to_lowercase());
        if let Some(Err(why)) = handle.as_deref().map(check_handle) {
            fields.insert("handle".to_owned(), why);
        }
        if let Err(why) = check_password_for(password, &email, &name) {
            fields.insert("password".to_owned(), why);
        }
        if fields.is_empty() {
            Ok(Self {
                email,
                name,
                handle,
                password: password.to_owned(),
            })
        } else {
            Err(ApiError::Validation(fields))
        }
    }
}

/// A display name (already trimmed): not empty, at most 100 printable characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(format!(
            "must be at most {MAX_NAME_CHARS} printable characters"
        ));
    }
    Ok(())
}

/// E-mail addresses compare case-insensitively and without surrounding blanks.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_email(email: &str) -> Result<(), &'static str> {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("is not an e-mail address");
    };
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if !plausible {
        return Err("is not an e-mail address");
    }
    if email.len() > MAX_EMAIL_BYTES {
        return Err("is too long");
    }
    Ok(())
}

/// Handles are what `@mentions` match: lowercase letters, digits, `_`, `.` and `-`, starting
/// with a letter or digit.
pub fn check_handle(handle: &str) -> Result<(), String> {
    let len = handle.chars().count();
    if !HANDLE_CHARS.contains(&len) {
        return Err(format!(
            "must be {} to {} characters",
            HANDLE_CHARS.start(),
            HANDLE_CHARS.end()
        ));
    }
    let valid_chars = handle
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    let valid_start = handle
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !valid_chars || !valid_start {
        return Err(
            "may hold only a-z, 0-9, '_', '.' and '-', and must start with a letter or digit"
                .to_owned(),
        );
    }
    Ok(())
}

/// Passwords people pick most often among those long enough to pass the length rule.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Checks a new password: long enough, not absurdly long, not a well-known one, not one
/// character repeated, and not the account's own e-mail address or name.
pub fn check_password_for(password: &str, email: &str, name: &str) -> Result<(), String> {
    check_password(password)?;
    let lowered = password.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    if lowered == email.to_lowercase()
        || lowered == local_part.to_lowercase()
        || lowered == name.to_lowercase()
    {
        return Err("must not be your e-mail address or name".to_owned());
    }
    Ok(())
}

fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("must be at most {MAX_PASSWORD_BYTES} bytes"));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.lines().any(|common| common == lowered) {
        return Err("is one of the most common passwords; choose another".to_owned());
    }
    let mut distinct: Vec<char> = lowered.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err("needs more different characters".to_owned());
    }
    Ok(())
}

/// A handle derived from an e-mail address's local part (`Ann.Lee+x@…` → `ann.lee`), padded
/// or cut to a valid length. The caller makes it unique.
pub fn handle_from_email(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default();
    let local = local.split('+').next().unwrap_or_default();
    let mut handle: String = local
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(*c))
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .take(*HANDLE_CHARS.end() - 4)
        .collect();
    while handle.chars().count() < *HANDLE_CHARS.start() {
        handle.push_str(if handle.is_empty() { "user" } else { "0" });
    }
    handle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_valid_handles() {
        for (email, want) in [
            ("Ann.Lee+news@example.com", "ann.lee"),
            ("__x@example.com", "x0"),
            ("élan@example.com", "lan"),
            ("@example.com", "user"),
            (
                "a-very-long-local-part-that-goes-on-and-on@example.com",
                "a-very-long-local-part-that-",
            ),
        ] {
            let handle = handle_from_email(email);
            assert_eq!(handle, want, "{email}");
            check_handle(&handle).unwrap();
        }
    }

    #[test]
    fn reports_every_invalid_field() {
        let Err(ApiError::Validation(fields)) =
            NewUser::validate("nope", " ", Some("-bad"), "short")
        else {
            panic!("expected a validation error");
        };
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["email", "handle", "name", "password"]
        );
    }

    #[test]
    fn refuses_weak_passwords() {
        for weak in [
            "Password123",
            "aaaaaaaaaaaa",
            "abababababab",
            "ann@example.com",
        ] {
            assert!(
                check_password_for(weak, "ann@example.com", "Ann").is_err(),
                "{weak}"
            );
        }
        check_password_for("plum tree at dusk", "ann@example.com", "Ann").unwrap();
    }

    #[test]
    fn normalises() {
        let user = NewUser::validate(
            "  Ann@Example.COM ",
            " Ann ",
            Some("@Ann_1"),
            "long enough pw",
        )
        .unwrap();
        assert_eq!(user.email, "ann@example.com");
        assert_eq!(user.name, "Ann");
        assert_eq!(user.handle.as_deref(), Some("ann_1"));
    }
}
