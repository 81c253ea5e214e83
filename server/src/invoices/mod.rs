//! Invoicing: the built-in `invoice` and `payment` record types, the org's invoice settings,
//! invoice PDFs, sending them by e-mail, recording payments, and the daily pass that marks
//! unpaid invoices overdue and reminds their clients.
//!
//! The types are the records engine's own (stored, listed, permitted, audited by it); the
//! money math is `atrium-invoicing`'s and the typesetting `atrium-pdf`'s.
//!
//! # Layout
//! - [`kind`] — the `invoice` type: schema, computed figures, workflow.
//! - [`payment`] — the `payment` type.
//! - [`settings`] — the org's seller block, template and reminder days.
//! - [`pdf`] — an invoice record as a PDF.
//! - [`send`] — invoice e-mail as jobs: the invoice to its client, reminders.
//! - [`record_payment`] — a payment and the invoice's new figures and state.
//! - [`reminders`] — the pass over time: overdue, reminders.
//! - [`store`] — every SQL statement of the domain.
//! - [`routes`] — settings, `pdf`, `send`, `payments`.
//! - [`billing`] — a project's client and hourly rates.
//! - [`from_time`] — a draft invoice from approved, not yet invoiced time.

pub mod billing;
pub mod from_time;
pub mod kind;
pub mod payment;
pub mod pdf;
pub mod record_payment;
pub mod reminders;
pub mod routes;
pub mod send;
pub mod settings;
pub mod store;

use atrium_client::wire::TypePermission;

use crate::crm::{MANAGE, grant};

/// The accounting side's defaults: `accountant` runs invoices and payments; sales (who sold
/// the work), members and viewers read them. Org admins change any row.
pub(crate) fn accounting_permissions() -> Vec<TypePermission> {
    let mut rows = grant("accountant", MANAGE, "all");
    for role in ["sales", "member", "viewer"] {
        rows.extend(grant(role, &["read"], "all"));
    }
    rows
}
