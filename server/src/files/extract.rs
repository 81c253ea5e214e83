//! Text extraction for search: plain text, Markdown, CSV, JSON, XML, HTML (text only), PDF
//! (lopdf), and DOCX/XLSX/PPTX (the text elements of their XML parts).
//!
//! Pure and blocking: the worker runs it on the blocking pool with a deadline. Every input is
//! bounded — the worker reads at most [`MAX_INPUT_BYTES`] of a file, zip parts are read at most
//! [`MAX_PART_BYTES`] each (a zip bomb stops there), and the text is cut at [`MAX_TEXT_BYTES`].

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

/// Largest file the worker extracts from (text formats are read up to this and cut).
pub const MAX_INPUT_BYTES: u64 = 32 * 1024 * 1024;
/// Longest extracted text kept, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// Most decompressed bytes read from one XML part of an Office file.
const MAX_PART_BYTES: u64 = 16 * 1024 * 1024;
/// Most parts (slides, sheets) of an Office file read.
const MAX_PARTS: usize = 500;

/// Why extraction failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not a readable PDF: {0}")]
    Pdf(String),
    #[error("not a readable Office document: {0}")]
    Office(String),
}

/// How a content type is extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Extracts the text of `bytes`; the result is at most [`MAX_TEXT_BYTES`].
pub fn extract(method: Method, bytes: &[u8]) -> Result<String, ExtractError> {
    let text = match method {
        Method::Text => String::from_utf8_lossy(bytes).into_owned(),
        Method::Html => html_text(&String::from_utf8_lossy(bytes)),
        Method::Pdf => pdf_text(bytes)?,
        Method::Office => office_text(bytes)?,
    };
    Ok(cap(text))
}

fn cap(mut text: String) -> String {
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn pdf_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let document =
        lopdf::Document::load_mem(bytes).map_err(|e| ExtractError::Pdf(e.to_string()))?;
    let mut text = String::new();
    for number in document.get_pages().keys() {
        // A page that cannot be decoded is skipped rather than failing the whole file.
        if let Ok(page) = document.extract_text(&[*number]) {
            text.push_str(&page);
            text.push('\n');
        }
        if text.len() > MAX_TEXT_BYTES {
            break;
        }
    }
    Ok(text)
}

/// DOCX, XLSX and PPTX: the text elements of the parts that hold the words.
fn office_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let office = |e: zip::result::ZipError| ExtractError::Office(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(office)?;
    let mut parts: Vec<String> = archive
        .file_names()
        .filter(|name| {
            *name == "word/document.xml"
                || *name == "xl/sharedStrings.xml"
                || (name.starts_with("xl/worksheets/sheet") && name.ends_with(".xml"))
                || (name.starts_with("ppt/slides/slide") && name.ends_with(".xml"))
        })
        .map(str::to_owned)
        .collect();
    if parts.is_empty() {
        return Err(ExtractError::Office(
            "no document, sheet or slide part".to_owned(),
        ));
    }
    // Slides and sheets in their natural order (slide2 before slide10).
    parts.sort_by_key(|name| {
        let digits: String = name.chars().filter(char::is_ascii_digit).collect();
        (digits.len(), digits, name.clone())
    });
    let mut text = String::new();
    for name in parts.into_iter().take(MAX_PARTS) {
        let mut xml = Vec::new();
        archive
            .by_name(&name)
            .map_err(office)?
            .take(MAX_PART_BYTES)
            .read_to_end(&mut xml)
            .map_err(|e| ExtractError::Office(e.to_string()))?;
        xml_text(&xml, &mut text);
        if text.len() > MAX_TEXT_BYTES {
            break;
        }
    }
    Ok(text)
}

/// Appends the character data of `t` elements (`w:t`, `a:t`, inline and shared strings),
/// with a line break after each paragraph, row or shared string.
fn xml_text(xml: &[u8], out: &mut String) {
    let mut reader = Reader::from_reader(xml);
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => in_text = e.local_name().as_ref() == b"t",
            Ok(Event::End(e)) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"t" => in_text = false,
                    b"p" | b"si" | b"row" => out.push('\n'),
                    b"tab" | b"c" => out.push('\t'),
                    _ => {}
                }
            }
            Ok(Event::Empty(e)) if matches!(e.local_name().as_ref(), b"br" | b"tab") => {
                out.push(' ');
            }
            Ok(Event::Text(t)) if in_text => {
                if let Ok(s) = t.decode() {
                    out.push_str(&unescape(&s));
                }
            }
            Ok(Event::GeneralRef(r)) if in_text => {
                if let Ok(name) = r.decode() {
                    out.push_str(&unescape(&format!("&{name};")));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
        if out.len() > MAX_TEXT_BYTES {
            break;
        }
    }
}

/// The visible text of an HTML page: no tags, no scripts or styles, entities decoded, block
/// elements as line breaks.
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&unescape(&rest[..open]));
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[..close].trim().to_ascii_lowercase();
        rest = &after[close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            // Skip to the matching end tag.
            let end = format!("</{name}");
            match rest.to_ascii_lowercase().find(&end) {
                Some(at) => {
                    rest = &rest[at..];
                    continue;
                }
                None => {
                    rest = "";
                    break;
                }
            }
        }
        if matches!(
            name.as_str(),
            "p" | "br" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "title"
        ) {
            out.push('\n');
        } else {
            out.push(' ');
        }
    }
    out.push_str(&unescape(rest));
    out
}

/// Decodes the common named entities and numeric references.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&i| i <= 10);
        let decoded = end.and_then(|i| {
            let entity = &after[..i];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, i))
        });
        match decoded {
            Some((c, i)) => {
                out.push(c);
                rest = &after[i + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_loses_tags_and_scripts() {
        let text = html_text(
            "<html><head><title>T</title><script>alert('x<p>')</script></head>\
             <body><p>Fish &amp; chips</p><style>p{}</style>done</body></html>",
        );
        assert!(text.contains("Fish & chips"));
        assert!(text.contains("done"));
        assert!(!text.contains("alert") && !text.contains("p{}"));
    }

    #[test]
    fn office_xml_text() {
        let mut out = String::new();
        xml_text(
            br#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Hello</w:t></w:r><w:r><w:t xml:space="preserve"> world &amp; all</w:t></w:r></w:p><w:p><w:r><w:t>Two</w:t></w:r></w:p></w:body></w:document>"#,
            &mut out,
        );
        assert_eq!(out, "Hello world & all\nTwo\n");
    }

    #[test]
    fn garbage_fails_cleanly() {
        assert!(extract(Method::Pdf, b"%PDF-1.4 this is not a pdf").is_err());
        assert!(extract(Method::Office, b"PK\x03\x04 nope").is_err());
    }

    #[test]
    fn text_is_capped() {
        let big = "é".repeat(MAX_TEXT_BYTES);
        assert!(extract(Method::Text, big.as_bytes()).unwrap().len() <= MAX_TEXT_BYTES);
    }
}
