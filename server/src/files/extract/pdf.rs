//! PDF: lopdf reads the document structure (cross-reference tables, objects, the page tree,
//! fonts and their encodings); the page content is read by [`super::pdf_content`], and every
//! stream we need is decoded by [`super::pdf_filters`] under the budget.
//!
//! lopdf decodes streams in three places on its own, each without a bound: object streams while
//! loading, ToUnicode maps when a font's encoding is asked for, and page contents in its text
//! extraction (which we do not use). Object streams are decoded by us in the load filter and
//! ToUnicode maps before any encoding is asked for, so lopdf finds them already plain.
//! Cross-reference streams are decoded by lopdf's parser before any hook runs: those, and the
//! memory of the parsed objects themselves, are bounded by the extraction child's limits.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use lopdf::{Dictionary, Document, Encoding, LoadOptions, Object, ObjectId};

use super::budget::Budget;
use super::pdf_content::{ContentReader, TextSink};
use super::pdf_filters::{DecodeError, USE_COST, is_filtered, stream_bytes};
use super::{ExtractError, full};

/// Levels of the page tree searched for inherited resources.
const MAX_INHERITED: usize = 32;
/// References followed to reach an object.
const MAX_REFERENCES: usize = 8;

/// The text of a PDF, page by page, until the text is full.
pub(super) fn pdf_text(bytes: &[u8], budget: &Budget) -> Result<String, ExtractError> {
    let expanded = || ExtractError::Expanded {
        limit: budget.limit(),
    };
    let mut document = load(bytes, budget)?;
    match decode_to_unicode_maps(&mut document, budget) {
        Ok(()) => {}
        Err(DecodeError::Memory) => return Err(ExtractError::OutOfMemory),
        Err(_) => return Err(expanded()),
    }
    let mut text = String::new();
    let mut encodings = HashMap::new();
    for page in document.page_iter() {
        if budget.charge(USE_COST).is_err() {
            return Err(expanded());
        }
        let mut sink = PageText {
            document: &document,
            fonts: page_fonts(&document, page),
            encodings: &mut encodings,
            current: None,
            out: &mut text,
            budget,
        };
        let mut reader = ContentReader::default();
        for id in document.get_page_contents(page) {
            // Every entry costs, even one naming nothing: a million dangling references shared
            // by a million pages is no free loop.
            if budget.charge(USE_COST).is_err() {
                return Err(expanded());
            }
            let Ok(stream) = document.get_object(id).and_then(Object::as_stream) else {
                continue;
            };
            match stream_bytes(stream, budget) {
                Ok(content) => reader.read(&content, &mut sink),
                Err(DecodeError::Budget) => return Err(expanded()),
                Err(DecodeError::Memory) => return Err(ExtractError::OutOfMemory),
                // A page whose content cannot be decoded has no text for us.
                Err(DecodeError::Unsupported) => {}
            }
            if sink.full() {
                break;
            }
        }
        if budget.exceeded() {
            return Err(expanded());
        }
        sink.line();
        if full(&text) {
            break;
        }
    }
    Ok(text)
}

/// The load in progress on this thread (lopdf's load filter is a plain `fn`, so its state
/// lives here): the budget left for it, and whether memory ran out.
struct Loading {
    budget: Budget,
    out_of_memory: bool,
}

thread_local! {
    static LOADING: RefCell<Option<Loading>> = const { RefCell::new(None) };
}

