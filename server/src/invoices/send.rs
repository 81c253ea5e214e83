//! Invoice e-mail: a job of kind [`KIND`] per message — the invoice sent to its client, or a
//! reminder that it is overdue. The payload names the invoice and the recipients only; the job
//! renders the PDF when it runs (a sent invoice is read-only, so every attempt attaches the
//! same bytes) and delivers through the server's [`Mailer`]. SMTP failures are retried with
//! the queue's back-off; the job id is the Message-ID, so a retried message is recognisably
//! the same one. A reminder whose invoice was paid (or voided) meanwhile is dropped unsent.

use atrium_client::wire::InvoiceSettings;
use atrium_invoicing::Currency;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::kind::states;
use super::{pdf, settings, store};
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
        let (subject, body) = wording(invoice, &settings, &seller, mail);
        let mut message = OutgoingMail::new(mail.to.clone(), subject, body);
        message.cc = mail.cc.clone();
        message.reply_to = Some(settings.email.clone()).filter(|e| !e.is_empty());
        message.attachments.push(Attachment {
            filename: pdf::file_name(invoice),
            content_type: "application/pdf".into(),
            bytes,
        });
        Ok(message)
    }
}

/// The subject and text of an invoice mail.
fn wording(
    invoice: &RecordRow,
    settings: &InvoiceSettings,
    seller: &str,
    mail: &InvoiceMail,
) -> (String, String) {
    let data = &invoice.data;
    let text = |field: &str| data.get(field).and_then(Value::as_str).unwrap_or_default();
    let money = |field: &str| {
        let minor = data.get(field).and_then(Value::as_i64).unwrap_or(0);
        Currency::from_code(text("currency"))
            .map(|c| c.format_money(minor))
            .unwrap_or_else(|_| minor.to_string())
    };
    let number = &invoice.name;
    let (subject, opening) = match mail.reminder {
        None => (
            format!("Invoice {number} from {seller}"),
            format!(
                "Please find attached invoice {number} for {}, due on {}.",
                money("total"),
                text("due_date")
            ),
        ),
        Some(days) => (
            format!("Reminder: invoice {number} from {seller} is overdue"),
            format!(
                "Invoice {number} was due on {}, {days} days ago, and {} is still outstanding. \
                 If you have paid it in the meantime, thank you, and please ignore this reminder.",
                text("due_date"),
                money("amount_due"),
            ),
        ),
    };
    let mut body = String::new();
    if let Some(message) = mail.message.as_deref().filter(|m| !m.trim().is_empty()) {
        body.push_str(message.trim());
        body.push_str("\n\n");
    }
    body.push_str(&opening);
    body.push_str(&format!("\n\nAmount due: {}\n", money("amount_due")));
    if !settings.payment_details.is_empty() {
        body.push_str("\nPayment details:\n");
        for detail in &settings.payment_details {
            body.push_str(&format!("  {}: {}\n", detail.label, detail.value));
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
