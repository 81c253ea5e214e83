//! File types on the wire and the pure rules: names, content sniffing, how a type is served.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest stored file name, in characters.
const MAX_NAME_CHARS: usize = 255;
/// Bytes of the start of a file that content sniffing looks at.
pub const SNIFF_BYTES: usize = 8192;

/// A file in a project: its current version's name, size, type and hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileInfo {
    pub id: String,
    pub org_id: String,
    pub project_id: String,
    pub name: String,
    /// Size of the current version in bytes.
    pub size: i64,
    /// Sniffed from the bytes at upload.
    pub content_type: String,
    /// SHA-256 of the current version (hex); also its `ETag`.
    pub sha256: String,
    /// The current version's number (1 for the first upload).
    pub version: i64,
    pub version_id: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub trashed_at: Option<i64>,
    /// Text extraction of the current version: `pending`, `running`, `done`, `failed` or
    /// `skipped` (a type without text, or too large).
    pub extraction: String,
    /// What the caller may do with it (absent in event payloads, which go to many users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can: Option<atrium_client::wire::Can>,
}

/// One version of a file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileVersion {
    pub id: String,
    pub file_id: String,
    pub number: i64,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub created_by: String,
    pub created_at: i64,
    pub extraction: String,
    /// Why extraction failed or was skipped.
    pub extraction_error: Option<String>,
}

/// The text extracted from a version, for previews and checks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExtractedText {
    pub version_id: String,
    pub extraction: String,
    pub error: Option<String>,
    pub text: Option<String>,
}

/// A client-given file name made safe to store and show: the last path component only, no
/// control characters, trimmed, at most 255 characters; `file` when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_matches('.').trim();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The content type of a file from its first bytes. Binary formats are recognised by their
/// magic numbers; text is told apart from binary by being UTF-8 without NUL bytes. Among text
/// types the name's extension may only pick a plain-text flavour (Markdown, CSV), never turn
/// text into an active type: HTML and SVG are recognised from the bytes alone.
pub fn sniff(head: &[u8], name: &str) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    if !looks_like_text(head) {
        return "application/octet-stream".to_owned();
    }
    let start = String::from_utf8_lossy(&head[..head.len().min(1024)]).to_ascii_lowercase();
    let start = start.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        return "text/html".to_owned();
    }
    if start.contains("<svg") && (start.starts_with("<svg") || start.starts_with("<?xml")) {
        return "image/svg+xml".to_owned();
    }
    if start.starts_with("<?xml") {
        return "application/xml".to_owned();
    }
    if (start.starts_with('{') || start.starts_with('['))
        && (head.len() < SNIFF_BYTES && serde_json::from_slice::<serde_json::Value>(head).is_ok()
            || extension(name) == "json")
    {
        return "application/json".to_owned();
    }
    match extension(name).as_str() {
        "md" | "markdown" => "text/markdown".to_owned(),
        "csv" => "text/csv".to_owned(),
        _ => "text/plain".to_owned(),
    }
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether `head` is UTF-8 text (a character cut at the end of the sample is fine).
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// Whether a type may be shown inline in the app's origin. Everything else — HTML, SVG, XML,
/// scripts, anything unknown — is served as an attachment so it cannot run there.
pub fn inline_safe(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "image/avif"
            | "image/bmp"
            | "application/pdf"
            | "text/plain"
            | "text/csv"
            | "text/markdown"
            | "application/json"
            | "audio/mpeg"
            | "audio/ogg"
            | "audio/wav"
            | "video/mp4"
            | "video/webm"
    )
}

/// The `Content-Disposition` value for a file name (RFC 6266): an ASCII fallback with every
/// risky character replaced, and the exact name percent-encoded in `filename*`.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let disposition = if inline { "inline" } else { "attachment" };
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' ' | '-' | '_' | '.' | '(' | ')' | '+' | ',' => c,
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A byte range a client asked for, resolved against the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable `Range` (absent, malformed, several ranges): send everything.
    Full,
    /// Inclusive `start..=end`.
    Partial(u64, u64),
    /// Syntactically fine but outside the file: 416.
    Unsatisfiable,
}

/// Parses a single-range `Range: bytes=…` header against a file of `size` bytes.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match parse(last) {
            Some(0) => RangeRequest::Unsatisfiable,
            Some(n) if size > 0 => RangeRequest::Partial(size.saturating_sub(n), size - 1),
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Full,
        },
        (false, _) => {
            let Some(start) = parse(first) else {
                return RangeRequest::Full;
            };
            let end = if last.is_empty() {
                Some(u64::MAX)
            } else {
                parse(last)
            };
            match end {
                None => RangeRequest::Full,
                Some(end) if end < start => RangeRequest::Full,
                Some(_) if start >= size => RangeRequest::Unsatisfiable,
                Some(end) => RangeRequest::Partial(start, end.min(size - 1)),
            }
        }
        (true, true) => RangeRequest::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_controls() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\r\nb.txt"), "ab.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
    }

    #[test]
    fn disposition_cannot_inject() {
        let value = content_disposition("evil\"; x=\"y\r\n.html", false);
        assert!(value.starts_with("attachment; filename=\"evil__ x__y__.html\""));
        assert!(!value.contains('\r') && !value.contains('\n'));
        let value = content_disposition("résumé.pdf", true);
        assert_eq!(
            value,
            "inline; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
        );
    }

    #[test]
    fn sniffing_ignores_claims() {
        assert_eq!(sniff(b"%PDF-1.4\n", "a.txt"), "application/pdf");
        assert_eq!(sniff(b"<!DOCTYPE html><p>x", "a.txt"), "text/html");
        assert_eq!(sniff(b"<svg xmlns='x'/>", "a.png"), "image/svg+xml");
        assert_eq!(sniff(b"# Title\n", "a.md"), "text/markdown");
        assert_eq!(sniff(b"a,b\n1,2\n", "a.csv"), "text/csv");
        assert_eq!(sniff(b"{\"a\":1}", "a.bin"), "application/json");
        assert_eq!(sniff(b"\x00\x01\x02", "a.txt"), "application/octet-stream");
        assert!(!inline_safe("text/html") && !inline_safe("image/svg+xml"));
    }

    #[test]
    fn ranges() {
        use RangeRequest::*;
        assert_eq!(parse_range(None, 10), Full);
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Partial(0, 3));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Partial(5, 9));
        assert_eq!(parse_range(Some("bytes=-4"), 10), Partial(6, 9));
        assert_eq!(parse_range(Some("bytes=-40"), 10), Partial(0, 9));
        assert_eq!(parse_range(Some("bytes=8-100"), 10), Partial(8, 9));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Full);
        assert_eq!(parse_range(Some("bytes=x-1"), 10), Full);
        assert_eq!(parse_range(Some("bytes=0-0"), 0), Unsatisfiable);
    }
}
