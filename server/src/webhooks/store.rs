//! Every SQL statement of webhooks: subscriptions, the delivery outbox (also the delivery log)
//! and the leases, portable between SQLite and PostgreSQL.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::model::Filter;
use crate::db::paging::{Cursor, CursorKey, Page, PageRequest};
use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx, bind_list, values_rows};

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRow {
    pub id: String,
    pub org_id: String,
    pub project_id: Option<String>,
    pub url: String,
    pub events: Vec<String>,
    pub filter: Option<Filter>,
    pub description: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    /// When the server disabled it: its events are still queued for
    /// [`super::fanout::KEPT_WHILE_DISABLED`] after this.
    pub disabled_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const HOOK_COLUMNS: &str = "id, org_id, project_id, url, events, filter, description, secret, \
     previous_secret, previous_secret_until, active, disabled_reason, disabled_at, created_by, \
     created_at, updated_at";

fn hook(row: &AnyRow) -> Result<WebhookRow, sqlx::Error> {
    let events: String = row.try_get("events")?;
    let filter: Option<String> = row.try_get("filter")?;
    let decode =
        |what: &str, e: serde_json::Error| sqlx::Error::Decode(format!("{what}: {e}").into());
    Ok(WebhookRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        project_id: row.try_get("project_id")?,
        url: row.try_get("url")?,
        events: serde_json::from_str(&events).map_err(|e| decode("webhook events", e))?,
        filter: filter
            .map(|f| serde_json::from_str(&f))
            .transpose()
            .map_err(|e| decode("webhook filter", e))?,
        description: row.try_get("description")?,
        secret: row.try_get("secret")?,
        previous_secret: row.try_get("previous_secret")?,
        previous_secret_until: row.try_get("previous_secret_until")?,
        active: row.try_get::<i64, _>("active")? != 0,
        disabled_reason: row.try_get("disabled_reason")?,
        disabled_at: row.try_get("disabled_at")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn json(value: &impl serde::Serialize) -> String {
    // Vectors of strings and maps of JSON values always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

/// Stores a new subscription.
pub async fn insert(tx: &mut Tx, h: &WebhookRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into webhooks (id, org_id, project_id, url, events, filter, description, secret,
             previous_secret, previous_secret_until, active, disabled_reason, disabled_at,
             created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&h.id)
    .bind(&h.org_id)
    .bind(h.project_id.as_deref())
    .bind(&h.url)
    .bind(json(&h.events))
    .bind(h.filter.as_ref().map(json))
    .bind(&h.description)
    .bind(&h.secret)
    .bind(h.previous_secret.as_deref())
    .bind(h.previous_secret_until)
    .bind(i64::from(h.active))
    .bind(h.disabled_reason.as_deref())
    .bind(h.disabled_at)
    .bind(&h.created_by)
    .bind(h.created_at)
    .bind(h.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a subscription's changeable fields back.
pub async fn update(tx: &mut Tx, h: &WebhookRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update webhooks set url = $3, events = $4, filter = $5, description = $6, secret = $7,
             previous_secret = $8, previous_secret_until = $9, active = $10,
             disabled_reason = $11, disabled_at = $12, updated_at = $13
         where org_id = $1 and id = $2",
    )
    .bind(&h.org_id)
    .bind(&h.id)
    .bind(&h.url)
    .bind(json(&h.events))
    .bind(h.filter.as_ref().map(json))
    .bind(&h.description)
    .bind(&h.secret)
    .bind(h.previous_secret.as_deref())
    .bind(h.previous_secret_until)
    .bind(i64::from(h.active))
    .bind(h.disabled_reason.as_deref())
    .bind(h.disabled_at)
    .bind(h.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A subscription by id, whatever its organisation: the caller checks access to it.
pub async fn find(db: &Db, id: &str) -> Result<Option<WebhookRow>, sqlx::Error> {
    let sql = format!("select {HOOK_COLUMNS} from webhooks where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(hook).transpose()
}

/// The organisation's subscriptions (only `project`'s when given), oldest first.
pub async fn list(
    db: &Db,
    org_id: &str,
    project_id: Option<&str>,
) -> Result<Vec<WebhookRow>, sqlx::Error> {
    let project = if project_id.is_some() {
        "and project_id = $2"
    } else {
        ""
    };
    let sql = format!(
        "select {HOOK_COLUMNS} from webhooks where org_id = $1 {project} order by created_at, id"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org_id);
    if let Some(project_id) = project_id {
        query = query.bind(project_id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(hook).collect()
}

/// How many subscriptions the organisation has.
pub async fn count(tx: &mut Tx, org_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select count(*) from webhooks where org_id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?;
    row.try_get(0)
}

/// Deletes a subscription and its deliveries.
pub async fn delete(tx: &mut Tx, org_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from webhook_deliveries where org_id = $1 and webhook_id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from webhook_leases where name = $1")
        .bind(super::lease::hook_lease(id))
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("delete from webhooks where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The subscriptions of these organisations that events are queued for (the fan-out's view
/// of a batch): the active ones, and those the server disabled at `disabled_since` or later
/// (their events wait for reactivation; one deactivated by hand gets none).
pub async fn queueing_in(
    db: &Db,
    org_ids: &[&str],
    disabled_since: i64,
) -> Result<Vec<WebhookRow>, sqlx::Error> {
    let mut hooks = Vec::new();
    for chunk in org_ids.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "select {HOOK_COLUMNS} from webhooks
             where org_id in ({}) and (active = 1 or disabled_at >= ${})",
            bind_list(chunk.len()),
            chunk.len() + 1
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for org in chunk {
            query = query.bind(*org);
        }
        query = query.bind(disabled_since);
        for row in query.fetch_all(db.pool()).await? {
            hooks.push(hook(&row)?);
        }
    }
    Ok(hooks)
}

/// Of these deleted messages, those that were in a project's public channel, with the
/// project: the ones whose creation a subscription could have received. A removal in the feed
/// does not say where the message was; its tombstone row and its channel do.
pub async fn public_messages(
    db: &Db,
    message_ids: &[&str],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut public = HashMap::new();
    for chunk in message_ids.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "select m.id, c.project_id from messages m join channels c on c.id = m.channel_id
             where m.id in ({}) and c.project_id is not null and c.private = 0
               and c.kind <> 'dm'",
            bind_list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(db.pool()).await? {
            public.insert(row.try_get("id")?, row.try_get("project_id")?);
        }
    }
    Ok(public)
}

/// Deactivates a subscription the server gave up on; false when it was not active.
pub async fn disable(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update webhooks set active = 0, disabled_reason = $3, disabled_at = $4, updated_at = $4
         where org_id = $1 and id = $2 and active = 1",
    )
    .bind(org_id)
    .bind(id)
    .bind(reason)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The people told when a subscription is disabled: the organisation's owners and admins,
/// and for a project's subscription the project's managers. `(id, e-mail, name)`.
pub async fn managers(
    db: &Db,
    org_id: &str,
    project_id: Option<&str>,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "select u.id, u.email, u.name from users u
         where u.id in (select m.user_id from org_members m
                        where m.org_id = $1 and m.role in ('owner', 'admin'))
            or u.id in (select p.user_id from project_members p
                        join org_members m on m.user_id = p.user_id and m.org_id = $1
                        where p.project_id = $2 and p.role = 'manager')
         order by u.id",
    )
    .bind(org_id)
    .bind(project_id.unwrap_or_default())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("email")?, r.try_get("name")?)))
        .collect()
}

/// A delivery to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub id: String,
    pub webhook_id: String,
    pub org_id: String,
    pub order_key: i64,
    pub change_seq: Option<i64>,
    pub event_type: String,
    pub body: String,
    pub created_at: i64,
}

/// Queues deliveries; one of a change a subscription already has is skipped, so fanning a
/// batch out again after a crash queues nothing twice.
pub async fn insert_deliveries(tx: &mut Tx, new: &[NewDelivery]) -> Result<(), sqlx::Error> {
    for chunk in new.chunks(MAX_ROWS_PER_STATEMENT / 2) {
        let sql = format!(
            "insert into webhook_deliveries (id, webhook_id, org_id, order_key, change_seq,
                 event_type, body, state, attempts, next_attempt_at, created_at)
             values {} on conflict (webhook_id, change_seq) do nothing",
            values_rows(chunk.len(), 11)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for d in chunk {
            query = query
                .bind(&d.id)
                .bind(&d.webhook_id)
                .bind(&d.org_id)
                .bind(d.order_key)
                .bind(d.change_seq)
                .bind(&d.event_type)
                .bind(&d.body)
                .bind("pending")
                .bind(0_i64)
                .bind(d.created_at)
                .bind(d.created_at);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A delivery as the log shows it and the sender reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub first_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub response_status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_type, body, state, attempts, \
     next_attempt_at, first_attempt_at, last_attempt_at, delivered_at, response_status, \
     latency_ms, last_error, created_at";

fn delivery(row: &AnyRow) -> Result<DeliveryRow, sqlx::Error> {
    Ok(DeliveryRow {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event_type: row.try_get("event_type")?,
        body: row.try_get("body")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        first_attempt_at: row.try_get("first_attempt_at")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        delivered_at: row.try_get("delivered_at")?,
        response_status: row.try_get("response_status")?,
        latency_ms: row.try_get("latency_ms")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A value bound to a statement.
enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}

/// The deliveries `clauses` (`where …`, `order by …`, `limit …`) select, with `args` bound to
/// its `$1…` in order: every read of whole deliveries goes through here, so the columns and
/// their decoding are in one place.
async fn select_deliveries(
    db: &Db,
    clauses: &str,
    args: &[Arg<'_>],
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    let sql = format!("select {DELIVERY_COLUMNS} from webhook_deliveries {clauses}");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for arg in args {
        query = match arg {
            Arg::Text(text) => query.bind(*text),
            Arg::Int(int) => query.bind(*int),
        };
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(delivery).collect()
}

/// A page of a subscription's delivery log, newest first.
pub async fn list_deliveries(
    db: &Db,
    org_id: &str,
    webhook_id: &str,
    page: &PageRequest,
) -> Result<Page<DeliveryRow>, sqlx::Error> {
    let before = match &page.after {
        Some(cursor) => cursor.id.clone(),
        None => "~".to_owned(),
    };
    let rows = select_deliveries(
        db,
        "where org_id = $1 and webhook_id = $2 and id < $3 order by id desc limit $4",
        &[
            Arg::Text(org_id),
            Arg::Text(webhook_id),
            Arg::Text(&before),
            Arg::Int(page.fetch_limit()),
        ],
    )
    .await?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(CursorKey::Int(row.created_at), row.id.clone())
    }))
}

/// One delivery of a subscription.
pub async fn find_delivery(
    db: &Db,
    org_id: &str,
    webhook_id: &str,
    id: &str,
) -> Result<Option<DeliveryRow>, sqlx::Error> {
    let rows = select_deliveries(
        db,
        "where org_id = $1 and webhook_id = $2 and id = $3",
        &[Arg::Text(org_id), Arg::Text(webhook_id), Arg::Text(id)],
    )
    .await?;
    Ok(rows.into_iter().next())
}

/// Queues a delivery again (redelivery by hand): pending from now, with a fresh retry horizon.
/// It keeps its place in the subscription's order and its message id.
pub async fn requeue(
    tx: &mut Tx,
    org_id: &str,
    webhook_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update webhook_deliveries set state = 'pending', next_attempt_at = $4,
             first_attempt_at = null
         where org_id = $1 and webhook_id = $2 and id = $3",
    )
    .bind(org_id)
    .bind(webhook_id)
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues again the deliveries the server gave up on when it disabled the subscription, from
/// `now` with a fresh retry horizon: reactivating it delivers them first, in their place.
pub async fn requeue_given_up(
    tx: &mut Tx,
    org_id: &str,
    webhook_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update webhook_deliveries set state = 'pending', next_attempt_at = $3,
             first_attempt_at = null
         where org_id = $1 and webhook_id = $2 and state = 'failed'",
    )
    .bind(org_id)
    .bind(webhook_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The next pending deliveries of a subscription, in delivery order.
pub async fn pending(
    db: &Db,
    webhook_id: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    select_deliveries(
        db,
        "where webhook_id = $1 and state = 'pending' order by order_key, id limit $2",
        &[Arg::Text(webhook_id), Arg::Int(limit)],
    )
    .await
}

/// Active subscriptions whose first pending delivery in line is due by `now`, up to `limit`.
///
/// Only the first row in line counts: the rows behind one that backs off wait for it, so a
/// later row being due must not make the subscription due (its sender would start, find the
/// head not due and end, pass after pass). The `in` finds candidates through the due index
/// (`webhook_deliveries_due`), the head is one probe of the pending index per candidate.
pub async fn due_hooks(db: &Db, now: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select w.id from webhooks w
         where w.active = 1
           and w.id in (select d.webhook_id from webhook_deliveries d
                        where d.state = 'pending' and d.next_attempt_at <= $1)
           and (select h.next_attempt_at from webhook_deliveries h
                where h.webhook_id = w.id and h.state = 'pending'
                order by h.order_key, h.id limit 1) <= $1
         order by w.id limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub at: i64,
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// Records delivered messages: one statement for a whole batch (a sender that fell behind
/// records up to a batch of deliveries at once).
pub async fn record_delivered(db: &Db, done: &[(String, Attempt)]) -> Result<(), sqlx::Error> {
    if done.is_empty() {
        return Ok(());
    }
    // One transaction for the batch: one commit, and on SQLite a place in the writer's queue.
    let mut tx = db.begin().await?;
    for chunk in done.chunks(MAX_ROWS_PER_STATEMENT / 4) {
        // `values` columns are column1… on both backends.
        let sql = format!(
            "update webhook_deliveries set state = 'delivered', attempts = attempts + 1,
                 first_attempt_at = coalesce(first_attempt_at, v.column2),
                 last_attempt_at = v.column2, delivered_at = v.column2,
                 response_status = v.column3, latency_ms = v.column4, last_error = null
             from (values {}) as v
             where webhook_deliveries.id = v.column1 and webhook_deliveries.state = 'pending'",
            values_rows(chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for (id, attempt) in chunk {
            query = query
                .bind(id)
                .bind(attempt.at)
                .bind(attempt.status)
                .bind(attempt.latency_ms);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Records a failed attempt; the delivery is due again at `next_at`. Returns the time of its
/// first attempt (the start of its retry horizon).
pub async fn record_failed(
    db: &Db,
    id: &str,
    attempt: &Attempt,
    next_at: i64,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "update webhook_deliveries set attempts = attempts + 1,
             first_attempt_at = coalesce(first_attempt_at, $2), last_attempt_at = $2,
             next_attempt_at = $3, response_status = $4, latency_ms = $5, last_error = $6
         where id = $1 and state = 'pending'
         returning first_attempt_at",
    )
    .bind(id)
    .bind(attempt.at)
    .bind(next_at)
    .bind(attempt.status)
    .bind(attempt.latency_ms)
    .bind(attempt.error.as_deref())
    .fetch_optional(db.writer())
    .await?;
    match row {
        Some(row) => row.try_get(0),
        None => Ok(attempt.at),
    }
}

/// Marks a delivery given up.
pub async fn give_up(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update webhook_deliveries set state = 'failed' where id = $1 and state = 'pending'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every subscription's id (retention goes through them one at a time).
pub async fn hook_ids(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("select id from webhooks order by id")
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Deletes up to `limit` of a subscription's deliveries delivered before `cutoff`; how many.
///
/// Delivery ids are `msg_` and a UUIDv7, whose first 48 bits are the creation's milliseconds
/// in hex: a row delivered before `cutoff` was created before it, so its id sorts below the
/// cutoff's prefix, and the log index (`webhook_id, id`) gives the range without a scan of
/// the subscription's other rows.
pub async fn delete_delivered_before(
    db: &Db,
    webhook_id: &str,
    cutoff: i64,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let at = u64::try_from(cutoff).unwrap_or(0);
    let below = format!("msg_{:08x}-{:04x}", at >> 16, at & 0xffff);
    let done = sqlx::query(
        "delete from webhook_deliveries where id in (
             select id from webhook_deliveries
             where webhook_id = $1 and id < $2 and state = 'delivered' and delivered_at < $3
             limit $4)",
    )
    .bind(webhook_id)
    .bind(below)
    .bind(cutoff)
    .bind(limit)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

/// Takes the lease `name` for `owner` until `until` if it is free, expired or already
/// `owner`'s (then it is renewed); whether `owner` holds it now.
pub async fn take_lease(
    db: &Db,
    name: &str,
    owner: &str,
    until: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "insert into webhook_leases (name, owner, until) values ($1, $2, $3)
         on conflict (name) do update set owner = excluded.owner, until = excluded.until
         where webhook_leases.until < $4 or webhook_leases.owner = excluded.owner
         returning owner",
    )
    .bind(name)
    .bind(owner)
    .bind(until)
    .bind(now)
    .fetch_optional(db.writer())
    .await?;
    Ok(row.is_some())
}

/// Gives the lease `name` up if `owner` holds it.
pub async fn release_lease(db: &Db, name: &str, owner: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from webhook_leases where name = $1 and owner = $2")
        .bind(name)
        .bind(owner)
        .execute(db.writer())
        .await?;
    Ok(())
}
