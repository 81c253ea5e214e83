//! DOCX, XLSX and PPTX: zips whose XML parts hold the words. Parts are streamed through the
//! XML reader as they are inflated; every inflated byte of every part is charged to the one
//! budget of the file, so neither one huge part nor hundreds of large ones get past it (a
//! per-part cap alone let 500 parts of 16 MiB through).

use std::io::{BufReader, Cursor};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::budget::{Budget, Charged};
use super::html::unescape_into;
use super::{ExtractError, full};

/// Most parts (slides, sheets) read.
const MAX_PARTS: usize = 500;

/// The text of an Office document's document, shared-string, sheet and slide parts.
pub(super) fn office_text(bytes: &[u8], budget: &Budget) -> Result<String, ExtractError> {
    let office = |e: zip::result::ZipError| ExtractError::Office(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(office)?;
    let mut parts: Vec<&str> = archive
        .file_names()
        .filter(|name| holds_text(name))
        .collect();
    if parts.is_empty() {
        return Err(ExtractError::Office(
            "no document, sheet or slide part".to_owned(),
        ));
    }
    // Slides and sheets in their natural order (slide2 before slide10); each key is made once.
    parts.sort_by_cached_key(|name| {
        let digits: String = name.chars().filter(char::is_ascii_digit).collect();
        (digits.len(), digits, name.to_string())
    });
    parts.truncate(MAX_PARTS);
    let parts: Vec<String> = parts.into_iter().map(str::to_owned).collect();
    let mut text = String::new();
    for name in parts {
        let part = archive.by_name(&name).map_err(office)?;
        let reader = BufReader::new(Charged::new(part, budget));
        if let Err(error) = xml_text(reader, &mut text) {
            if budget.exceeded() {
                return Err(ExtractError::Expanded {
                    limit: budget.limit(),
                });
            }
            return Err(ExtractError::Office(format!("{name}: {error}")));
        }
        if full(&text) {
            break;
        }
    }
    Ok(text)
}

/// Whether a part of the zip holds words we index.
fn holds_text(name: &str) -> bool {
    name == "word/document.xml"
        || name == "xl/sharedStrings.xml"
        || (name.starts_with("xl/worksheets/sheet") && name.ends_with(".xml"))
        || (name.starts_with("ppt/slides/slide") && name.ends_with(".xml"))
}

/// Appends the character data of `t` elements (`w:t`, `a:t`, inline and shared strings), with
/// a line break after each paragraph, row or shared string. Malformed XML ends the part (what
/// was read stays); a failing reader (a corrupt zip entry, the budget spent) is an error.
fn xml_text<R: std::io::BufRead>(xml: R, out: &mut String) -> Result<(), String> {
    let mut reader = Reader::from_reader(xml);
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => in_text = e.local_name().as_ref() == b"t",
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" | b"si" | b"row" => out.push('\n'),
                b"tab" | b"c" => out.push('\t'),
                _ => {}
            },
            Ok(Event::Empty(e)) if matches!(e.local_name().as_ref(), b"br" | b"tab") => {
                out.push(' ');
            }
            Ok(Event::Text(t)) if in_text => {
                if let Ok(s) = t.decode() {
                    unescape_into(&s, out);
                }
            }
            Ok(Event::GeneralRef(r)) if in_text => {
                if let Ok(name) = r.decode() {
                    unescape_into(&format!("&{name};"), out);
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Err(quick_xml::Error::Io(error)) => return Err(error.to_string()),
            Err(_) => return Ok(()),
            _ => {}
        }
        buf.clear();
        if full(out) {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_xml_text() {
        let mut out = String::new();
        xml_text(
            &br#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Hello</w:t></w:r><w:r><w:t xml:space="preserve"> world &amp; all</w:t></w:r></w:p><w:p><w:r><w:t>Two</w:t></w:r></w:p></w:body></w:document>"#[..],
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "Hello world & all\nTwo\n");
    }
}
