//! Profile pictures from untrusted uploads: what is accepted and what is stored.
//!
//! The type is decided by the bytes, never by a name or a header: PNG, JPEG and WebP only.
//! Decoding is bounded like file previews are ([`crate::files::thumbnails`]): the upload's
//! size, its pixel dimensions (checked from the header before pixels are decoded) and what the
//! decoder may allocate. Nothing of the upload is kept: the picture is cropped to a square,
//! scaled to [`SIDE`] pixels and re-encoded as PNG, so metadata (a photo's location), trailing
//! bytes and anything a browser could mistake for markup are gone.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits};

/// Largest upload, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 2 << 20;
/// Largest width or height of an upload, in pixels.
pub const MAX_SIDE_PIXELS: u32 = 4096;
/// Most memory one decode may allocate.
const MAX_DECODE_ALLOC: u64 = 128 << 20;
/// The stored picture's width and height.
pub const SIDE: u32 = 256;
/// The stored picture's type.
pub const CONTENT_TYPE: &str = "image/png";

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("send a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error("the image may be at most {MAX_SIDE_PIXELS} × {MAX_SIDE_PIXELS} pixels")]
    TooManyPixels,
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
}

/// The accepted format the bytes are in, if any.
pub fn accepted_format(bytes: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(bytes).ok()? {
        format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) => Some(format),
        _ => None,
    }
}

/// Decodes within the limits and returns the square PNG to store. CPU-heavy: call it from a
/// blocking task.
pub fn normalise(bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    let format = accepted_format(bytes).ok_or(Refusal::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PIXELS);
    limits.max_image_height = Some(MAX_SIDE_PIXELS);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|error| match error {
        image::ImageError::Limits(_) => Refusal::TooManyPixels,
        other => Refusal::Unreadable(other.to_string()),
    })?;
    let square = image.resize_to_fill(SIDE, SIDE, FilterType::Triangle);
    let mut png = Vec::new();
    square
        .to_rgba8()
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|error| Refusal::Unreadable(error.to_string()))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 60]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    #[test]
    fn pictures_become_square_pngs_of_one_size() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let stored = normalise(&encoded(300, 120, format)).unwrap();
            assert_eq!(accepted_format(&stored), Some(ImageFormat::Png));
            let image = image::load_from_memory(&stored).unwrap();
            assert_eq!((image.width(), image.height()), (SIDE, SIDE), "{format:?}");
        }
    }

    #[test]
    fn the_bytes_decide_not_the_name() {
        assert_eq!(
            normalise(b"<svg onload=alert(1)>"),
            Err(Refusal::NotAnImage)
        );
        assert_eq!(
            normalise(&encoded(10, 10, ImageFormat::Gif)),
            Err(Refusal::NotAnImage)
        );
        let mut truncated = encoded(64, 64, ImageFormat::Png);
        truncated.truncate(40);
        assert!(matches!(normalise(&truncated), Err(Refusal::Unreadable(_))));
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        // One pixel too wide: small as a file, refused from its header.
        let wide = encoded(MAX_SIDE_PIXELS + 1, 1, ImageFormat::Png);
        assert_eq!(normalise(&wide), Err(Refusal::TooManyPixels));
    }
}
