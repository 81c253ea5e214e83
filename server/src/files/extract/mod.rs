//! Text extraction for search: plain text, Markdown, CSV, JSON, XML, HTML (text only), PDF
//! (lopdf for the document structure, our own reader for page content), and DOCX/XLSX/PPTX
//! (the text elements of their XML parts).
//!
//! Pure, blocking and budgeted: every input is hostile. The worker reads at most
//! [`MAX_INPUT_BYTES`] of a file and runs this in a child process with memory and CPU limits
//! (see [`super::sandbox`]); in here, every byte that is decompressed or re-read counts against
//! one [`Budget`] per file (a zip or PDF bomb stops when it is spent, long before the child's
//! memory limit), every loop is linear in its input, and the text is cut at [`MAX_TEXT_BYTES`].
//!
//! # Layout
//! - [`budget`] — the expansion budget and a reader that charges it.
//! - `html` — tags, scripts and entities out, in one pass.
//! - `office` — the XML parts of DOCX, XLSX and PPTX.
//! - `pdf` — pages and fonts on top of lopdf; `pdf_filters` — stream filters undone under
//!   the budget; `pdf_content` — the text operators of a page's content stream, read as a
//!   stream of tokens.
//! - `fuzz` (tests) — seeded mutation fuzzing of every extractor, a few seconds each.

pub mod budget;
mod html;
mod office;
mod pdf;
mod pdf_content;
mod pdf_filters;

#[cfg(test)]
mod fuzz;

pub use budget::Budget;

/// Largest file the worker extracts from (text formats are read up to this and cut).
pub const MAX_INPUT_BYTES: u64 = 32 * 1024 * 1024;
/// Longest extracted text kept, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Why extraction failed. The message is shown to users as the file's extraction error.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not a readable PDF: {0}")]
    Pdf(String),
    #[error("not a readable Office document: {0}")]
    Office(String),
    /// The file decompresses (or makes the extractor re-read) more than the budget allows.
    #[error("the file expands to more than the {} MiB extraction budget", .limit / (1024 * 1024))]
    Expanded { limit: u64 },
    /// An allocation was refused (the process's memory limit) where it could be handled.
    #[error("exceeded the extraction memory limit")]
    OutOfMemory,
}

/// How a content type is extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    Text,
    Html,
    Pdf,
    Office,
}

/// The method for a sniffed content type; `None` for types without text (images, archives of
/// other kinds, unknown binaries).
pub fn method_for(content_type: &str) -> Option<Method> {
    match content_type {
        "text/plain" | "text/markdown" | "text/csv" | "application/json" | "application/xml" => {
            Some(Method::Text)
        }
        "text/html" => Some(Method::Html),
        "application/pdf" => Some(Method::Pdf),
        "application/zip" => Some(Method::Office),
        t if t.starts_with("application/vnd.openxmlformats-officedocument.") => {
            Some(Method::Office)
        }
        _ => None,
    }
}

/// Whether a method works on a prefix of a file (text can be cut; a PDF or zip cannot).
pub fn accepts_prefix(method: Method) -> bool {
    matches!(method, Method::Text | Method::Html)
}

/// Extracts the text of `bytes`, spending at most `budget` on decompression and re-reading;
/// the result is at most [`MAX_TEXT_BYTES`] and holds no NUL characters (PostgreSQL refuses
/// them in text).
pub fn extract(method: Method, bytes: &[u8], budget: &Budget) -> Result<String, ExtractError> {
    let text = match method {
        // Only the part that can end up in the text is decoded.
        Method::Text => {
            String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_TEXT_BYTES)]).into_owned()
        }
        Method::Html => html::html_text(&String::from_utf8_lossy(bytes)),
        Method::Pdf => pdf::pdf_text(bytes, budget)?,
        Method::Office => office::office_text(bytes, budget)?,
    };
    Ok(finish(text))
}

/// Cuts `text` at [`MAX_TEXT_BYTES`] (on a character boundary) and drops NUL characters.
fn finish(mut text: String) -> String {
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    if text.contains('\0') {
        text.retain(|c| c != '\0');
    }
    text
}

/// Whether `out` holds as much text as is kept; extractors stop there.
fn full(out: &str) -> bool {
    out.len() >= MAX_TEXT_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget::new(64 * 1024 * 1024)
    }

    #[test]
    fn garbage_fails_cleanly() {
        assert!(extract(Method::Pdf, b"%PDF-1.4 this is not a pdf", &budget()).is_err());
        assert!(extract(Method::Office, b"PK\x03\x04 nope", &budget()).is_err());
    }

    #[test]
    fn text_is_capped() {
        let big = "é".repeat(MAX_TEXT_BYTES);
        let text = extract(Method::Text, big.as_bytes(), &budget()).unwrap();
        assert!(text.len() <= MAX_TEXT_BYTES);
        assert!(text.len() > MAX_TEXT_BYTES - 8);
    }

    #[test]
    fn nul_characters_are_dropped() {
        let text = extract(Method::Text, b"a\0b", &budget()).unwrap();
        assert_eq!(text, "ab");
        let text = extract(Method::Html, b"<p>x&#0;y</p>", &budget()).unwrap();
        assert_eq!(text.trim(), "xy");
    }
}
