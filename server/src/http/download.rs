//! The headers of a download the API builds for its caller (an export, a CSV, an archive):
//! its type, an attachment name, never kept by shared caches, never sniffed into another type.

use axum::http::{HeaderMap, HeaderValue, header};

/// Marks a response as the download `file_name` of `content_type`.
pub fn attachment(headers: &mut HeaderMap, content_type: &'static str, file_name: &str) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) =
        HeaderValue::from_str(&crate::files::model::content_disposition(file_name, false))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
