//! Every SQL statement about an organisation's own document templates (`doc_templates`).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::boards::store::is_unique_violation;
use crate::db::{Db, Tx};

/// One of the organisation's own templates, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    /// Empty when listed (lists leave the content out).
    pub markdown: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn row_of(row: &AnyRow, with_markdown: bool) -> Result<TemplateRow, sqlx::Error> {
    Ok(TemplateRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        markdown: if with_markdown {
            row.try_get("markdown")?
        } else {
            String::new()
        },
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The organisation a template belongs to.
pub async fn locate(db: &Db, id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select org_id from doc_templates where id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// One template of the organisation, with its content.
pub async fn find(db: &Db, org_id: &str, id: &str) -> Result<Option<TemplateRow>, sqlx::Error> {
    let row = sqlx::query(
        "select id, org_id, name, description, markdown, created_by, created_at, updated_at
         from doc_templates where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| row_of(&r, true)).transpose()
}

/// The organisation's templates by name, without their content.
pub async fn list(db: &Db, org_id: &str) -> Result<Vec<TemplateRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, org_id, name, description, created_by, created_at, updated_at
         from doc_templates where org_id = $1 order by name, id",
    )
    .bind(org_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| row_of(r, false)).collect()
}

/// How many templates the organisation has.
pub async fn count(tx: &mut Tx, org_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("select count(*) from doc_templates where org_id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?;
    row.try_get(0)
}

/// Inserts a template; false when the organisation already has one of that name.
pub async fn insert(tx: &mut Tx, t: &TemplateRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into doc_templates
             (id, org_id, name, description, markdown, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (org_id, name) do nothing",
    )
    .bind(&t.id)
    .bind(&t.org_id)
    .bind(&t.name)
    .bind(&t.description)
    .bind(&t.markdown)
    .bind(&t.created_by)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes a template's fields; false when its new name is another template's of the org.
pub async fn update(tx: &mut Tx, t: &TemplateRow) -> Result<bool, sqlx::Error> {
    let taken =
        sqlx::query("select 1 from doc_templates where org_id = $1 and name = $2 and id <> $3")
            .bind(&t.org_id)
            .bind(&t.name)
            .bind(&t.id)
            .fetch_optional(&mut **tx)
            .await?;
    if taken.is_some() {
        return Ok(false);
    }
    // A rename racing another to the same name meets the unique index instead.
    let done = sqlx::query(
        "update doc_templates set name = $1, description = $2, markdown = $3, updated_at = $4
         where org_id = $5 and id = $6",
    )
    .bind(&t.name)
    .bind(&t.description)
    .bind(&t.markdown)
    .bind(t.updated_at)
    .bind(&t.org_id)
    .bind(&t.id)
    .execute(&mut **tx)
    .await;
    match done {
        Ok(_) => Ok(true),
        Err(error) if is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Deletes a template.
pub async fn delete(tx: &mut Tx, org_id: &str, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from doc_templates where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
