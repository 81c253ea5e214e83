//! Records: insert, read, update, delete.

use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::bind::{bind_list, values_rows};
use crate::db::{Db, MAX_ROWS_PER_STATEMENT, Tx};

/// A record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub id: String,
    pub org_id: String,
    pub record_type: String,
    pub name: String,
    /// Whether `name` comes from the naming series (false: a provisional draft name).
    pub named: bool,
    pub version: i64,
    pub state: Option<String>,
    pub data: Map<String, Value>,
    pub amended_from: Option<String>,
    pub amend_root: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RecordRow {
    /// Whose the record is, for the policy's "only own" rows.
    pub fn owner(&self) -> crate::authz::records::RecordOwner<'_> {
        crate::authz::records::RecordOwner {
            created_by: &self.created_by,
            data: &self.data,
            fields: crate::records::registry::owner_fields(&self.record_type),
        }
    }
}

/// The columns [`from_row`] reads, of `records r`.
pub const COLUMNS: &str = "r.id, r.org_id, r.type, r.name, r.named, r.version, r.state, r.data, r.amended_from, r.amend_root, r.created_by, r.created_at, r.updated_at";

/// A record from a row selected with [`COLUMNS`].
pub fn from_row(row: &AnyRow) -> Result<RecordRow, sqlx::Error> {
    let data: String = row.try_get("data")?;
    let named: i64 = row.try_get("named")?;
    Ok(RecordRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        record_type: row.try_get("type")?,
        name: row.try_get("name")?,
        named: named != 0,
        version: row.try_get("version")?,
        state: row.try_get("state")?,
        data: serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        amended_from: row.try_get("amended_from")?,
        amend_root: row.try_get("amend_root")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn encode(data: &Map<String, Value>) -> Result<String, sqlx::Error> {
    serde_json::to_string(data).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// The org of a record id (the caller then checks membership and reads it in that org).
pub async fn org_of(db: &Db, record_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select org_id from records where id = $1")
        .bind(record_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get("org_id")).transpose()
}

/// A record of the org.
pub async fn find(
    db: &Db,
    org_id: &str,
    record_id: &str,
) -> Result<Option<RecordRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from records r where r.org_id = $1 and r.id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(record_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Inserts a record; false when its name is taken (a provisional name's rare collision, or an
/// amendment raced by another).
pub async fn insert(tx: &mut Tx, record: &RecordRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into records (id, org_id, type, name, named, version, state, data, amended_from, amend_root, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (org_id, type, name) where named = 1 do nothing",
    )
    .bind(&record.id)
    .bind(&record.org_id)
    .bind(&record.record_type)
    .bind(&record.name)
    .bind(i64::from(record.named))
    .bind(record.version)
    .bind(record.state.as_deref())
    .bind(encode(&record.data)?)
    .bind(record.amended_from.as_deref())
    .bind(record.amend_root.as_deref())
    .bind(&record.created_by)
    .bind(record.created_at)
    .bind(record.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Inserts new records with multi-row statements (an import); the ids of those not written
/// because their name is taken, in the order given.
pub async fn insert_many(tx: &mut Tx, records: &[RecordRow]) -> Result<Vec<String>, sqlx::Error> {
    let mut taken = Vec::new();
    for chunk in records.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "insert into records (id, org_id, type, name, named, version, state, data, amended_from, amend_root, created_by, created_at, updated_at)
             values {} on conflict (org_id, type, name) where named = 1 do nothing",
            values_rows(tx, chunk.len(), 13)
        ));
        let mut query = sqlx::query(sql);
        for record in chunk {
            query = query
                .bind(&record.id)
                .bind(&record.org_id)
                .bind(&record.record_type)
                .bind(&record.name)
                .bind(i64::from(record.named))
                .bind(record.version)
                .bind(record.state.as_deref())
                .bind(encode(&record.data)?)
                .bind(record.amended_from.as_deref())
                .bind(record.amend_root.as_deref())
                .bind(&record.created_by)
                .bind(record.created_at)
                .bind(record.updated_at);
        }
        let done = query.execute(&mut **tx).await?;
        if done.rows_affected() < chunk.len() as u64 {
            // Rare (a taken name): find out which rows were left out.
            let sql = sqlx::AssertSqlSafe(format!(
                "select id from records where id in ({})",
                bind_list(tx, chunk.len())
            ));
            let mut query = sqlx::query(sql);
            for record in chunk {
                query = query.bind(&record.id);
            }
            let written: std::collections::HashSet<String> = query
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| row.try_get("id"))
                .collect::<Result<_, _>>()?;
            taken.extend(
                chunk
                    .iter()
                    .filter(|r| !written.contains(&r.id))
                    .map(|r| r.id.clone()),
            );
        }
    }
    Ok(taken)
}

/// Saves a record's name, state and data at `record.version` if the stored version is still
/// `expected`; false when another save came first.
pub async fn update(tx: &mut Tx, record: &RecordRow, expected: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update records set name = $3, named = $4, version = $5, state = $6, data = $7, updated_at = $8
         where org_id = $1 and id = $2 and version = $9",
    )
    .bind(&record.org_id)
    .bind(&record.id)
    .bind(&record.name)
    .bind(i64::from(record.named))
    .bind(record.version)
    .bind(record.state.as_deref())
    .bind(encode(&record.data)?)
    .bind(record.updated_at)
    .bind(expected)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a record (its index rows, unique values and history go with it).
pub async fn delete(tx: &mut Tx, org_id: &str, record_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from records where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(record_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many amendments a chain already has.
pub async fn amendments(tx: &mut Tx, org_id: &str, root_id: &str) -> Result<i64, sqlx::Error> {
    let row =
        sqlx::query("select count(*) as n from records where org_id = $1 and amend_root = $2")
            .bind(org_id)
            .bind(root_id)
            .fetch_one(&mut **tx)
            .await?;
    row.try_get("n")
}

/// A batch of a type's records after `after_id` (by id), for re-indexing.
pub async fn batch(
    tx: &mut Tx,
    org_id: &str,
    record_type: &str,
    after_id: &str,
    limit: i64,
) -> Result<Vec<RecordRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from records r where r.org_id = $1 and r.type = $2 and r.id > $3 order by r.id limit $4"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(record_type)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(from_row).collect()
}
