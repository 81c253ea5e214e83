//! Recording a payment: a `payment` record and the invoice's new amount paid, amount due and
//! state (`partially_paid`, or `paid` once nothing is due), in one transaction with the
//! invoice locked, so concurrent payments add up and together never exceed the total.

use atrium_client::wire::NewPayment;
use atrium_invoicing::Currency;
use serde_json::{Map, Value, json};

use super::kind::states;
use super::payment::METHODS;
use super::store;
use crate::authz::records::RecordAccess;
use crate::error::{ApiError, Result};
use crate::records::routes::{ResolvedType, insert_new};
use crate::records::rules;
use crate::records::step::{self, Step};
use crate::records::store::records::RecordRow;
use crate::records::value;
use crate::state::AppState;

/// The invoice's side of a payment: its type and the caller's access to it.
pub struct InvoiceSide<'a> {
    pub resolved: &'a ResolvedType,
    pub access: &'a RecordAccess,
}

/// The payment's side: its type and the caller's access to it.
pub struct PaymentSide<'a> {
    pub resolved: &'a ResolvedType,
    pub access: &'a RecordAccess,
}

/// Checks the request's own fields (before anything is read or locked).
pub fn check(body: &NewPayment) -> Result<()> {
    let mut errors = std::collections::BTreeMap::new();
    if body.amount <= 0 {
        errors.insert("amount".to_owned(), "must be more than zero".to_owned());
    }
    if value::parse_date(&body.date).is_none() {
        errors.insert("date".to_owned(), "must be a date as YYYY-MM-DD".to_owned());
    }
    if let Some(method) = &body.method
        && !METHODS.contains(&method.as_str())
    {
        errors.insert(
            "method".to_owned(),
            format!("must be one of {}", METHODS.join(", ")),
        );
    }
    if body
        .reference
        .as_ref()
        .is_some_and(|r| r.chars().count() > 200)
    {
        errors.insert(
            "reference".to_owned(),
            "must be at most 200 characters".to_owned(),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Records `body` against the invoice `invoice_id` of `org_id`; answers the payment and the
/// invoice as they now stand.
pub async fn record(
    state: &AppState,
    user_id: &str,
    org_id: &str,
    invoice_id: &str,
    invoice_side: InvoiceSide<'_>,
    payment_side: PaymentSide<'_>,
    body: &NewPayment,
) -> Result<(RecordRow, RecordRow)> {
    let mut work = state.writes.begin().await?;
    let before = store::invoice_for_update(work.tx(), org_id, invoice_id)
        .await?
        .ok_or(ApiError::NotFound("invoice"))?;
    let current_state = before.state.as_deref().unwrap_or_default();
    if !states::OPEN.contains(&current_state) {
        let why = match current_state {
            states::DRAFT => "the invoice is a draft: send it before recording payments",
            states::PAID => "the invoice is paid in full",
            _ => "the invoice is void",
        };
        return Err(ApiError::conflict("invoice_not_open", why));
    }
    let due = before
        .data
        .get("amount_due")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let currency = before
        .data
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let money = |minor: i64| {
        Currency::from_code(&currency)
            .map(|c| c.format_money(minor))
            .unwrap_or_else(|_| minor.to_string())
    };
    if body.amount > due {
        return Err(ApiError::invalid_field(
            "amount",
            format!("is more than the amount due ({})", money(due)),
        ));
    }
    let mut input = Map::new();
    input.insert("invoice".into(), json!(invoice_id));
    if let Some(client) = before.data.get("client") {
        input.insert("client".into(), client.clone());
    }
    input.insert("amount".into(), json!(body.amount));
    input.insert("currency".into(), json!(&currency));
    input.insert("date".into(), json!(body.date));
    if let Some(method) = &body.method {
        input.insert("method".into(), json!(method));
    }
    if let Some(reference) = body
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        input.insert("reference".into(), json!(reference));
    }
    let prepared = rules::prepare(
        &payment_side.resolved.schema,
        payment_side.resolved.kind.as_deref(),
        &input,
        None,
    )
    .map_err(ApiError::Validation)?;
    let payment = insert_new(
        &state.db,
        &mut work,
        payment_side.resolved,
        payment_side.access,
        org_id,
        user_id,
        prepared,
    )
    .await?;

    let mut invoice = before.clone();
    let paid = before
        .data
        .get("amount_paid")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        + body.amount;
    invoice.data.insert("amount_paid".into(), json!(paid));
    if let Some(kind) = &invoice_side.resolved.kind {
        kind.compute(&mut invoice.data);
    }
    let left = invoice
        .data
        .get("amount_due")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    invoice.state = Some(
        if left == 0 {
            states::PAID
        } else if current_state == states::OVERDUE {
            states::OVERDUE
        } else {
            states::PARTIALLY_PAID
        }
        .to_owned(),
    );
    let comment = format!("{} received ({})", money(body.amount), payment.name);
    let step = Step {
        action: "payment",
        user_id: Some(user_id),
        comment: Some(&comment),
    };
    let invoice = step::commit(
        &state.db,
        &mut work,
        invoice_side.resolved,
        invoice_side.access,
        &before,
        invoice,
        step,
    )
    .await?;
    work.commit().await?;
    Ok((payment, invoice))
}
