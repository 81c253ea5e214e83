//! Every SQL statement about files, versions and blobs. Each takes the organisation it works
//! in, except [`locate`] (which is how a file's organisation is found before authorising).
//! Which versions wait for extraction is the job queue's business ([`super::extraction`]).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::model::{FileInfo, FileVersion};
use crate::db::{Db, Tx, new_id, now_ms};

const FILE_COLUMNS: &str = "f.id, f.org_id, f.project_id, f.name, f.created_by, f.created_at, \
     f.updated_at, f.trashed_at, v.id as version_id, v.number, v.size, v.content_type, v.sha256, \
     v.extract_state";
const FILE_FROM: &str =
    "from files f join file_versions v on v.file_id = f.id and v.number = f.current_version";
const VERSION_COLUMNS: &str = "id, file_id, number, name, size, content_type, sha256, \
     created_by, created_at, extract_state, extract_error";

fn file_from(row: &AnyRow) -> Result<FileInfo, sqlx::Error> {
    Ok(FileInfo {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        project_id: row.try_get("project_id")?,
        name: row.try_get("name")?,
        size: row.try_get("size")?,
        content_type: row.try_get("content_type")?,
        sha256: row.try_get("sha256")?,
        version: row.try_get("number")?,
        version_id: row.try_get("version_id")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        trashed_at: row.try_get("trashed_at")?,
        extraction: row.try_get("extract_state")?,
        can: None,
    })
}

fn version_from(row: &AnyRow) -> Result<FileVersion, sqlx::Error> {
    Ok(FileVersion {
        id: row.try_get("id")?,
        file_id: row.try_get("file_id")?,
        number: row.try_get("number")?,
        name: row.try_get("name")?,
        size: row.try_get("size")?,
        content_type: row.try_get("content_type")?,
        sha256: row.try_get("sha256")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        extraction: row.try_get("extract_state")?,
        extraction_error: row.try_get("extract_error")?,
    })
}

/// The organisation and project of a file: the lookup that establishes the tenant of a
/// `/files/{file}` request, before anything else is read.
pub async fn locate(db: &Db, file_id: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("select org_id, project_id from files where id = $1")
        .bind(file_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// A file with its current version.
pub async fn find(db: &Db, org_id: &str, file_id: &str) -> Result<Option<FileInfo>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {FILE_COLUMNS} {FILE_FROM} where f.org_id = $1 and f.id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(file_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(file_from).transpose()
}

/// A file with its current version, inside a transaction.
pub async fn find_in(
    tx: &mut Tx,
    org_id: &str,
    file_id: &str,
) -> Result<Option<FileInfo>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {FILE_COLUMNS} {FILE_FROM} where f.org_id = $1 and f.id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(file_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(file_from).transpose()
}

/// A project's files, most recently changed first: live ones, or those in the trash.
pub async fn list(
    db: &Db,
    org_id: &str,
    project_id: &str,
    trashed: bool,
) -> Result<Vec<FileInfo>, sqlx::Error> {
    let filter = if trashed {
        "f.trashed_at is not null"
    } else {
        "f.trashed_at is null"
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select {FILE_COLUMNS} {FILE_FROM} where f.org_id = $1 and f.project_id = $2 and {filter} \
         order by f.updated_at desc, f.id desc"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(file_from).collect()
}

/// A file's versions, newest first.
pub async fn versions(
    db: &Db,
    org_id: &str,
    file_id: &str,
) -> Result<Vec<FileVersion>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {VERSION_COLUMNS} from file_versions where org_id = $1 and file_id = $2 \
         order by number desc"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id)
        .bind(file_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(version_from).collect()
}

/// One version of a file.
pub async fn version(
    db: &Db,
    org_id: &str,
    file_id: &str,
    version_id: &str,
) -> Result<Option<FileVersion>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {VERSION_COLUMNS} from file_versions where org_id = $1 and file_id = $2 and id = $3"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(file_id)
        .bind(version_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(version_from).transpose()
}

/// The text extracted from a version, if any.
pub async fn extracted_text(
    db: &Db,
    org_id: &str,
    version_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select extracted_text from file_versions where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(version_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()))
}

/// Bytes the organisation stores: each distinct blob once, whatever refers to it.
pub async fn usage(db: &Db, org_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "select cast(coalesce(sum(size), 0) as bigint) from file_blobs where org_id = $1",
    )
    .bind(org_id)
    .fetch_one(db.pool())
    .await?;
    row.try_get::<i64, _>(0)
}

/// [`usage`] inside a transaction (after this upload's blob was counted).
pub async fn usage_in(tx: &mut Tx, org_id: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "select cast(coalesce(sum(size), 0) as bigint) from file_blobs where org_id = $1",
    )
    .bind(org_id)
    .fetch_one(&mut **tx)
    .await?;
    row.try_get::<i64, _>(0)
}

/// Takes a reference on the org's blob with this hash, creating its row; `true` when the blob
/// is new (its bytes must be placed). The row stays locked until the transaction ends, so
/// placing and purging the same blob never interleave.
pub async fn acquire_blob(
    tx: &mut Tx,
    org_id: &str,
    sha256: &str,
    size: i64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "insert into file_blobs (org_id, sha256, size, refcount, created_at)
         values ($1, $2, $3, 1, $4)
         on conflict (org_id, sha256) do update set refcount = file_blobs.refcount + 1
         returning refcount",
    )
    .bind(org_id)
    .bind(sha256)
    .bind(size)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>(0)? == 1)
}

