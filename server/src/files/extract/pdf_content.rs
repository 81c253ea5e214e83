//! The text operators of a PDF content stream, read as a stream of tokens in one pass.
//!
//! lopdf parses a whole content stream into a vector of operations first: every number becomes
//! a ~100-byte object, so a few MiB of `0 0 0 …` take gigabytes, and a page of inline images
//! without a colour space panics its parser. This reader keeps only the last few operands,
//! caps every string and array, skips inline images, and hands the text operators (`Tf`, `Tj`,
//! `TJ`, `'`, `"`, and the line moves) to a [`TextSink`]. Memory is bounded by those caps,
//! whatever the stream holds; time is linear in it.

use std::collections::VecDeque;

/// Operands kept before an operator (the text operators take at most three).
const MAX_OPERANDS: usize = 8;
/// Longest string kept; the rest of a longer one is read and dropped.
const MAX_STRING: usize = 64 * 1024;
/// Most bytes kept in the strings of one array (a `TJ` operand).
const MAX_ARRAY_BYTES: usize = 256 * 1024;
/// Most items kept in one array.
const MAX_ARRAY_ITEMS: usize = 16 * 1024;
/// A string shown is handed to the sink in pieces of this many bytes (a multiple of every
/// code length but three), so a font whose codes expand enormously is checked between pieces.
const SHOW_PIECE: usize = 32;

/// Where the text goes.
pub(super) trait TextSink {
    /// `Tf`: the font of this name in the page's resources is now current.
    fn font(&mut self, name: &[u8]);
    /// A string shown in the current font.
    fn show(&mut self, bytes: &[u8]);
    /// A gap between words.
    fn space(&mut self);
    /// A new line.
    fn line(&mut self);
    /// Whether the sink wants no more text; reading stops.
    fn full(&self) -> bool;
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Number(f64),
    Text(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Operand>),
    Other,
}

/// Reads the content streams of one page; operands carry over from one stream of the page to
/// the next (the division may fall between an operator and its operands).
#[derive(Default)]
pub(super) struct ContentReader {
    operands: VecDeque<Operand>,
    /// The array being read, if any (nested arrays are flattened into it).
    array: Option<Vec<Operand>>,
    array_bytes: usize,
    array_depth: usize,
}

