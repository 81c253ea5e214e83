//! Bounded, seeded mutation fuzzing of every extractor, run as ordinary tests.
//!
//! Each target starts from small valid files and mutates them: bytes flipped, replaced,
//! inserted and deleted, ranges duplicated and spliced between seeds, format tokens inserted,
//! and — structure-aware — PDF objects and Office parts mutated before the file is put back
//! together (correct cross-reference offsets, streams re-compressed, compression nested, parts
//! multiplied), so the mutations reach past the container into the parsers behind it. Every
//! case runs in-process with a small budget; no panic may escape, and the text must respect its
//! caps.
//!
//! Runs are reproducible: case `n` of a target is generated from `seed ^ n`. A failure prints
//! the case's seed and saves its input; `ATRIUM_FUZZ_CASE=<seed>` replays that one case,
//! `ATRIUM_FUZZ_SECS` changes how long each target runs (default 8 s), `ATRIUM_FUZZ_SEED`
//! the starting seed.

use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use super::{Budget, MAX_TEXT_BYTES, Method, extract};

/// Budget of one case: small, so decompression runs into it often and cases stay quick.
const BUDGET: u64 = 4 << 20;
/// Seconds each target runs by default.
const DEFAULT_SECS: u64 = 8;

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One format: its seeds and how to make a case.
trait Target {
    fn method(&self) -> Method;
    fn case(&self, rng: &mut Rng) -> Vec<u8>;
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    }
}

/// Runs `target` for the configured time (or its one replayed case).
fn fuzz(name: &'static str, target: impl Target + Send + 'static, default_seed: u64) {
    // lopdf's parser recurses; a generous stack keeps deep (but bounded) nesting a non-event.
    let runner = std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        .stack_size(64 << 20)
        .spawn(move || {
            let seed = env_u64("ATRIUM_FUZZ_SEED").unwrap_or(default_seed);
            let secs = env_u64("ATRIUM_FUZZ_SECS").unwrap_or(DEFAULT_SECS);
            if let Some(case) = env_u64("ATRIUM_FUZZ_CASE") {
                println!("fuzz {name}: case {case:#x}: {:?}", run_case(name, &target, case));
                return;
            }
            let deadline = Instant::now() + Duration::from_secs(secs);
            let (mut cases, mut texts, mut refused) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                match run_case(name, &target, seed ^ cases.wrapping_mul(0x2545_f491_4f6c_dd1d)) {
                    Ok(text) if !text.trim().is_empty() => texts += 1,
                    Ok(_) => {}
                    Err(_) => refused += 1,
                }
                cases += 1;
            }
            // How deep the cases got: with text, or refused as unreadable or over budget.
            println!("fuzz {name}: {cases} cases from seed {seed:#x}: {texts} with text, {refused} refused");
        })
        .expect("start the fuzz thread");
    if let Err(panic) = runner.join() {
        std::panic::resume_unwind(panic);
    }
}

fn run_case(name: &str, target: &impl Target, case: u64) -> Result<String, super::ExtractError> {
    let mut rng = Rng(case);
    let input = target.case(&mut rng);
    let budget = Budget::new(BUDGET);
    let result = catch_unwind(AssertUnwindSafe(|| {
        extract(target.method(), &input, &budget)
    }));
    let problem = match &result {
        Err(_) => Some("the extractor panicked".to_owned()),
        Ok(Ok(text)) if text.len() > MAX_TEXT_BYTES => {
            Some(format!("{} bytes of text", text.len()))
        }
        Ok(Ok(text)) if text.contains('\0') => Some("a NUL character in the text".to_owned()),
        _ => None,
    };
    if let Some(problem) = problem {
        let path = std::env::temp_dir().join(format!("atrium-fuzz-{name}-{case:016x}.bin"));
        let saved = std::fs::File::create(&path).and_then(|mut f| f.write_all(&input));
        panic!(
            "fuzz {name}: {problem} on case {case:#x} ({} bytes; replay with ATRIUM_FUZZ_CASE={case:#x}); input {}",
            input.len(),
            match saved {
                Ok(()) => format!("saved to {}", path.display()),
                Err(error) => format!("not saved ({error})"),
            }
        );
    }
    result.unwrap_or_else(|_| unreachable!("a panic was reported above"))
}

