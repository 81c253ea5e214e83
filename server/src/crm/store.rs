//! Reading an org's deals for the forecast.

use crate::db::Db;
use crate::records::store::records::{COLUMNS, RecordRow, from_row};

/// Every deal of the org, with its stage (the workflow state).
pub async fn deals(db: &Db, org_id: &str) -> Result<Vec<RecordRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from records r where r.org_id = $1 and r.type = 'deal' order by r.id"
    ));
    let rows = sqlx::query(sql).bind(org_id).fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}
