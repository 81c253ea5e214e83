//! `Json`, `Query` and `Path` extractors that reject with the contract's JSON errors instead of
//! axum's plain-text ones.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body in, a JSON body out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(request, state)
            .await
            .map_err(json_rejection)?;
        Self::from_value(value)
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// A JSON body the route read itself (one that may be absent), checked as the extractor
    /// checks a body.
    pub fn from_value(mut value: serde_json::Value) -> Result<Self, ApiError> {
        // Every JSON body of the API is an object. serde would also build a struct from an
        // array of its fields in order (`[null, null]` read as a PATCH of nothing), which no
        // client means: refuse it.
        if !value.is_object() {
            return Err(ApiError::bad_request(
                "invalid_body",
                "the body must be a JSON object",
            ));
        }
        if holds_nul(&value) {
            return Err(nul_refused("invalid_body"));
        }
        integral_numbers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_body",
                    format!("the body does not have the expected shape: {e}"),
                )
            })
    }
}

/// Text never holds NUL (U+0000): PostgreSQL cannot store or compare it (a 500 there, while
/// SQLite kept it), so a body or path with one is refused up front on both databases. (Query
/// parameters are filters, checked by their routes: search, say, narrows to nothing instead.)
fn nul_refused(code: &'static str) -> ApiError {
    ApiError::bad_request(code, "text must not hold NUL (U+0000) characters")
}

/// Whether a NUL is in any string or key of `value`.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// Whether a path holds an encoded NUL (a raw one cannot be in a URI).
fn encodes_nul(component: &str) -> bool {
    component.as_bytes().windows(3).any(|w| w == b"%00")
}

/// JSON has one number type: `3.0` is the integer 3 as much as `3` is (JSON Schema counts both
/// as `integer`), but serde refuses a float for an integer field. Whole numbers written with a
/// fraction become integers before the body is read; others stay floats.
fn integral_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                // Below 2^53 a float's integer value is exact, and fits i64.
                *n = serde_json::Number::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "invalid_json",
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::JsonDataError(e) => ApiError::bad_request(
            "invalid_body",
            format!(
                "the body does not have the expected shape: {}",
                e.body_text()
            ),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "expected a body with Content-Type: application/json".to_owned(),
        ),
        JsonRejection::BytesRejection(BytesRejection::FailedToBufferBody(e)) => {
            body_error(&e.body_text(), e.status())
        }
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// A body that could not be read is either over the size limit (413) or cut off (400).
fn body_error(text: &str, status: axum::http::StatusCode) -> ApiError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request(
            "invalid_body",
            format!("the body could not be read: {text}"),
        )
    }
}

/// Query-string parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|e: QueryRejection| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if encodes_nul(parts.uri.path()) {
            return Err(nul_refused("invalid_path"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|e: PathRejection| ApiError::bad_request("invalid_path", e.body_text()))
    }
}
