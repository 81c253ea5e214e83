//! An invoice's totals from its lines.
//!
//! # The rounding rule
//!
//! All amounts are integers in the invoice currency's minor unit (cent, paisa, yen, fils).
//! Each line is rounded on its own, **half up** (a half goes to the larger amount; nothing is
//! negative here, so this is also "half away from zero"), in this order:
//!
//! 1. `amount   = round(quantity × unit_price)`
//! 2. `discount = round(amount × discount% / 100)`, and `taxable = amount − discount`
//! 3. each tax component `= round(taxable × component rate / 100)`; the line's tax is their sum
//!    and its total `taxable + tax`.
//!
//! Invoice figures are plain sums of the rounded line figures, so every printed column adds up
//! exactly: `subtotal = Σ amount`, `discount = Σ discount`, `tax = Σ tax`,
//! `total = subtotal − discount + tax`, `amount_due = total − paid`. The summary per tax rate
//! sums the lines at that rate.
//!
//! # Tax components
//!
//! Under [`TaxScheme::Standard`] a line has one component, its rate. Under [`TaxScheme::Gst`]
//! (India) a sale within one state is taxed as CGST + SGST at half the rate each, each half
//! rounded on its own (as the two are separate taxes, filed separately, so a line of ₹0.50 at
//! 5% has CGST ₹0.01 + SGST ₹0.01); a sale across states is taxed as IGST at the full rate. The
//! seller's and client's two-digit GST state codes decide which.

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// At most this many lines per invoice (an invoice gathered from a month of time entries stays
/// far below it); it keeps every sum comfortably inside `i64`.
pub const MAX_LINES: usize = 5_000;
/// Quantities go up to a billion units…
const MAX_QUANTITY: i64 = 1_000_000_000;
/// …with at most three decimal places (hours to the second are 0.001 h ≈ 3.6 s).
const QUANTITY_DECIMALS: u32 = 3;
/// Unit prices up to 10^15 minor units: ten trillion in a two-decimal currency.
const MAX_UNIT_PRICE: i64 = 1_000_000_000_000_000;
/// A line's amount (quantity × unit price) stays below 10^17 minor units, so that every
/// product below is exact in `Decimal`'s 28 digits and a few thousand lines still sum in `i64`.
const MAX_LINE_AMOUNT: i64 = 100_000_000_000_000_000;
/// Percentages carry at most four decimal places (0.25 %, 8.875 %, 12.3456 %).
const PERCENT_DECIMALS: u32 = 4;
const MAX_DESCRIPTION_CHARS: usize = 2_000;
const MAX_TAX_CODE_CHARS: usize = 16;

/// One invoice line as entered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub description: String,
    /// Up to 3 decimal places, not negative.
    pub quantity: Decimal,
    /// In minor units of the invoice currency, not negative.
    pub unit_price: i64,
    /// 0 to 100, up to 4 decimal places.
    #[serde(default)]
    pub discount_percent: Decimal,
    /// 0 to 100, up to 4 decimal places: the full rate (18 for GST at 18 %).
    #[serde(default)]
    pub tax_rate_percent: Decimal,
    /// A tax classification such as an HSN or SAC code, printed beside the line.
    #[serde(default)]
    pub tax_code: Option<String>,
}

/// How tax is levied on the invoice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaxScheme {
    /// One tax per line at its rate (VAT, sales tax, consumption tax).
    #[default]
    Standard,
    /// India's GST: CGST + SGST when both state codes are equal, IGST otherwise.
    Gst {
        seller_state: String,
        client_state: String,
    },
}

/// Which tax a component is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxKind {
    /// The one tax of [`TaxScheme::Standard`].
    Tax,
    /// Central GST, half the rate, within a state.
    Cgst,
    /// State GST, half the rate, within a state.
    Sgst,
    /// Integrated GST, the full rate, across states.
    Igst,
}

impl TaxKind {
    /// The label printed on an invoice, e.g. "CGST".
    pub fn label(self) -> &'static str {
        match self {
            TaxKind::Tax => "Tax",
            TaxKind::Cgst => "CGST",
            TaxKind::Sgst => "SGST",
            TaxKind::Igst => "IGST",
        }
    }
}

/// One tax component: its kind, the rate it is levied at, and the amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxAmount {
    pub kind: TaxKind,
    /// The component's own rate: 9 for CGST on an 18 % line.
    pub rate_percent: Decimal,
    pub amount: i64,
}

