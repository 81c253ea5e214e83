//! Atrium's invoice money math: currencies with their minor units, and the totals of an
//! invoice — line amounts, discounts, tax per rate with the Indian GST split, total and amount
//! due — in integer minor units, with the rounding rule written down once (see [`totals`]).
//!
//! Pure functions over plain values: no database, no I/O. The server's invoice record type
//! computes its fields with [`compute_totals`]; the PDF renderer formats amounts with
//! [`Currency::format_money`].
//!
//! ```
//! use atrium_invoicing::{Currency, LineItem, TaxScheme, compute_totals};
//! use rust_decimal::Decimal;
//!
//! let inr = Currency::from_code("INR")?;
//! let lines = [LineItem {
//!     description: "Design review".into(),
//!     quantity: Decimal::new(15, 1), // 1.5 hours
//!     unit_price: inr.parse_amount("2000")?,
//!     discount_percent: Decimal::ZERO,
//!     tax_rate_percent: Decimal::from(18),
//!     tax_code: Some("998391".into()),
//! }];
//! let gst = TaxScheme::Gst { seller_state: "27".into(), client_state: "27".into() };
//! let totals = compute_totals(&lines, &gst, 0)?;
//! assert_eq!(inr.format_money(totals.total), "₹3,540.00"); // 3,000 + CGST 270 + SGST 270
//! # Ok::<(), atrium_invoicing::Error>(())
//! ```
//!
//! # Layout
//! - [`currency`]: [`Currency`] — ISO 4217 codes and exponents, parsing and formatting amounts.
//! - [`totals`]: [`LineItem`], [`TaxScheme`], [`compute_totals`] → [`InvoiceTotals`].

pub mod currency;
pub mod totals;

pub use currency::Currency;
pub use totals::{
    InvoiceTotals, LineItem, LineTotals, TaxAmount, TaxKind, TaxRateSummary, TaxScheme,
    compute_totals,
};

/// Why an amount, a currency or an invoice's lines were refused. Every variant is the caller's
/// input, so the server answers each with a 422 that names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("unknown currency {0:?}: expected an ISO 4217 code with a minor unit, such as EUR")]
    UnknownCurrency(String),
    #[error("{text:?} is not an amount in {currency}")]
    InvalidAmount {
        text: String,
        currency: &'static str,
    },
    #[error("an invoice has at most {max} lines, not {count}")]
    TooManyLines { count: usize, max: usize },
    /// `line` counts from 0; `field` is the line item's field name.
    #[error("line {}: {field} {reason}", line + 1)]
    InvalidLine {
        line: usize,
        field: &'static str,
        reason: &'static str,
    },
    #[error("GST state code {0:?} is not a two-digit state code such as \"27\"")]
    InvalidStateCode(String),
    #[error("payments of {paid} minor units cannot be applied to a total of {total}")]
    InvalidPayment { paid: i64, total: i64 },
    #[error("the invoice's amounts are too large")]
    TooLarge,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
