//! The sales side's built-in record types — clients, their contacts, deals — and the deal
//! forecast. The types are the records engine's own (stored, listed, permitted and audited by
//! it); this folder adds what their schemas cannot say and the one screen-level query the
//! engine has no generic form for: the forecast.
//!
//! # Layout
//! - [`client`], [`contact`], [`deal`] — the [`RecordKind`](crate::records::registry::RecordKind)s.
//! - [`forecast`] — sum of amount × probability by month, per owner and in all, per currency.
//! - [`store`] — reading an org's deals for the forecast.
//! - [`routes`] — `GET /api/v1/orgs/{org}/deals/forecast`.

pub mod client;
pub mod contact;
pub mod deal;
pub mod forecast;
pub mod routes;
mod store;

use atrium_client::wire::TypePermission;
use serde_json::{Map, Value};

use crate::records::registry::is_currency;
use crate::records::schema::check::Errors;

/// Currency codes are kept upper case (`eur` is taken as `EUR`).
pub(crate) fn upper_case_currency(data: &mut Map<String, Value>) {
    if let Some(Value::String(code)) = data.get_mut("currency") {
        *code = code.to_ascii_uppercase();
    }
}

/// A field error unless the `currency` is an ISO 4217 code.
pub(crate) fn check_currency(data: &Map<String, Value>, errors: &mut Errors) {
    if let Some(code) = data.get("currency").and_then(Value::as_str)
        && !is_currency(code)
    {
        errors.insert(
            "currency".into(),
            "must be an ISO 4217 currency code".into(),
        );
    }
}

/// Permission rows granting `role` each of `actions` on a type's records with `scope`.
pub(crate) fn grant(role: &str, actions: &[&str], scope: &str) -> Vec<TypePermission> {
    actions
        .iter()
        .map(|action| TypePermission {
            role: role.to_owned(),
            action: (*action).to_owned(),
            scope: scope.to_owned(),
        })
        .collect()
}

/// Every record action a business role that runs a type gets on it.
pub(crate) const MANAGE: &[&str] = &[
    "read",
    "comment",
    "write",
    "delete",
    "transition",
    "export",
    "import",
];

/// The sales side's defaults: `sales` runs clients, contacts and deals; accountants (who bill
/// the clients) and the org's members and viewers read them. Org admins change any row.
pub(crate) fn sales_permissions() -> Vec<TypePermission> {
    let mut rows = grant("sales", MANAGE, "all");
    for role in ["accountant", "member", "viewer"] {
        rows.extend(grant(role, &["read"], "all"));
    }
    rows
}
