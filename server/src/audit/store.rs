//! Every SQL statement of the audit log.

use atrium_client::wire::AuditEntry;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Event;
use crate::db::paging::{Cursor, CursorKey, Page, PageRequest};
use crate::db::{Db, Tx, new_id, now_ms};
use crate::http::client_info::ClientInfo;

const INSERT: &str = "insert into audit_log
    (id, org_id, actor_id, action, target_type, target_id, ip, user_agent, before_state, after_state, created_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Records an event inside the caller's transaction (with the change it describes). Only the
/// write path calls it ([`crate::write::UnitOfWork::audit`]).
pub async fn record_in(
    tx: &mut Tx,
    event: &Event<'_>,
    origin: &ClientInfo,
) -> Result<(), sqlx::Error> {
    bind_event(sqlx::query(INSERT), event, origin)
        .execute(&mut **tx)
        .await
        .map(drop)
}

fn bind_event<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    event: &Event<'q>,
    origin: &ClientInfo,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(new_id())
        .bind(event.org_id)
        .bind(event.actor_id)
        .bind(event.action)
        .bind(event.target_type)
        .bind(event.target_id)
        .bind(origin.ip_text())
        .bind(origin.user_agent.clone())
        .bind(event.before.as_ref().map(serde_json::Value::to_string))
        .bind(event.after.as_ref().map(serde_json::Value::to_string))
        .bind(now_ms())
}

/// Filters of the audit listing.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// An organisation's audit entries, newest first: the events recorded in that organisation,
/// nothing else. Members' own events (log-ins, resets, tokens, TOTP) have no organisation and
/// stay out: an admin could otherwise add someone and read their log-in history.
pub async fn list(
    db: &Db,
    org_id: &str,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditEntry>, sqlx::Error> {
    let before_seq = match &page.after {
        Some(Cursor {
            key: CursorKey::Int(seq),
            ..
        }) => *seq,
        _ => i64::MAX,
    };
    let rows = sqlx::query(
        "select a.seq, a.id, a.org_id, a.actor_id, u.name as actor_name, a.action, a.target_type,
                a.target_id, a.ip, a.user_agent, a.before_state, a.after_state, a.created_at
         from audit_log a
         left join users u on u.id = a.actor_id
         where a.org_id = $1
           and a.seq < $2
           and ($3 is null or a.action = $3)
           and ($4 is null or a.actor_id = $4)
           and a.created_at >= $5 and a.created_at <= $6
         order by a.seq desc
         limit $7",
    )
    .bind(org_id)
    .bind(before_seq)
    .bind(filter.action.as_deref())
    .bind(filter.actor_id.as_deref())
    .bind(filter.since.unwrap_or(i64::MIN))
    .bind(filter.until.unwrap_or(i64::MAX))
    .bind(page.fetch_limit())
    .fetch_all(db.pool())
    .await?;
    let entries = rows
        .iter()
        .map(|row| Ok((row.try_get::<i64, _>("seq")?, entry_from_row(row)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let page = Page::from_rows(entries, page, |(seq, entry)| {
        Cursor::new(CursorKey::Int(*seq), entry.id.clone())
    });
    Ok(Page {
        items: page.items.into_iter().map(|(_, e)| e).collect(),
        next: page.next,
    })
}

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
    let json = |column: &str| -> Result<Option<serde_json::Value>, sqlx::Error> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .and_then(|text| serde_json::from_str(&text).ok()))
    };
    Ok(AuditEntry {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        actor_id: row.try_get("actor_id")?,
        actor_name: row.try_get("actor_name")?,
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        before: json("before_state")?,
        after: json("after_state")?,
        created_at: row.try_get("created_at")?,
    })
}
