//! Runs the list and totals queries that [`crate::records::query`] plans.

use std::collections::BTreeMap;

use sqlx::Row;

use super::records::{COLUMNS, RecordRow, from_row};
use crate::db::Db;
use crate::records::query::{ListPlan, Param, Sql};

fn bound(sql: &Sql) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.text.clone()));
    for param in &sql.params {
        query = match param {
            Param::Int(n) => query.bind(*n),
            Param::Text(t) => query.bind(t.clone()),
        };
    }
    query
}

/// One page of the list (`limit + 1` rows: the extra one says there is a next page).
pub async fn page(
    db: &Db,
    org_id: &str,
    record_type: &str,
    plan: &ListPlan,
) -> Result<Vec<RecordRow>, sqlx::Error> {
    let sql = plan.page_sql(COLUMNS, org_id, record_type);
    let rows = bound(&sql).fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// Sums of `fields` over the filtered set, in index form.
pub async fn totals(
    db: &Db,
    org_id: &str,
    record_type: &str,
    plan: &ListPlan,
    fields: &[String],
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    if fields.is_empty() {
        return Ok(BTreeMap::new());
    }
    let sql = plan.totals_sql(fields, org_id, record_type);
    let rows = bound(&sql).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("field")?,
                row.try_get::<Option<i64>, _>("total")?.unwrap_or(0),
            ))
        })
        .collect()
}
