//! Deterministic sample invoices for the tests and the benchmark: Unicode everywhere (accents,
//! `€`, `₹`, a CJK client), real totals from `atrium_invoicing::compute_totals`.

use atrium_invoicing::{Currency, LineItem, TaxScheme, compute_totals};
use rust_decimal::Decimal;

use crate::document::{
    DocumentLine, InvoiceDocument, Labelled, Paper, Party, TaxRow, TemplateSettings, Totals,
};

/// The CJK client name of [`eur_invoice`].
pub const CJK_CLIENT: &str = "山田商事株式会社";

const WORK: &[&str] = &[
    "Conception de l’interface — écrans de paiement",
    "Straßenbau-Gutachten, Übersicht und Größenprüfung",
    "Backend: API de facturation, révision",
    "Workshop „Café & Crème“ für das Team",
    "Migration des données clients (Ørsted, Åland)",
    "東京オフィス向けサポート",
    "Code review and pair programming",
    "Hébergement mensuel, région eu-west",
];

/// The text of line `index` (0-based) of a sample invoice: varied, accented, unique.
pub fn line_description(index: usize) -> String {
    format!("{} #{}", WORK[index % WORK.len()], index + 1)
}

/// A euro invoice with `lines` lines at 19 % and 7 % VAT, some discounted, from a German
/// seller to a Japanese client; paid in part (€100, or half the total if that is less).
pub fn eur_invoice(lines: usize) -> InvoiceDocument {
    let currency = Currency::from_code("EUR").expect("EUR exists");
    let items: Vec<LineItem> = (0..lines)
        .map(|index| LineItem {
            description: line_description(index),
            // 0.25 h … 12.5 h, and some three-decimal quantities.
            quantity: Decimal::new(250 + (index as i64 * 1_375) % 12_250, 3),
            unit_price: 4_500 + (index as i64 * 1_733) % 15_000,
            discount_percent: if index % 5 == 4 {
                Decimal::new(125, 1)
            } else {
                Decimal::ZERO
            },
            tax_rate_percent: Decimal::from(if index % 3 == 2 { 7 } else { 19 }),
            tax_code: None,
        })
        .collect();
    let paid = 10_000;
    document(
        currency,
        &items,
        &TaxScheme::Standard,
        "VAT",
        paid,
        Party {
            name: "Atrium Café GmbH".into(),
            address: vec![
                "Müllerstraße 12".into(),
                "80469 München, Deutschland".into(),
            ],
            tax_id: Some("DE123456789".into()),
            tax_id_label: Some("USt-IdNr.".into()),
            email: Some("rechnung@atrium-cafe.example".into()),
            phone: Some("+49 89 1234567".into()),
        },
        Party {
            name: CJK_CLIENT.into(),
            address: vec!["東京都千代田区丸の内1-1".into(), "100-0005 Japan".into()],
            tax_id: None,
            tax_id_label: None,
            email: Some("keiri@yamada.example".into()),
            phone: None,
        },
        "INV-2026-00042",
    )
}

/// A rupee invoice within Maharashtra (CGST + SGST) with HSN/SAC codes.
pub fn inr_gst_invoice() -> InvoiceDocument {
    inr_invoice(false)
}

/// The same sale to a client in Karnataka: across states, so IGST at the full rate.
pub fn inr_igst_invoice() -> InvoiceDocument {
    inr_invoice(true)
}

fn inr_invoice(interstate: bool) -> InvoiceDocument {
    let currency = Currency::from_code("INR").expect("INR exists");
    let line = |description: &str, quantity: &str, price: &str, rate: i64, code: &str| LineItem {
        description: description.into(),
        quantity: quantity.parse().expect("a decimal"),
        unit_price: currency.parse_amount(price).expect("an amount"),
        discount_percent: Decimal::ZERO,
        tax_rate_percent: Decimal::from(rate),
        tax_code: Some(code.into()),
    };
    let items = vec![
        line("UI design sprint", "1.5", "45000.00", 18, "998391"),
        line("Printed brochures", "500", "12.50", 12, "4911"),
        line("Café catering — Pune office", "1", "8250.00", 5, "996331"),
    ];
    document(
        currency,
        &items,
        &TaxScheme::Gst {
            seller_state: "27".into(),
            client_state: if interstate { "29" } else { "27" }.into(),
        },
        "GST",
        0,
        Party {
            name: "Atrium Software Pvt. Ltd.".into(),
            address: vec!["Baner Road 7".into(), "Pune 411045, Maharashtra".into()],
            tax_id: Some("27AABCA1234F1Z5".into()),
            tax_id_label: Some("GSTIN".into()),
            email: None,
            phone: None,
        },
        if interstate {
            Party {
                name: "Ananya Rao Studio".into(),
                address: vec![
                    "100 Feet Road 12, Indiranagar".into(),
                    "Bengaluru 560038, Karnataka".into(),
                ],
                tax_id: Some("29AAPFR4321K1ZX".into()),
                tax_id_label: Some("GSTIN".into()),
                email: None,
                phone: None,
            }
        } else {
            Party {
                name: "Shreya Kulkarni Designs".into(),
                address: vec![
                    "Linking Road 21".into(),
                    "Mumbai 400050, Maharashtra".into(),
                ],
                tax_id: Some("27AAPFK9876L1ZQ".into()),
                tax_id_label: Some("GSTIN".into()),
                email: None,
                phone: None,
            }
        },
        if interstate {
            "INV-2026-00008"
        } else {
            "INV-2026-00007"
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn document(
    currency: Currency,
    items: &[LineItem],
    scheme: &TaxScheme,
    tax_name: &str,
    paid: i64,
    seller: Party,
    client: Party,
    number: &str,
) -> InvoiceDocument {
    // A part payment never exceeds what the invoice asks for, however few its lines.
    let unpaid = compute_totals(items, scheme, 0).expect("sample lines are valid");
    let totals =
        compute_totals(items, scheme, paid.min(unpaid.total / 2)).expect("sample lines are valid");
    InvoiceDocument {
        title: "Invoice".into(),
        number: number.into(),
        draft: false,
        issue_date: "2026-12-03".into(),
        due_date: Some("2027-01-02".into()),
        seller,
        logo: None,
        client,
        currency,
        lines: items
            .iter()
            .zip(&totals.lines)
            .map(|(item, figures)| DocumentLine::from_item(item, figures))
            .collect(),
        tax_rows: TaxRow::rows(&totals, tax_name),
        totals: Totals::from(&totals),
        payment_details: vec![
            Labelled {
                label: "Bank".into(),
                value: "Stadtsparkasse München".into(),
            },
            Labelled {
                label: "IBAN".into(),
                value: "DE89 3704 0044 0532 0130 00".into(),
            },
            Labelled {
                label: "Reference".into(),
                value: number.into(),
            },
        ],
        notes: Some("Payable within 30 days. Merci beaucoup !".into()),
        template: TemplateSettings {
            accent_color: "#1f4e79".into(),
            footer_text: "Atrium · Registergericht München HRB 123456 · atrium.example".into(),
            paper: Paper::A4,
        },
    }
}
