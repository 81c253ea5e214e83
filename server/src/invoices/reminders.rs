//! The invoices' pass over time, run as a recurring job (and by `atrium admin invoice-pass
//! --date` with a date of the operator's choosing): every invoice still open past its due date
//! becomes `overdue`, and its client is reminded on the days after the due date the org's
//! settings name — each reminder at most once (a row per invoice and day), the latest one
//! reached only (a server that was down for a week sends one reminder, not three), none once
//! the invoice is paid or voided.

use std::collections::HashMap;

use atrium_client::wire::InvoiceSettings;
use futures::future::BoxFuture;
use serde_json::Value;

use super::kind::states;
use super::send::{self, InvoiceMail};
use super::{settings, store};
use crate::authz::records::RecordAccess;
use crate::db::now_ms;
use crate::error::Result;
use crate::records::routes::{ResolvedType, access_to, resolve};
use crate::records::step::{self, Step};
use crate::records::store::history::NewEntry;
use crate::records::store::records::RecordRow;
use crate::records::value;
use crate::write::Writes;

/// The job kind.
pub const KIND: &str = "invoices.pass";
/// Invoices read per query.
const BATCH: i64 = 200;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Invoices that became overdue.
    pub overdue: usize,
    /// Reminders queued.
    pub reminders: usize,
}

/// What the pass needs of an org, read once per pass.
struct OrgView {
    settings: InvoiceSettings,
    resolved: ResolvedType,
    access: RecordAccess,
}

/// The pass as of `today` (days since 1970-01-01, UTC).
pub async fn pass(writes: &Writes, today: i64) -> Result<PassReport> {
    let db = writes.db();
    let mut report = PassReport::default();
    let mut orgs: HashMap<String, OrgView> = HashMap::new();
    let mut after = String::new();
    loop {
        let batch = store::open_invoices(db, &states::OPEN, &after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(report);
        };
        after = last.id.clone();
        for invoice in batch {
            if due_day(&invoice).is_none_or(|due| due >= today) {
                continue;
            }
            if !orgs.contains_key(&invoice.org_id) {
                let resolved = resolve(db, &invoice.org_id, "invoice").await?;
                let org = crate::authz::server_access(db, &invoice.org_id).await?;
                let view = OrgView {
                    settings: settings::load(db, &invoice.org_id).await?,
                    access: access_to(org, &resolved),
                    resolved,
                };
                orgs.insert(invoice.org_id.clone(), view);
            }
            let view = &orgs[&invoice.org_id];
            chase(
                writes,
                view,
                &invoice.id,
                &invoice.org_id,
                today,
                &mut report,
            )
            .await?;
        }
    }
}

fn due_day(invoice: &RecordRow) -> Option<i64> {
    invoice
        .data
        .get("due_date")
        .and_then(Value::as_str)
        .and_then(value::parse_date)
}

/// Marks one invoice overdue and queues its reminder, in one transaction with the invoice
/// locked (a payment arriving meanwhile either comes first and stops this, or after).
async fn chase(
    writes: &Writes,
    view: &OrgView,
    invoice_id: &str,
    org_id: &str,
    today: i64,
    report: &mut PassReport,
) -> Result<()> {
    let mut work = writes.begin().await?;
    let Some(before) = store::invoice_for_update(work.tx(), org_id, invoice_id).await? else {
        return Ok(());
    };
    let state = before.state.as_deref().unwrap_or_default();
    let Some(due) = due_day(&before).filter(|due| *due < today) else {
        return Ok(());
    };
    if !states::OPEN.contains(&state) {
        return Ok(());
    }
    let late = today - due;
    let current = if state == states::OVERDUE {
        before
    } else {
        let mut record = before.clone();
        record.state = Some(states::OVERDUE.to_owned());
        let comment = format!("{late} days past the due date");
        let step = Step {
            action: "overdue",
            user_id: None,
            comment: Some(&comment),
        };
        report.overdue += 1;
        step::commit(
            writes.db(),
            &mut work,
            &view.resolved,
            &view.access,
            &before,
            record,
            step,
        )
        .await?
    };
    let reached = view
        .settings
        .reminder_days
        .iter()
        .rev()
        .find(|day| i64::from(**day) <= late);
    let client_email = match current.data.get("client").and_then(Value::as_str) {
        Some(client) => store::client_data(writes.db(), org_id, client)
            .await?
            .and_then(|c| c.get("email").and_then(Value::as_str).map(str::to_owned))
            .filter(|e| !e.is_empty()),
        None => None,
    };
    if let (Some(day), Some(to)) = (reached, client_email)
        && store::claim_reminder(
            work.tx(),
            org_id,
            invoice_id,
            *day,
            &value::format_date(today),
        )
        .await?
    {
        let mail = InvoiceMail {
            invoice_id: invoice_id.to_owned(),
            to: to.clone(),
            cc: Vec::new(),
            message: None,
            reminder: Some(*day),
        };
        send::enqueue(&mut work, org_id, &mail).await?;
        let comment = format!("reminder sent to {to}, {day} days after the due date");
        crate::records::store::history::append(
            work.tx(),
            &NewEntry {
                org_id,
                record_id: invoice_id,
                user_id: None,
                kind: "reminded",
                changes: &[],
                action: Some("remind"),
                comment: Some(&comment),
            },
        )
        .await?;
        report.reminders += 1;
    }
    work.commit().await?;
    Ok(())
}

/// Today in UTC, as days since 1970-01-01.
pub fn today() -> i64 {
    now_ms().div_euclid(86_400_000)
}

/// The pass as of today, as the recurring job runs it.
pub fn pass_today(writes: &Writes) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { pass(writes, today()).await.map(drop) })
}
