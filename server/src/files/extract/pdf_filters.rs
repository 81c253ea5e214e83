//! A PDF stream's bytes under the budget: its filters (Flate, LZW, ASCII hex and base-85, run
//! length, PNG predictors) undone one after the other, every stage's output charged as it is
//! produced. lopdf's own decoder inflates a stream whole, however far it expands; this one stops
//! when the budget is spent, so a stream compressed twice (or ten times) stops there too.

use std::borrow::Cow;
use std::io::{Read, Write};

use flate2::bufread::{DeflateDecoder, ZlibDecoder};
use lopdf::{Dictionary, Object, Stream};

use super::budget::{Budget, Charged};

/// Filters one stream may chain; more is no real encoder's output.
const MAX_FILTERS: usize = 4;
/// What every use of a stream costs beyond its bytes, so an empty stream used a million times
/// still spends the budget.
pub(super) const USE_COST: u64 = 64;

/// Why a stream's bytes are not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DecodeError {
    /// The budget is spent.
    Budget,
    /// The process ran out of memory (its limit) while decoding.
    Memory,
    /// A filter we do not undo (images: DCT, JPX, CCITT, JBIG2), or a malformed filter list.
    Unsupported,
}

/// The bytes of `stream` with its filters undone; charges the budget for them (a stream
/// without filters costs its length: it is being read again).
pub(super) fn stream_bytes<'s>(
    stream: &'s Stream,
    budget: &Budget,
) -> Result<Cow<'s, [u8]>, DecodeError> {
    budget.charge(USE_COST).map_err(|_| DecodeError::Budget)?;
    let filters = filters(&stream.dict)?;
    if filters.is_empty() {
        budget
            .charge(stream.content.len() as u64)
            .map_err(|_| DecodeError::Budget)?;
        return Ok(Cow::Borrowed(&stream.content));
    }
    let mut data = Cow::Borrowed(stream.content.as_slice());
    for (index, filter) in filters.iter().enumerate() {
        let params = params(&stream.dict, index);
        let decoded = match *filter {
            b"FlateDecode" | b"Fl" => predict(inflate(&data, budget)?, params, budget)?,
            b"LZWDecode" | b"LZW" => predict(lzw(&data, params, budget)?, params, budget)?,
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data, budget)?,
            b"ASCII85Decode" | b"A85" => ascii85(&data, budget)?,
            b"RunLengthDecode" | b"RL" => run_length(&data, budget)?,
            _ => return Err(DecodeError::Unsupported),
        };
        data = Cow::Owned(decoded);
    }
    Ok(data)
}

/// Whether a stream has filters to undo.
pub(super) fn is_filtered(stream: &Stream) -> bool {
    stream.dict.get(b"Filter").is_ok()
}

/// The names in `/Filter`, in decoding order.
fn filters(dict: &Dictionary) -> Result<Vec<&[u8]>, DecodeError> {
    let names = match dict.get(b"Filter") {
        Err(_) => return Ok(Vec::new()),
        Ok(Object::Name(name)) => vec![name.as_slice()],
        Ok(Object::Array(names)) => names
            .iter()
            .map(|name| name.as_name().map_err(|_| DecodeError::Unsupported))
            .collect::<Result<_, _>>()?,
        Ok(_) => return Err(DecodeError::Unsupported),
    };
    if names.len() > MAX_FILTERS {
        return Err(DecodeError::Unsupported);
    }
    Ok(names)
}

/// The `/DecodeParms` of the `index`th filter: one dictionary for a single filter, or an
/// array with one entry per filter.
fn params(dict: &Dictionary, index: usize) -> Option<&Dictionary> {
    match dict.get(b"DecodeParms").ok()? {
        Object::Dictionary(params) if index == 0 => Some(params),
        Object::Array(list) => list.get(index)?.as_dict().ok(),
        _ => None,
    }
}

fn exceeded(budget: &Budget) -> Result<(), DecodeError> {
    if budget.exceeded() {
        Err(DecodeError::Budget)
    } else {
        Ok(())
    }
}

/// Tells the budget and the memory limit from corrupt data (whose partial output is kept).
fn checked(read: &std::io::Result<usize>, budget: &Budget) -> Result<(), DecodeError> {
    exceeded(budget)?;
    match read {
        // `read_to_end` reserves fallibly: at the process's memory limit it says so.
        Err(error) if error.kind() == std::io::ErrorKind::OutOfMemory => Err(DecodeError::Memory),
        _ => Ok(()),
    }
}

