//! Renders invoices and reads them back with poppler's `pdftotext`, `pdfinfo` and
//! `pdfimages` (Debian's poppler-utils; `scripts/services/pdf-tools.sh install` installs them
//! and the CJK font these tests expect).

use std::io::Write;
use std::process::Command;
use std::sync::LazyLock;

use atrium_pdf::sample::{self, CJK_CLIENT};
use atrium_pdf::{Error, Fonts, InvoiceDocument, Paper, Renderer};

/// One renderer for the whole test binary, as in the server: fonts load once.
static RENDERER: LazyLock<Renderer> = LazyLock::new(|| Renderer::new(Fonts::load()));

fn render(doc: &InvoiceDocument) -> Vec<u8> {
    RENDERER.render_invoice(doc).expect("the invoice renders")
}

/// Runs a poppler tool on `pdf` (written to a temporary file) and returns its stdout.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    file.write_all(pdf).unwrap();
    let output = Command::new(tool)
        .args(args)
        .arg(file.path())
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "{tool} could not run ({err}): install poppler-utils \
                 (scripts/services/pdf-tools.sh install)"
            )
        });
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The text of the PDF (or of one page) in the order it was typeset (`-raw`), every run of
/// whitespace, line breaks and no-break spaces included, made one space.
fn text(pdf: &[u8], page: Option<usize>) -> String {
    let page = page.map(|p| p.to_string());
    let mut args = vec!["-raw"];
    if let Some(page) = &page {
        args.extend(["-f", page.as_str(), "-l", page.as_str()]);
    }
    let raw = poppler("pdftotext", &args, pdf);
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pages(pdf: &[u8]) -> usize {
    let info = poppler("pdfinfo", &[], pdf);
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .expect("pdfinfo prints Pages:")
        .trim()
        .parse()
        .unwrap()
}

fn page_size(pdf: &[u8]) -> String {
    let info = poppler("pdfinfo", &[], pdf);
    info.lines()
        .find_map(|line| line.strip_prefix("Page size:"))
        .expect("pdfinfo prints Page size:")
        .trim()
        .to_string()
}

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "{needle:?} is not in the PDF's text:\n{haystack}"
    );
}

#[test]
fn the_invoice_shows_number_client_every_line_and_the_total() {
    let doc = sample::eur_invoice(6);
    let pdf = render(&doc);
    assert!(pdf.starts_with(b"%PDF-"));
    let text = text(&pdf, None);

    assert_contains(&text, "INV-2026-00042");
    assert_contains(&text, "INVOICE");
    assert_contains(&text, "Atrium Café GmbH");
    assert_contains(&text, "Müllerstraße 12");
    assert_contains(&text, "USt-IdNr.: DE123456789");
    assert_contains(&text, CJK_CLIENT);
    assert_contains(&text, "東京都千代田区丸の内1-1");
    for index in 0..6 {
        assert_contains(&text, &sample::line_description(index));
    }
    for line in &doc.lines {
        assert_contains(&text, &doc.currency.format_amount(line.amount));
    }
    assert_contains(&text, "3 Dec 2026");
    assert_contains(&text, "2 Jan 2027");
    let total = doc.currency.format_money(doc.totals.total);
    assert!(total.starts_with('€'), "{total}");
    assert_contains(&text, &format!("Total {total}"));
    assert_contains(
        &text,
        &format!(
            "Amount due (EUR) {}",
            doc.currency.format_money(doc.totals.amount_due)
        ),
    );
    assert_contains(&text, "Paid -€100.00");
    assert_contains(&text, "VAT 19 %");
    assert_contains(&text, "VAT 7 %");
    assert_contains(&text, "IBAN DE89 3704 0044 0532 0130 00");
    assert_contains(&text, "Merci beaucoup !");
    assert_contains(&text, "Registergericht München");
    assert_contains(&text, "Page 1 of 1");
}