/// Drops a reference on a blob; `Some(size)` when it was the last one (the row is gone and
/// the caller removes the object).
pub async fn release_blob(
    tx: &mut Tx,
    org_id: &str,
    sha256: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "update file_blobs set refcount = refcount - 1 where org_id = $1 and sha256 = $2
         returning refcount, size",
    )
    .bind(org_id)
    .bind(sha256)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.try_get::<i64, _>(0)? > 0 {
        return Ok(None);
    }
    sqlx::query("delete from file_blobs where org_id = $1 and sha256 = $2")
        .bind(org_id)
        .bind(sha256)
        .execute(&mut **tx)
        .await?;
    Ok(Some(row.try_get(1)?))
}

/// What a new version records.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub name: &'a str,
    pub size: i64,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub created_by: &'a str,
}

/// Creates a file with its first version; returns the file id.
pub async fn create_file(
    tx: &mut Tx,
    org_id: &str,
    project_id: &str,
    version: &NewVersion<'_>,
) -> Result<String, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into files (id, org_id, project_id, name, current_version, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, 1, $5, $6, $6)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(project_id)
    .bind(version.name)
    .bind(version.created_by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    insert_version(tx, org_id, &id, 1, version).await?;
    Ok(id)
}

/// Adds a version to a file and makes it current; `None` when there is no such file.
pub async fn add_version(
    tx: &mut Tx,
    org_id: &str,
    file_id: &str,
    version: &NewVersion<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    // One statement takes the number and locks the file, so concurrent uploads get 2 and 3.
    let row = sqlx::query(
        "update files set current_version = current_version + 1, name = $3, updated_at = $4
         where org_id = $1 and id = $2 returning current_version",
    )
    .bind(org_id)
    .bind(file_id)
    .bind(version.name)
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let number: i64 = row.try_get(0)?;
    insert_version(tx, org_id, file_id, number, version).await?;
    Ok(Some(number))
}

async fn insert_version(
    tx: &mut Tx,
    org_id: &str,
    file_id: &str,
    number: i64,
    version: &NewVersion<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into file_versions (id, org_id, file_id, number, name, size, content_type, sha256, created_by, created_at, extract_state)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending')",
    )
    .bind(new_id())
    .bind(org_id)
    .bind(file_id)
    .bind(number)
    .bind(version.name)
    .bind(version.size)
    .bind(version.content_type)
    .bind(version.sha256)
    .bind(version.created_by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Moves a file to the trash (`Some(user)`) or back out of it (`None`).
pub async fn set_trashed(
    tx: &mut Tx,
    org_id: &str,
    file_id: &str,
    by: Option<&str>,
) -> Result<Option<i64>, sqlx::Error> {
    let at = by.map(|_| now_ms());
    sqlx::query("update files set trashed_at = $3, trashed_by = $4 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(file_id)
        .bind(at)
        .bind(by)
        .execute(&mut **tx)
        .await?;
    Ok(at)
}

/// Deletes a file and its versions for good; returns the blob hash of every version (one per
/// version, repeats included: each held a reference).
pub async fn delete_file(
    tx: &mut Tx,
    org_id: &str,
    file_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("select sha256 from file_versions where org_id = $1 and file_id = $2")
        .bind(org_id)
        .bind(file_id)
        .fetch_all(&mut **tx)
        .await?;
    let hashes = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query("delete from file_versions where org_id = $1 and file_id = $2")
        .bind(org_id)
        .bind(file_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from files where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(file_id)
        .execute(&mut **tx)
        .await?;
    Ok(hashes)
}

/// A version to extract, as the extraction job needs it.
#[derive(Debug, Clone)]
pub struct ExtractJob {
    pub org_id: String,
    pub version_id: String,
    pub file_id: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// What the extraction of a version reads; `None` when the version is gone.
pub async fn extraction_input(
    db: &Db,
    org_id: &str,
    version_id: &str,
) -> Result<Option<ExtractJob>, sqlx::Error> {
    let row = sqlx::query(
        "select org_id, id, file_id, content_type, size, sha256 from file_versions
         where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(version_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(ExtractJob {
            org_id: r.try_get(0)?,
            version_id: r.try_get(1)?,
            file_id: r.try_get(2)?,
            content_type: r.try_get(3)?,
            size: r.try_get(4)?,
            sha256: r.try_get(5)?,
        })
    })
    .transpose()
}

/// Marks a version's extraction `running` (an attempt started) or `pending` again (a stopping
/// node gave it back); what clients see while the job runs.
pub async fn set_extraction_state(
    db: &Db,
    org_id: &str,
    version_id: &str,
    state: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update file_versions set extract_state = $3 where org_id = $1 and id = $2")
        .bind(org_id)
        .bind(version_id)
        .bind(state)
        .execute(db.pool())
        .await
        .map(drop)
}

/// Records the outcome of an extraction.
pub async fn finish_extraction(
    tx: &mut Tx,
    org_id: &str,
    version_id: &str,
    state: &str,
    text: Option<&str>,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update file_versions set extract_state = $3, extracted_text = $4, extract_error = $5
         where org_id = $1 and id = $2",
    )
    .bind(org_id)
    .bind(version_id)
    .bind(state)
    .bind(text)
    .bind(error)
    .execute(&mut **tx)
    .await
    .map(drop)
}