/// Loads the document, decoding object streams under what is left of the budget.
fn load(bytes: &[u8], budget: &Budget) -> Result<Document, ExtractError> {
    LOADING.with_borrow_mut(|loading| {
        *loading = Some(Loading {
            budget: Budget::new(budget.remaining()),
            out_of_memory: false,
        });
    });
    let options = LoadOptions {
        filter: Some(decode_object_stream),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(bytes, options);
    let Some(load) = LOADING.with_borrow_mut(Option::take) else {
        return Err(ExtractError::Pdf("the load state was lost".to_owned()));
    };
    if load.out_of_memory {
        return Err(ExtractError::OutOfMemory);
    }
    let spent = if load.budget.exceeded() {
        u64::MAX
    } else {
        load.budget.limit() - load.budget.remaining()
    };
    if budget.charge(spent).is_err() {
        return Err(ExtractError::Expanded {
            limit: budget.limit(),
        });
    }
    loaded.map_err(|e| ExtractError::Pdf(e.to_string()))
}

/// lopdf's load filter: decodes an object stream (`/Type /ObjStm`) under the load budget before
/// lopdf unpacks it, so lopdf finds it plain; one that expands past the budget is dropped.
///
/// lopdf keeps the object it passed in (mutated) for top-level objects, and the returned one for
/// objects unpacked from object streams (never streams themselves), hence the clone there.
fn decode_object_stream(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let Object::Stream(stream) = object else {
        return Some((id, object.clone()));
    };
    if stream.dict.has_type(b"ObjStm") && is_filtered(stream) {
        let decoded = LOADING.with_borrow_mut(|loading| {
            let loading = loading.as_mut()?;
            match stream_bytes(stream, &loading.budget) {
                Ok(bytes) => Some(bytes.into_owned()),
                Err(error) => {
                    loading.out_of_memory |= error == DecodeError::Memory;
                    None
                }
            }
        });
        match decoded {
            Some(bytes) => stream.set_plain_content(bytes),
            None => return None,
        }
    }
    Some((id, Object::Null))
}

/// Decodes every stream a font names as its `/ToUnicode` map, so that lopdf, asked for the
/// font's encoding later, reads it plain instead of inflating it without a bound. A map that
/// cannot be decoded is emptied (the font then falls back to its standard encoding).
fn decode_to_unicode_maps(document: &mut Document, budget: &Budget) -> Result<(), DecodeError> {
    let mut maps = BTreeSet::new();
    let mut pending: Vec<&Object> = document.objects.values().collect();
    while let Some(object) = pending.pop() {
        match object {
            Object::Dictionary(dict) => {
                if let Ok(Object::Reference(id)) = dict.get(b"ToUnicode") {
                    maps.insert(*id);
                }
                pending.extend(dict.iter().map(|(_, value)| value));
            }
            Object::Stream(stream) => pending.extend(stream.dict.iter().map(|(_, value)| value)),
            Object::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    for id in maps {
        let Ok(Object::Stream(stream)) = document.get_object_mut(id) else {
            continue;
        };
        if !is_filtered(stream) {
            continue;
        }
        match stream_bytes(stream, budget) {
            Ok(bytes) => {
                let bytes = bytes.into_owned();
                stream.set_plain_content(bytes);
            }
            Err(DecodeError::Unsupported) => stream.set_plain_content(Vec::new()),
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Follows references from `object`, a bounded number of times.
fn resolve<'d>(document: &'d Document, mut object: &'d Object) -> Option<&'d Object> {
    for _ in 0..MAX_REFERENCES {
        match object {
            Object::Reference(id) => object = document.objects.get(id)?,
            other => return Some(other),
        }
    }
    None
}

fn dict_entry<'d>(
    document: &'d Document,
    dict: &'d Dictionary,
    key: &[u8],
) -> Option<&'d Dictionary> {
    resolve(document, dict.get(key).ok()?)?.as_dict().ok()
}

/// The page's font dictionary (`/Resources /Font`), inherited from at most
/// [`MAX_INHERITED`] levels up the page tree.
fn page_fonts(document: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut node = document.objects.get(&page)?.as_dict().ok()?;
    for _ in 0..MAX_INHERITED {
        if let Some(resources) = dict_entry(document, node, b"Resources") {
            return dict_entry(document, resources, b"Font");
        }
        node = dict_entry(document, node, b"Parent")?;
    }
    None
}

/// Collects the text of one page; fonts' encodings are kept for the whole document.
struct PageText<'d, 'a> {
    document: &'d Document,
    fonts: Option<&'d Dictionary>,
    /// Encodings by the address of their font dictionary (`None`: not a usable font).
    encodings: &'a mut HashMap<usize, Option<Encoding<'d>>>,
    current: Option<usize>,
    out: &'a mut String,
    budget: &'a Budget,
}

impl<'d> PageText<'d, '_> {
    fn encoding(&mut self, font: &'d Dictionary) -> Option<Encoding<'d>> {
        // Each font's encoding is built once, and what that costs is charged: a thousand fonts
        // sharing one large map or differences array cost a thousand of them.
        if self
            .budget
            .charge(encoding_cost(self.document, font))
            .is_err()
        {
            return None;
        }
        font.get_font_encoding(self.document).ok()
    }
}

/// What building a font's encoding reads: its ToUnicode map and its differences array.
fn encoding_cost(document: &Document, font: &Dictionary) -> u64 {
    fn resolved<'d>(
        document: &'d Document,
        dict: &'d Dictionary,
        key: &[u8],
    ) -> Option<&'d Object> {
        resolve(document, dict.get(key).ok()?)
    }
    let map = resolved(document, font, b"ToUnicode")
        .and_then(|object| object.as_stream().ok())
        .map_or(0, |stream| stream.content.len() as u64);
    let differences = resolved(document, font, b"Encoding")
        .and_then(|object| object.as_dict().ok())
        .and_then(|encoding| resolved(document, encoding, b"Differences"))
        .and_then(|object| object.as_array().ok())
        .map_or(0, |items| items.len() as u64);
    USE_COST + map + differences * 16
}

impl TextSink for PageText<'_, '_> {
    fn font(&mut self, name: &[u8]) {
        self.current = None;
        let Some(font) = self
            .fonts
            .and_then(|fonts| dict_entry(self.document, fonts, name))
        else {
            return;
        };
        let key = std::ptr::from_ref(font) as usize;
        if !self.encodings.contains_key(&key) {
            let encoding = self.encoding(font);
            self.encodings.insert(key, encoding);
        }
        self.current = Some(key);
    }

    fn show(&mut self, bytes: &[u8]) {
        let encoding = self
            .current
            .and_then(|key| self.encodings.get(&key))
            .and_then(Option::as_ref);
        let decoded =
            encoding.is_some_and(|encoding| encoding.write_to_string(bytes, self.out).is_ok());
        if !decoded {
            // No usable font: printable Latin-1 is the best guess.
            self.out.extend(
                bytes
                    .iter()
                    .filter(|&&b| b.is_ascii_graphic() || b == b' ' || b >= 0xa0)
                    .map(|&b| char::from(b)),
            );
        }
    }

    fn space(&mut self) {
        if !self.out.ends_with(char::is_whitespace) {
            self.out.push(' ');
        }
    }

    fn line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn full(&self) -> bool {
        full(self.out) || self.budget.exceeded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF of `objects` (object 1 the catalog) with a cross-reference table.
    fn pdf(objects: &[String]) -> Vec<u8> {
        let objects: Vec<Vec<u8>> = objects.iter().map(|o| o.as_bytes().to_vec()).collect();
        atrium_tests::fixtures::pdf_of_objects(&objects)
    }

    /// `pages` pages that all use page object 3's dictionary, whose contents are `contents`.
    fn repeated_pages(pages: usize, contents: &str, rest: &[String]) -> Vec<u8> {
        let kids = "3 0 R ".repeat(pages);
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            format!("<< /Type /Pages /Kids [{kids}] /Count {pages} >>"),
            format!("<< /Type /Page /Parent 2 0 R /Contents {contents} >>"),
        ];
        objects.extend_from_slice(rest);
        // The page tree walk is bounded by the number of objects: give it enough.
        objects.extend((0..pages).map(|_| "null".to_owned()));
        pdf(&objects)
    }

    fn expanded(result: Result<String, ExtractError>) -> bool {
        matches!(result, Err(ExtractError::Expanded { .. }))
    }

    #[test]
    fn a_page_read_many_times_spends_the_budget() {
        let content = "0 0 m 1 1 l S\n".repeat(10_000);
        let stream = format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        );
        let file = repeated_pages(2_000, "4 0 R", &[stream]);
        assert!(expanded(pdf_text(&file, &Budget::new(16 << 20))));
        // Within the budget it is read to the end.
        let file = repeated_pages(
            20,
            "4 0 R",
            &["<< /Length 15 >>\nstream\nBT (page) Tj ET\nendstream".to_owned()],
        );
        assert_eq!(
            pdf_text(&file, &Budget::new(16 << 20))
                .unwrap()
                .matches("page")
                .count(),
            20
        );
    }

    #[test]
    fn dangling_content_references_cost_too() {
        let dangling = format!("[{}]", "99999 0 R ".repeat(20_000));
        let file = repeated_pages(2_000, &dangling, &[]);
        assert!(expanded(pdf_text(&file, &Budget::new(16 << 20))));
    }

    #[test]
    fn fonts_sharing_a_large_differences_array_cost_each_time() {
        let names = "/A ".repeat(20_000);
        let fonts: String = (0..500)
            .map(|i| format!("/F{i} << /Type /Font /Subtype /Type1 /Encoding 5 0 R >> "))
            .collect();
        let uses: String = (0..500).map(|i| format!("/F{i} 12 Tf (x) Tj ")).collect();
        let content = format!("BT {uses} ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            format!(
                "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << {fonts} >> >> >>"
            ),
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            ),
            format!("<< /Type /Encoding /Differences [0 {names}] >>"),
        ];
        assert!(expanded(pdf_text(&pdf(&objects), &Budget::new(16 << 20))));
    }
}