#[test]
fn a_gst_invoice_prints_rupees_hsn_codes_and_the_cgst_sgst_split() {
    let doc = sample::inr_gst_invoice();
    let text = text(&render(&doc), None);
    assert_contains(&text, "₹");
    assert_contains(&text, "GSTIN: 27AABCA1234F1Z5");
    for code in ["998391", "4911", "996331"] {
        assert_contains(&text, code);
    }
    for label in ["CGST 9 %", "SGST 9 %", "CGST 6 %", "SGST 2.5 %"] {
        assert_contains(&text, label);
    }
    // 1.5 × 45,000 = 67,500; 500 × 12.50 = 6,250; 8,250: subtotal 82,000.00; tax 12,150 +
    // 750 + 412.50 = 13,312.50; total 95,312.50, grouped the Indian way.
    assert_contains(&text, "Subtotal ₹82,000.00");
    assert_contains(&text, "Tax ₹13,312.50");
    assert_contains(&text, "Total ₹95,312.50");
    assert_contains(&text, "Café catering — Pune office");
    assert!(!text.contains("IGST"), "{text}");
}

#[test]
fn an_interstate_gst_invoice_prints_igst_at_the_full_rate() {
    let doc = sample::inr_igst_invoice();
    let text = text(&render(&doc), None);
    assert_contains(&text, "GSTIN: 29AAPFR4321K1ZX");
    for label in ["IGST 18 %", "IGST 12 %", "IGST 5 %"] {
        assert_contains(&text, label);
    }
    assert!(!text.contains("CGST"), "{text}");
    assert!(!text.contains("SGST"), "{text}");
    // The same sale, so the same tax in one component: 12,150 + 750 + 412.50.
    assert_contains(&text, "Tax ₹13,312.50");
    assert_contains(&text, "Total ₹95,312.50");
}

#[test]
fn every_font_is_embedded_cjk_included() {
    let pdf = render(&sample::eur_invoice(3));
    let fonts = poppler("pdffonts", &[], &pdf);
    // name type encoding emb sub uni object ID: a header, a rule, then one row per font.
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 2, "{fonts}");
    for row in &rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        let n = columns.len();
        assert!(n >= 7, "{row}");
        // emb, sub and uni: embedded, subset, with a ToUnicode map (so text can be copied).
        assert_eq!(&columns[n - 5..n - 2], ["yes", "yes", "yes"], "{fonts}");
    }
    assert!(fonts.contains("Libertinus"), "{fonts}");
    assert!(fonts.contains("CJK"), "{fonts}");
}

#[test]
fn the_same_invoice_gives_the_same_bytes() {
    let doc = sample::eur_invoice(25);
    let first = render(&doc);
    let second = render(&doc);
    assert!(first == second, "two renders differ");
    // A renderer of its own (fonts loaded anew) gives the same bytes too.
    let fresh = Renderer::new(Fonts::load()).render_invoice(&doc).unwrap();
    assert!(first == fresh, "a fresh renderer's output differs");
    // …and a different invoice does not.
    let mut other = doc.clone();
    other.number = "INV-2026-00043".into();
    assert!(render(&other) != first);
    // Rendering other invoices in between leaves nothing behind that changes the bytes.
    render(&sample::inr_gst_invoice());
    assert!(
        render(&doc) == first,
        "a render after other invoices differs"
    );
    // The organisation's colour is part of the output.
    let mut recoloured = doc.clone();
    recoloured.template.accent_color = "#b03a2e".into();
    assert!(render(&recoloured) != first);
    // Nothing from the clock: the PDF's dates are the issue date.
    let info = poppler("pdfinfo", &[], &first);
    let created = info
        .lines()
        .find(|line| line.starts_with("CreationDate:"))
        .expect("a creation date");
    assert!(created.contains("2026"), "{created}");
    assert!(created.contains("Dec"), "{created}");
}

#[test]
fn renders_on_several_threads_at_once_give_the_same_bytes() {
    let docs = [
        sample::eur_invoice(60),
        sample::inr_gst_invoice(),
        sample::eur_invoice(7),
    ];
    let alone: Vec<Vec<u8>> = docs.iter().map(render).collect();
    // Each thread's cache eviction empties the cache the others are using: slower, never
    // different.
    let docs = &docs;
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..6)
            .map(|n| {
                let which = n % docs.len();
                scope.spawn(move || (which, render(&docs[which])))
            })
            .collect();
        for thread in threads {
            let (which, pdf) = thread.join().unwrap();
            assert!(
                pdf == alone[which],
                "document {which} differs when rendered concurrently"
            );
        }
    });
}