/// Generic byte-level mutations, `tokens` being the format's interesting words.
fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>, tokens: &[&[u8]], donors: &[Vec<u8>]) {
    let rounds = 1 + rng.below(6);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(9) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                data[at] = *rng.pick(&[
                    0u8, 0xff, 0x7f, 0x80, b'0', b'9', b' ', b'\n', b'(', b')', b'<', b'>', b'[',
                    b']', b'/', b'&', b';', b'\\',
                ]);
            }
            2 => {
                let at = rng.below(len + 1);
                let token = rng.pick(tokens);
                data.splice(at..at, token.iter().copied());
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(64)).min(len);
                data.drain(at..end);
            }
            4 if len > 0 => {
                // Duplicate a range, sometimes many times over.
                let at = rng.below(len);
                let end = (at + 1 + rng.below(256)).min(len);
                let piece = data[at..end].to_vec();
                let times = if rng.chance(20) {
                    1 + rng.below(200)
                } else {
                    1
                };
                let to = rng.below(data.len() + 1);
                let repeated: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * times)
                    .collect();
                data.splice(to..to, repeated);
            }
            5 if !donors.is_empty() => {
                let donor = rng.pick(donors);
                if !donor.is_empty() {
                    let at = rng.below(donor.len());
                    let end = (at + 1 + rng.below(512)).min(donor.len());
                    let to = rng.below(len + 1);
                    data.splice(to..to, donor[at..end].iter().copied());
                }
            }
            6 if len > 1 => data.truncate(rng.below(len)),
            7 => {
                let at = rng.below(len + 1);
                let random: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
                data.splice(at..at, random);
            }
            _ => {
                // A number somewhere made large, negative or odd.
                if let Some(at) = (0..len.min(8))
                    .map(|_| rng.below(len))
                    .find(|&i| data[i].is_ascii_digit())
                {
                    let number = rng.pick(&[
                        "0",
                        "-1",
                        "99999999999",
                        "4294967296",
                        "1e308",
                        "-0.5",
                        "2147483648",
                    ]);
                    data.splice(at..at + 1, number.bytes());
                }
            }
        }
    }
}

// ---- text ---------------------------------------------------------------------------------

struct TextTarget;

impl Target for TextTarget {
    fn method(&self) -> Method {
        Method::Text
    }

    fn case(&self, rng: &mut Rng) -> Vec<u8> {
        let seeds = [
            "Plain text, café, 漢字, emoji 🎉.\n".as_bytes().to_vec(),
            b"a,b,c\n1,2,3\n\"quoted, comma\",x,y\n".to_vec(),
            br#"{"title": "Report", "items": [1, 2, {"x": null}]}"#.to_vec(),
        ];
        let mut data = rng.pick(&seeds).clone();
        mutate_bytes(
            rng,
            &mut data,
            &[b"\0", b"\xff\xfe", b"\xe2\x82", "é".as_bytes(), b"\r\n"],
            &seeds,
        );
        data
    }
}

#[test]
fn fuzz_text_extraction() {
    fuzz("text", TextTarget, 0x7e57);
}

// ---- HTML ---------------------------------------------------------------------------------

struct HtmlTarget;

const HTML_TOKENS: &[&[u8]] = &[
    b"<script>",
    b"</script>",
    b"<SCRIPT type=x>",
    b"</ScRiPt",
    b"<style>",
    b"</style>",
    b"<!--",
    b"-->",
    b"<p>",
    b"</p>",
    b"<br/>",
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#",
    b"&#x",
    b"&#x1F600;",
    b"&#0;",
    b"&#xD800;",
    b"&#99999999999;",
    b"&nbsp;",
    b";",
    b"<title>",
    b"</",
    b"<!DOCTYPE html>",
];

impl Target for HtmlTarget {
    fn method(&self) -> Method {
        Method::Html
    }

    fn case(&self, rng: &mut Rng) -> Vec<u8> {
        let seeds = [
            b"<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head><body><h1>Head &amp; more</h1><p>Fish &lt;chips&gt;</p><script>var x = '</p>';</script><div>caf&eacute; &#233; &#xE9;</div></body></html>".to_vec(),
            b"<html><body><!-- comment <p> --><ul><li>one</li><li>two</li></ul><table><tr><td>a</td></tr></table></body></html>".to_vec(),
        ];
        let mut data = rng.pick(&seeds).clone();
        mutate_bytes(rng, &mut data, HTML_TOKENS, &seeds);
        data
    }
}

