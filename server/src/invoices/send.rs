//! Invoice e-mail: a job of kind [`KIND`] per message — the invoice sent to its client, or a
//! reminder that it is overdue. The payload names the invoice and the recipients only; the job
//! renders the PDF when it runs (a sent invoice is read-only, so every attempt attaches the
//! same bytes) and delivers through the server's [`Mailer`]. SMTP failures are retried with
//! the queue's back-off; the job id is the Message-ID, so a retried message is recognisably
//! the same one. A reminder whose invoice was paid (or voided) meanwhile is dropped unsent.
//!
//! The subject and text are the built-in wording, or — when the org's invoice settings name
//! one of its e-mail templates for that kind of mail — the template rendered over the
//! invoice's fields by automation's renderer (values inserted as plain text, the HTML part
//! escaped).

use atrium_client::wire::{EmailTemplate, InvoiceSettings};
use atrium_invoicing::Currency;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::kind::states;
use super::{pdf, settings, store};
use crate::automation::templates::{html_of, render_template};
use crate::db::Db;
use crate::error::ApiError;
use crate::files::storage::Store;
use crate::jobs::{Handler, Job, NewJob, Outcome};
use crate::mail::{Attachment, Mailer, OutgoingMail};
use crate::records::store::records::RecordRow;
use crate::write::UnitOfWork;

/// The job kind.
pub const KIND: &str = "invoice.mail";
/// Longest personal message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// What one invoice mail is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceMail {
    pub invoice_id: String,
    pub to: String,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// `Some(days)`: the reminder sent that many days after the due date.
    #[serde(default)]
    pub reminder: Option<u32>,
}

/// Queues `mail` about an invoice of `org_id` in the caller's unit of work.
pub async fn enqueue(
    work: &mut UnitOfWork,
    org_id: &str,
    mail: &InvoiceMail,
) -> Result<String, sqlx::Error> {
    let payload = serde_json::to_value(mail).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    work.enqueue(&NewJob::new(Some(org_id), KIND, payload))
        .await
}

/// Delivers invoice mail.
pub struct InvoiceMailHandler {
    db: Db,
    files: Store,
    mailer: Mailer,
}

impl InvoiceMailHandler {
    pub fn new(db: Db, files: Store, mailer: Mailer) -> Self {
        Self { db, files, mailer }
    }

    async fn attempt(&self, job: &Job) -> Outcome {
        let (Some(org_id), Ok(mail)) = (
            job.org_id.as_deref(),
            serde_json::from_value::<InvoiceMail>(job.payload.clone()),
        ) else {
            return Outcome::Permanent("the job's payload is not an invoice mail".into());
        };
        let invoice =
            match store::record_of_type(&self.db, org_id, "invoice", &mail.invoice_id).await {
                Ok(Some(invoice)) => invoice,
                Ok(None) => return Outcome::Permanent("the invoice is gone".into()),
                Err(error) => return Outcome::Retry(error.to_string()),
            };
        let state = invoice.state.as_deref().unwrap_or_default();
        if mail.reminder.is_some() && !states::OPEN.contains(&state) {
            // Paid or voided since the reminder was queued: nothing to chase.
            return Outcome::Done;
        }
        let message = match self.compose(org_id, &invoice, &mail).await {
            Ok(message) => message,
            // The database or the file store failing may pass; the invoice's own data will not.
            Err(ApiError::Unavailable(why)) => return Outcome::Retry(why),
            Err(ApiError::Internal(error)) => return Outcome::Retry(error.to_string()),
            Err(other) => return Outcome::Permanent(other.to_string()),
        };
        match self.mailer.send(&job.id, &message).await {
            Ok(()) => {
                metrics::counter!(crate::mail::METRIC_SENT).increment(1);
                Outcome::Done
            }
            Err(error) if error.is_permanent() => Outcome::Permanent(error.to_string()),
            Err(error) => Outcome::Retry(error.to_string()),
        }
    }