#[test]
fn a_200_line_invoice_runs_over_pages_with_the_table_header_on_each() {
    let doc = sample::eur_invoice(200);
    let pdf = render(&doc);
    let count = pages(&pdf);
    assert!(count >= 4, "200 lines on only {count} pages");

    let all = text(&pdf, None);
    for index in 0..200 {
        assert_contains(&all, &sample::line_description(index));
    }
    for page in 1..=count {
        let text = text(&pdf, Some(page));
        assert_contains(&text, &format!("Page {page} of {count}"));
        assert_contains(&text, "Registergericht München HRB 123456");
        if page > 1 {
            // The running head names the invoice and the client.
            assert_contains(&text, "Invoice INV-2026-00042");
            assert_contains(&text, CJK_CLIENT);
        }
        if page < count {
            // Every page the table runs onto starts with its header row.
            assert_contains(
                &text,
                "No. Description Qty Unit price Discount Tax Amount (EUR)",
            );
        }
    }
    let last = text(&pdf, Some(count));
    assert_contains(
        &last,
        &format!("Total {}", doc.currency.format_money(doc.totals.total)),
    );
}

#[test]
fn paper_follows_the_template_settings() {
    let mut doc = sample::eur_invoice(3);
    assert!(page_size(&render(&doc)).starts_with("595.276 x 841.89"));
    doc.template.paper = Paper::Letter;
    assert!(page_size(&render(&doc)).starts_with("612 x 792"));
}

#[test]
fn png_jpeg_and_svg_logos_are_embedded() {
    let png = include_bytes!("fixtures/logo.png");
    let jpeg = include_bytes!("fixtures/logo.jpg");
    let svg = include_bytes!("fixtures/logo.svg");
    for (name, bytes) in [("png", &png[..]), ("jpeg", &jpeg[..]), ("svg", &svg[..])] {
        let mut doc = sample::eur_invoice(2);
        doc.logo = Some(bytes.to_vec());
        let pdf = render(&doc);
        let images = poppler("pdfimages", &["-list"], &pdf);
        let listed = images.lines().skip(2).count();
        if name == "svg" {
            // An SVG stays vector graphics: no raster image, but the page draws it.
            assert_eq!(listed, 0, "{name}: {images}");
            let without = render(&sample::eur_invoice(2));
            assert!(pdf.len() > without.len(), "{name}: the logo added nothing");
        } else {
            assert_eq!(listed, 1, "{name}: {images}");
        }
        assert_contains(&text(&pdf, None), "INV-2026-00042");
    }
}

