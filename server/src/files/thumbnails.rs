//! `GET /api/v1/files/{file}/thumbnail?size=`: a PNG preview of an image file, made on demand.
//!
//! Decoding untrusted images is where a hostile upload would try to hurt the server, so every
//! step is bounded: the source size, the decoded dimensions and allocation (the `image` crate's
//! limits, checked from the header before pixels are decoded), the time (a blocking thread with a
//! deadline), and how many previews are made at once. Previews carry an `ETag` of the content
//! hash and size, so browsers keep them; the server does not store them.

use std::io::Cursor;
use std::sync::LazyLock;
use std::time::Duration;

use atrium_client::wire::ErrorBody;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt as _;
use serde::Deserialize;
use tokio::sync::Semaphore;
use utoipa::IntoParams;

use super::routes::file_for;
use super::storage::blob_key;
use super::upload::storage_error;
use crate::auth::CurrentUser;
use crate::authz::ProjectAction;
use crate::error::{ApiError, Result};
use crate::http::extract::{Path, Query};
use crate::state::AppState;

/// Largest image file a preview is made of.
const MAX_SOURCE_BYTES: i64 = 32 << 20;
/// Largest decoded width or height.
const MAX_DIMENSION: u32 = 12_000;
/// Most memory one decode may allocate.
const MAX_DECODE_ALLOC: u64 = 256 << 20;
/// How long one preview may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// Preview sizes offered (the longer side, in pixels).
const SIZES: std::ops::RangeInclusive<u32> = 16..=1024;
/// Previews made at the same time; further requests wait their turn.
static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// Image types previews are made of.
fn previewable(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// `?size=` (the longer side in pixels, 16 to 1024; default 256).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    #[param(minimum = 16, maximum = 1024)]
    size: Option<u32>,
}

/// A PNG preview of an image file's current version, at most `size` pixels on its longer side.
#[utoipa::path(get, path = "/api/v1/files/{file}/thumbnail", tag = "files", params(("file" = String, Path), SizeQuery), responses(
    (status = 200, description = "A PNG preview", content_type = "image/png"),
    (status = 304, description = "Unchanged (If-None-Match)"),
    (status = 400, description = "Size out of range", body = ErrorBody),
    (status = 404, description = "No such file", body = ErrorBody),
    (status = 415, description = "Not an image a preview is made of", body = ErrorBody),
    (status = 422, description = "The image is too large or cannot be decoded", body = ErrorBody)))]
pub async fn file_thumbnail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(file_id): Path<String>,
    Query(query): Query<SizeQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let size = query.size.unwrap_or(256);
    if !SIZES.contains(&size) {
        return Err(ApiError::bad_request(
            "invalid_size",
            format!("size must be {} to {}", SIZES.start(), SIZES.end()),
        ));
    }
    let file = file_for(&state, &user, &file_id, ProjectAction::Read).await?;
    if !previewable(&file.content_type) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "no preview is made of {} files",
            file.content_type
        )));
    }
    let etag = format!("\"{}-{size}\"", file.sha256);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    if file.size > MAX_SOURCE_BYTES {
        return Err(ApiError::invalid_field(
            "file",
            "the image is too large for a preview",
        ));
    }

    let _slot = SLOTS.acquire().await.map_err(ApiError::internal)?;
    let stream = state
        .files
        .store
        .read(&blob_key(&file.org_id, &file.sha256), None)
        .await
        .map_err(storage_error)?;
    let bytes: Vec<u8> = stream
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .map_err(|e| ApiError::Unavailable(format!("file storage failed while reading: {e}")))?;
    let preview = tokio::time::timeout(
        DEADLINE,
        tokio::task::spawn_blocking(move || render(&bytes, size)),
    )
    .await
    .map_err(|_| ApiError::invalid_field("file", "the preview took too long to make"))?
    .map_err(ApiError::internal)?
    .map_err(|why| ApiError::invalid_field("file", why))?;

    let mut response = preview.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// Decodes within the limits and encodes a PNG no larger than `size` on its longer side.
fn render(bytes: &[u8], size: u32) -> std::result::Result<Vec<u8>, String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| format!("the image cannot be decoded: {e}"))?;
    let preview = if image.width().max(image.height()) > size {
        image.thumbnail(size, size)
    } else {
        image
    };
    let mut png = Vec::new();
    preview
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 60]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn previews_keep_the_aspect_and_never_grow() {
        let preview = image::load_from_memory(&render(&png(400, 200), 100).unwrap()).unwrap();
        assert_eq!((preview.width(), preview.height()), (100, 50));
        let small = image::load_from_memory(&render(&png(40, 20), 100).unwrap()).unwrap();
        assert_eq!((small.width(), small.height()), (40, 20));
    }

    #[test]
    fn hostile_images_are_refused_cleanly() {
        // A PNG header claiming 100,000 × 100,000 pixels: refused from the header alone.
        let mut huge = png(1, 1);
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(render(&huge, 64).is_err());
        assert!(render(b"not an image at all", 64).is_err());
        assert!(render(&png(10, 10)[..30], 64).is_err());
    }
}