/// Whitespace in the PDF syntax.
fn is_space(byte: u8) -> bool {
    matches!(byte, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Delimiters in the PDF syntax.
fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(byte: u8) -> bool {
    !is_space(byte) && !is_delimiter(byte)
}

impl ContentReader {
    /// Reads one content stream, feeding `sink`.
    pub(super) fn read(&mut self, content: &[u8], sink: &mut dyn TextSink) {
        let mut at = 0;
        while at < content.len() {
            if sink.full() {
                return;
            }
            let byte = content[at];
            match byte {
                _ if is_space(byte) => at += 1,
                b'%' => {
                    at = content[at..]
                        .iter()
                        .position(|&b| b == b'\n' || b == b'\r')
                        .map_or(content.len(), |end| at + end);
                }
                b'(' => {
                    let (text, end) = literal_string(content, at + 1);
                    self.push(Operand::Text(text));
                    at = end;
                }
                b'<' if content.get(at + 1) == Some(&b'<') => {
                    // A dictionary operand (marked-content properties): not text.
                    at += 2;
                }
                b'>' if content.get(at + 1) == Some(&b'>') => at += 2,
                b'<' => {
                    let (text, end) = hex_string(content, at + 1);
                    self.push(Operand::Text(text));
                    at = end;
                }
                b'[' => {
                    if self.array.is_none() {
                        self.array = Some(Vec::new());
                        self.array_bytes = 0;
                    }
                    self.array_depth += 1;
                    at += 1;
                }
                b']' => {
                    self.array_depth = self.array_depth.saturating_sub(1);
                    if self.array_depth == 0
                        && let Some(items) = self.array.take()
                    {
                        self.push(Operand::Array(items));
                    }
                    at += 1;
                }
                b'/' => {
                    let end = token_end(content, at + 1);
                    self.push(Operand::Name(decode_name(&content[at + 1..end])));
                    at = end;
                }
                b')' | b'>' | b'{' | b'}' => at += 1,
                _ => {
                    let end = token_end(content, at);
                    let token = &content[at..end];
                    at = end;
                    if let Some(number) = number(token) {
                        self.push(Operand::Number(number));
                    } else if matches!(token, b"true" | b"false" | b"null") {
                        self.push(Operand::Other);
                    } else {
                        // An operator ends any array left open (malformed, but read on).
                        if let Some(items) = self.array.take() {
                            self.array_depth = 0;
                            self.push(Operand::Array(items));
                        }
                        if token == b"BI" {
                            at = skip_inline_image(content, at);
                            self.operands.clear();
                        } else {
                            self.operator(token, sink);
                        }
                    }
                }
            }
        }
    }

    fn push(&mut self, operand: Operand) {
        if let Some(items) = self.array.as_mut() {
            if items.len() >= MAX_ARRAY_ITEMS {
                return;
            }
            match operand {
                Operand::Text(mut text) => {
                    text.truncate(MAX_ARRAY_BYTES - self.array_bytes);
                    self.array_bytes += text.len();
                    items.push(Operand::Text(text));
                }
                // Nested arrays are flattened as they are read; nothing else is kept here.
                Operand::Array(_) => {}
                other => items.push(other),
            }
            return;
        }
        if self.operands.len() == MAX_OPERANDS {
            self.operands.pop_front();
        }
        self.operands.push_back(operand);
    }

    /// The `n`th operand from the end (0: the last).
    fn last(&self, n: usize) -> Option<&Operand> {
        self.operands
            .len()
            .checked_sub(n + 1)
            .and_then(|i| self.operands.get(i))
    }

    fn operator(&mut self, token: &[u8], sink: &mut dyn TextSink) {
        match token {
            b"Tf" => {
                if let Some(Operand::Name(name)) = self.last(1) {
                    sink.font(name);
                }
            }
            b"Tj" => {
                if let Some(Operand::Text(text)) = self.last(0) {
                    show(sink, text);
                }
            }
            b"'" | b"\"" => {
                sink.line();
                if let Some(Operand::Text(text)) = self.last(0) {
                    show(sink, text);
                }
            }
            b"TJ" => {
                if let Some(Operand::Array(items)) = self.last(0) {
                    for item in items {
                        match item {
                            Operand::Text(text) => show(sink, text),
                            // A large negative adjustment is a gap between words.
                            Operand::Number(n) if *n < -100.0 => sink.space(),
                            _ => {}
                        }
                    }
                }
            }
            b"Td" | b"TD" => match (self.last(1), self.last(0)) {
                (_, Some(Operand::Number(y))) if *y != 0.0 => sink.line(),
                (Some(Operand::Number(x)), _) if *x != 0.0 => sink.space(),
                _ => {}
            },
            b"T*" | b"Tm" | b"ET" => sink.line(),
            _ => {}
        }
        self.operands.clear();
    }
}

fn show(sink: &mut dyn TextSink, text: &[u8]) {
    for piece in text.chunks(SHOW_PIECE) {
        if sink.full() {
            return;
        }
        sink.show(piece);
    }
}

/// Where the regular characters starting at `at` end.
fn token_end(content: &[u8], at: usize) -> usize {
    content[at..]
        .iter()
        .position(|&b| !is_regular(b))
        .map_or(content.len(), |end| at + end)
}

fn number(token: &[u8]) -> Option<f64> {
    let first = *token.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    // Lenient, as readers are: "1.2.3" or "--5" are read as far as they make sense.
    std::str::from_utf8(token).ok()?.parse().ok().or(Some(0.0))
}

/// A name with its `#xx` escapes decoded.
fn decode_name(raw: &[u8]) -> Vec<u8> {
    let mut name = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        if raw[at] == b'#'
            && let Some(byte) = raw
                .get(at + 1..at + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            name.push(byte);
            at += 3;
        } else {
            name.push(raw[at]);
            at += 1;
        }
    }
    name
}

/// A literal string starting after its `(`: balanced parentheses, escapes decoded. Returns the
/// bytes (at most [`MAX_STRING`]) and where reading goes on.
fn literal_string(content: &[u8], mut at: usize) -> (Vec<u8>, usize) {
    fn put(out: &mut Vec<u8>, byte: u8) {
        if out.len() < MAX_STRING {
            out.push(byte);
        }
    }
    let mut out = Vec::new();
    let mut depth = 1usize;
    while let Some(&byte) = content.get(at) {
        at += 1;
        match byte {
            b'(' => {
                depth += 1;
                put(&mut out, byte);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return (out, at);
                }
                put(&mut out, byte);
            }
            b'\\' => {
                let Some(&escaped) = content.get(at) else {
                    break;
                };
                at += 1;
                match escaped {
                    b'n' => put(&mut out, b'\n'),
                    b'r' => put(&mut out, b'\r'),
                    b't' => put(&mut out, b'\t'),
                    b'b' => put(&mut out, 0x08),
                    b'f' => put(&mut out, 0x0c),
                    b'0'..=b'7' => {
                        let mut value = u32::from(escaped - b'0');
                        for _ in 0..2 {
                            match content.get(at) {
                                Some(&digit @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(digit - b'0');
                                    at += 1;
                                }
                                _ => break,
                            }
                        }
                        put(&mut out, value as u8);
                    }
                    // A backslash at the end of a line continues the string on the next.
                    b'\r' => {
                        if content.get(at) == Some(&b'\n') {
                            at += 1;
                        }
                    }
                    b'\n' => {}
                    other => put(&mut out, other),
                }
            }
            other => put(&mut out, other),
        }
    }
    (out, content.len())
}