/// The resolution (x, y) a raster logo is printed at, from `pdfimages -list`.
fn logo_ppi(pdf: &[u8]) -> (f64, f64) {
    let images = poppler("pdfimages", &["-list"], pdf);
    let row = images.lines().nth(2).expect("one image");
    let columns: Vec<&str> = row.split_whitespace().collect();
    (columns[12].parse().unwrap(), columns[13].parse().unwrap())
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(width, height, image::Rgb([31, 78, 121]))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[test]
fn a_logo_is_15_mm_high_or_at_most_70_mm_wide() {
    let mut doc = sample::eur_invoice(2);
    // 300 × 150 px printed 15 mm (0.59 in) high: 30 mm wide, 254 ppi both ways.
    doc.logo = Some(png(300, 150));
    let (x, y) = logo_ppi(&render(&doc));
    assert!(
        (x - 254.0).abs() < 2.0 && (y - 254.0).abs() < 2.0,
        "{x} × {y} ppi"
    );
    // 4,000 × 100 px at 15 mm high would be 600 mm wide; at 70 mm (2.76 in) wide: 1,451 ppi.
    doc.logo = Some(png(4_000, 100));
    let (x, y) = logo_ppi(&render(&doc));
    assert!(
        (x - 1451.0).abs() < 3.0 && (y - 1451.0).abs() < 3.0,
        "{x} × {y} ppi"
    );
}

#[test]
fn a_draft_says_so_on_every_page() {
    let mut doc = sample::eur_invoice(3);
    doc.draft = true;
    doc.number = "Draft 2026-12-03 #5".into();
    let text = text(&render(&doc), None);
    assert_contains(&text, "DRAFT");
    assert_contains(&text, "Draft, not yet issued");
    assert_contains(&text, "Draft 2026-12-03 #5");
}

#[test]
fn bad_documents_are_refused_with_the_field_at_fault() {
    type Spoil = fn(&mut InvoiceDocument);
    let cases: &[(&str, Spoil)] = &[
        ("issue_date", |d| d.issue_date = "2026-02-30".into()),
        ("due_date", |d| d.due_date = Some("03/12/2026".into())),
        ("number", |d| d.number = "  ".into()),
        ("client.name", |d| d.client.name = String::new()),
        ("seller.address[1]", |d| {
            d.seller.address[1] = "a\u{7}b".into()
        }),
        ("lines[1].description", |d| {
            d.lines[1].description = "x".repeat(2001)
        }),
        ("template.accent_color", |d| {
            d.template.accent_color = "blue".into()
        }),
        ("payment_details[0].value", |d| {
            d.payment_details[0].value = String::new()
        }),
    ];
    for &(field, spoil) in cases {
        let mut doc = sample::eur_invoice(3);
        spoil(&mut doc);
        match RENDERER.render_invoice(&doc) {
            Err(Error::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: expected Error::Invalid, got {other:?}"),
        }
    }
    let mut doc = sample::eur_invoice(3);
    doc.logo = Some(b"GIF89a\x01\x00\x01\x00".to_vec());
    assert!(matches!(
        RENDERER.render_invoice(&doc),
        Err(Error::InvalidLogo(_))
    ));
}

/// The error a document gets, with its message, which must name the problem.
fn refusal(doc: &InvoiceDocument) -> Error {
    match RENDERER.render_invoice(doc) {
        Ok(_) => panic!("the document was rendered, not refused"),
        Err(error) => {
            assert!(!error.to_string().is_empty());
            error
        }
    }
}

#[test]
fn absurd_lengths_are_refused_with_an_error_not_a_panic() {
    let invalid_field = |error: Error| match error {
        Error::Invalid { field, .. } => field,
        other => panic!("expected Error::Invalid, got {other:?}"),
    };
    let mut doc = sample::eur_invoice(3);
    doc.lines[2].description = "Beratung ".repeat(1_000_000);
    assert_eq!(invalid_field(refusal(&doc)), "lines[2].description");

    let mut doc = sample::eur_invoice(3);
    doc.client.name = "山".repeat(100_000);
    let error = refusal(&doc);
    assert!(error.to_string().contains("longer than"), "{error}");
    assert_eq!(invalid_field(error), "client.name");

    let mut doc = sample::eur_invoice(3);
    doc.seller.address = vec!["Müllerstraße 12".into(); 1_000];
    assert_eq!(invalid_field(refusal(&doc)), "seller.address");

    let mut doc = sample::eur_invoice(3);
    doc.template.footer_text = "€".repeat(10_000);
    assert_eq!(invalid_field(refusal(&doc)), "template.footer_text");

    let mut doc = sample::eur_invoice(3);
    doc.notes = Some("Merci.\n".repeat(100_000));
    assert_eq!(invalid_field(refusal(&doc)), "notes");

    let mut doc = sample::eur_invoice(1);
    doc.lines = vec![doc.lines[0].clone(); 6_000];
    assert_eq!(invalid_field(refusal(&doc)), "lines");

    // 5,000 lines (as many as an invoice may have) of the longest descriptions allowed: ten
    // megabytes of text, refused as a whole before typst sees any of it.
    let mut doc = sample::eur_invoice(1);
    let mut line = doc.lines[0].clone();
    line.description = "x".repeat(2_000);
    doc.lines = vec![line; 5_000];
    assert_eq!(invalid_field(refusal(&doc)), "lines");

    let mut doc = sample::eur_invoice(3);
    doc.totals.paid = i64::MIN;
    assert_eq!(invalid_field(refusal(&doc)), "totals.paid");

    let mut doc = sample::eur_invoice(3);
    doc.payment_details = (0..1_000)
        .map(|n| atrium_pdf::Labelled {
            label: format!("Ref {n}"),
            value: "x".into(),
        })
        .collect();
    assert_eq!(invalid_field(refusal(&doc)), "payment_details");
}

#[test]
fn bad_logos_are_refused_with_an_error_not_a_panic() {
    let png = include_bytes!("fixtures/logo.png");
    let jpeg = include_bytes!("fixtures/logo.jpg");
    let mut bad: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("text", b"not an image at all".to_vec()),
        (
            "random",
            (0..4096u32)
                .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
        ("truncated png", png[..png.len() / 2].to_vec()),
        ("png header only", png[..8].to_vec()),
        ("truncated jpeg", jpeg[..jpeg.len() / 3].to_vec()),
        ("jpeg marker only", b"\xff\xd8\xff\xe0".to_vec()),
        (
            "broken svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><rect".to_vec(),
        ),
        (
            "html",
            b"<!DOCTYPE html><html><body>logo</body></html>".to_vec(),
        ),
        ("too large", vec![0x89; atrium_pdf::MAX_LOGO_BYTES + 1]),
    ];
    // A PNG whose header claims 100,000 × 100,000 pixels (40 GB decoded).
    let mut bomb = png.to_vec();
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    bad.push(("decompression bomb", bomb));
    for (name, bytes) in bad {
        let mut doc = sample::eur_invoice(2);
        doc.logo = Some(bytes);
        match RENDERER.render_invoice(&doc) {
            Err(Error::InvalidLogo(why)) => assert!(!why.is_empty(), "{name}"),
            other => panic!("{name}: expected Error::InvalidLogo, got {other:?}"),
        }
    }
}

#[test]
fn awkward_but_valid_text_still_renders() {
    let mut doc = sample::eur_invoice(3);
    // One 2,000-character word (nowhere to break it), a blank address line from a text area,
    // emoji, right-to-left text, combining accents and a zero-width joiner.
    let word = "Donaudampfschifffahrtsgesellschaft".repeat(60);
    doc.lines[0].description = word[..2_000].to_string();
    doc.seller.address.insert(1, "   ".into());
    doc.lines[1].description =
        "Café e\u{301} — شركة — 🧾👩\u{200d}💻 — Ελληνικά — Кириллица".into();
    let pdf = render(&doc);
    let text = text(&pdf, None);
    assert_contains(&text, "Müllerstraße 12 80469 München");
    assert_contains(&text, "Ελληνικά");
    assert_contains(&text, "Кириллица");
    assert_contains(&text, &sample::line_description(2));
}

#[test]
fn invoice_text_is_printed_never_evaluated_as_markup() {
    let mut doc = sample::eur_invoice(1);
    doc.lines[0].description = "#panic(\"boom\") *not bold* $x^2$ <label> @ref \\ [x]".into();
    doc.client.name = "#read(\"/etc/passwd\")".into();
    let text = text(&render(&doc), None);
    assert_contains(
        &text,
        "#panic(\"boom\") *not bold* $x^2$ <label> @ref \\ [x]",
    );
    assert_contains(&text, "#read(\"/etc/passwd\")");
}

#[test]
fn cjk_fonts_are_found_here_and_their_absence_is_explained() {
    let fonts = Fonts::load();
    assert!(
        fonts.cjk_family().is_some(),
        "no CJK font on this machine: run scripts/services/pdf-tools.sh install"
    );
    assert!(fonts.missing().is_none());

    let bare = Renderer::new(Fonts::embedded_only());
    let missing = bare.fonts().missing().expect("embedded fonts have no CJK");
    assert!(missing.contains("fonts-noto-cjk"), "{missing}");
    // Without CJK fonts the invoice still renders; only the CJK glyphs are lost.
    let pdf = bare.render_invoice(&sample::eur_invoice(2)).unwrap();
    let text = text(&pdf, None);
    assert_contains(&text, "INV-2026-00042");
    assert_contains(&text, "Müllerstraße 12");
    assert!(!text.contains(CJK_CLIENT));
}
