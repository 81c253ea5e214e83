//! What unknown API routes and methods answer.

use crate::error::ApiError;

/// A request under `/api/` for a path no route serves: the JSON 404. (Other paths belong to
/// the browser app's client-side routes; see `web`.)
pub async fn api_not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// A known path with a method it does not accept.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
