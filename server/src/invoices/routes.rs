//! `/api/v1/orgs/{org}/invoice-settings` and an invoice's `pdf`, `send` and `payments`.

use atrium_client::wire::{
    ErrorBody, InvoiceSent, InvoiceSettings, NewPayment, PaymentRecorded, SendInvoice,
};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::kind::{self, states};
use super::record_payment::{self, InvoiceSide, PaymentSide};
use super::send::{self, InvoiceMail, MAX_MESSAGE_CHARS};
use super::{pdf, settings, store};
use crate::auth::CurrentUser;
use crate::authz::records::RecordAccess;
use crate::authz::{Action, ResourceKind, Scope, forbidden};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::mail::outbox::{MAX_CC, mailbox};
use crate::records::routes::{ResolvedType, record_access, type_access, wire};
use crate::records::step::{self, Step};
use crate::records::store::history::NewEntry;
use crate::records::store::records::RecordRow;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(invoice_pdf))
        .routes(routes!(send_invoice))
        .routes(routes!(record_payment))
}

/// An invoice the caller may read, with its type and the caller's access; 404 for any other
/// record.
async fn invoice_access(
    state: &AppState,
    user: &CurrentUser,
    record_id: &str,
) -> Result<(RecordRow, ResolvedType, RecordAccess)> {
    let found = record_access(state, user, record_id).await;
    match found {
        Ok(found) if found.0.record_type == "invoice" => Ok(found),
        Ok(_) | Err(ApiError::NotFound(_)) => Err(ApiError::NotFound("invoice")),
        Err(other) => Err(other),
    }
}

/// The org's invoice settings (the defaults until someone saves them).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invoice-settings", tag = "invoices", params(("org" = String, Path)), responses(
    (status = 200, description = "The settings", body = InvoiceSettings),
    (status = 403, description = "The caller's roles cannot read invoices", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<InvoiceSettings>> {
    let (_, access) = type_access(&state, &user, &org_id, "invoice").await?;
    if access.scope(Action::Read) == Scope::None {
        return Err(forbidden(Action::Read, ResourceKind::Record));
    }
    Ok(Json(settings::load(&state.db, &org_id).await?))
}

/// Replace the org's invoice settings (those who manage every invoice: accountants, admins).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/invoice-settings", tag = "invoices", params(("org" = String, Path)), request_body = InvoiceSettings, responses(
    (status = 200, description = "The settings as saved", body = InvoiceSettings),
    (status = 403, description = "The caller's roles cannot manage every invoice", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "Field errors (an e-mail template that is not the org's among them); nothing saved", body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Json(mut body): Json<InvoiceSettings>,
) -> Result<Json<InvoiceSettings>> {
    let (_, access) = type_access(&state, &user, &org_id, "invoice").await?;
    if access.scope(Action::Write) != Scope::All {
        return Err(forbidden(Action::Write, ResourceKind::Record));
    }
    let errors = settings::check(&mut body);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(logo) = &body.logo_file {
        settings::check_logo(&state.db, &org_id, logo).await?;
        let bytes = settings::logo_bytes(&state.db, &state.files.store, &org_id, &body).await?;
        if let Some(why) = bytes.as_deref().and_then(atrium_pdf::logo_problem) {
            return Err(ApiError::invalid_field("logo_file", why));
        }
    }
    let mut work = state.writes.begin().await?;
    settings::check_templates(work.tx(), &org_id, &body).await?;
    store::save_settings(work.tx(), &org_id, &body, user.id()).await?;
    work.commit().await?;
    Ok(Json(body))
}

/// The invoice as a PDF (a draft's pages say so).
#[utoipa::path(get, path = "/api/v1/records/{record}/pdf", tag = "invoices", params(("record" = String, Path)), responses(
    (status = 200, description = "The PDF", content_type = "application/pdf"),
    (status = 404, description = "No such invoice", body = ErrorBody),
    (status = 422, description = "The invoice cannot be typeset as it is", body = ErrorBody)))]
async fn invoice_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
) -> Result<Response> {
    let (invoice, _, _) = invoice_access(&state, &user, &record_id).await?;
    let bytes = pdf::render(&state.db, &state.files.store, &invoice).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&crate::files::model::content_disposition(
        &pdf::file_name(&invoice),
        true,
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    // The app previews the PDF in a frame of its own pages; nobody else may frame it.
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'self'"),
    );
    Ok(response)
}

/// E-mail the invoice with its PDF attached, through the job queue. A draft is issued
/// (numbered, read-only) by sending it; a sent invoice may be sent again.
#[utoipa::path(post, path = "/api/v1/records/{record}/send", tag = "invoices", params(("record" = String, Path)), request_body = SendInvoice, responses(
    (status = 202, description = "Queued; the invoice as it now stands", body = InvoiceSent),
    (status = 403, description = "The caller's roles cannot send invoices", body = ErrorBody),
    (status = 404, description = "No such invoice", body = ErrorBody),
    (status = 409, description = "The invoice is void", body = ErrorBody),
    (status = 422, description = "No recipient, a bad address, or the draft cannot be issued", body = ErrorBody)))]