/// A hex string starting after its `<`; whitespace ignored, an odd last digit padded with 0.
fn hex_string(content: &[u8], at: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut high: Option<u8> = None;
    for (i, &byte) in content[at..].iter().enumerate() {
        if byte == b'>' {
            if let Some(h) = high
                && out.len() < MAX_STRING
            {
                out.push(h << 4);
            }
            return (out, at + i + 1);
        }
        let Some(digit) = (byte as char).to_digit(16) else {
            continue;
        };
        match high.take() {
            Some(h) if out.len() < MAX_STRING => out.push(h << 4 | digit as u8),
            Some(_) => {}
            None => high = Some(digit as u8),
        }
    }
    (out, content.len())
}

/// Skips an inline image after `BI`: its dictionary up to `ID`, one whitespace byte, then the
/// data up to an `EI` that stands alone between whitespace (or the end).
fn skip_inline_image(content: &[u8], at: usize) -> usize {
    let Some(id) = content[at..]
        .windows(2)
        .enumerate()
        .find(|&(i, w)| {
            w == b"ID"
                && content.get(at + i + 2).is_none_or(|&after| is_space(after))
                && (i == 0 || !is_regular(content[at + i - 1]))
        })
        .map(|(i, _)| at + i + 3)
    else {
        return content.len();
    };
    let data = id.min(content.len());
    content[data..]
        .windows(2)
        .enumerate()
        .find(|&(i, w)| {
            w == b"EI"
                && (i == 0 || is_space(content[data + i - 1]))
                && content
                    .get(data + i + 2)
                    .is_none_or(|&after| !is_regular(after))
        })
        .map_or(content.len(), |(i, _)| data + i + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what the reader reports, bytes shown as Latin-1.
    #[derive(Default)]
    struct Recorder {
        out: String,
        fonts: Vec<String>,
        limit: Option<usize>,
    }

    impl TextSink for Recorder {
        fn font(&mut self, name: &[u8]) {
            self.fonts.push(String::from_utf8_lossy(name).into_owned());
        }
        fn show(&mut self, bytes: &[u8]) {
            self.out.extend(bytes.iter().map(|&b| b as char));
        }
        fn space(&mut self) {
            self.out.push(' ');
        }
        fn line(&mut self) {
            self.out.push('\n');
        }
        fn full(&self) -> bool {
            self.limit.is_some_and(|limit| self.out.len() >= limit)
        }
    }

    fn read(content: &[u8]) -> Recorder {
        let mut sink = Recorder::default();
        ContentReader::default().read(content, &mut sink);
        sink
    }

    #[test]
    fn text_operators() {
        let sink = read(
            b"BT /F#31 12 Tf 72 720 Td (Hello \\(world\\)) Tj 0 -14 Td [(A) -250 (B) 30 (C)] TJ\n\
              T* <48 69 7> Tj (x\\101\\n) ' 1 2 (y) \" ET % (comment) Tj",
        );
        assert_eq!(sink.fonts, ["F1"]);
        assert_eq!(sink.out, "\nHello (world)\nA BC\nHip\nxA\n\ny\n");
    }

    #[test]
    fn inline_images_and_dictionaries_are_skipped() {
        let sink = read(
            b"/P <</MCID 0>> BDC BI /W 4 /H 1 /BPC 8 ID \x00(Tj)EI\xff EI BT (after) Tj ET EMC",
        );
        assert_eq!(sink.out, "after\n");
    }

    #[test]
    fn operands_and_strings_stay_bounded() {
        let mut content = b"0 ".repeat(1_000_000);
        content.extend_from_slice(b"(");
        content.extend(std::iter::repeat_n(b'a', 200_000));
        content.extend_from_slice(b") Tj [");
        content.extend(std::iter::repeat_n(b"(bb) ".as_slice(), 200_000).flatten());
        content.extend_from_slice(b"] TJ");
        let mut sink = Recorder::default();
        let mut reader = ContentReader::default();
        reader.read(&content, &mut sink);
        assert!(reader.operands.is_empty());
        assert_eq!(sink.out.len(), MAX_STRING + MAX_ARRAY_ITEMS * 2);
    }

    #[test]
    fn unterminated_tokens_end_the_stream() {
        assert_eq!(read(b"(abc").out, "");
        assert_eq!(read(b"<4142").out, "");
        assert_eq!(read(b"[(a) (b").out, "");
        assert_eq!(read(b"BI /W 1 ID xxxx").out, "");
        assert_eq!(read(b"(a) Tj [(b)").out, "a");
    }

    #[test]
    fn a_full_sink_stops_reading() {
        let mut sink = Recorder {
            limit: Some(10),
            ..Recorder::default()
        };
        let content = b"(0123456789012345678901234567890123456789) Tj (more) Tj".repeat(100);
        ContentReader::default().read(&content, &mut sink);
        assert_eq!(sink.out.len(), SHOW_PIECE);
    }
}
