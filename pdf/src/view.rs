//! From an [`InvoiceDocument`] to what the template prints: checked, and every amount, date
//! and percentage already written out as text.
//!
//! The template only lays out strings; all formatting lives here where it is unit-tested, and
//! the data reaches typst as JSON, so no text of the invoice is ever evaluated as markup.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::Serialize;
use typst::foundations::Bytes;
use typst::visualize::{
    ExchangeFormat, ImageFormat, RasterFormat, RasterImage, SvgImage, VectorFormat,
};

use crate::document::{InvoiceDocument, Labelled, Paper, Party};
use crate::world::LogoFormat;
use crate::{Error, Result};

/// A logo larger than this is refused (an organisation's logo is tens of kilobytes).
pub const MAX_LOGO_BYTES: usize = 2 * 1024 * 1024;
/// A raster logo wider or taller than this many pixels is refused before it is decoded: it
/// prints 15 mm high, and a few kilobytes of PNG can declare gigabytes of pixels.
pub const MAX_LOGO_PIXELS: u32 = 4_096;
/// All line descriptions together: about a thousand pages. More is not an invoice anyone
/// reads, and would keep a core busy for many seconds.
const MAX_TOTAL_DESCRIPTION: usize = 1_000_000;
const MAX_LINES: usize = atrium_invoicing::totals::MAX_LINES;
const MAX_SHORT: usize = 200;
const MAX_LONG: usize = 4_000;
const MAX_ADDRESS_LINES: usize = 10;
const MAX_ROWS: usize = 50;

/// The template's input (`/invoice.json`).
#[derive(Serialize)]
pub(crate) struct View<'a> {
    fonts: Vec<&'static str>,
    title: &'a str,
    number: &'a str,
    draft: bool,
    /// The PDF's creation date.
    date: DateParts,
    dates: Vec<Row>,
    seller: PartyView<'a>,
    client: PartyView<'a>,
    logo: Option<LogoView>,
    /// The lines table's columns: number, description, tax code (when a line has one),
    /// quantity, unit price, discount (when a line has one), tax rate, amount.
    columns: Vec<ColumnView>,
    /// The lines table's body, row after row, one string per cell of `columns`.
    line_cells: Vec<Cow<'a, str>>,
    tax_rows: Vec<TaxRowView<'a>>,
    totals: Vec<Row>,
    amount_due: Row,
    payment: Vec<Row>,
    notes: Option<&'a str>,
    accent: &'a str,
    footer: &'a str,
    paper: &'static str,
}

/// Where the template finds the logo, and which way it is sized.
#[derive(Serialize)]
struct LogoView {
    path: &'static str,
    /// Printed [`LOGO_MAX_WIDTH_MM`] wide, because at [`LOGO_HEIGHT_MM`] high it would be
    /// wider than that.
    wide: bool,
}

/// A logo is printed this high…
const LOGO_HEIGHT_MM: f64 = 15.0;
/// …unless that makes it wider than this (the template uses the same figures).
const LOGO_MAX_WIDTH_MM: f64 = 70.0;

#[derive(Serialize)]
struct Row {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct DateParts {
    year: i32,
    month: u8,
    day: u8,
}

#[derive(Serialize)]
struct PartyView<'a> {
    name: &'a str,
    /// Address lines, then the tax id, one per printed line.
    lines: Vec<String>,
    /// E-mail and phone.
    contact: Vec<&'a str>,
}

/// A column of the lines table.
#[derive(Serialize)]
struct ColumnView {
    head: String,
    /// `left` or `right`.
    align: &'static str,
    /// The description: it takes the width the other columns leave.
    fill: bool,
    /// The few cells likely to be the column's widest, by [`estimated_width`]; the template
    /// measures these (and the head) to size the column, instead of laying out every cell.
    widest: Vec<String>,
}

impl ColumnView {
    fn new(head: impl Into<String>, align: &'static str) -> Self {
        ColumnView {
            head: head.into(),
            align,
            fill: false,
            widest: Vec::new(),
        }
    }
}

