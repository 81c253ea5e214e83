//! Custom record types: the current schema per org and slug, and every version kept.

use sqlx::Row;

use crate::db::{Db, Tx, now_ms};
use crate::records::schema::TypeSchema;

/// A custom type as stored.
#[derive(Debug, Clone)]
pub struct TypeRow {
    pub slug: String,
    pub name: String,
    pub version: i64,
    pub schema: TypeSchema,
    pub archived: bool,
}

fn decode(error: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<TypeRow, sqlx::Error> {
    let schema: String = row.try_get("schema")?;
    let archived: i64 = row.try_get("archived")?;
    Ok(TypeRow {
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        schema: serde_json::from_str(&schema).map_err(decode)?,
        archived: archived != 0,
    })
}

/// The org's custom types, by slug.
pub async fn list(db: &Db, org_id: &str) -> Result<Vec<TypeRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select slug, name, version, schema, archived from record_types where org_id = $1 order by slug",
    )
    .bind(org_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// One custom type.
pub async fn find(db: &Db, org_id: &str, slug: &str) -> Result<Option<TypeRow>, sqlx::Error> {
    let row = sqlx::query(
        "select slug, name, version, schema, archived from record_types where org_id = $1 and slug = $2",
    )
    .bind(org_id)
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Creates a type at version 1; false when the slug is taken.
pub async fn create(
    tx: &mut Tx,
    org_id: &str,
    slug: &str,
    name: &str,
    schema: &TypeSchema,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let json = serde_json::to_string(schema).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let now = now_ms();
    let done = sqlx::query(
        "insert into record_types (org_id, slug, name, version, schema, archived, created_by, created_at, updated_at)
         values ($1, $2, $3, 1, $4, 0, $5, $6, $6) on conflict (org_id, slug) do nothing",
    )
    .bind(org_id)
    .bind(slug)
    .bind(name)
    .bind(&json)
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    keep_version(tx, org_id, slug, 1, &json, user_id, now).await?;
    Ok(true)
}

async fn keep_version(
    tx: &mut Tx,
    org_id: &str,
    slug: &str,
    version: i64,
    json: &str,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into record_type_versions (org_id, slug, version, schema, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org_id)
    .bind(slug)
    .bind(version)
    .bind(json)
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Saves a new version if the stored one is still `expected`; false when it moved on.
pub async fn update(
    tx: &mut Tx,
    org_id: &str,
    row: &TypeRow,
    expected: i64,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let json = serde_json::to_string(&row.schema).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let now = now_ms();
    let done = sqlx::query(
        "update record_types set name = $3, version = $4, schema = $5, archived = $6, updated_at = $7
         where org_id = $1 and slug = $2 and version = $8",
    )
    .bind(org_id)
    .bind(&row.slug)
    .bind(&row.name)
    .bind(row.version)
    .bind(&json)
    .bind(i64::from(row.archived))
    .bind(now)
    .bind(expected)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    keep_version(tx, org_id, &row.slug, row.version, &json, user_id, now).await?;
    Ok(true)
}

/// The record types of an organisation that hold at least one record, by slug: the
/// whole-organisation export writes a CSV of each.
pub async fn in_use(db: &Db, org_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("select distinct type from records where org_id = $1 order by type")
        .bind(org_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|row| row.try_get("type")).collect()
}