/// A line's figures, all in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTotals {
    /// `round(quantity × unit_price)`, before discount.
    pub amount: i64,
    pub discount: i64,
    /// `amount − discount`: what the tax is levied on.
    pub taxable: i64,
    /// One component, or CGST and SGST under GST within a state.
    pub taxes: Vec<TaxAmount>,
    pub tax: i64,
    /// `taxable + tax`.
    pub total: i64,
}

/// The lines taxed at one rate, summed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRateSummary {
    /// The full rate of the lines (18 for CGST 9 % + SGST 9 %).
    pub rate_percent: Decimal,
    pub taxable: i64,
    /// Each component summed over the lines, in the order of [`LineTotals::taxes`].
    pub taxes: Vec<TaxAmount>,
    pub tax: i64,
}

/// An invoice's figures, all in minor units of its currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTotals {
    /// One per input line, in order.
    pub lines: Vec<LineTotals>,
    /// Σ line amounts, before discounts.
    pub subtotal: i64,
    /// Σ line discounts.
    pub discount: i64,
    /// Σ taxable amounts (`subtotal − discount`).
    pub taxable: i64,
    /// One row per distinct tax rate, lowest rate first.
    pub tax_by_rate: Vec<TaxRateSummary>,
    /// Σ line taxes.
    pub tax: i64,
    /// `taxable + tax`.
    pub total: i64,
    /// Payments recorded against the invoice.
    pub paid: i64,
    /// `total − paid`.
    pub amount_due: i64,
}

/// Validates the lines and computes the invoice's figures under `scheme`, with `paid` (the sum
/// of recorded payments, in minor units) taken off the total. See the module docs for the
/// rounding rule. Refuses bad input with the line and field at fault; refuses payments that
/// are negative or exceed the total.
pub fn compute_totals(lines: &[LineItem], scheme: &TaxScheme, paid: i64) -> Result<InvoiceTotals> {
    if lines.len() > MAX_LINES {
        return Err(Error::TooManyLines {
            count: lines.len(),
            max: MAX_LINES,
        });
    }
    let split = TaxSplit::of(scheme)?;
    let mut totals = InvoiceTotals {
        lines: Vec::with_capacity(lines.len()),
        subtotal: 0,
        discount: 0,
        taxable: 0,
        tax_by_rate: Vec::new(),
        tax: 0,
        total: 0,
        paid,
        amount_due: 0,
    };
    let mut by_rate: BTreeMap<Decimal, TaxRateSummary> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        validate_line(index, line)?;
        let figures = line_totals(line, split)?;
        totals.subtotal = add(totals.subtotal, figures.amount)?;
        totals.discount = add(totals.discount, figures.discount)?;
        totals.taxable = add(totals.taxable, figures.taxable)?;
        totals.tax = add(totals.tax, figures.tax)?;
        let rate = line.tax_rate_percent.normalize();
        let summary = by_rate.entry(rate).or_insert_with(|| TaxRateSummary {
            rate_percent: rate,
            taxable: 0,
            taxes: figures
                .taxes
                .iter()
                .map(|part| TaxAmount {
                    amount: 0,
                    ..part.clone()
                })
                .collect(),
            tax: 0,
        });
        summary.taxable = add(summary.taxable, figures.taxable)?;
        summary.tax = add(summary.tax, figures.tax)?;
        for (sum, part) in summary.taxes.iter_mut().zip(&figures.taxes) {
            sum.amount = add(sum.amount, part.amount)?;
        }
        totals.lines.push(figures);
    }
    totals.tax_by_rate = by_rate.into_values().collect();
    totals.total = add(totals.taxable, totals.tax)?;
    if paid < 0 || paid > totals.total {
        return Err(Error::InvalidPayment {
            paid,
            total: totals.total,
        });
    }
    totals.amount_due = totals.total - paid;
    Ok(totals)
}

/// Which components a line's tax splits into.
#[derive(Clone, Copy)]
enum TaxSplit {
    Single,
    CentralAndState,
    Integrated,
}

impl TaxSplit {
    fn of(scheme: &TaxScheme) -> Result<Self> {
        match scheme {
            TaxScheme::Standard => Ok(TaxSplit::Single),
            TaxScheme::Gst {
                seller_state,
                client_state,
            } => {
                let seller = gst_state_code(seller_state)?;
                let client = gst_state_code(client_state)?;
                Ok(if seller == client {
                    TaxSplit::CentralAndState
                } else {
                    TaxSplit::Integrated
                })
            }
        }
    }