#[test]
fn fuzz_html_extraction() {
    fuzz("html", HtmlTarget, 0x4e7e);
}

// ---- PDF ----------------------------------------------------------------------------------

/// A stream filter the builder can apply.
#[derive(Debug, Clone, Copy)]
enum Filter {
    Flate,
    Hex,
    Ascii85,
    Lzw,
}

impl Filter {
    fn name(self) -> &'static str {
        match self {
            Self::Flate => "/FlateDecode",
            Self::Hex => "/ASCIIHexDecode",
            Self::Ascii85 => "/ASCII85Decode",
            Self::Lzw => "/LZWDecode",
        }
    }

    fn encode(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Flate => {
                let mut encoder =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(data).expect("in memory");
                encoder.finish().expect("in memory")
            }
            Self::Hex => {
                let mut out: Vec<u8> = data
                    .iter()
                    .flat_map(|b| format!("{b:02x}").into_bytes())
                    .collect();
                out.push(b'>');
                out
            }
            Self::Ascii85 => {
                let mut out = Vec::new();
                for chunk in data.chunks(4) {
                    let mut group = [0u8; 4];
                    group[..chunk.len()].copy_from_slice(chunk);
                    let mut value = u32::from_be_bytes(group);
                    if chunk.len() == 4 && value == 0 {
                        out.push(b'z');
                        continue;
                    }
                    let mut digits = [0u8; 5];
                    for digit in digits.iter_mut().rev() {
                        *digit = (value % 85) as u8 + b'!';
                        value /= 85;
                    }
                    out.extend_from_slice(&digits[..chunk.len() + 1]);
                }
                out.extend_from_slice(b"~>");
                out
            }
            Self::Lzw => weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .encode(data)
                .unwrap_or_default(),
        }
    }
}

/// An object of the PDF model.
#[derive(Debug, Clone)]
enum PdfObject {
    /// Anything but a stream, as written between `obj` and `endobj`.
    Plain(Vec<u8>),
    /// A stream: extra dictionary entries, the decoded content, the filters to apply.
    Stream {
        dict: Vec<u8>,
        content: Vec<u8>,
        filters: Vec<Filter>,
    },
}

/// A PDF as objects (numbered from 1, object 1 the catalog), written with correct offsets.
#[derive(Debug, Clone)]
struct PdfModel {
    objects: Vec<PdfObject>,
    /// Objects (by index) packed into an object stream, found through a cross-reference stream.
    packed: Vec<usize>,
}

impl PdfModel {
    fn write(&self) -> Vec<u8> {
        let mut out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let count = self.objects.len();
        let mut offsets = vec![0usize; count];
        let packed: Vec<usize> = self
            .packed
            .iter()
            .copied()
            .filter(|&i| i < count && matches!(self.objects[i], PdfObject::Plain(_)))
            .collect();
        for (i, object) in self.objects.iter().enumerate() {
            if packed.contains(&i) {
                continue;
            }
            offsets[i] = out.len();
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            write_object(&mut out, object);
            out.extend_from_slice(b"\nendobj\n");
        }
        if packed.is_empty() {
            let xref = out.len();
            out.extend_from_slice(
                format!("xref\n0 {}\n0000000000 65535 f \n", count + 1).as_bytes(),
            );
            for offset in &offsets {
                out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
            }
            out.extend_from_slice(
                format!(
                    "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                    count + 1
                )
                .as_bytes(),
            );
            return out;
        }
        // The object stream, then the cross-reference stream.
        let container = count + 1;
        let mut header = Vec::new();
        let mut body = Vec::new();
        for &i in &packed {
            header.extend_from_slice(format!("{} {} ", i + 1, body.len()).as_bytes());
            if let PdfObject::Plain(bytes) = &self.objects[i] {
                body.extend_from_slice(bytes);
            }
            body.push(b'\n');
        }
        let content = [header.clone(), body].concat();
        let container_offset = out.len();
        out.extend_from_slice(format!("{container} 0 obj\n").as_bytes());
        write_object(
            &mut out,
            &PdfObject::Stream {
                dict: format!("/Type /ObjStm /N {} /First {}", packed.len(), header.len())
                    .into_bytes(),
                content,
                filters: vec![Filter::Flate],
            },
        );
        out.extend_from_slice(b"\nendobj\n");
        let xref_id = container + 1;
        let xref_offset = out.len();
        let mut entries = vec![[0u8, 0, 0, 0, 0, 0xff, 0xff]];
        for (i, offset) in offsets.iter().enumerate() {
            let entry = match packed.iter().position(|&p| p == i) {
                Some(index) => entry(2, container as u32, index as u16),
                None => entry(1, *offset as u32, 0),
            };
            entries.push(entry);
        }
        entries.push(entry(1, container_offset as u32, 0));
        entries.push(entry(1, xref_offset as u32, 0));
        out.extend_from_slice(format!("{xref_id} 0 obj\n").as_bytes());
        write_object(
            &mut out,
            &PdfObject::Stream {
                dict: format!("/Type /XRef /Size {} /W [1 4 2] /Root 1 0 R", xref_id + 1)
                    .into_bytes(),
                content: entries.concat(),
                filters: vec![Filter::Flate],
            },
        );
        out.extend_from_slice(format!("\nendobj\nstartxref\n{xref_offset}\n%%EOF\n").as_bytes());
        out
    }
}

