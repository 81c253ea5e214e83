//! Invoicing: the organisation's invoice settings, payments, sending and invoices from time.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Record;

/// `GET/PUT /orgs/{org}/invoice-settings`: who issues the org's invoices and how they look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceSettings {
    /// The seller's name on invoices (the organisation's name when empty).
    #[serde(default)]
    pub legal_name: String,
    /// The seller's address, one line per line.
    #[serde(default)]
    pub address: String,
    /// VAT number, GSTIN, EIN…
    #[serde(default)]
    pub tax_id: String,
    /// What the tax id is called on the invoice ("VAT", "GSTIN"; "Tax ID" when empty).
    #[serde(default)]
    pub tax_id_label: String,
    /// What a plain tax is called in the tax summary ("VAT", "Sales tax"; "Tax" when empty).
    #[serde(default)]
    pub tax_name: String,
    /// The seller's two-digit GST state code; set, new invoices are GST invoices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_code: Option<String>,
    /// Printed under the seller, and the reply-to of invoice e-mail.
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// An image file of the org (PNG, JPEG or SVG) printed at the top of invoices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_file: Option<String>,
    /// How to pay: label and value each ("IBAN", "DE89 …").
    #[serde(default)]
    pub payment_details: Vec<PaymentDetail>,
    /// `#rrggbb`.
    #[serde(default = "default_accent")]
    #[schema(pattern = r"^\s*#[0-9a-fA-F]{6}\s*$")]
    pub accent_color: String,
    /// One line at the foot of every page.
    #[serde(default)]
    pub footer_text: String,
    /// `a4` or `letter`.
    #[serde(default = "default_paper")]
    #[schema(pattern = r"^\s*([aA]4|[lL][eE][tT][tT][eE][rR])\s*$")]
    pub paper: String,
    /// Days after the due date on which an unpaid invoice's client is reminded (each once);
    /// empty: no reminders.
    #[serde(default = "default_reminder_days")]
    pub reminder_days: Vec<u32>,
    /// The org's e-mail template (`/orgs/{org}/email-templates`) whose subject and body an
    /// invoice sent to its client has; absent (or its template deleted): the built-in wording.
    /// Its `{{field}}` placeholders see the invoice's own fields (`number`, `client` — the
    /// client's name —, `seller`, `issue_date`, `due_date`, `currency`, `reference`, `notes`,
    /// `state`…; money fields such as `total`, `amount_paid` and `amount_due` formatted in the
    /// invoice's currency), the sender's `message` (empty when none) and `payment_details` (one
    /// `label: value` line each). A template named here cannot be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_template: Option<String>,
    /// The org's e-mail template for overdue reminders, with the fields of `invoice_template`
    /// plus `days_overdue` (the reminder's day after the due date); absent: the built-in
    /// wording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_template: Option<String>,
}

fn default_accent() -> String {
    "#1f4e79".into()
}

fn default_paper() -> String {
    "a4".into()
}

fn default_reminder_days() -> Vec<u32> {
    vec![3, 7, 14]
}

impl Default for InvoiceSettings {
    fn default() -> Self {
        InvoiceSettings {
            legal_name: String::new(),
            address: String::new(),
            tax_id: String::new(),
            tax_id_label: String::new(),
            tax_name: String::new(),
            state_code: None,
            email: String::new(),
            phone: String::new(),
            logo_file: None,
            payment_details: Vec::new(),
            accent_color: default_accent(),
            footer_text: String::new(),
            paper: default_paper(),
            reminder_days: default_reminder_days(),
            invoice_template: None,
            reminder_template: None,
        }
    }
}

/// One line of an invoice's payment details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaymentDetail {
    pub label: String,
    pub value: String,
}

/// `POST /records/{invoice}/payments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewPayment {
    /// Minor units of the invoice's currency; at most the amount due.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// `YYYY-MM-DD`.
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: String,
    /// `bank_transfer` (default), `card`, `cash`, `cheque`, `direct_debit`, `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^(bank_transfer|card|cash|cheque|direct_debit|other)$")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub reference: Option<String>,
}

/// A payment recorded, and the invoice as it now stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PaymentRecorded {
    pub payment: Record,
    pub invoice: Record,
}

/// `POST /records/{invoice}/send`: the e-mail goes to `to` (the client's invoice address when
/// absent) with the PDF attached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SendInvoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The answer to a send: the invoice (issued, if it was a draft) and the recipients queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceSent {
    pub invoice: Record,
    pub to: String,
    pub cc: Vec<String>,
}
