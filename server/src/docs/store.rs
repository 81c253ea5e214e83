//! Every SQL statement about document metadata.

use atrium_client::wire::Doc;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::authz::joined::{JoinedRoles, joined_roles};
use crate::db::{Db, Tx, new_id, now_ms};

const COLUMNS: &str = "id, org_id, project_id, title, created_by, created_at, updated_at, trashed_at, parent_id, tree_key";

fn doc_from(row: &AnyRow) -> Result<Doc, sqlx::Error> {
    Ok(Doc {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        project_id: row.try_get("project_id")?,
        title: row.try_get("title")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        trashed_at: row.try_get("trashed_at")?,
        parent: row.try_get("parent_id")?,
        position: row.try_get("tree_key")?,
        can: None,
    })
}

/// Creates a document in a project, last at the top level of its page tree.
pub async fn create(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    title: &str,
    created_by: &str,
) -> Result<Doc, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    let last = last_tree_key(tx, org_id, project_id, None).await?;
    let position = super::tree::key_after(last.as_deref());
    sqlx::query(
        "insert into docs (id, org_id, project_id, title, created_by, created_at, updated_at, tree_key)
         values ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(project_id)
    .bind(title)
    .bind(created_by)
    .bind(now)
    .bind(&position)
    .execute(&mut **tx)
    .await?;
    Ok(Doc {
        id,
        org_id: org_id.to_owned(),
        project_id: project_id.to_owned(),
        title: title.to_owned(),
        created_by: created_by.to_owned(),
        created_at: now,
        updated_at: now,
        trashed_at: None,
        parent: None,
        position,
        can: None,
    })
}