    async fn compose(
        &self,
        org_id: &str,
        invoice: &RecordRow,
        mail: &InvoiceMail,
    ) -> Result<OutgoingMail, ApiError> {
        let settings = settings::load(&self.db, org_id).await?;
        let org_name = crate::orgs::store::name(&self.db, org_id)
            .await?
            .unwrap_or_default();
        let seller = if settings.legal_name.is_empty() {
            org_name
        } else {
            settings.legal_name.clone()
        };
        let bytes = pdf::render(&self.db, &self.files, invoice).await?;
        let mut message = match self.template(org_id, &settings, mail).await? {
            Some(template) => {
                let client = self.client_name(org_id, invoice).await?;
                let fields = template_fields(invoice, &settings, &seller, &client, mail);
                let rendered = render_template(&template, &fields);
                OutgoingMail::new(mail.to.clone(), rendered.subject, rendered.body.clone())
                    .with_html(html_of(&rendered.body))
            }
            None => {
                let (subject, body) = wording(invoice, &settings, &seller, mail);
                OutgoingMail::new(mail.to.clone(), subject, body)
            }
        };
        message.cc = mail.cc.clone();
        message.reply_to = Some(settings.email.clone()).filter(|e| !e.is_empty());
        message.attachments.push(Attachment {
            filename: pdf::file_name(invoice),
            content_type: "application/pdf".into(),
            bytes,
        });
        Ok(message)
    }

    /// The org's e-mail template for this kind of mail, if the settings name one that is
    /// still there (deleting a template in use is refused; an id that went stale some other
    /// way falls back to the built-in wording rather than failing the mail).
    async fn template(
        &self,
        org_id: &str,
        settings: &InvoiceSettings,
        mail: &InvoiceMail,
    ) -> Result<Option<EmailTemplate>, ApiError> {
        let id = match mail.reminder {
            None => settings.invoice_template.as_deref(),
            Some(_) => settings.reminder_template.as_deref(),
        };
        let Some(id) = id else {
            return Ok(None);
        };
        Ok(crate::automation::store::find_template(&self.db, id)
            .await?
            .filter(|template| template.org_id == org_id))
    }

    /// The name of the invoice's client (empty if the client is gone).
    async fn client_name(&self, org_id: &str, invoice: &RecordRow) -> Result<String, ApiError> {
        let Some(client) = invoice.data.get("client").and_then(Value::as_str) else {
            return Ok(String::new());
        };
        Ok(store::client_data(&self.db, org_id, client)
            .await?
            .and_then(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default())
    }
}

/// The invoice's money fields, which mail shows formatted in its currency.
const MONEY_FIELDS: [&str; 6] = [
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "amount_paid",
    "amount_due",
];

/// The invoice's money field as its currency writes it (`€85.06`).
fn money(data: &Map<String, Value>, field: &str) -> String {
    let minor = data.get(field).and_then(Value::as_i64).unwrap_or(0);
    let code = data
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Currency::from_code(code)
        .map(|c| c.format_money(minor))
        .unwrap_or_else(|_| minor.to_string())
}

/// How to pay, one `label: value` line per row of the settings.
fn payment_lines(settings: &InvoiceSettings) -> Vec<String> {
    settings
        .payment_details
        .iter()
        .map(|detail| format!("{}: {}", detail.label, detail.value))
        .collect()
}

/// The fields an org's e-mail template sees for an invoice mail: the invoice's own scalar
/// fields (money formatted, `client` the client's name), its `number` and `state`, the
/// `seller`, the sender's `message` (empty when none), the `payment_details` lines and, for a
/// reminder, `days_overdue`.
fn template_fields(
    invoice: &RecordRow,
    settings: &InvoiceSettings,
    seller: &str,
    client: &str,
    mail: &InvoiceMail,
) -> Map<String, Value> {
    let data = &invoice.data;
    let mut fields: Map<String, Value> = data
        .iter()
        .filter(|(_, value)| !matches!(value, Value::Array(_) | Value::Object(_)))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    for field in MONEY_FIELDS {
        fields.insert(field.into(), Value::String(money(data, field)));
    }
    let text = |s: &str| Value::String(s.to_owned());
    fields.insert("number".into(), text(&invoice.name));
    fields.insert(
        "state".into(),
        text(invoice.state.as_deref().unwrap_or_default()),
    );
    fields.insert("client".into(), text(client));
    fields.insert("seller".into(), text(seller));
    fields.insert(
        "message".into(),
        text(mail.message.as_deref().map(str::trim).unwrap_or_default()),
    );
    fields.insert(
        "payment_details".into(),
        text(&payment_lines(settings).join("\n")),
    );
    if let Some(days) = mail.reminder {
        fields.insert("days_overdue".into(), Value::from(days));
    }
    fields
}

/// The built-in subject and text of an invoice mail.
fn wording(
    invoice: &RecordRow,
    settings: &InvoiceSettings,
    seller: &str,
    mail: &InvoiceMail,
) -> (String, String) {
    let data = &invoice.data;
    let text = |field: &str| data.get(field).and_then(Value::as_str).unwrap_or_default();
    let number = &invoice.name;
    let (subject, opening) = match mail.reminder {
        None => (
            format!("Invoice {number} from {seller}"),
            format!(
                "Please find attached invoice {number} for {}, due on {}.",
                money(data, "total"),
                text("due_date")
            ),
        ),
        Some(days) => (
            format!("Reminder: invoice {number} from {seller} is overdue"),
            format!(
                "Invoice {number} was due on {}, {days} days ago, and {} is still outstanding. \
                 If you have paid it in the meantime, thank you, and please ignore this reminder.",
                text("due_date"),
                money(data, "amount_due"),
            ),
        ),
    };
    let mut body = String::new();
    if let Some(message) = mail.message.as_deref().filter(|m| !m.trim().is_empty()) {
        body.push_str(message.trim());
        body.push_str("\n\n");
    }
    body.push_str(&opening);
    body.push_str(&format!("\n\nAmount due: {}\n", money(data, "amount_due")));
    if !settings.payment_details.is_empty() {
        body.push_str("\nPayment details:\n");
        for line in payment_lines(settings) {
            body.push_str(&format!("  {line}\n"));
        }
    }
    body.push_str(&format!("\n{seller}\n"));
    (subject, body)
}

impl Handler for InvoiceMailHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// The payload names the invoice and the recipients: worth keeping for operators.
    fn keeps_payload(&self) -> bool {
        true
    }

