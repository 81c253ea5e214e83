//! The built-in `invoice`: lines with quantities, prices, discounts and tax rates, whose
//! figures are computed by [`atrium_invoicing::compute_totals`] on every save (integer minor
//! units, rounded half up per line, the GST split from the two state codes).
//!
//! Its workflow: a draft is edited freely and carries a provisional name; `send` issues it
//! (`INV-2026-00001`, from a gapless series per org and year) and makes it read-only; payments
//! move it to `partially_paid` and `paid`, and the daily reminder pass to `overdue` — those
//! steps are the server's ([`super::record_payment`], [`super::reminders`]), not actions a
//! person takes. A sent invoice nobody has paid is voided, and a voided one amended (the
//! credit-note-and-reissue of accounting), never edited.

use atrium_invoicing::{Currency, LineItem, TaxScheme, compute_totals};
use futures::future::BoxFuture;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::settings;
use crate::db::{Db, now_ms};
use crate::error::ApiError;
use crate::records::registry::{RecordKind, Save};
use crate::records::schema::TypeSchema;
use crate::records::schema::check::Errors;
use crate::records::value;

/// The states, in the order an invoice goes through them.
pub mod states {
    pub const DRAFT: &str = "draft";
    pub const SENT: &str = "sent";
    pub const PARTIALLY_PAID: &str = "partially_paid";
    pub const OVERDUE: &str = "overdue";
    pub const PAID: &str = "paid";
    pub const VOID: &str = "void";
    /// The states in which an invoice waits for money.
    pub const OPEN: [&str; 3] = [SENT, PARTIALLY_PAID, OVERDUE];
}

/// The action that issues a draft.
pub const SEND: &str = "send";

pub struct InvoiceKind;