/// The organisation of a document: the lookup that establishes the tenant of a `/docs/{doc}`
/// request (or a document report), before anything else is read.
pub async fn locate(db: &Db, doc_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select org_id from docs where id = $1")
        .bind(doc_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// A document of the organisation, trashed or not.
pub async fn find(db: &Db, org_id: &str, doc_id: &str) -> Result<Option<Doc>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from docs where org_id = $1 and id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(doc_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(doc_from).transpose()
}

/// A project's documents, most recently changed first: live ones, or those in the trash.
/// Task descriptions (kind `task`) are their tasks' and are not listed.
pub async fn list(
    db: &Db,
    org_id: &str,
    project_id: &str,
    trashed: bool,
) -> Result<Vec<Doc>, sqlx::Error> {
    let filter = if trashed {
        "trashed_at is not null"
    } else {
        "trashed_at is null"
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from docs where org_id = $1 and project_id = $2 and kind = 'doc' and {filter} order by updated_at desc, id desc"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(doc_from).collect()
}

/// Renames a document.
pub async fn rename(
    tx: &mut Tx,
    org_id: &str,
    doc_id: &str,
    title: &str,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query("update docs set title = $3, updated_at = $4 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(doc_id)
        .bind(title)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(now)
}

/// Moves a document to the trash (`Some(user)`) or back out of it (`None`).
pub async fn set_trashed(
    tx: &mut Tx,
    org_id: &str,
    doc_id: &str,
    by: Option<&str>,
) -> Result<Option<i64>, sqlx::Error> {
    let at = by.map(|_| now_ms());
    sqlx::query("update docs set trashed_at = $3, trashed_by = $4 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(doc_id)
        .bind(at)
        .bind(by)
        .execute(&mut **tx)
        .await?;
    Ok(at)
}

/// Records that the content changed.
pub async fn touch(tx: &mut Tx, org_id: &str, doc_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update docs set updated_at = $3 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(doc_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Live documents whose stored content is newer than their last change-feed report: edits
/// whose debounced report was lost to a crash.
pub async fn changed_since_reported(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select d.id from docs d where d.trashed_at is null and (
            exists (select 1 from collab_updates u where u.doc_id = d.id and u.created_at > d.updated_at)
            or exists (select 1 from collab_snapshots s where s.doc_id = d.id and s.updated_at > d.updated_at))",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| row.try_get("id")).collect()
}

/// What the collaboration socket needs to decide a user's access to a document, read in one
/// query: whether the document is trashed, and the user's org role, the project's settings
/// (`None` when the project is archived or gone) and their explicit project role.
#[derive(Debug)]
pub struct AccessRow {
    /// The document's organisation and project (empty when its project is archived).
    pub org_id: String,
    pub project_id: String,
    pub trashed: bool,
    pub created_by: String,
    pub roles: JoinedRoles,
}

/// The document and the user's relation to it (see [`AccessRow`]); `None` when there is no
/// such document.
pub async fn access_row(
    db: &Db,
    doc_id: &str,
    user_id: &str,
) -> Result<Option<AccessRow>, sqlx::Error> {
    let row = sqlx::query(
        "select d.trashed_at, d.project_id, d.created_by, p.org_id, om.role as org_role, p.visibility as project_visibility,
             p.default_role as project_default_role, pm.role as explicit_role
         from docs d
         left join projects p on p.id = d.project_id and p.archived_at is null
         left join org_members om on om.org_id = p.org_id and om.user_id = $2
         left join project_members pm on pm.project_id = d.project_id and pm.user_id = $2
         where d.id = $1",
    )
    .bind(doc_id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let trashed_at: Option<i64> = row.try_get("trashed_at")?;
    let roles = joined_roles(&row)?;
    Ok(Some(AccessRow {
        org_id: row
            .try_get::<Option<String>, _>("org_id")?
            .unwrap_or_default(),
        project_id: row.try_get("project_id")?,
        trashed: trashed_at.is_some(),
        created_by: row.try_get("created_by")?,
        roles,
    }))
}

/// A live document's place in its project's page tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    pub id: String,
    pub parent: Option<String>,
    pub key: String,
    pub created_at: i64,
}

/// Takes the project's page-tree lock until the transaction ends, so tree changes of one
/// project queue and each reads the tree the previous one left (see [`super::tree`]). Only
/// PostgreSQL needs it: a SQLite write transaction holds the database's one write lock from
/// its start.
pub async fn lock_tree(tx: &mut Tx, org_id: &str, project_id: &str) -> Result<(), sqlx::Error> {
    if tx.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    sqlx::query(
        "insert into doc_trees (project_id, org_id, changes) values ($1, $2, 1)
         on conflict (project_id) do update set changes = doc_trees.changes + 1",
    )
    .bind(project_id)
    .bind(org_id)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// The live documents of a project's page tree (task descriptions are not in it).
pub async fn tree_nodes(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
) -> Result<Vec<TreeNode>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, parent_id, tree_key, created_at from docs
         where org_id = $1 and project_id = $2 and kind = 'doc' and trashed_at is null",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TreeNode {
                id: row.try_get("id")?,
                parent: row.try_get("parent_id")?,
                key: row.try_get("tree_key")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// The greatest order key among the live documents under `parent` (`None`: the top level).
pub async fn last_tree_key(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    parent: Option<&str>,
) -> Result<Option<String>, sqlx::Error> {
    const LIVE: &str = "select max(tree_key) from docs
         where org_id = $1 and project_id = $2 and kind = 'doc' and trashed_at is null";
    let row = match parent {
        Some(parent) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{LIVE} and parent_id = $3")))
                .bind(org_id)
                .bind(project_id)
                .bind(parent)
                .fetch_one(&mut **tx)
                .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{LIVE} and parent_id is null")))
                .bind(org_id)
                .bind(project_id)
                .fetch_one(&mut **tx)
                .await?
        }
    };
    row.try_get(0)
}

/// Puts a document at a place in its project's page tree.
pub async fn place(
    tx: &mut Tx,
    org_id: &str,
    doc_id: &str,
    parent: Option<&str>,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update docs set parent_id = $3, tree_key = $4 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(doc_id)
        .bind(parent)
        .bind(key)
        .execute(&mut **tx)
        .await
        .map(drop)
}