/// Inflates zlib data; keeps what came out of a corrupt stream, and falls back to raw deflate
/// when the zlib header or checksum is broken (some encrypted files have them so).
fn inflate(input: &[u8], budget: &Budget) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let zlib = Charged::new(ZlibDecoder::new(input), budget).read_to_end(&mut out);
    checked(&zlib, budget)?;
    if zlib.is_err() && out.is_empty() && input.len() > 2 {
        let raw = Charged::new(DeflateDecoder::new(&input[2..]), budget).read_to_end(&mut out);
        checked(&raw, budget)?;
    }
    Ok(out)
}

/// A `Write` into a vector that charges the budget for every byte.
struct ChargedSink<'b> {
    out: Vec<u8>,
    budget: &'b Budget,
}

impl Write for ChargedSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.budget
            .charge(buf.len() as u64)
            .map_err(std::io::Error::other)?;
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'b> ChargedSink<'b> {
    fn new(budget: &'b Budget) -> Self {
        Self {
            out: Vec::new(),
            budget,
        }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        self.write(bytes).map(drop).map_err(|_| DecodeError::Budget)
    }
}

/// LZW as PDF uses it (most significant bit first, 8-bit literals, early change by default).
fn lzw(input: &[u8], params: Option<&Dictionary>, budget: &Budget) -> Result<Vec<u8>, DecodeError> {
    use weezl::BitOrder;
    use weezl::decode::Decoder;
    let early_change = params
        .and_then(|p| p.get(b"EarlyChange").ok())
        .and_then(|v| v.as_i64().ok())
        .is_none_or(|v| v != 0);
    let mut decoder = if early_change {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut sink = ChargedSink::new(budget);
    // A corrupt code ends the stream; what was decoded stays, as with a corrupt Flate stream.
    let _ = decoder.into_stream(&mut sink).decode_all(input);
    exceeded(budget)?;
    Ok(sink.out)
}

fn ascii_hex(input: &[u8], budget: &Budget) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(input.len() / 2);
    let mut high: Option<u8> = None;
    for &byte in input {
        if byte == b'>' {
            break;
        }
        let Some(digit) = (byte as char).to_digit(16) else {
            continue;
        };
        match high.take() {
            Some(h) => out.push(h << 4 | digit as u8),
            None => high = Some(digit as u8),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    budget
        .charge(out.len() as u64)
        .map_err(|_| DecodeError::Budget)?;
    Ok(out)
}

fn ascii85(input: &[u8], budget: &Budget) -> Result<Vec<u8>, DecodeError> {
    let mut sink = ChargedSink::new(budget);
    let mut group: u64 = 0;
    let mut count = 0;
    for &byte in input {
        match byte {
            b'~' => break,
            b'z' if count == 0 => sink.put(&[0; 4])?,
            b'!'..=b'u' => {
                group = group * 85 + u64::from(byte - b'!');
                count += 1;
                if count == 5 {
                    // Out-of-range groups are malformed; their low bits are kept, as lenient
                    // readers do.
                    sink.put(&(group as u32).to_be_bytes())?;
                    group = 0;
                    count = 0;
                }
            }
            _ => {}
        }
    }
    if count > 1 {
        for _ in count..5 {
            group = group * 85 + 84;
        }
        sink.put(&(group as u32).to_be_bytes()[..count - 1])?;
    }
    Ok(sink.out)
}

fn run_length(input: &[u8], budget: &Budget) -> Result<Vec<u8>, DecodeError> {
    let mut sink = ChargedSink::new(budget);
    let mut at = 0;
    while let Some(&length) = input.get(at) {
        match length {
            128 => break,
            0..=127 => {
                let run = &input
                    [(at + 1).min(input.len())..(at + 2 + usize::from(length)).min(input.len())];
                sink.put(run)?;
                at += 2 + usize::from(length);
            }
            _ => {
                let Some(&byte) = input.get(at + 1) else {
                    break;
                };
                sink.put(&[byte; 128][..257 - usize::from(length)])?;
                at += 2;
            }
        }
    }
    Ok(sink.out)
}

/// Undoes a PNG predictor (`/Predictor` 10–15) after Flate or LZW; other predictors (TIFF) and
/// implausible parameters leave the data as it is.
fn predict(
    data: Vec<u8>,
    params: Option<&Dictionary>,
    budget: &Budget,
) -> Result<Vec<u8>, DecodeError> {
    let Some(params) = params else {
        return Ok(data);
    };
    let number = |key: &[u8], default: i64| {
        params
            .get(key)
            .ok()
            .and_then(|v| v.as_i64().ok())
            .unwrap_or(default)
    };
    if !(10..=15).contains(&number(b"Predictor", 1)) {
        return Ok(data);
    }
    let colors = number(b"Colors", 1);
    let bits = number(b"BitsPerComponent", 8);
    let columns = number(b"Columns", 1);
    if !(1..=32).contains(&colors)
        || !matches!(bits, 1 | 2 | 4 | 8 | 16)
        || !(1..=1 << 20).contains(&columns)
    {
        return Ok(data);
    }
    // All three are small positive numbers now.
    let bits_per_pixel = (colors * bits) as usize;
    let pixel_bytes = bits_per_pixel.div_ceil(8);
    let row_bytes = (columns as usize * bits_per_pixel).div_ceil(8);
    let out = unpredict_png(&data, pixel_bytes, row_bytes);
    budget
        .charge(out.len() as u64)
        .map_err(|_| DecodeError::Budget)?;
    Ok(out)
}

/// PNG row filters: each row is a filter-type byte and `row_bytes` bytes (the last may be short).
fn unpredict_png(data: &[u8], pixel_bytes: usize, row_bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut previous = vec![0u8; row_bytes.min(data.len())];
    for chunk in data.chunks(row_bytes + 1) {
        let (kind, row) = (chunk[0], &chunk[1..]);
        let start = out.len();
        for (i, &byte) in row.iter().enumerate() {
            let left = if i >= pixel_bytes {
                out[start + i - pixel_bytes]
            } else {
                0
            };
            let up = previous[i];
            let up_left = if i >= pixel_bytes {
                previous[i - pixel_bytes]
            } else {
                0
            };
            let value = match kind {
                1 => byte.wrapping_add(left),
                2 => byte.wrapping_add(up),
                3 => byte.wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => byte.wrapping_add(paeth(left, up, up_left)),
                _ => byte,
            };
            out.push(value);
        }
        previous[..row.len()].copy_from_slice(&out[start..]);
    }
    out
}

fn paeth(left: u8, up: u8, up_left: u8) -> u8 {
    let estimate = i16::from(left) + i16::from(up) - i16::from(up_left);
    let (a, b, c) = (
        (estimate - i16::from(left)).abs(),
        (estimate - i16::from(up)).abs(),
        (estimate - i16::from(up_left)).abs(),
    );
    if a <= b && a <= c {
        left
    } else if b <= c {
        up
    } else {
        up_left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn stream(filter: Object, content: Vec<u8>) -> Stream {
        let mut dict = Dictionary::new();
        dict.set("Filter", filter);
        Stream::new(dict, content)
    }

    #[test]
    fn filters_are_undone_in_order() {
        let plain = b"BT /F1 12 Tf (Hello) Tj ET".to_vec();
        let budget = Budget::new(1 << 20);
        let twice = stream(
            Object::Array(vec![
                Object::Name(b"FlateDecode".to_vec()),
                Object::Name(b"FlateDecode".to_vec()),
            ]),
            zlib(&zlib(&plain)),
        );
        assert_eq!(
            stream_bytes(&twice, &budget).unwrap().as_ref(),
            plain.as_slice()
        );
        let hex = stream(Object::Name(b"AHx".to_vec()), b"48 65 6c6C 6f>".to_vec());
        assert_eq!(stream_bytes(&hex, &budget).unwrap().as_ref(), b"Hello");
        let a85 = stream(
            Object::Name(b"ASCII85Decode".to_vec()),
            b"87cURDZ~>".to_vec(),
        );
        assert_eq!(stream_bytes(&a85, &budget).unwrap().as_ref(), b"Hello");
        let rle = stream(
            Object::Name(b"RunLengthDecode".to_vec()),
            vec![1, b'H', b'e', 255, b'l', 0, b'o', 128],
        );
        assert_eq!(stream_bytes(&rle, &budget).unwrap().as_ref(), b"Hello");
        let image = stream(Object::Name(b"DCTDecode".to_vec()), vec![0xff, 0xd8]);
        assert_eq!(stream_bytes(&image, &budget), Err(DecodeError::Unsupported));
    }

    #[test]
    fn a_nested_bomb_stops_at_the_budget() {
        // 64 MiB of zeros compressed twice is a few hundred bytes.
        let bomb = zlib(&zlib(&vec![0u8; 64 << 20]));
        assert!(bomb.len() < 1024, "{}", bomb.len());
        let twice = stream(
            Object::Array(vec![
                Object::Name(b"Fl".to_vec()),
                Object::Name(b"Fl".to_vec()),
            ]),
            bomb,
        );
        let budget = Budget::new(1 << 20);
        assert_eq!(stream_bytes(&twice, &budget), Err(DecodeError::Budget));
        assert!(budget.exceeded());
    }

    #[test]
    fn png_predictor() {
        // Two rows of three bytes: "Up" filter on the second row.
        let data = [0, 1, 2, 3, 2, 1, 1, 1];
        assert_eq!(unpredict_png(&data, 1, 3), vec![1, 2, 3, 2, 3, 4]);
        // Sub filter.
        assert_eq!(unpredict_png(&[1, 5, 1, 1], 1, 3), vec![5, 6, 7]);
    }
}
