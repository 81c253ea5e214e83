//! The typed value index that lists filter, sort and total on, the unique values, and the
//! checks of ids that values name (members, records, files of the org).

use sqlx::Row;

use super::records::RecordRow;
use crate::db::bind::values_rows;
use crate::db::{MAX_ROWS_PER_STATEMENT, Tx};
use crate::records::rules::{Reference, Target};
use crate::records::schema::TypeSchema;
use crate::records::schema::change::ChangeCheck;
use crate::records::value::{self, Indexed, NO_NUMBER};

/// One row of `record_values`.
struct ValueRow<'r> {
    record: &'r RecordRow,
    field: &'r str,
    slot: i64,
    value: Indexed,
}

/// The index rows of `record`, appended to `out`.
fn value_rows<'r>(schema: &'r TypeSchema, record: &'r RecordRow, out: &mut Vec<ValueRow<'r>>) {
    for field in schema.indexed_fields() {
        let values = value::index_values(field.field_type, record.data.get(&field.name));
        for (slot, v) in values.into_iter().enumerate() {
            out.push(ValueRow {
                record,
                field: &field.name,
                slot: i64::try_from(slot).unwrap_or(0),
                value: v,
            });
        }
    }
}

/// Inserts index rows, as many per statement as fit.
async fn insert_values(tx: &mut Tx, rows: &[ValueRow<'_>]) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into record_values (record_id, field, slot, org_id, type, num, txt) values {}",
            values_rows(tx, chunk.len(), 7)
        ));
        let mut query = sqlx::query(sql);
        for row in chunk {
            let (num, txt) = match &row.value {
                Indexed::Num(n) => (Some(*n), None),
                Indexed::Txt(t) => (None, Some(t.as_str())),
            };
            query = query
                .bind(&row.record.id)
                .bind(row.field)
                .bind(row.slot)
                .bind(&row.record.org_id)
                .bind(&row.record.record_type)
                .bind(num)
                .bind(txt);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The key a unique field's value is kept under; `None` for no value.
fn unique_key(
    field_type: atrium_client::wire::FieldType,
    record: &RecordRow,
    name: &str,
) -> Option<String> {
    match value::index_values(field_type, record.data.get(name)).pop() {
        Some(Indexed::Num(n)) if n != NO_NUMBER => Some(n.to_string()),
        Some(Indexed::Txt(t)) if !t.is_empty() => Some(t),
        _ => None,
    }
}

/// Rewrites a record's index rows and unique values. `Err(field)` when a unique field's value
/// is taken by another record of the type (nothing is left half-written: the caller rolls
/// back).
pub async fn write(
    tx: &mut Tx,
    schema: &TypeSchema,
    record: &RecordRow,
) -> Result<Result<(), String>, sqlx::Error> {
    clear(tx, &record.id).await?;
    let mut rows = Vec::new();
    value_rows(schema, record, &mut rows);
    insert_values(tx, &rows).await?;
    for field in schema.unique_fields() {
        let Some(key) = unique_key(field.field_type, record, &field.name) else {
            continue;
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

/// Writes the index rows and unique values of new records of one type (an import) with
/// multi-row statements. `Err((i, field))` names the first of `records` whose unique value is
/// taken — by an existing record or an earlier one of `records` (the caller rolls back).
pub async fn write_new(
    tx: &mut Tx,
    schema: &TypeSchema,
    records: &[RecordRow],
) -> Result<Result<(), (usize, String)>, sqlx::Error> {
    // A few thousand rows at a time, so memory stays flat however many records come.
    for batch in records.chunks(MAX_ROWS_PER_STATEMENT) {
        let mut rows = Vec::new();
        for record in batch {
            value_rows(schema, record, &mut rows);
        }
        insert_values(tx, &rows).await?;
    }
    let (Some(first), false) = (records.first(), schema.unique_fields().next().is_none()) else {
        return Ok(Ok(()));
    };
    let mut taken: Option<(usize, String)> = None;
    for field in schema.unique_fields() {
        let keyed: Vec<(usize, String)> = records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| unique_key(field.field_type, r, &field.name).map(|k| (i, k)))
            .collect();
        for chunk in keyed.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = sqlx::AssertSqlSafe(format!(
                "insert into record_unique_values (org_id, type, field, value, record_id) values {}
                 on conflict (org_id, type, field, value) do nothing",
                values_rows(tx, chunk.len(), 5)
            ));
            let mut query = sqlx::query(sql);
            for (i, key) in chunk {
                query = query
                    .bind(&first.org_id)
                    .bind(&first.record_type)
                    .bind(&field.name)
                    .bind(key)
                    .bind(&records[*i].id);
            }
            if query.execute(&mut **tx).await?.rows_affected() == chunk.len() as u64 {
                continue;
            }
            // Rare: find the rows whose value went to another record.
            let sql = sqlx::AssertSqlSafe(format!(
                "select value, record_id from record_unique_values where org_id = $1 and type = $2 and field = $3
                 and value in ({})",
                (0..chunk.len()).map(|i| format!("${}", i + 4)).collect::<Vec<_>>().join(", ")
            ));
            let mut query = sqlx::query(sql)
                .bind(&first.org_id)
                .bind(&first.record_type)
                .bind(&field.name);
            for (_, key) in chunk {
                query = query.bind(key);
            }
            let owners: std::collections::HashMap<String, String> = query
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("value")?, row.try_get("record_id")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            if let Some((i, _)) = chunk
                .iter()
                .find(|(i, key)| owners.get(key) != Some(&records[*i].id))
                && taken.as_ref().is_none_or(|(t, _)| i < t)
            {
                taken = Some((*i, field.name.clone()));
            }
            break;
        }
    }
    Ok(taken.map_or(Ok(()), Err))
}

/// Which of `references` name nothing they may (a member of the org, a live file of the org,
/// a record of the linked type in the org): their positions. A query per target and chunk of
/// ids, for the many references of an import.
pub async fn missing_references(
    tx: &mut Tx,
    org_id: &str,
    references: &[&Reference],
) -> Result<Vec<usize>, sqlx::Error> {
    use std::collections::{BTreeMap, BTreeSet, HashSet};
    // A target as a key: the table to look in and, for links, the type.
    fn key(target: &Target) -> (u8, &str) {
        match target {
            Target::User => (0, ""),
            Target::File => (1, ""),
            Target::Record(kind) => (2, kind),
        }
    }
    let mut wanted: BTreeMap<(u8, &str), BTreeSet<&str>> = BTreeMap::new();
    for reference in references {
        wanted
            .entry(key(&reference.target))
            .or_default()
            .insert(&reference.id);
    }
    let mut found: HashSet<((u8, &str), String)> = HashSet::new();
    for (target, ids) in wanted {
        let ids: Vec<&str> = ids.into_iter().collect();
        for chunk in ids.chunks(MAX_ROWS_PER_STATEMENT) {
            let first = if target.0 == 2 { 3 } else { 2 };
            let list = (0..chunk.len())
                .map(|i| format!("${}", i + first))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = match target.0 {
                0 => format!(
                    "select user_id as id from org_members where org_id = $1 and user_id in ({list})"
                ),
                1 => format!(
                    "select id from files where org_id = $1 and trashed_at is null and id in ({list})"
                ),
                _ => format!(
                    "select id from records where org_id = $1 and type = $2 and id in ({list})"
                ),
            };
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org_id);
            if target.0 == 2 {
                query = query.bind(target.1);
            }
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut **tx).await? {
                found.insert((target, row.try_get("id")?));
            }
        }
    }
    Ok(references
        .iter()
        .enumerate()
        .filter(|(_, r)| !found.contains(&(key(&r.target), r.id.clone())))
        .map(|(i, _)| i)
        .collect())
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