/// How many candidates for the widest cell of a column the template measures.
const WIDEST_CANDIDATES: usize = 3;

#[derive(Serialize)]
struct TaxRowView<'a> {
    label: &'a str,
    taxable: String,
    amount: String,
}

/// The checked document, ready for the template: its JSON and its logo.
pub(crate) struct Prepared {
    pub(crate) data: Bytes,
    pub(crate) logo: Option<(LogoFormat, Bytes)>,
    pub(crate) date: (i32, u8, u8),
}

/// Checks `doc` and writes it out for the template, whose text is set in `fonts`.
pub(crate) fn prepare(doc: &InvoiceDocument, fonts: Vec<&'static str>) -> Result<Prepared> {
    let money = |minor: i64| doc.currency.format_money(minor);
    let amount = |minor: i64| doc.currency.format_amount(minor);

    single_line("title", &doc.title, 60)?;
    single_line("number", &doc.number, 60)?;
    let issue = parse_date("issue_date", &doc.issue_date)?;
    let mut dates = vec![Row {
        label: "Issue date".into(),
        value: format_date(issue),
    }];
    if let Some(due) = &doc.due_date {
        dates.push(Row {
            label: "Due date".into(),
            value: format_date(parse_date("due_date", due)?),
        });
    }

    let seller = party("seller", &doc.seller)?;
    let client = party("client", &doc.client)?;
    let logo = match &doc.logo {
        Some(bytes) => Some(check_logo(bytes)?),
        None => None,
    };

    if doc.lines.len() > MAX_LINES {
        return Err(invalid(
            "lines",
            format!("has {} lines; at most {MAX_LINES}", doc.lines.len()),
        ));
    }
    let show_tax_code = doc.lines.iter().any(|line| line.tax_code.is_some());
    let show_discount = doc
        .lines
        .iter()
        .any(|line| !line.discount_percent.is_zero());
    let mut line_cells: Vec<Cow<'_, str>> = Vec::with_capacity(doc.lines.len() * 8);
    for (index, line) in doc.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{index}].{name}");
        multi_line(&field("description"), &line.description, 2_000)?;
        if let Some(code) = &line.tax_code {
            single_line(&field("tax_code"), code, 16)?;
        }
        line_cells.push((index + 1).to_string().into());
        line_cells.push(line.description.trim().into());
        if show_tax_code {
            line_cells.push(line.tax_code.as_deref().unwrap_or("").trim().into());
        }
        line_cells.push(format_decimal(line.quantity).into());
        line_cells.push(amount(line.unit_price).into());
        if show_discount {
            line_cells.push(if line.discount_percent.is_zero() {
                Cow::Borrowed("")
            } else {
                format_percent(line.discount_percent).into()
            });
        }
        line_cells.push(format_percent(line.tax_rate_percent).into());
        line_cells.push(amount(line.amount).into());
    }
    let mut columns = vec![ColumnView::new("No.", "right"), {
        let mut description = ColumnView::new("Description", "left");
        description.fill = true;
        description
    }];
    if show_tax_code {
        columns.push(ColumnView::new("Tax code", "left"));
    }
    columns.push(ColumnView::new("Qty", "right"));
    columns.push(ColumnView::new("Unit price", "right"));
    if show_discount {
        columns.push(ColumnView::new("Discount", "right"));
    }
    columns.push(ColumnView::new("Tax", "right"));
    columns.push(ColumnView::new(
        format!("Amount ({})", doc.currency.code()),
        "right",
    ));
    let count = columns.len();
    for (index, column) in columns.iter_mut().enumerate() {
        if !column.fill {
            column.widest = widest_cells(line_cells.iter().skip(index).step_by(count));
        }
    }

    let described: usize = doc.lines.iter().map(|line| line.description.len()).sum();
    if described > MAX_TOTAL_DESCRIPTION {
        return Err(invalid(
            "lines",
            format!(
                "have {described} bytes of descriptions together; at most \
                 {MAX_TOTAL_DESCRIPTION}"
            ),
        ));
    }

    if doc.tax_rows.len() > MAX_ROWS {
        return Err(invalid(
            "tax_rows",
            format!("has more than {MAX_ROWS} rows"),
        ));
    }
    let mut tax_rows = Vec::with_capacity(doc.tax_rows.len());
    for (index, row) in doc.tax_rows.iter().enumerate() {
        single_line(&format!("tax_rows[{index}].label"), &row.label, 60)?;
        tax_rows.push(TaxRowView {
            label: row.label.trim(),
            taxable: amount(row.taxable),
            amount: amount(row.amount),
        });
    }

    let t = &doc.totals;
    let mut totals = vec![Row {
        label: "Subtotal".into(),
        value: money(t.subtotal),
    }];
    if t.discount != 0 {
        totals.push(Row {
            label: "Discount".into(),
            value: money(negated("totals.discount", t.discount)?),
        });
    }
    totals.push(Row {
        label: "Tax".into(),
        value: money(t.tax),
    });
    totals.push(Row {
        label: "Total".into(),
        value: money(t.total),
    });
    if t.paid != 0 {
        totals.push(Row {
            label: "Paid".into(),
            value: money(negated("totals.paid", t.paid)?),
        });
    }
    let amount_due = Row {
        label: format!("Amount due ({})", doc.currency.code()),
        value: money(t.amount_due),
    };

    if doc.payment_details.len() > MAX_ROWS {
        return Err(invalid(
            "payment_details",
            format!("has more than {MAX_ROWS} rows"),
        ));
    }
    let payment = doc
        .payment_details
        .iter()
        .enumerate()
        .map(|(index, Labelled { label, value })| {
            single_line(&format!("payment_details[{index}].label"), label, 60)?;
            single_line(&format!("payment_details[{index}].value"), value, MAX_SHORT)?;
            Ok(Row {
                label: label.trim().into(),
                value: value.trim().into(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(notes) = &doc.notes {
        multi_line("notes", notes, MAX_LONG)?;
    }

    let settings = &doc.template;
    if !is_hex_colour(&settings.accent_color) {
        return Err(invalid(
            "template.accent_color",
            "must be a colour written #rrggbb",
        ));
    }
    if !settings.footer_text.is_empty() {
        single_line("template.footer_text", &settings.footer_text, 300)?;
    }

    let view = View {
        fonts,
        title: doc.title.trim(),
        number: doc.number.trim(),
        draft: doc.draft,
        date: DateParts {
            year: issue.0,
            month: issue.1,
            day: issue.2,
        },
        dates,
        seller,
        client,
        logo: logo.as_ref().map(|logo| LogoView {
            path: logo.format.path(),
            wide: logo.aspect_ratio * LOGO_HEIGHT_MM > LOGO_MAX_WIDTH_MM,
        }),
        columns,
        line_cells,
        tax_rows,
        totals,
        amount_due,
        payment,
        notes: doc
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty()),
        accent: &settings.accent_color,
        footer: settings.footer_text.trim(),
        paper: match settings.paper {
            Paper::A4 => "a4",
            Paper::Letter => "us-letter",
        },
    };
    let data = serde_json::to_vec(&view).map_err(|err| Error::Typeset(err.to_string()))?;
    Ok(Prepared {
        data: Bytes::new(data),
        logo: logo.map(|logo| (logo.format, logo.data)),
        date: issue,
    })
}

/// The distinct cells of a column with the largest [`estimated_width`], widest first.
fn widest_cells<'c>(cells: impl Iterator<Item = &'c Cow<'c, str>>) -> Vec<String> {
    let mut ranked: Vec<(u32, &str)> = cells
        .map(|cell| (estimated_width(cell), cell.as_ref()))
        .collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    ranked.dedup();
    ranked
        .into_iter()
        .take(WIDEST_CANDIDATES)
        .map(|(_, cell)| cell.to_string())
        .collect()
}

/// A rough width of `text` in half-ems: enough to pick the widest few cells of a column, which
/// the template then measures exactly. (Figures are set tabular, all one width.)
fn estimated_width(text: &str) -> u32 {
    text.chars()
        .map(|c| match c {
            '.' | ',' | ':' | ';' | '\'' | '!' | '|' | '(' | ')' | 'i' | 'j' | 'l' | 'I' | 'f'
            | 't' | 'r' => 1,
            ' ' | '\u{a0}' | '-' => 1,
            'M' | 'W' | 'm' | 'w' | '%' | '@' | '—' => 3,
            c if u32::from(c) >= 0x2E80 => 4,
            _ => 2,
        })
        .sum()
}

/// `-amount`, printed for discounts and payments; refused for the one `i64` without a negation.
fn negated(field: &str, amount: i64) -> Result<i64> {
    amount
        .checked_neg()
        .ok_or_else(|| invalid(field, "is out of range"))
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Non-blank, at most `max` characters, no control characters.
fn single_line(field: &str, text: &str, max: usize) -> Result<()> {
    checked_text(field, text, max, false)
}

/// Like [`single_line`], but line breaks are allowed.
fn multi_line(field: &str, text: &str, max: usize) -> Result<()> {
    checked_text(field, text, max, true)
}

fn checked_text(field: &str, text: &str, max: usize, breaks: bool) -> Result<()> {
    if text.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if text.chars().nth(max).is_some() {
        return Err(invalid(field, format!("is longer than {max} characters")));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(breaks && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

fn party<'a>(field: &str, party: &'a Party) -> Result<PartyView<'a>> {
    single_line(&format!("{field}.name"), &party.name, MAX_SHORT)?;
    if party.address.len() > MAX_ADDRESS_LINES {
        return Err(invalid(
            format!("{field}.address"),
            format!("has more than {MAX_ADDRESS_LINES} lines"),
        ));
    }
    let mut lines = Vec::with_capacity(party.address.len() + 1);
    for (index, line) in party.address.iter().enumerate() {
        // A blank line in an address typed into a text area is left out, not refused.
        if line.trim().is_empty() {
            continue;
        }
        single_line(&format!("{field}.address[{index}]"), line, MAX_SHORT)?;
        lines.push(line.trim().to_string());
    }
    if let Some(tax_id) = &party.tax_id {
        single_line(&format!("{field}.tax_id"), tax_id, 60)?;
        let label = match &party.tax_id_label {
            Some(label) => {
                single_line(&format!("{field}.tax_id_label"), label, 30)?;
                label.trim()
            }
            None => "Tax ID",
        };
        lines.push(format!("{label}: {}", tax_id.trim()));
    }
    let mut contact = Vec::new();
    for (name, value) in [("email", &party.email), ("phone", &party.phone)] {
        if let Some(value) = value {
            single_line(&format!("{field}.{name}"), value, MAX_SHORT)?;
            contact.push(value.trim());
        }
    }
    Ok(PartyView {
        name: party.name.trim(),
        lines,
        contact,
    })
}

/// Accepts PNG, JPEG and SVG logos that decode, under [`MAX_LOGO_BYTES`]. (Decoding is
/// memoised by typst, so the compile that follows does not decode again.)
/// Why `bytes` cannot be an invoice's logo (not PNG, JPEG or SVG; unreadable; too many
/// pixels), as a field message; checked when the settings are saved, as at typesetting.
pub fn logo_problem(bytes: &[u8]) -> Option<String> {
    match check_logo(bytes) {
        Ok(_) => None,
        Err(Error::InvalidLogo(why)) => Some(why),
        Err(other) => Some(other.to_string()),
    }
}

fn check_logo(bytes: &[u8]) -> Result<Logo> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(Error::InvalidLogo(format!(
            "is {} bytes; at most {MAX_LOGO_BYTES}",
            bytes.len()
        )));
    }
    let data = Bytes::new(bytes.to_vec());
    let format = match ImageFormat::detect(bytes) {
        Some(ImageFormat::Raster(RasterFormat::Exchange(ExchangeFormat::Png))) => LogoFormat::Png,
        Some(ImageFormat::Raster(RasterFormat::Exchange(ExchangeFormat::Jpg))) => LogoFormat::Jpg,
        Some(ImageFormat::Vector(VectorFormat::Svg)) => LogoFormat::Svg,
        _ => return Err(unsupported_logo()),
    };
    // Width over height, as printed (after any EXIF rotation).
    let decoded: Result<f64, String> = match format {
        LogoFormat::Png | LogoFormat::Jpg => {
            let (exchange, header) = if format == LogoFormat::Png {
                (ExchangeFormat::Png, image::ImageFormat::Png)
            } else {
                (ExchangeFormat::Jpg, image::ImageFormat::Jpeg)
            };
            // The header alone says how large the decoded image would be.
            let (width, height) =
                image::ImageReader::with_format(std::io::Cursor::new(bytes), header)
                    .into_dimensions()
                    .map_err(|reason| Error::InvalidLogo(format!("could not be read: {reason}")))?;
            if width > MAX_LOGO_PIXELS || height > MAX_LOGO_PIXELS {
                return Err(Error::InvalidLogo(format!(
                    "is {width}×{height} pixels; at most {MAX_LOGO_PIXELS} on either side"
                )));
            }
            RasterImage::plain(data.clone(), exchange)
                .map(|image| f64::from(image.width()) / f64::from(image.height()))
                .map_err(|reason| reason.to_string())
        }
        LogoFormat::Svg => SvgImage::new(data.clone())
            .map(|image| image.width() / image.height())
            .map_err(|_| "not a well-formed SVG document".to_string()),
    };
    let aspect_ratio =
        decoded.map_err(|reason| Error::InvalidLogo(format!("could not be read: {reason}")))?;
    if !(aspect_ratio.is_finite() && aspect_ratio > 0.0) {
        return Err(Error::InvalidLogo("has no width or no height".into()));
    }
    Ok(Logo {
        format,
        data,
        aspect_ratio,
    })
}

/// A logo that decodes.
#[derive(Debug)]
struct Logo {
    format: LogoFormat,
    data: Bytes,
    aspect_ratio: f64,
}

fn unsupported_logo() -> Error {
    Error::InvalidLogo("is not a PNG, JPEG or SVG image".into())
}

fn is_hex_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// `YYYY-MM-DD`, a real calendar date.
fn parse_date(field: &str, text: &str) -> Result<(i32, u8, u8)> {
    let bad = || invalid(field, "must be a date written YYYY-MM-DD");
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32> {
        let part = &text[range];
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse().map_err(|_| bad())
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if year == 0 || day == 0 || day > days_in_month {
        return Err(bad());
    }
    Ok((year as i32, month as u8, day as u8))
}

/// `3 Dec 2026`: read the same way in every country.
fn format_date((year, month, day): (i32, u8, u8)) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!("{day} {} {year}", MONTHS[usize::from(month) - 1])
}

/// `7.250` → `7.25`, `2.0` → `2`.
fn format_decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

/// `12.50` → `12.5 %`, with a no-break space so the sign stays with its number.
fn format_percent(value: Decimal) -> String {
    format!("{}\u{a0}%", format_decimal(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict_calendar_dates() {
        assert_eq!(parse_date("d", "2026-12-03").unwrap(), (2026, 12, 3));
        assert_eq!(parse_date("d", "2024-02-29").unwrap(), (2024, 2, 29));
        for bad in [
            "2026-2-03",
            "2026/12/03",
            "2025-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-04-31",
            "0000-01-01",
            "2026-00-10",
            "2026-01-00",
            "+026-01-01",
            "2026-01-0١",
        ] {
            assert!(parse_date("d", bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(format_date((2026, 12, 3)), "3 Dec 2026");
        assert_eq!(format_date((2000, 1, 31)), "31 Jan 2000");
    }

    #[test]
    fn quantities_and_percentages_drop_trailing_zeros() {
        assert_eq!(format_decimal("7.250".parse().unwrap()), "7.25");
        assert_eq!(format_decimal("2.000".parse().unwrap()), "2");
        assert_eq!(format_decimal("0.333".parse().unwrap()), "0.333");
        assert_eq!(format_percent("12.50".parse().unwrap()), "12.5\u{a0}%");
    }

    #[test]
    fn colours_are_hex_triplets() {
        assert!(is_hex_colour("#1f4E79"));
        for bad in ["1f4e79", "#1f4e7", "#1f4e7g", "#1f4e799", "red", "#ééé"] {
            assert!(!is_hex_colour(bad), "{bad}");
        }
    }

    #[test]
    fn text_checks_refuse_blank_long_and_control_text() {
        assert!(single_line("f", "Café ₹ 東京", 10).is_ok());
        assert!(single_line("f", "  ", 10).is_err());
        assert!(single_line("f", "abcdefghijk", 10).is_err());
        assert!(single_line("f", "a\nb", 10).is_err());
        assert!(multi_line("f", "a\nb", 10).is_ok());
        assert!(multi_line("f", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn logos_must_be_png_jpeg_or_svg_and_decode() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>"#;
        assert_eq!(check_logo(svg).unwrap().format, LogoFormat::Svg);
        assert!(matches!(
            check_logo(b"GIF89a...."),
            Err(Error::InvalidLogo(_))
        ));
        assert!(matches!(check_logo(b"hello"), Err(Error::InvalidLogo(_))));
        // A PNG signature with nothing after it.
        let broken_png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(matches!(check_logo(broken_png), Err(Error::InvalidLogo(_))));
        assert!(matches!(
            check_logo(&vec![0; MAX_LOGO_BYTES + 1]),
            Err(Error::InvalidLogo(_))
        ));
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(width, height)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn logos_with_too_many_pixels_are_refused_before_decoding() {
        assert_eq!(check_logo(&png(300, 80)).unwrap().format, LogoFormat::Png);
        assert_eq!(
            check_logo(&png(MAX_LOGO_PIXELS, 1)).unwrap().format,
            LogoFormat::Png
        );
        // A few hundred bytes that would decode to a wide strip, or (below) to 64 gigabytes.
        match check_logo(&png(MAX_LOGO_PIXELS + 1, 1)) {
            Err(Error::InvalidLogo(why)) => assert!(why.contains("4097×1 pixels"), "{why}"),
            other => panic!("expected InvalidLogo, got {other:?}"),
        }
        let mut bomb = png(1, 1);
        // IHDR's width and height are bytes 16..24; the chunk's CRC (29..33) is then wrong,
        // which the header reader must report, not trust.
        bomb[16..20].copy_from_slice(&131_072u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&131_072u32.to_be_bytes());
        assert!(matches!(check_logo(&bomb), Err(Error::InvalidLogo(_))));
    }

    #[test]
    fn the_widest_cells_of_a_column_are_found_without_measuring() {
        let cells: Vec<Cow<'_, str>> =
            ["9.00", "1,234.50", "999.99", "1,111.11", "1,234.50", "12.5"]
                .into_iter()
                .map(Cow::Borrowed)
                .collect();
        assert_eq!(
            widest_cells(cells.iter()),
            ["1,234.50", "1,111.11", "999.99"]
        );
        assert!(estimated_width("WWW") > estimated_width("iii"));
        assert!(estimated_width("東京") > estimated_width("AB"));
        assert!(widest_cells(std::iter::empty()).is_empty());
    }

    #[test]
    fn amounts_that_cannot_be_negated_are_refused() {
        assert_eq!(negated("f", 250).unwrap(), -250);
        assert!(negated("f", i64::MIN).is_err());
    }
}