fn entry(kind: u8, field: u32, index: u16) -> [u8; 7] {
    let f = field.to_be_bytes();
    let i = index.to_be_bytes();
    [kind, f[0], f[1], f[2], f[3], i[0], i[1]]
}

fn write_object(out: &mut Vec<u8>, object: &PdfObject) {
    match object {
        PdfObject::Plain(bytes) => out.extend_from_slice(bytes),
        PdfObject::Stream {
            dict,
            content,
            filters,
        } => {
            // Filters are listed in decoding order, so the last one listed is applied first.
            let mut data = content.clone();
            for filter in filters.iter().rev() {
                data = filter.encode(&data);
            }
            let names: Vec<&str> = filters.iter().map(|f| f.name()).collect();
            out.extend_from_slice(b"<< ");
            out.extend_from_slice(dict);
            out.extend_from_slice(format!(" /Length {}", data.len()).as_bytes());
            if !names.is_empty() {
                out.extend_from_slice(format!(" /Filter [{}]", names.join(" ")).as_bytes());
            }
            out.extend_from_slice(b" >>\nstream\n");
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\nendstream");
        }
    }
}

const PDF_TOKENS: &[&[u8]] = &[
    b" obj ",
    b" endobj ",
    b"stream\n",
    b"\nendstream",
    b" R ",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"(",
    b")",
    b"<48656c6c6f>",
    b"/Type",
    b"/Page",
    b"/Pages",
    b"/Kids",
    b"/Contents",
    b"/Resources",
    b"/Font",
    b"/ToUnicode",
    b"/Filter",
    b"/FlateDecode",
    b"/DecodeParms",
    b"/Predictor 12",
    b"/ObjStm",
    b"/Parent 2 0 R",
    b"/Encoding",
    b"/Differences [ 32 /space /A ]",
    b"/Identity-H",
    b" BT ",
    b" ET ",
    b" Tj ",
    b" TJ ",
    b" Tf ",
    b" Td ",
    b" ' ",
    b" \" ",
    b" T* ",
    b" BI ",
    b" ID ",
    b" EI ",
    b"\\",
    b"%",
    b"beginbfchar",
    b"endbfchar",
    b"beginbfrange",
    b"endbfrange",
    b"<0000> <FFFF> <0041>",
    b"begincodespacerange",
    b"9999999 0 R",
    b"-5",
    b"xref",
    b"trailer",
    b"startxref",
    b"/Prev 0",
];

