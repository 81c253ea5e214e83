//! Every SQL statement of invoicing: the org's settings (and whether the e-mail templates they
//! name are the org's), a client's fields, payments, open invoices for the daily pass and the
//! reminders sent.

use atrium_client::wire::InvoiceSettings;
use serde_json::{Map, Value};
use sqlx::Row;

use crate::db::{Db, Tx, now_ms};
use crate::records::store::records::{COLUMNS, RecordRow, from_row};

fn decode(error: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

/// The org's invoice settings as stored (`None`: never set).
pub async fn settings(db: &Db, org_id: &str) -> Result<Option<InvoiceSettings>, sqlx::Error> {
    let row = sqlx::query("select settings from invoice_settings where org_id = $1")
        .bind(org_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| {
        let json: String = row.try_get("settings")?;
        serde_json::from_str(&json).map_err(decode)
    })
    .transpose()
}

/// The org's invoice settings as stored, read in the caller's transaction (`None`: never set).
pub async fn settings_in(
    tx: &mut Tx,
    org_id: &str,
) -> Result<Option<InvoiceSettings>, sqlx::Error> {
    let row = sqlx::query("select settings from invoice_settings where org_id = $1")
        .bind(org_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        let json: String = row.try_get("settings")?;
        serde_json::from_str(&json).map_err(decode)
    })
    .transpose()
}

/// Whether `template_id` is an e-mail template of the org, the template locked against
/// deletion for the rest of the transaction on PostgreSQL (a delete running meanwhile either
/// finished first, and the template is gone here, or waits and then sees what this saved).
pub async fn template_of_org(
    tx: &mut Tx,
    org_id: &str,
    template_id: &str,
) -> Result<bool, sqlx::Error> {
    let lock = if tx.backend_name() == "PostgreSQL" {
        " for share"
    } else {
        ""
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select 1 from email_templates where org_id = $1 and id = $2{lock}"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(template_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// Replaces the org's invoice settings.
pub async fn save_settings(
    tx: &mut Tx,
    org_id: &str,
    settings: &InvoiceSettings,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(settings).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "insert into invoice_settings (org_id, settings, updated_by, updated_at) values ($1, $2, $3, $4)
         on conflict (org_id) do update set settings = excluded.settings,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(json)
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The fields of the org's client `client_id`.
pub async fn client_data(
    db: &Db,
    org_id: &str,
    client_id: &str,
) -> Result<Option<Map<String, Value>>, sqlx::Error> {
    Ok(record_of_type(db, org_id, "client", client_id)
        .await?
        .map(|client| client.data))
}

/// The org's record `id` if it is of type `slug`.
pub async fn record_of_type(
    db: &Db,
    org_id: &str,
    slug: &str,
    id: &str,
) -> Result<Option<RecordRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from records r where r.org_id = $1 and r.type = $2 and r.id = $3"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(slug)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The invoice, locked for the rest of the transaction on PostgreSQL (SQLite's one writer
/// serializes anyway), so concurrent payments add up instead of overwriting each other.
pub async fn invoice_for_update(
    tx: &mut Tx,
    org_id: &str,
    invoice_id: &str,
) -> Result<Option<RecordRow>, sqlx::Error> {
    let lock = if tx.backend_name() == "PostgreSQL" {
        " for update"
    } else {
        ""
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from records r where r.org_id = $1 and r.type = 'invoice' and r.id = $2{lock}"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(invoice_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Up to `limit` invoices in an open state (sent, partially paid, overdue) of every org, after
/// `after` (an id) in id order.
pub async fn open_invoices(
    db: &Db,
    open_states: &[&str],
    after: &str,
    limit: i64,
) -> Result<Vec<RecordRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from records r
         where r.type = 'invoice' and r.state in ($1, $2, $3) and r.id > $4
         order by r.id limit $5"
    ));
    let rows = sqlx::query(sql)
        .bind(open_states[0])
        .bind(open_states[1])
        .bind(open_states[2])
        .bind(after)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Records that reminder `days_after_due` of the invoice went out on `day`; false when it
/// already had.
pub async fn claim_reminder(
    tx: &mut Tx,
    org_id: &str,
    invoice_id: &str,
    days_after_due: u32,
    day: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into invoice_reminders (invoice_id, days_after_due, org_id, sent_on) values ($1, $2, $3, $4)
         on conflict (invoice_id, days_after_due) do nothing",
    )
    .bind(invoice_id)
    .bind(i64::from(days_after_due))
    .bind(org_id)
    .bind(day)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The reminders sent for an invoice: days after due, in order.
pub async fn reminders_sent(db: &Db, invoice_id: &str) -> Result<Vec<u32>, sqlx::Error> {
    let rows = sqlx::query(
        "select days_after_due from invoice_reminders where invoice_id = $1 order by days_after_due",
    )
    .bind(invoice_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let days: i64 = row.try_get("days_after_due")?;
            Ok(u32::try_from(days).unwrap_or(0))
        })
        .collect()
}