impl RecordKind for InvoiceKind {
    fn slug(&self) -> &'static str {
        "invoice"
    }

    fn name(&self) -> &'static str {
        "Invoice"
    }

    fn schema(&self) -> TypeSchema {
        let money = |name: &str, label: &str| json!({"name": name, "type": "money", "label": label, "read_only": true});
        let mut schema: TypeSchema = serde_json::from_value(json!({
            "fields": [
                {"name": "client", "type": "link", "label": "Client", "to": "client", "required": true},
                {"name": "currency", "type": "text", "label": "Currency", "required": true},
                {"name": "issue_date", "type": "date", "label": "Issue date", "required": true},
                {"name": "due_date", "type": "date", "label": "Due date", "required": true},
                {"name": "reference", "type": "text", "label": "Reference (PO number)", "max": 100},
                {"name": "tax_scheme", "type": "select", "label": "Tax", "options": ["standard", "gst"], "default": "standard", "required": true},
                {"name": "seller_state", "type": "text", "label": "Seller's GST state code", "max": 2},
                {"name": "client_state", "type": "text", "label": "Client's GST state code", "max": 2},
                {"name": "lines", "type": "table", "label": "Lines", "fields": [
                    {"name": "description", "type": "text", "label": "Description", "required": true, "max": 2000},
                    {"name": "quantity", "type": "number", "label": "Quantity", "required": true, "default": "1", "min": 0},
                    {"name": "unit_price", "type": "money", "label": "Unit price", "required": true, "min": 0},
                    {"name": "discount", "type": "percent", "label": "Discount %", "min": 0, "max": 100},
                    {"name": "tax_rate", "type": "percent", "label": "Tax %", "min": 0, "max": 100},
                    {"name": "tax_code", "type": "text", "label": "Tax code (HSN/SAC)", "max": 16},
                    {"name": "amount", "type": "money", "label": "Amount", "read_only": true}
                ]},
                money("subtotal", "Subtotal"),
                money("discount_total", "Discount"),
                money("tax_total", "Tax"),
                money("total", "Total"),
                money("amount_paid", "Paid"),
                money("amount_due", "Amount due"),
                {"name": "taxes", "type": "table", "label": "Tax summary", "read_only": true, "fields": [
                    {"name": "label", "type": "text", "label": "Tax"},
                    {"name": "rate", "type": "percent", "label": "Rate"},
                    {"name": "taxable", "type": "money", "label": "Taxable"},
                    {"name": "amount", "type": "money", "label": "Amount"}
                ]},
                {"name": "notes", "type": "long_text", "label": "Notes", "max": 4000},
                {"name": "time_from", "type": "date", "label": "Time from", "read_only": true},
                {"name": "time_to", "type": "date", "label": "Time to", "read_only": true}
            ],
            "naming": {"prefix": "INV-", "year": true, "digits": 5, "at": "transition"},
            "workflow": {
                "states": [
                    {"name": states::DRAFT},
                    {"name": states::SENT, "final_state": true},
                    {"name": states::PARTIALLY_PAID, "final_state": true},
                    {"name": states::OVERDUE, "final_state": true},
                    {"name": states::PAID, "final_state": true},
                    {"name": states::VOID, "final_state": true}
                ],
                "transitions": [
                    {"action": SEND, "from": [states::DRAFT], "to": states::SENT,
                     "condition": {"field": "total", "op": "gt", "value": 0}},
                    {"action": "void", "from": states::OPEN, "to": states::VOID,
                     "condition": {"field": "amount_paid", "op": "eq", "value": 0}}
                ],
                "amend_from": states::VOID
            }
        }))
        .unwrap_or_else(|e| unreachable!("the invoice schema is valid JSON: {e}"));
        schema.permissions = super::accounting_permissions();
        schema
    }

    fn compute(&self, data: &mut Map<String, Value>) {
        crate::crm::upper_case_currency(data);
        data.entry("amount_paid").or_insert(json!(0));
        match figures(data) {
            Ok(totals) => write_figures(data, &totals),
            // `validate` reports the fault; nothing half-computed is kept.
            Err(_) => {
                for field in [
                    "subtotal",
                    "discount_total",
                    "tax_total",
                    "total",
                    "amount_due",
                ] {
                    data.remove(field);
                }
                data.remove("taxes");
            }
        }
    }

    fn validate(&self, data: &Map<String, Value>, errors: &mut Errors) {
        crate::crm::check_currency(data, errors);
        if let Some(code) = data.get("currency").and_then(Value::as_str)
            && crate::records::registry::is_currency(code)
            && Currency::from_code(code).is_err()
        {
            errors.insert("currency".into(), "has no minor unit to invoice in".into());
        }
        if let (Some(issued), Some(due)) = (
            data.get("issue_date").and_then(Value::as_str),
            data.get("due_date").and_then(Value::as_str),
        ) && due < issued
        {
            errors.insert(
                "due_date".into(),
                "must not be before the issue date".into(),
            );
        }
        if tax_scheme(data) != TaxScheme::Standard {
            for field in ["seller_state", "client_state"] {
                let code = data.get(field).and_then(Value::as_str).unwrap_or_default();
                if !is_gst_state_code(code) {
                    errors.insert(
                        field.into(),
                        "must be a two-digit GST state code such as \"27\" under GST".into(),
                    );
                }
            }
        }
        if errors.is_empty()
            && let Err(error) = figures(data)
        {
            let (field, why) = field_error(&error);
            errors.insert(field, why);
        }
    }

    fn fill<'a>(
        &'a self,
        save: &'a Save<'a>,
        input: &'a mut Map<String, Value>,
        previous: Option<&'a Map<String, Value>>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(fill_from_client(save.db, save.org_id, input, previous))
    }

    fn after_step<'a>(
        &'a self,
        _db: &'a Db,
        work: &'a mut crate::write::UnitOfWork,
        _before: &'a crate::records::store::records::RecordRow,
        after: &'a crate::records::store::records::RecordRow,
        _user_id: Option<&'a str>,
        _comment: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            // A voided invoice bills nothing: the time it took may be invoiced again.
            if after.state.as_deref() == Some(states::VOID) {
                super::from_time::release(work.tx(), &after.id).await?;
            }
            Ok(())
        })
    }
}

