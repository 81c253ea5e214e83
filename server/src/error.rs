//! `ApiError`: the one error type of the HTTP API.
//!
//! Every failure a handler can meet becomes one of these variants, and each variant maps to a
//! real status code and the JSON body of the contract: `{"error":{"code","message","fields"?}}`.
//! Internal failures are logged with their cause and answered with a generic message, so no
//! internals leak into a 500.

use std::collections::BTreeMap;
use std::time::Duration;

use atrium_client::wire::{ErrorBody, ErrorDetail, ItemError};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Result of a handler or domain function.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (bad JSON, bad cursor, bad query).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no valid credentials.
    #[error("authentication required")]
    Unauthorized,
    /// 401 with a specific reason (bad credentials, second factor needed or wrong).
    #[error("{message}")]
    AuthFailed { code: &'static str, message: String },
    /// 403: authenticated, but the role does not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// 403 with a specific reason a client can act on (e.g. `email_unverified`: verify the
    /// address first).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// 404: no such resource (or it belongs to another organisation).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 405: the route exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 410: the thing existed but can no longer be used (a spent or expired link).
    #[error("{0}")]
    Gone(String),
    /// 413: the request body is over the limit.
    #[error("the request body is larger than this endpoint accepts")]
    PayloadTooLarge,
    /// 415: the body is not of the expected content type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the body parsed, but some fields are invalid.
    #[error("invalid fields")]
    Validation(BTreeMap<String, String>),
    /// 422: some items of a request about many (a bulk change) are refused; nothing changed.
    #[error("invalid items")]
    ItemsRefused(Vec<ItemError>),
    /// 429: rate limited; retry after the given delay.
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    /// 429 with a specific code and a message that says what to do (log-in back-off,
    /// invitation limits); retry after the given delay.
    #[error("{message}")]
    Throttled {
        code: &'static str,
        message: String,
        retry_after: Duration,
    },
    /// 503: a dependency (database, storage) is unavailable right now.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A 422 for a single invalid field.
    pub fn invalid_field(field: &str, why: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(field.to_owned(), why.into())]))
    }

    /// A 409 with a code and message.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// A 500 wrapping its cause.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::AuthFailed { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Refused { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) | Self::ItemsRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } | Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::AuthFailed { code, .. }
            | Self::Refused { code, .. }
            | Self::Throttled { code, .. } => code,
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Gone(_) => "gone",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Validation(_) | Self::ItemsRefused(_) => "validation_failed",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn body(&self) -> ErrorBody {
        let message = match self {
            Self::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            Self::Validation(fields) => {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                format!("invalid fields: {}", names.join(", "))
            }
            Self::ItemsRefused(items) => format!("{} items refused; nothing changed", items.len()),
            other => other.to_string(),
        };
        let fields = match self {
            Self::Validation(fields) => Some(fields.clone()),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                fields,
            },
            errors: match self {
                Self::ItemsRefused(items) => Some(items.clone()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            Self::Unavailable(why) => tracing::warn!(reason = %why, "dependency unavailable"),
            _ => {}
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let Self::TooManyRequests { retry_after } | Self::Throttled { retry_after, .. } = &self {
            let secs = retry_after.as_secs().max(1);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable("the database is unavailable".to_owned())
            }
            // A connection the server closed or is closing (SQLSTATE class 08: connection
            // exception; 57P: shut down, crashed, restarting): the database is going away, not
            // the request at fault. Pooled connections are not pinged on every use, so the
            // first request after an outage may meet one.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")) =>
            {
                Self::Unavailable("the database is unavailable".to_owned())
            }
            _ => Self::internal(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak() {
        let body = ApiError::internal("secret table exploded").body();
        assert_eq!(body.error.code, "internal");
        assert!(!body.error.message.contains("secret"));
    }

    #[test]
    fn validation_carries_fields() {
        let error = ApiError::invalid_field("email", "is not an e-mail address");
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = error.body();
        assert_eq!(
            body.error.fields.unwrap()["email"],
            "is not an e-mail address"
        );
    }
}
