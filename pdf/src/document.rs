//! What an invoice PDF shows: [`InvoiceDocument`], plain data the caller fills in.
//!
//! Amounts are integer minor units of [`InvoiceDocument::currency`], already computed (by
//! `atrium_invoicing::compute_totals`; [`Totals::from`] and [`TaxRow::rows`] copy its figures).
//! The renderer formats and lays them out; it never does money math.

use atrium_invoicing::{Currency, InvoiceTotals, LineItem, LineTotals, TaxKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Everything one invoice PDF shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDocument {
    /// The heading: "Invoice", "Tax invoice", "Credit note".
    pub title: String,
    /// The issued number (`INV-2026-00042`), or a draft's provisional name.
    pub number: String,
    /// A draft: the number is provisional and the pages say "Draft".
    #[serde(default)]
    pub draft: bool,
    /// `YYYY-MM-DD`. Also the PDF's creation date, so the same invoice gives the same bytes.
    pub issue_date: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub due_date: Option<String>,
    /// The organisation issuing the invoice.
    pub seller: Party,
    /// The organisation's logo (PNG, JPEG or SVG), printed in the top left corner.
    #[serde(default)]
    pub logo: Option<Vec<u8>>,
    /// Who is billed.
    pub client: Party,
    pub currency: Currency,
    pub lines: Vec<DocumentLine>,
    /// One row per tax component and rate ("VAT 19 %", "CGST 9 %").
    #[serde(default)]
    pub tax_rows: Vec<TaxRow>,
    pub totals: Totals,
    /// How to pay: bank, IBAN, UPI id, reference… printed as a label and value each.
    #[serde(default)]
    pub payment_details: Vec<Labelled>,
    /// Free text under the totals (terms, thanks).
    #[serde(default)]
    pub notes: Option<String>,
    /// The organisation's template settings.
    #[serde(default)]
    pub template: TemplateSettings,
}

/// A seller or client block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    /// Address lines, printed one under the other.
    #[serde(default)]
    pub address: Vec<String>,
    /// VAT number, GSTIN, EIN…, printed after `tax_id_label`.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// "VAT", "GSTIN", "Tax ID" (the default).
    #[serde(default)]
    pub tax_id_label: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// One printed line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    pub description: String,
    /// HSN/SAC or another classification; a column appears when any line has one.
    #[serde(default)]
    pub tax_code: Option<String>,
    pub quantity: Decimal,
    /// Minor units.
    pub unit_price: i64,
    /// A column appears when any line has a discount.
    #[serde(default)]
    pub discount_percent: Decimal,
    pub tax_rate_percent: Decimal,
    /// The line's amount after discount and before tax, in minor units.
    pub amount: i64,
}

impl DocumentLine {
    /// The printed line for an entered line and the figures `compute_totals` gave it.
    pub fn from_item(item: &LineItem, figures: &LineTotals) -> Self {
        DocumentLine {
            description: item.description.clone(),
            tax_code: item.tax_code.clone(),
            quantity: item.quantity,
            unit_price: item.unit_price,
            discount_percent: item.discount_percent,
            tax_rate_percent: item.tax_rate_percent,
            amount: figures.taxable,
        }
    }
}

/// One row of the tax summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRow {
    /// "VAT 19 %", "CGST 9 %".
    pub label: String,
    /// What the tax was levied on, in minor units.
    pub taxable: i64,
    /// The tax, in minor units.
    pub amount: i64,
}

impl TaxRow {
    /// The summary rows of computed totals: one per rate, or two (CGST, SGST) per rate for
    /// GST within a state. `tax_name` labels plain tax ("VAT", "Sales tax"); GST components
    /// carry their own names.
    pub fn rows(totals: &InvoiceTotals, tax_name: &str) -> Vec<TaxRow> {
        let mut rows = Vec::new();
        for rate in &totals.tax_by_rate {
            for part in &rate.taxes {
                let name = match part.kind {
                    TaxKind::Tax => tax_name,
                    kind => kind.label(),
                };
                rows.push(TaxRow {
                    label: format!("{name} {}\u{a0}%", part.rate_percent.normalize()),
                    taxable: rate.taxable,
                    amount: part.amount,
                });
            }
        }
        rows
    }
}

/// The invoice's figures, in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
    pub paid: i64,
    pub amount_due: i64,
}

impl From<&InvoiceTotals> for Totals {
    fn from(totals: &InvoiceTotals) -> Self {
        Totals {
            subtotal: totals.subtotal,
            discount: totals.discount,
            tax: totals.tax,
            total: totals.total,
            paid: totals.paid,
            amount_due: totals.amount_due,
        }
    }
}

/// A label and its value ("IBAN", "DE89 3704 0044 0532 0130 00").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labelled {
    pub label: String,
    pub value: String,
}

/// An organisation's template: accent colour, footer and paper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSettings {
    /// `#rrggbb`, for the title, rules and the amount due.
    pub accent_color: String,
    /// One line at the foot of every page (company registration, address, website).
    #[serde(default)]
    pub footer_text: String,
    #[serde(default)]
    pub paper: Paper,
}

impl Default for TemplateSettings {
    fn default() -> Self {
        TemplateSettings {
            accent_color: "#1f4e79".into(),
            footer_text: String::new(),
            paper: Paper::A4,
        }
    }
}

/// The paper size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    #[default]
    A4,
    Letter,
}
