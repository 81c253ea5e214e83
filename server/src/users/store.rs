//! Every SQL statement about users.

use atrium_client::wire::User;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::model::{NewUser, handle_from_email};
use crate::db::{Db, Tx, new_id, now_ms};
use crate::error::ApiError;

const USER_COLUMNS: &str = "id, email, handle, name, created_at";

fn user_from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        handle: row.try_get("handle")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Creates an account with an already-hashed password. A taken e-mail or handle is a 409; a
/// derived handle is made unique by a numeric suffix. `email_verified`: the address counts as
/// proven from the start (accounts an operator creates); otherwise it awaits its link.
pub async fn create(
    db: &Db,
    user: &NewUser,
    password_hash: &str,
    email_verified: bool,
) -> Result<User, ApiError> {
    let base_handle = user
        .handle
        .clone()
        .unwrap_or_else(|| handle_from_email(&user.email));
    let derived = user.handle.is_none();
    // A derived handle that is taken gets a suffix; a race with another signup just tries the
    // next one.
    for attempt in 0..50u32 {
        let handle = if attempt == 0 {
            base_handle.clone()
        } else {
            format!("{base_handle}{}", attempt + 1)
        };
        let now = now_ms();
        let id = new_id();
        let inserted = sqlx::query(
            "insert into users (id, email, handle, name, password_hash, created_at, updated_at, email_verified_at)
             values ($1, $2, $3, $4, $5, $6, $6, $7)",
        )
        .bind(&id)
        .bind(&user.email)
        .bind(&handle)
        .bind(&user.name)
        .bind(password_hash)
        .bind(now)
        .bind(email_verified.then_some(now))
        .execute(db.pool())
        .await;
        match inserted {
            Ok(_) => {
                return Ok(User {
                    id,
                    email: user.email.clone(),
                    handle,
                    name: user.name.clone(),
                    created_at: now,
                });
            }
            Err(error) => match unique_violation(&error) {
                Some(UniqueField::Email) => {
                    return Err(ApiError::conflict(
                        "email_taken",
                        "an account with this e-mail address exists",
                    ));
                }
                Some(UniqueField::Handle) if derived => continue,
                Some(UniqueField::Handle) => {
                    return Err(ApiError::conflict("handle_taken", "this handle is taken"));
                }
                None => return Err(error.into()),
            },
        }
    }
    Err(ApiError::conflict(
        "handle_taken",
        "no free handle could be derived; choose one",
    ))
}

/// The user with this (normalised) e-mail address.
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("select {USER_COLUMNS} from users where email = $1"));
    let row = sqlx::query(sql)
        .bind(email)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The users with these handles (lowercase), each with the handle matched.
pub async fn find_by_handles(db: &Db, handles: &[String]) -> Result<Vec<User>, sqlx::Error> {
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select {USER_COLUMNS} from users where handle in ({})",
        crate::db::bind_list(handles.len())
    ));
    let mut query = sqlx::query(sql);
    for handle in handles {
        query = query.bind(handle);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(user_from_row).collect()
}

/// Users by id (unknown ids are left out).
pub async fn find_many(db: &Db, ids: &[String]) -> Result<Vec<User>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select {USER_COLUMNS} from users where id in ({}) order by name, id",
        crate::db::bind_list(ids.len())
    ));
    let mut query = sqlx::query(sql);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(user_from_row).collect()
}

/// Changes a user's display name and handle; a taken handle is a 409.
pub async fn update_profile(
    tx: &mut Tx,
    user_id: &str,
    name: &str,
    handle: &str,
) -> Result<(), ApiError> {
    let done =
        sqlx::query("update users set name = $2, handle = $3, updated_at = $4 where id = $1")
            .bind(user_id)
            .bind(name)
            .bind(handle)
            .bind(now_ms())
            .execute(&mut **tx)
            .await;
    match done {
        Ok(_) => Ok(()),
        Err(error) => match unique_violation(&error) {
            Some(UniqueField::Handle) => {
                Err(ApiError::conflict("handle_taken", "this handle is taken"))
            }
            _ => Err(error.into()),
        },
    }
}

/// Whether the user wants notification e-mail digests.
pub async fn email_digest(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select email_digest from users where id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>(0)? != 0,
        None => false,
    })
}

/// Turns notification e-mail digests on or off.
pub async fn set_email_digest(db: &Db, user_id: &str, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update users set email_digest = $2 where id = $1")
        .bind(user_id)
        .bind(i64::from(on))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A stored profile picture.
#[derive(Debug, Clone)]
pub struct Avatar {
    pub version: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Stores (or replaces) a user's profile picture.
pub async fn set_avatar(
    tx: &mut Tx,
    user_id: &str,
    version: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into user_avatars (user_id, version, content_type, bytes, updated_at)
         values ($1, $2, $3, $4, $5)
         on conflict (user_id) do update set version = excluded.version,
             content_type = excluded.content_type, bytes = excluded.bytes,
             updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(version)
    .bind(content_type)
    .bind(bytes)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Removes a user's profile picture; false when there was none.
pub async fn delete_avatar(tx: &mut Tx, user_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from user_avatars where user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A user's profile picture.
pub async fn avatar(db: &Db, user_id: &str) -> Result<Option<Avatar>, sqlx::Error> {
    let row =
        sqlx::query("select version, content_type, bytes from user_avatars where user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    row.map(|row| {
        Ok(Avatar {
            version: row.try_get("version")?,
            content_type: row.try_get("content_type")?,
            bytes: row.try_get("bytes")?,
        })
    })
    .transpose()
}

/// The version of a user's profile picture, if they have one.
pub async fn avatar_version(db: &Db, user_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("select version from user_avatars where user_id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| row.try_get("version")).transpose()
}

/// Whether two users are members of one organisation.
pub async fn shares_an_org(db: &Db, user_id: &str, other_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "select 1 from org_members a join org_members b on b.org_id = a.org_id
         where a.user_id = $1 and b.user_id = $2 limit 1",
    )
    .bind(user_id)
    .bind(other_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.is_some())
}

/// `(user id, picture version)` of the user and of everyone sharing an organisation with them
/// who has a picture.
pub async fn avatar_versions_seen_by(
    db: &Db,
    user_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "select a.user_id, a.version from user_avatars a
         where a.user_id = $1
            or a.user_id in (select b.user_id from org_members m
                             join org_members b on b.org_id = m.org_id
                             where m.user_id = $1)
         order by a.user_id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("user_id")?, row.try_get("version")?)))
        .collect()
}

enum UniqueField {
    Email,
    Handle,
}

/// Which unique index an insert ran into. SQLite names the column ("users.email"), PostgreSQL
/// the index ("users_email").
fn unique_violation(error: &sqlx::Error) -> Option<UniqueField> {
    let sqlx::Error::Database(db_error) = error else {
        return None;
    };
    if !db_error.is_unique_violation() {
        return None;
    }
    let what = db_error
        .constraint()
        .map_or_else(|| db_error.message().to_owned(), str::to_owned);
    if what.contains("email") {
        Some(UniqueField::Email)
    } else if what.contains("handle") {
        Some(UniqueField::Handle)
    } else {
        None
    }
}
