//! Saved views: one user's named filters, sort and layout over a project's tasks.

use atrium_client::wire::{SavedView, TaskFilter, ViewLayout};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx, bind_list, new_id, now_ms};

/// A saved view as stored, with its owner and its project's org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewRow {
    pub org_id: String,
    pub user_id: String,
    pub view: SavedView,
}

fn layout_name(layout: ViewLayout) -> &'static str {
    match layout {
        ViewLayout::Board => "board",
        ViewLayout::List => "list",
    }
}

fn decode(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

fn view_from(row: &AnyRow) -> Result<ViewRow, sqlx::Error> {
    let layout: String = row.try_get("layout")?;
    let filters: String = row.try_get("filters")?;
    Ok(ViewRow {
        org_id: row.try_get("org_id")?,
        user_id: row.try_get("user_id")?,
        view: SavedView {
            id: row.try_get("id")?,
            project_id: row.try_get("project_id")?,
            name: row.try_get("name")?,
            layout: match layout.as_str() {
                "board" => ViewLayout::Board,
                "list" => ViewLayout::List,
                _ => return Err(decode("layout", &layout)),
            },
            filters: serde_json::from_str(&filters).map_err(|_| decode("filters", &filters))?,
            sort: row.try_get("sort")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
    })
}

const SELECT: &str = "select v.id, v.user_id, v.project_id, v.name, v.layout, v.filters, v.sort, v.created_at, v.updated_at, p.org_id
     from saved_views v join projects p on p.id = v.project_id";

fn encode(filters: &TaskFilter) -> Result<String, sqlx::Error> {
    serde_json::to_string(filters).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// A view by id with its owner (`None` when there is none).
pub async fn find(db: &Db, view_id: &str) -> Result<Option<ViewRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} where v.id = $1"));
    let row = sqlx::query(sql)
        .bind(view_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(view_from).transpose()
}

/// A user's views of a project, by name.
pub async fn list(
    db: &Db,
    org_id: &str,
    project_id: &str,
    user_id: &str,
) -> Result<Vec<SavedView>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} where p.org_id = $1 and v.project_id = $2 and v.user_id = $3
         order by v.name, v.created_at, v.id"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .bind(user_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|row| Ok(view_from(row)?.view)).collect()
}

/// Saves a new view for `user_id`.
pub async fn insert(
    tx: &mut Tx,
    user_id: &str,
    project_id: &str,
    name: &str,
    layout: ViewLayout,
    filters: &TaskFilter,
    sort: &str,
) -> Result<SavedView, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into saved_views (id, user_id, project_id, name, layout, filters, sort, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(project_id)
    .bind(name)
    .bind(layout_name(layout))
    .bind(encode(filters)?)
    .bind(sort)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(SavedView {
        id,
        project_id: project_id.to_owned(),
        name: name.to_owned(),
        layout,
        filters: filters.clone(),
        sort: sort.to_owned(),
        created_at: now,
        updated_at: now,
    })
}

/// Writes a view's name, layout, filters and sort (the owner's only); its new `updated_at`.
pub async fn update(tx: &mut Tx, user_id: &str, view: &SavedView) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "update saved_views set name = $3, layout = $4, filters = $5, sort = $6, updated_at = $7
         where id = $1 and user_id = $2",
    )
    .bind(&view.id)
    .bind(user_id)
    .bind(&view.name)
    .bind(layout_name(view.layout))
    .bind(encode(&view.filters)?)
    .bind(&view.sort)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(now)
}

/// Deletes a view (the owner's only); whether it was there.
pub async fn delete(tx: &mut Tx, user_id: &str, view_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from saved_views where id = $1 and user_id = $2")
        .bind(view_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Which of `status_ids` are statuses of the project.
pub async fn known_statuses(
    db: &Db,
    project_id: &str,
    status_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    known(
        db,
        "select id from task_statuses where project_id = $1",
        project_id,
        status_ids,
    )
    .await
}

/// Which of `user_ids` are members of the org.
pub async fn known_members(
    db: &Db,
    org_id: &str,
    user_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    known(
        db,
        "select user_id as id from org_members where org_id = $1",
        org_id,
        user_ids,
    )
    .await
}

/// Whether the milestone belongs to the project.
pub async fn milestone_in_project(
    db: &Db,
    project_id: &str,
    milestone_id: &str,
) -> Result<bool, sqlx::Error> {
    let found = sqlx::query("select 1 from milestones where project_id = $1 and id = $2")
        .bind(project_id)
        .bind(milestone_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(found.is_some())
}

/// The ids among `ids` that `scoped` (a select of `id` filtered by `$1 = scope`) finds.
async fn known(
    db: &Db,
    scoped: &'static str,
    scope: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select id from ({scoped}) s where id in ({})",
        bind_list(ids.len() + 1)
            .split_once(", ")
            .map_or("", |(_, rest)| rest)
    ));
    let mut query = sqlx::query(sql).bind(scope);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(|row| row.try_get("id")).collect()
}