async fn send_invoice(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
    Json(body): Json<SendInvoice>,
) -> Result<(StatusCode, Json<InvoiceSent>)> {
    let (before, resolved, access) = invoice_access(&state, &user, &record_id).await?;
    access.require(Action::Transition, before.owner())?;
    if before.state.as_deref() == Some(states::VOID) {
        return Err(ApiError::conflict("invoice_void", "the invoice is void"));
    }
    let client_email = match before.data.get("client").and_then(Value::as_str) {
        Some(client) => store::client_data(&state.db, &before.org_id, client)
            .await?
            .and_then(|c| c.get("email").and_then(Value::as_str).map(str::to_owned)),
        None => None,
    };
    let to = body
        .to
        .clone()
        .or(client_email)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_field("to", "is needed: the client has no e-mail for invoices")
        })?;
    let message = checked_recipients(&to, &body)?;
    let recipients = if body.cc.is_empty() {
        to.clone()
    } else {
        format!("{to} (copy to {})", body.cc.join(", "))
    };
    let comment = format!("e-mailed to {recipients}");
    let mut work = state.writes.begin().await?;
    let invoice = if before.state.as_deref() == Some(states::DRAFT) {
        let record = step::take(&resolved, &access, &before, kind::SEND, None)?;
        let step = Step {
            action: kind::SEND,
            user_id: Some(user.id()),
            comment: Some(&comment),
        };
        step::commit(
            &state.db, &mut work, &resolved, &access, &before, record, step,
        )
        .await?
    } else {
        crate::records::store::history::append(
            work.tx(),
            &NewEntry {
                org_id: &before.org_id,
                record_id: &before.id,
                user_id: Some(user.id()),
                kind: "emailed",
                changes: &[],
                action: Some(kind::SEND),
                comment: Some(&comment),
            },
        )
        .await?;
        before
    };
    let mail = InvoiceMail {
        invoice_id: invoice.id.clone(),
        to: to.clone(),
        cc: body.cc.clone(),
        message,
        reminder: None,
    };
    send::enqueue(&mut work, &invoice.org_id, &mail).await?;
    work.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(InvoiceSent {
            invoice: wire(&invoice, &access),
            to,
            cc: body.cc,
        }),
    ))
}

/// Checks the addresses and the message of a send; answers the message to send.
fn checked_recipients(to: &str, body: &SendInvoice) -> Result<Option<String>> {
    let mut errors = std::collections::BTreeMap::new();
    if mailbox("recipient", to).is_err() {
        errors.insert("to".to_owned(), "is not a valid e-mail address".to_owned());
    }
    if body.cc.len() > MAX_CC {
        errors.insert(
            "cc".to_owned(),
            format!("must be at most {MAX_CC} addresses"),
        );
    }
    for (i, cc) in body.cc.iter().enumerate() {
        if mailbox("copy recipient", cc).is_err() {
            errors.insert(
                format!("cc[{i}]"),
                "is not a valid e-mail address".to_owned(),
            );
        }
    }
    let message = body
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    if message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS)
    {
        errors.insert(
            "message".to_owned(),
            format!("must be at most {MAX_MESSAGE_CHARS} characters"),
        );
    }
    if errors.is_empty() {
        Ok(message)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Record a payment against an invoice: partial payments add up; more than the amount due is
/// refused.
#[utoipa::path(post, path = "/api/v1/records/{record}/payments", tag = "invoices", params(("record" = String, Path)), request_body = NewPayment, responses(
    (status = 201, description = "The payment, and the invoice as it now stands", body = PaymentRecorded),
    (status = 403, description = "The caller's roles cannot record payments", body = ErrorBody),
    (status = 404, description = "No such invoice", body = ErrorBody),
    (status = 409, description = "The invoice is a draft, paid or void", body = ErrorBody),
    (status = 422, description = "Field errors (an amount over the amount due); nothing written", body = ErrorBody)))]
async fn record_payment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(record_id): Path<String>,
    Json(body): Json<NewPayment>,
) -> Result<(StatusCode, Json<PaymentRecorded>)> {
    let (invoice, invoice_type, invoice_access) = invoice_access(&state, &user, &record_id).await?;
    invoice_access.require(Action::Write, invoice.owner())?;
    let (payment_type, payment_access) =
        type_access(&state, &user, &invoice.org_id, "payment").await?;
    if payment_access.scope(Action::Write) == Scope::None {
        return Err(forbidden(Action::Write, ResourceKind::Record));
    }
    record_payment::check(&body)?;
    let (payment, invoice) = record_payment::record(
        &state,
        user.id(),
        &invoice.org_id,
        &invoice.id,
        InvoiceSide {
            resolved: &invoice_type,
            access: &invoice_access,
        },
        PaymentSide {
            resolved: &payment_type,
            access: &payment_access,
        },
        &body,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(PaymentRecorded {
            payment: wire(&payment, &payment_access),
            invoice: wire(&invoice, &invoice_access),
        }),
    ))
}