/// A page's content: text operators in several forms, with a font change and an inline image.
fn page_content(words: &[&str]) -> Vec<u8> {
    let mut content = b"q 1 0 0 1 0 0 cm BT /F1 12 Tf 72 720 Td ".to_vec();
    for (i, word) in words.iter().enumerate() {
        match i % 4 {
            0 => content.extend_from_slice(format!("({word}) Tj 0 -14 Td ").as_bytes()),
            1 => content.extend_from_slice(format!("[({word}) -250 (x) 30 (y)] TJ ").as_bytes()),
            2 => content.extend_from_slice(
                format!("/F2 10 Tf <{}> Tj T* ", hex(word.as_bytes())).as_bytes(),
            ),
            _ => content.extend_from_slice(format!("({word}) ' 1 2 (z) \" ").as_bytes()),
        }
    }
    content.extend_from_slice(b"ET BI /W 2 /H 1 /BPC 8 /CS /G ID \x00\xffEI Q");
    content
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

const TO_UNICODE: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap \
/CMapName /Test def 1 begincodespacerange <00> <FF> endcodespacerange \
2 beginbfchar <41> <0042> <42> <00430044> endbfchar \
1 beginbfrange <61> <7A> <0061> endbfrange endcmap CMapName currentdict /CMap defineresource pop end end";

/// The seed documents: one page plain; two pages with filters, fonts and a ToUnicode map;
/// the same packed into an object stream.
fn pdf_seeds() -> Vec<PdfModel> {
    let plain = |s: &str| PdfObject::Plain(s.as_bytes().to_vec());
    let simple = PdfModel {
        objects: vec![
            plain("<< /Type /Catalog /Pages 2 0 R >>"),
            plain("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            plain(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            ),
            PdfObject::Stream {
                dict: Vec::new(),
                content: page_content(&["Hello", "plain", "world"]),
                filters: vec![],
            },
            plain(
                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            ),
        ],
        packed: vec![],
    };
    let rich = PdfModel {
        objects: vec![
            plain("<< /Type /Catalog /Pages 2 0 R >>"),
            plain(
                "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 /Resources << /Font << /F1 4 0 R /F2 7 0 R >> >> >>",
            ),
            plain("<< /Type /Page /Parent 2 0 R /Contents [5 0 R 9 0 R] >>"),
            plain(
                "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Type /Encoding /Differences [65 /B /C] >> >>",
            ),
            PdfObject::Stream {
                dict: Vec::new(),
                content: page_content(&["Compressed", "page", "one", "ABab"]),
                filters: vec![Filter::Flate],
            },
            plain("<< /Type /Page /Parent 2 0 R /Contents 10 0 R >>"),
            plain(
                "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 8 0 R >>",
            ),
            PdfObject::Stream {
                dict: Vec::new(),
                content: TO_UNICODE.to_vec(),
                filters: vec![Filter::Flate],
            },
            PdfObject::Stream {
                dict: Vec::new(),
                content: b"BT /F1 12 Tf (second stream) Tj ET".to_vec(),
                filters: vec![Filter::Ascii85, Filter::Flate],
            },
            PdfObject::Stream {
                dict: Vec::new(),
                content: page_content(&["LZW", "hex", "page", "two"]),
                filters: vec![Filter::Lzw, Filter::Hex],
            },
        ],
        packed: vec![],
    };
    let packed = PdfModel {
        packed: vec![0, 1, 2, 3, 5, 6],
        ..rich.clone()
    };
    vec![simple, rich, packed]
}

struct PdfTarget {
    seeds: Vec<PdfModel>,
    written: Vec<Vec<u8>>,
}

impl PdfTarget {
    fn new() -> Self {
        let seeds = pdf_seeds();
        let written = seeds.iter().map(PdfModel::write).collect();
        Self { seeds, written }
    }
}

impl Target for PdfTarget {
    fn method(&self) -> Method {
        Method::Pdf
    }

    fn case(&self, rng: &mut Rng) -> Vec<u8> {
        let mut model = rng.pick(&self.seeds).clone();
        let edits = 1 + rng.below(3);
        for _ in 0..edits {
            let index = rng.below(model.objects.len());
            match rng.below(6) {
                // Nest the compression of a stream deeper, or change its filters.
                0 => {
                    if let PdfObject::Stream { filters, .. } = &mut model.objects[index] {
                        let filter = *rng.pick(&[
                            Filter::Flate,
                            Filter::Flate,
                            Filter::Hex,
                            Filter::Ascii85,
                            Filter::Lzw,
                        ]);
                        if rng.chance(70) {
                            filters.insert(0, filter)
                        } else {
                            filters.clear()
                        }
                    }
                }
                // Duplicate an object (pages and kids arrays then point at copies).
                1 => {
                    let copy = model.objects[index].clone();
                    model.objects.push(copy);
                }
                // Repeat a page many times in the page tree.
                2 => {
                    let kids = format!(
                        "<< /Type /Pages /Kids [{}] /Count 3 >>",
                        "3 0 R ".repeat(1 + rng.below(300))
                    );
                    model.objects[1] = PdfObject::Plain(kids.into_bytes());
                }
                // Pack (or unpack) objects into an object stream.
                3 => {
                    if model.packed.contains(&index) {
                        model.packed.retain(|&i| i != index);
                    } else {
                        model.packed.push(index);
                    }
                }
                // Mutate an object's bytes (a stream's decoded content, or its dictionary).
                _ => match &mut model.objects[index] {
                    PdfObject::Plain(bytes) => mutate_bytes(rng, bytes, PDF_TOKENS, &self.written),
                    PdfObject::Stream { dict, content, .. } => {
                        if rng.chance(80) {
                            mutate_bytes(rng, content, PDF_TOKENS, &self.written);
                        } else {
                            mutate_bytes(rng, dict, PDF_TOKENS, &self.written);
                        }
                    }
                },
            }
        }
        let mut data = model.write();
        // Sometimes the written file itself, cross-reference offsets and all.
        if rng.chance(30) {
            mutate_bytes(rng, &mut data, PDF_TOKENS, &self.written);
        }
        data
    }
}

#[test]
fn fuzz_pdf_extraction() {
    fuzz("pdf", PdfTarget::new(), 0x9df);
}

#[test]
fn pdf_seeds_extract() {
    // The seeds are valid documents whose text comes out; the fuzzing starts from real files.
    let target = PdfTarget::new();
    let texts: Vec<String> = target
        .written
        .iter()
        .map(|pdf| extract(Method::Pdf, pdf, &Budget::new(BUDGET)).expect("a seed extracts"))
        .collect();
    assert!(
        texts[0].contains("Hello") && texts[0].contains("world"),
        "{}",
        texts[0]
    );
    for text in &texts[1..] {
        assert!(
            text.contains("Compressed") && text.contains("second stream"),
            "{text}"
        );
        // The ToUnicode map of F2 turns A into B and B into CD; Differences of F1 A into B.
        assert!(text.contains("BCDab"), "{text}");
        assert!(text.contains("LZW") && text.contains("two"), "{text}");
    }
}

// ---- Office -------------------------------------------------------------------------------

/// An Office file as its parts: name, bytes, whether stored uncompressed.
type OfficeModel = Vec<(String, Vec<u8>, bool)>;

fn write_zip(parts: &OfficeModel) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let mut names = std::collections::HashSet::new();
    for (name, bytes, stored) in parts {
        // A zip holds a name once; a case that made a second one has one part fewer.
        if !names.insert(name) {
            continue;
        }
        let method = if *stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        zip.start_file(name.as_str(), options).expect("in memory");
        zip.write_all(bytes).expect("in memory");
    }
    zip.finish().expect("in memory");
    buffer.into_inner()
}

fn office_seeds() -> Vec<OfficeModel> {
    let part = |name: &str, xml: &str| (name.to_owned(), xml.as_bytes().to_vec(), false);
    vec![
        vec![
            part("[Content_Types].xml", "<Types/>"),
            part(
                "word/document.xml",
                r#"<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Minutes &amp; notes</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve"> of the meeting</w:t></w:r></w:p><w:p><w:r><w:t>Second</w:t><w:br/></w:r></w:p></w:body></w:document>"#,
            ),
        ],
        vec![
            part(
                "xl/sharedStrings.xml",
                r#"<sst xmlns="x"><si><t>Name</t></si><si><t>Amount &lt;EUR&gt;</t></si></sst>"#,
            ),
            part(
                "xl/worksheets/sheet1.xml",
                r#"<worksheet><sheetData><row><c t="inlineStr"><is><t>Inline</t></is></c><c><v>3</v></c></row></sheetData></worksheet>"#,
            ),
            part(
                "xl/worksheets/sheet10.xml",
                r#"<worksheet><sheetData><row><c t="inlineStr"><is><t>Ten</t></is></c></row></sheetData></worksheet>"#,
            ),
        ],
        vec![
            part(
                "ppt/slides/slide1.xml",
                r#"<p:sld xmlns:a="a" xmlns:p="p"><p:txBody><a:p><a:r><a:t>Slide one</a:t></a:r></a:p></p:txBody></p:sld>"#,
            ),
            part(
                "ppt/slides/slide2.xml",
                r#"<p:sld xmlns:a="a" xmlns:p="p"><p:txBody><a:p><a:r><a:t>Slide &#x41;&#66;</a:t></a:r></a:p></p:txBody></p:sld>"#,
            ),
        ],
    ]
}

const XML_TOKENS: &[&[u8]] = &[
    b"<w:t>",
    b"</w:t>",
    b"<a:t>",
    b"<t>",
    b"</t>",
    b"<w:p>",
    b"</w:p>",
    b"<row>",
    b"</row>",
    b"<si>",
    b"<w:br/>",
    b"<w:tab/>",
    b"&amp;",
    b"&#x",
    b"&#0;",
    b"&#99999999;",
    b"&bogus;",
    b"<![CDATA[x]]>",
    b"<!--",
    b"-->",
    b"<?xml version=\"1.0\"?>",
    b"<!DOCTYPE x [<!ENTITY a \"b\">]>",
    b"&a;",
    b"</",
    b"<",
    b">",
    b"\"",
    b"xmlns:w=\"y\"",
];

struct OfficeTarget {
    seeds: Vec<OfficeModel>,
    written: Vec<Vec<u8>>,
}

impl Target for OfficeTarget {
    fn method(&self) -> Method {
        Method::Office
    }

    fn case(&self, rng: &mut Rng) -> Vec<u8> {
        let mut parts = rng.pick(&self.seeds).clone();
        let edits = 1 + rng.below(3);
        for _ in 0..edits {
            let index = rng.below(parts.len());
            match rng.below(5) {
                // Many copies of a part, as further sheets or slides.
                0 => {
                    let (name, bytes, stored) = parts[index].clone();
                    let stem = name
                        .trim_end_matches(".xml")
                        .trim_end_matches(|c: char| c.is_ascii_digit());
                    for n in 0..1 + rng.below(40) {
                        parts.push((format!("{stem}{}.xml", 100 + n), bytes.clone(), stored));
                    }
                }
                1 => parts[index].2 = !parts[index].2,
                2 => {
                    // A part made larger by repeating its text runs.
                    let bytes = &mut parts[index].1;
                    let times = 1 + rng.below(2000);
                    let run = b"<w:p><w:r><w:t>more text</w:t></w:r></w:p>".repeat(times);
                    let at = rng.below(bytes.len() + 1);
                    bytes.splice(at..at, run);
                }
                _ => mutate_bytes(rng, &mut parts[index].1, XML_TOKENS, &self.written),
            }
        }
        let mut data = write_zip(&parts);
        if rng.chance(30) {
            mutate_bytes(
                rng,
                &mut data,
                &[
                    b"PK\x03\x04",
                    b"PK\x01\x02",
                    b"PK\x05\x06",
                    b"\xff\xff\xff\xff",
                ],
                &self.written,
            );
        }
        data
    }
}

#[test]
fn fuzz_office_extraction() {
    let seeds = office_seeds();
    let written = seeds.iter().map(write_zip).collect();
    fuzz("office", OfficeTarget { seeds, written }, 0x0ff1ce);
}

#[test]
fn office_seeds_extract() {
    let texts: Vec<String> = office_seeds()
        .iter()
        .map(|parts| {
            extract(Method::Office, &write_zip(parts), &Budget::new(BUDGET))
                .expect("a seed extracts")
        })
        .collect();
    assert_eq!(texts[0], "Minutes & notes  of the meeting\nSecond \n");
    assert!(
        texts[1].contains("Amount <EUR>") && texts[1].contains("Inline"),
        "{}",
        texts[1]
    );
    // sheet1 before sheet10.
    assert!(
        texts[1].find("Inline") < texts[1].find("Ten"),
        "{}",
        texts[1]
    );
    assert!(texts[2].contains("Slide AB"), "{}", texts[2]);
}