    /// The components of a line taxed at `rate`, with their own rates.
    fn components(self, rate: Decimal) -> Vec<(TaxKind, Decimal)> {
        match self {
            TaxSplit::Single => vec![(TaxKind::Tax, rate)],
            TaxSplit::CentralAndState => {
                let half = (rate / Decimal::TWO).normalize();
                vec![(TaxKind::Cgst, half), (TaxKind::Sgst, half)]
            }
            TaxSplit::Integrated => vec![(TaxKind::Igst, rate)],
        }
    }
}

/// A GST state code is two digits from 01 up ("27" Maharashtra, "29" Karnataka, "97" other
/// territory), as in the first two characters of a GSTIN.
fn gst_state_code(code: &str) -> Result<&str> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) && code != "00" {
        Ok(code)
    } else {
        Err(Error::InvalidStateCode(code.chars().take(8).collect()))
    }
}

fn validate_line(index: usize, line: &LineItem) -> Result<()> {
    let invalid = |field, reason| {
        Err(Error::InvalidLine {
            line: index,
            field,
            reason,
        })
    };
    let description = line.description.trim();
    if description.is_empty() {
        return invalid("description", "must not be empty");
    }
    if line.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return invalid("description", "is longer than 2000 characters");
    }
    if line.quantity.is_sign_negative() && !line.quantity.is_zero() {
        return invalid("quantity", "must not be negative");
    }
    if line.quantity > Decimal::from(MAX_QUANTITY) {
        return invalid("quantity", "must be at most 1000000000");
    }
    if line.quantity.normalize().scale() > QUANTITY_DECIMALS {
        return invalid("quantity", "has more than 3 decimal places");
    }
    if !(0..=MAX_UNIT_PRICE).contains(&line.unit_price) {
        return invalid(
            "unit_price",
            "must be between 0 and 10^15 minor units of the currency",
        );
    }
    for (field, percent) in [
        ("discount_percent", line.discount_percent),
        ("tax_rate_percent", line.tax_rate_percent),
    ] {
        if (percent.is_sign_negative() && !percent.is_zero()) || percent > Decimal::ONE_HUNDRED {
            return invalid(field, "must be between 0 and 100");
        }
        if percent.normalize().scale() > PERCENT_DECIMALS {
            return invalid(field, "has more than 4 decimal places");
        }
    }
    if let Some(code) = &line.tax_code
        && (code.is_empty()
            || code.len() > MAX_TAX_CODE_CHARS
            || !code.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return invalid(
            "tax_code",
            "must be 1 to 16 letters or digits (an HSN or SAC code)",
        );
    }
    Ok(())
}

fn line_totals(line: &LineItem, split: TaxSplit) -> Result<LineTotals> {
    let amount = round_half_up(mul(line.quantity, Decimal::from(line.unit_price))?)?;
    if amount > MAX_LINE_AMOUNT {
        return Err(Error::TooLarge);
    }
    let discount = percent_of(amount, line.discount_percent)?;
    let taxable = amount - discount;
    let mut taxes = Vec::with_capacity(2);
    let mut tax = 0;
    for (kind, rate_percent) in split.components(line.tax_rate_percent.normalize()) {
        let component = percent_of(taxable, rate_percent)?;
        tax = add(tax, component)?;
        taxes.push(TaxAmount {
            kind,
            rate_percent,
            amount: component,
        });
    }
    Ok(LineTotals {
        amount,
        discount,
        taxable,
        taxes,
        tax,
        total: add(taxable, tax)?,
    })
}

/// `round(amount × percent / 100)`, half up.
fn percent_of(amount: i64, percent: Decimal) -> Result<i64> {
    round_half_up(mul(Decimal::from(amount), percent)? / Decimal::ONE_HUNDRED)
}

fn mul(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_mul(b).ok_or(Error::TooLarge)
}

fn add(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b).ok_or(Error::TooLarge)
}

/// Rounds to a whole minor unit, a half going up (away from zero; amounts are never negative).
fn round_half_up(value: Decimal) -> Result<i64> {
    value
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .ok_or(Error::TooLarge)
}

#[cfg(test)]
mod tests;