    /// Each attempt typesets a PDF: a few at a time.
    fn max_concurrent(&self) -> usize {
        2
    }

    fn run<'a>(&'a self, job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(self.attempt(job))
    }
}

#[cfg(test)]
mod tests {
    use atrium_client::wire::PaymentDetail;
    use serde_json::json;

    use super::*;

    fn invoice() -> RecordRow {
        RecordRow {
            id: "inv".into(),
            org_id: "org".into(),
            record_type: "invoice".into(),
            name: "INV-2026-00007".into(),
            named: true,
            version: 2,
            state: Some("overdue".into()),
            data: json!({"client": "client-id", "currency": "EUR", "due_date": "2026-04-01",
                         "total": 8506, "amount_due": 3506, "notes": "<b>thanks</b>",
                         "lines": [{"description": "Work"}]})
            .as_object()
            .cloned()
            .unwrap(),
            amended_from: None,
            amend_root: None,
            created_by: "bob".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_template_sees_the_invoice_with_money_formatted_and_the_client_by_name() {
        let settings = InvoiceSettings {
            payment_details: vec![PaymentDetail {
                label: "IBAN".into(),
                value: "DE89 3704".into(),
            }],
            ..InvoiceSettings::default()
        };
        let mail = InvoiceMail {
            invoice_id: "inv".into(),
            to: "ap@client.example".into(),
            cc: Vec::new(),
            message: None,
            reminder: Some(7),
        };
        let fields = template_fields(&invoice(), &settings, "Acme", "Initech", &mail);
        let template = EmailTemplate {
            id: "t".into(),
            org_id: "org".into(),
            name: "reminder".into(),
            subject:
                "{{number}} from {{seller}}: {{amount_due}} of {{total}}, {{days_overdue}} days"
                    .into(),
            body: "Dear {{client}},{{message}}\n{{notes}}\n{{payment_details}}\n{{lines}}".into(),
            created_by: "ann".into(),
            created_at: 0,
            updated_at: 0,
        };
        let rendered = render_template(&template, &fields);
        assert_eq!(
            rendered.subject,
            "INV-2026-00007 from Acme: €35.06 of €85.06, 7 days"
        );
        assert_eq!(
            rendered.body, "Dear Initech,\n<b>thanks</b>\nIBAN: DE89 3704\n",
            "lists are not fields"
        );
        assert!(html_of(&rendered.body).contains("&lt;b&gt;thanks&lt;/b&gt;"));
    }
}