/// What a new invoice, or one whose client changes, takes from its client and the org's
/// settings when the save leaves it out: currency, GST state codes, the issue date (today)
/// and the due date (the client's payment terms after the issue date).
async fn fill_from_client(
    db: &Db,
    org_id: &str,
    input: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Result<(), ApiError> {
    let client_changed = input
        .get("client")
        .is_some_and(|c| previous.and_then(|p| p.get("client")) != Some(c));
    if previous.is_none() && !input.contains_key("issue_date") {
        input.insert(
            "issue_date".into(),
            json!(value::format_date(now_ms().div_euclid(86_400_000))),
        );
    }
    if !client_changed {
        return Ok(());
    }
    let Some(client_id) = input.get("client").and_then(Value::as_str) else {
        return Ok(());
    };
    // A client of another org (or none) is left to the link check, which names the field.
    let Some(client) = super::store::client_data(db, org_id, client_id).await? else {
        return Ok(());
    };
    let mut take = |field: &str, value: Option<&Value>| {
        if let Some(value) = value.filter(|v| !v.is_null())
            && !input.contains_key(field)
        {
            input.insert(field.to_owned(), value.clone());
        }
    };
    take("currency", client.get("currency"));
    take("client_state", client.get("state_code"));
    let seller = settings::load(db, org_id).await?;
    take(
        "seller_state",
        seller
            .state_code
            .as_ref()
            .map(|s| Value::String(s.clone()))
            .as_ref(),
    );
    if !input.contains_key("tax_scheme") && seller.state_code.is_some() {
        // A seller registered for GST invoices under it by default.
        input.insert("tax_scheme".into(), json!("gst"));
    }
    let issue_date = input
        .get("issue_date")
        .or_else(|| previous.and_then(|p| p.get("issue_date")))
        .and_then(Value::as_str)
        .and_then(value::parse_date);
    let terms = client.get("payment_terms_days").and_then(Value::as_i64);
    if let (Some(days), Some(terms)) = (issue_date, terms)
        && !input.contains_key("due_date")
    {
        input.insert("due_date".into(), json!(value::format_date(days + terms)));
    }
    Ok(())
}

/// A GST state code: two digits from 01 (the first two characters of a GSTIN).
fn is_gst_state_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) && code != "00"
}

