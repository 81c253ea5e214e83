//! The typed value index that lists filter, sort and total on, the unique values, and the
//! checks of ids that values name (members, records, files of the org).

use sqlx::Row;

use super::records::RecordRow;
use crate::db::{MAX_ROWS_PER_STATEMENT, Tx, values_rows};
use crate::records::schema::TypeSchema;
use crate::records::schema::change::ChangeCheck;
use crate::records::value::{self, Indexed, NO_NUMBER};

/// Rewrites a record's index rows and unique values. `Err(field)` when a unique field's value
/// is taken by another record of the type (nothing is left half-written: the caller rolls
/// back).
pub async fn write(
    tx: &mut Tx,
    schema: &TypeSchema,
    record: &RecordRow,
) -> Result<Result<(), String>, sqlx::Error> {
    clear(tx, &record.id).await?;
    let mut rows: Vec<(String, i64, Indexed)> = Vec::new();
    for field in schema.indexed_fields() {
        let values = value::index_values(field.field_type, record.data.get(&field.name));
        for (slot, v) in values.into_iter().enumerate() {
            rows.push((field.name.clone(), i64::try_from(slot).unwrap_or(0), v));
        }
    }
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into record_values (record_id, field, slot, org_id, type, num, txt) values {}",
            values_rows(chunk.len(), 7)
        ));
        let mut query = sqlx::query(sql);
        for (field, slot, v) in chunk {
            let (num, txt) = match v {
                Indexed::Num(n) => (Some(*n), None),
                Indexed::Txt(t) => (None, Some(t.clone())),
            };
            query = query
                .bind(&record.id)
                .bind(field.clone())
                .bind(*slot)
                .bind(&record.org_id)
                .bind(&record.record_type)
                .bind(num)
                .bind(txt);
        }
        query.execute(&mut **tx).await?;
    }
    for field in schema.unique_fields() {
        let key = match value::index_values(field.field_type, record.data.get(&field.name)).pop() {
            Some(Indexed::Num(n)) if n != NO_NUMBER => n.to_string(),
            Some(Indexed::Txt(t)) if !t.is_empty() => t,
            _ => continue,
        };
        let done = sqlx::query(
            "insert into record_unique_values (org_id, type, field, value, record_id) values ($1, $2, $3, $4, $5)
             on conflict (org_id, type, field, value) do nothing",
        )
        .bind(&record.org_id)
        .bind(&record.record_type)
        .bind(&field.name)
        .bind(&key)
        .bind(&record.id)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(Err(field.name.clone()));
        }
    }
    Ok(Ok(()))
}

/// Removes a record's index rows and unique values.
pub async fn clear(tx: &mut Tx, record_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from record_values where record_id = $1")
        .bind(record_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from record_unique_values where record_id = $1")
        .bind(record_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many records stand in the way of a schema change.
pub async fn count_in_the_way(
    tx: &mut Tx,
    org_id: &str,
    record_type: &str,
    check: &ChangeCheck,
) -> Result<i64, sqlx::Error> {
    let has_value = "(v.num is not null and v.num <> $4) or (v.txt is not null and v.txt <> '')";
    let (sql, extra): (String, Vec<String>) = match check {
        ChangeCheck::NowRequired { .. } => (
            format!("select count(*) as n from records r where r.org_id = $1 and r.type = $2
                 and not exists (select 1 from record_values v where v.record_id = r.id and v.field = $3 and ({has_value}))"),
            Vec::new(),
        ),
        ChangeCheck::TypeChanged { .. } => (
            format!("select count(*) as n from records r where r.org_id = $1 and r.type = $2
                 and exists (select 1 from record_values v where v.record_id = r.id and v.field = $3 and ({has_value}))"),
            Vec::new(),
        ),
        ChangeCheck::OptionsNarrowed { removed, .. } => (
            format!(
                "select count(distinct v.record_id) as n from record_values v where v.org_id = $1 and v.type = $2
                 and v.field = $3 and (v.num is null or v.num <> $4) and v.txt in ({})",
                (0..removed.len()).map(|i| format!("${}", i + 5)).collect::<Vec<_>>().join(", ")
            ),
            removed.clone(),
        ),
        ChangeCheck::NowUnique { .. } => (
            format!("select count(*) as n from (select v.txt, v.num from record_values v
                 where v.org_id = $1 and v.type = $2 and v.field = $3 and v.slot = 0 and ({has_value})
                 group by v.txt, v.num having count(*) > 1) d"),
            Vec::new(),
        ),
    };
    let sql = sqlx::AssertSqlSafe(sql);
    let mut query = sqlx::query(sql)
        .bind(org_id)
        .bind(record_type)
        .bind(check.field().to_owned())
        .bind(NO_NUMBER);
    for value in extra {
        query = query.bind(value);
    }
    query.fetch_one(&mut **tx).await?.try_get("n")
}

/// Forgets the unique values of a field that is no longer unique.
pub async fn drop_unique(
    tx: &mut Tx,
    org_id: &str,
    record_type: &str,
    field: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from record_unique_values where org_id = $1 and type = $2 and field = $3")
        .bind(org_id)
        .bind(record_type)
        .bind(field)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Whether `user_id` is a member of the org.
pub async fn is_member(tx: &mut Tx, org_id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
    exists(
        tx,
        "select 1 as x from org_members where org_id = $1 and user_id = $2",
        org_id,
        user_id,
        None,
    )
    .await
}

/// Whether a record of `record_type` with `id` exists in the org.
pub async fn record_exists(
    tx: &mut Tx,
    org_id: &str,
    record_type: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    exists(
        tx,
        "select 1 as x from records where org_id = $1 and id = $2 and type = $3",
        org_id,
        id,
        Some(record_type),
    )
    .await
}

/// Whether a live file with `id` belongs to the org.
pub async fn file_exists(tx: &mut Tx, org_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    exists(
        tx,
        "select 1 as x from files where org_id = $1 and id = $2 and trashed_at is null",
        org_id,
        id,
        None,
    )
    .await
}

async fn exists(
    tx: &mut Tx,
    sql: &'static str,
    org_id: &str,
    id: &str,
    third: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let mut query = sqlx::query(sql).bind(org_id).bind(id);
    if let Some(third) = third {
        query = query.bind(third);
    }
    Ok(query.fetch_optional(&mut **tx).await?.is_some())
}
