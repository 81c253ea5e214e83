//! Checks of request fields that many resources share.

use crate::error::{ApiError, Result};

/// The longest name of a resource (an organisation, project, board, template…), in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A name, trimmed: 1 to [`MAX_NAME_CHARS`] printable characters, else a 422 naming `field`.
pub fn name(field: &str, value: &str) -> Result<String> {
    let name = value.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            field,
            format!("must be 1 to {MAX_NAME_CHARS} printable characters"),
        ));
    }
    Ok(name.to_owned())
}