/// The invoice's lines as the money math takes them (fields left empty count as zero).
pub fn line_items(data: &Map<String, Value>) -> Vec<LineItem> {
    let decimal = |row: &Map<String, Value>, field: &str| {
        row.get(field)
            .and_then(|v| value::decimal(v).ok())
            .unwrap_or(Decimal::ZERO)
    };
    data.get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|row| LineItem {
            description: row
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            quantity: decimal(row, "quantity"),
            unit_price: row.get("unit_price").and_then(Value::as_i64).unwrap_or(0),
            discount_percent: decimal(row, "discount"),
            tax_rate_percent: decimal(row, "tax_rate"),
            tax_code: row
                .get("tax_code")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
        .collect()
}

/// The tax scheme the invoice names.
pub fn tax_scheme(data: &Map<String, Value>) -> TaxScheme {
    let text = |field: &str| {
        data.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match data.get("tax_scheme").and_then(Value::as_str) {
        Some("gst") => TaxScheme::Gst {
            seller_state: text("seller_state"),
            client_state: text("client_state"),
        },
        _ => TaxScheme::Standard,
    }
}

/// The invoice's figures from its lines, scheme and the payments recorded.
pub fn figures(
    data: &Map<String, Value>,
) -> atrium_invoicing::Result<atrium_invoicing::InvoiceTotals> {
    let paid = data.get("amount_paid").and_then(Value::as_i64).unwrap_or(0);
    compute_totals(&line_items(data), &tax_scheme(data), paid)
}

fn write_figures(data: &mut Map<String, Value>, totals: &atrium_invoicing::InvoiceTotals) {
    if let Some(Value::Array(rows)) = data.get_mut("lines") {
        for (row, line) in rows.iter_mut().zip(&totals.lines) {
            if let Some(row) = row.as_object_mut() {
                row.insert("amount".into(), json!(line.taxable));
            }
        }
    }
    data.insert("subtotal".into(), json!(totals.subtotal));
    data.insert("discount_total".into(), json!(totals.discount));
    data.insert("tax_total".into(), json!(totals.tax));
    data.insert("total".into(), json!(totals.total));
    data.insert("amount_due".into(), json!(totals.amount_due));
    let taxes: Vec<Value> = totals
        .tax_by_rate
        .iter()
        .flat_map(|summary| {
            summary.taxes.iter().map(move |part| {
                json!({
                    "label": format!("{} {}%", part.kind.label(), part.rate_percent.normalize()),
                    "rate": part.rate_percent.normalize().to_string(),
                    "taxable": summary.taxable,
                    "amount": part.amount,
                })
            })
        })
        .filter(|row| row["rate"] != "0")
        .collect();
    data.insert("taxes".into(), Value::Array(taxes));
}

/// The field a money-math refusal is about, and why.
fn field_error(error: &atrium_invoicing::Error) -> (String, String) {
    use atrium_invoicing::Error;
    match error {
        Error::InvalidLine {
            line,
            field,
            reason,
        } => {
            let column = match *field {
                "discount_percent" => "discount",
                "tax_rate_percent" => "tax_rate",
                other => other,
            };
            (format!("lines[{line}].{column}"), (*reason).to_owned())
        }
        Error::TooManyLines { max, .. } => ("lines".into(), format!("must be at most {max} rows")),
        Error::InvalidStateCode(_) => (
            "seller_state".into(),
            "must be a two-digit GST state code such as \"27\"".into(),
        ),
        Error::InvalidPayment { .. } => (
            "lines".into(),
            "would bring the total below the payments recorded".into(),
        ),
        other => ("lines".into(), other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(lines: Value, scheme: &str) -> Map<String, Value> {
        let mut data = Map::new();
        data.insert("currency".into(), json!("eur"));
        data.insert("tax_scheme".into(), json!(scheme));
        data.insert("seller_state".into(), json!("27"));
        data.insert("client_state".into(), json!("27"));
        data.insert("lines".into(), lines);
        data
    }

    #[test]
    fn figures_are_written_into_the_record() {
        let mut data = invoice(
            json!([
                {"description": "a", "quantity": "0.5", "unit_price": 1005, "tax_rate": "7"},
                {"description": "b", "quantity": "1", "unit_price": 50, "tax_rate": "5"}
            ]),
            "gst",
        );
        InvoiceKind.compute(&mut data);
        assert_eq!(data["currency"], "EUR");
        assert_eq!(data["lines"][0]["amount"], 503);
        assert_eq!(data["subtotal"], 553);
        assert_eq!(data["amount_paid"], 0);
        let labels: Vec<&str> = data["taxes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["CGST 2.5%", "SGST 2.5%", "CGST 3.5%", "SGST 3.5%"]);
        let mut errors = Errors::new();
        InvoiceKind.validate(&data, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn bad_lines_and_codes_are_field_errors_and_leave_no_figures() {
        let mut data = invoice(
            json!([{"description": "a", "quantity": "1.0001", "unit_price": 1}]),
            "standard",
        );
        InvoiceKind.compute(&mut data);
        assert!(data.get("total").is_none());
        let mut errors = Errors::new();
        InvoiceKind.validate(&data, &mut errors);
        assert!(errors.contains_key("lines[0].quantity"), "{errors:?}");

        let mut data = invoice(json!([]), "gst");
        data.insert("client_state".into(), json!("00"));
        let mut errors = Errors::new();
        InvoiceKind.validate(&data, &mut errors);
        assert!(errors.contains_key("client_state"), "{errors:?}");
        assert!(!errors.contains_key("seller_state"), "{errors:?}");
    }
}
