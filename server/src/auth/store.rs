//! Every SQL statement of authentication: credentials, sessions and API tokens, TOTP and
//! recovery codes, password resets, e-mail verification, log-in throttles and unlock links.

use atrium_client::wire::{TokenInfo, User};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::scopes::{Scopes, TokenGrant};
use super::tokens::{TokenKind, digest};
use crate::db::{Db, Tx, new_id, now_ms};
use crate::write::UnitOfWork;

/// What log-in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    /// When the e-mail address was verified; `None`: not yet.
    pub email_verified_at: Option<i64>,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
}

fn user_from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        handle: row.try_get("handle")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

const CREDENTIAL_COLUMNS: &str =
    "id, email, handle, name, created_at, password_hash, email_verified_at,
    totp_enabled, totp_secret, totp_pending_secret";

fn credentials_from_row(row: &AnyRow) -> Result<Credentials, sqlx::Error> {
    let enabled: i64 = row.try_get("totp_enabled")?;
    Ok(Credentials {
        user: user_from_row(row)?,
        password_hash: row.try_get("password_hash")?,
        email_verified_at: row.try_get("email_verified_at")?,
        totp_secret: if enabled == 1 {
            row.try_get("totp_secret")?
        } else {
            None
        },
        totp_pending_secret: row.try_get("totp_pending_secret")?,
    })
}

/// The credentials of the account with this (normalised) e-mail address.
pub async fn credentials_by_email(
    db: &Db,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {CREDENTIAL_COLUMNS} from users where email = $1"
    ));
    let row = sqlx::query(sql)
        .bind(email)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(credentials_from_row).transpose()
}

/// The credentials of a user.
pub async fn credentials_by_id(db: &Db, user_id: &str) -> Result<Option<Credentials>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {CREDENTIAL_COLUMNS} from users where id = $1"
    ));
    let row = sqlx::query(sql)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(credentials_from_row).transpose()
}

/// A session or API token to store.
pub struct NewToken<'a> {
    pub user_id: &'a str,
    pub kind: TokenKind,
    pub name: &'a str,
    pub secret: &'a str,
    pub expires_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What an API token is limited to (full for sessions).
    pub grant: &'a TokenGrant,
}

/// Stores a token (hashed); returns its id and description.
pub async fn insert_token(tx: &mut Tx, token: &NewToken<'_>) -> Result<TokenInfo, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "insert into auth_tokens (id, user_id, kind, name, token_hash, created_at, last_seen_at, expires_at, ip, user_agent,
                                  scopes, org_id, project_id)
         values ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(token.user_id)
    .bind(token.kind.stored_name())
    .bind(token.name)
    .bind(digest(token.secret))
    .bind(now)
    .bind(token.expires_at)
    .bind(token.ip.as_deref())
    .bind(token.user_agent.as_deref())
    .bind(token.grant.scopes.as_ref().map(Scopes::stored))
    .bind(token.grant.org_id.as_deref())
    .bind(token.grant.project_id.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(TokenInfo {
        id,
        name: token.name.to_owned(),
        created_at: now,
        last_seen_at: now,
        expires_at: token.expires_at,
        current: false,
        scopes: token.grant.scopes.as_ref().map(Scopes::names),
        org: token.grant.org_id.clone(),
        project: token.grant.project_id.clone(),
        user: None,
    })
}

/// A live token and its user.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    /// What the token is limited to (API tokens only; sessions are never limited).
    pub grant: TokenGrant,
    pub token_id: String,
    pub kind: String,
    pub last_seen_at: i64,
    pub expires_at: Option<i64>,
}

/// Why a presented token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Unknown,
    Revoked,
    Expired,
}

/// Resolves a presented secret to its live token and user.
pub async fn authenticate(
    db: &Db,
    secret: &str,
) -> Result<Result<Authenticated, (Rejection, Option<String>)>, sqlx::Error> {
    let row = sqlx::query(
        "select t.id as token_id, t.kind, t.last_seen_at, t.expires_at, t.revoked_at,
                t.scopes, t.org_id as token_org, t.project_id as token_project, u.id, u.email, u.handle, u.name, u.created_at
         from auth_tokens t join users u on u.id = t.user_id
         where t.token_hash = $1 and t.kind in ('session', 'api')",
    )
    .bind(digest(secret))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(Err((Rejection::Unknown, None)));
    };
    let user = user_from_row(&row)?;
    if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
        return Ok(Err((Rejection::Revoked, Some(user.id))));
    }
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    if expires_at.is_some_and(|at| at <= now_ms()) {
        return Ok(Err((Rejection::Expired, Some(user.id))));
    }
    let grant = TokenGrant {
        scopes: row
            .try_get::<Option<String>, _>("scopes")?
            .map(|text| Scopes::from_stored(&text)),
        org_id: row.try_get("token_org")?,
        project_id: row.try_get("token_project")?,
    };
    Ok(Ok(Authenticated {
        user,
        grant,
        token_id: row.try_get("token_id")?,
        kind: row.try_get("kind")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at,
    }))
}

/// Whether a user's session or API token is still valid (not revoked, not expired): what an
/// open socket checks when told that one of its user's credentials was revoked.
pub async fn token_is_live(db: &Db, user_id: &str, token_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "select 1 from auth_tokens
         where id = $1 and user_id = $2 and kind in ('session', 'api') and revoked_at is null
           and (expires_at is null or expires_at > $3)",
    )
    .bind(token_id)
    .bind(user_id)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.is_some())
}

/// Marks a token as used now; a session's expiry slides forward.
pub async fn touch_token(
    db: &Db,
    token_id: &str,
    session_expires_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update auth_tokens set last_seen_at = $2, expires_at = coalesce($3, expires_at) where id = $1")
        .bind(token_id)
        .bind(now_ms())
        .bind(session_expires_at)
        .execute(db.pool())
        .await
        .map(drop)
}

/// Revokes one of a user's tokens of a kind; false when there was no such live token. The
/// caller announces a revocation (`session.revoked`) on its unit of work.
pub async fn revoke_token(
    work: &mut UnitOfWork,
    user_id: &str,
    token_id: &str,
    kind: TokenKind,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update auth_tokens set revoked_at = $4 where id = $1 and user_id = $2 and kind = $3 and revoked_at is null")
        .bind(token_id)
        .bind(user_id)
        .bind(kind.stored_name())
        .bind(now_ms())
        .execute(&mut **work.tx())
        .await?;
    let revoked = done.rows_affected() == 1;
    if revoked {
        // Sockets opened with the credential close and nodes forget it, after the commit.
        work.sessions_revoked(user_id, kind.stored_name());
    }
    Ok(revoked)
}

/// Revokes every session and API token of a user (after a password reset).
pub async fn revoke_all_tokens(work: &mut UnitOfWork, user_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update auth_tokens set revoked_at = $2 where user_id = $1 and revoked_at is null",
    )
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut **work.tx())
    .await?;
    if done.rows_affected() > 0 {
        // Every socket of the user closes, on every node.
        work.sessions_revoked(user_id, "all");
    }
    Ok(done.rows_affected())
}

/// Revokes every session of a user but `keep` (the one changing the password); API tokens
/// stay, since their owner made each on purpose and lists them in settings.
pub async fn revoke_other_sessions(
    work: &mut UnitOfWork,
    user_id: &str,
    keep: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update auth_tokens set revoked_at = $3
         where user_id = $1 and kind = 'session' and id <> $2 and revoked_at is null",
    )
    .bind(user_id)
    .bind(keep)
    .bind(now_ms())
    .execute(&mut **work.tx())
    .await?;
    if done.rows_affected() > 0 {
        work.sessions_revoked(user_id, TokenKind::Session.stored_name());
    }
    Ok(done.rows_affected())
}

/// Spends every unused unlock link of a user: each lets its holder past the log-in throttles,
/// which a password change must not leave behind.
pub async fn spend_unlocks(tx: &mut Tx, user_id: &str) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("update login_unlocks set used_at = $2 where user_id = $1 and used_at is null")
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected())
}

/// A user's live tokens of a kind, newest first.
pub async fn list_tokens(
    db: &Db,
    user_id: &str,
    kind: TokenKind,
) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, name, created_at, last_seen_at, expires_at, scopes, org_id, project_id from auth_tokens
         where user_id = $1 and kind = $2 and revoked_at is null and (expires_at is null or expires_at > $3)
         order by created_at desc, id desc",
    )
    .bind(user_id)
    .bind(kind.stored_name())
    .bind(now_ms())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(token_info_from_row).collect()
}

/// A listed token: the columns `id, name, created_at, last_seen_at, expires_at, scopes,
/// org_id, project_id`.
pub fn token_info_from_row(row: &AnyRow) -> Result<TokenInfo, sqlx::Error> {
    Ok(TokenInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        current: false,
        scopes: row
            .try_get::<Option<String>, _>("scopes")?
            .map(|text| Scopes::from_stored(&text).names()),
        org: row.try_get("org_id")?,
        project: row.try_get("project_id")?,
        user: None,
    })
}

/// Stores a TOTP secret being enrolled.
pub async fn set_pending_totp(tx: &mut Tx, user_id: &str, secret: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update users set totp_pending_secret = $2, updated_at = $3 where id = $1")
        .bind(user_id)
        .bind(secret)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Turns TOTP on with the pending secret and replaces the recovery codes. `step` is the
/// time step of the code that confirmed it: that code cannot then log in as well.
pub async fn enable_totp(
    tx: &mut Tx,
    user_id: &str,
    secret: &str,
    step: i64,
    recovery_codes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("update users set totp_secret = $2, totp_enabled = 1, totp_pending_secret = null, totp_last_step = $4, updated_at = $3 where id = $1")
        .bind(user_id)
        .bind(secret)
        .bind(now_ms())
        .bind(step)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from totp_recovery_codes where user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for code in recovery_codes {
        sqlx::query("insert into totp_recovery_codes (id, user_id, code_hash) values ($1, $2, $3)")
            .bind(new_id())
            .bind(user_id)
            .bind(digest(&super::tokens::normalize_recovery_code(code)))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Turns TOTP off and drops the recovery codes.
pub async fn disable_totp(tx: &mut Tx, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update users set totp_secret = null, totp_enabled = 0, totp_pending_secret = null, totp_last_step = null, updated_at = $2 where id = $1",
    )
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from totp_recovery_codes where user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Records `step` as the user's last used TOTP time step, if it is later than the one
/// recorded; false when it is not (the code, or an earlier one, was already used). Checking
/// and recording in one statement makes a replay fail even when raced.
pub async fn use_totp_step(db: &Db, user_id: &str, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update users set totp_last_step = $2 where id = $1 and (totp_last_step is null or totp_last_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses up a recovery code; false when it is unknown or already used.
pub async fn consume_recovery_code(
    tx: &mut Tx,
    user_id: &str,
    code: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update totp_recovery_codes set used_at = $3 where user_id = $1 and code_hash = $2 and used_at is null",
    )
    .bind(user_id)
    .bind(digest(&super::tokens::normalize_recovery_code(code)))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every unused reset link of a user (a new one was asked for, or one was used).
pub async fn invalidate_password_resets(tx: &mut Tx, user_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update password_resets set used_at = $2 where user_id = $1 and used_at is null",
    )
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Stores a password-reset token (hashed).
pub async fn insert_password_reset(
    tx: &mut Tx,
    user_id: &str,
    secret: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into password_resets (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)")
        .bind(digest(secret))
        .bind(user_id)
        .bind(now_ms())
        .bind(expires_at)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Why a reset token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRejection {
    Unknown,
    Used,
    Expired,
}

/// Uses up a reset token: the user it belongs to, or why it cannot be used. Marking it used in
/// the same statement that checks it makes a second use impossible, even concurrently.
pub async fn consume_password_reset(
    tx: &mut Tx,
    secret: &str,
) -> Result<Result<String, (ResetRejection, Option<String>)>, sqlx::Error> {
    let hash = digest(secret);
    let now = now_ms();
    let row = sqlx::query(
        "update password_resets set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2 returning user_id",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = row {
        return Ok(Ok(row.try_get("user_id")?));
    }
    let row = sqlx::query("select user_id, used_at from password_resets where token_hash = $1")
        .bind(&hash)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(Err(match row {
        None => (ResetRejection::Unknown, None),
        Some(row) => {
            let used = row.try_get::<Option<i64>, _>("used_at")?.is_some();
            (
                if used {
                    ResetRejection::Used
                } else {
                    ResetRejection::Expired
                },
                Some(row.try_get("user_id")?),
            )
        }
    }))
}

/// Sets a new password hash.
pub async fn set_password(
    tx: &mut Tx,
    user_id: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update users set password_hash = $2, updated_at = $3 where id = $1")
        .bind(user_id)
        .bind(password_hash)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Marks the user's e-mail address verified, if it is still `email` (a link verifies the
/// address it was sent to, nothing else); false when the account's address is another.
pub async fn mark_email_verified(
    tx: &mut Tx,
    user_id: &str,
    email: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update users set email_verified_at = coalesce(email_verified_at, $3) where id = $1 and email = $2",
    )
    .bind(user_id)
    .bind(email)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores an e-mail verification token (hashed) for the address it is sent to.
pub async fn insert_email_verification(
    tx: &mut Tx,
    user_id: &str,
    email: &str,
    secret: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into email_verifications (token_hash, user_id, email, created_at, expires_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(digest(secret))
    .bind(user_id)
    .bind(email)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// Ends every unused verification link of a user.
pub async fn invalidate_email_verifications(tx: &mut Tx, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update email_verifications set used_at = $2 where user_id = $1 and used_at is null",
    )
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map(drop)
}

/// When the user's newest verification link was created.
pub async fn last_email_verification_at(
    db: &Db,
    user_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("select max(created_at) from email_verifications where user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await?;
    row.try_get(0)
}

/// A live (unused, unexpired) verification link: its user and the address it verifies.
pub async fn live_email_verification(
    tx: &mut Tx,
    secret: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "select user_id, email from email_verifications where token_hash = $1 and used_at is null and expires_at > $2",
    )
    .bind(digest(secret))
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| Ok((row.try_get("user_id")?, row.try_get("email")?)))
        .transpose()
}

/// Uses up a verification link; false when it was used (or ran out) meanwhile.
pub async fn consume_email_verification(tx: &mut Tx, secret: &str) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let done = sqlx::query(
        "update email_verifications set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2",
    )
    .bind(digest(secret))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The throttle rows of a log-in attempt: the latest `blocked_until` among `keys` still
/// counting (last failure after `window_start`).
pub async fn throttle_blocked_until(
    db: &Db,
    keys: &[&str],
    window_start: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select max(blocked_until) from login_throttles where key in ({}) and updated_at > ${}",
        crate::db::bind_list(keys.len()),
        keys.len() + 1
    ));
    let mut query = sqlx::query(sql);
    for key in keys {
        query = query.bind(*key);
    }
    let row = query.bind(window_start).fetch_one(db.pool()).await?;
    row.try_get(0)
}

/// Counts one failed log-in against a throttle key; returns the failures in a row now. A row
/// whose last failure is before `window_start` counts from one again.
pub async fn throttle_failure(
    tx: &mut Tx,
    key: &str,
    scope: &str,
    account: Option<&str>,
    window_start: i64,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "insert into login_throttles (key, scope, account, failures, blocked_until, updated_at)
         values ($1, $2, $3, 1, 0, $4)
         on conflict (key) do update set
             failures = case when login_throttles.updated_at > $5 then login_throttles.failures + 1 else 1 end,
             blocked_until = case when login_throttles.updated_at > $5 then login_throttles.blocked_until else 0 end,
             updated_at = $4
         returning failures",
    )
    .bind(key)
    .bind(scope)
    .bind(account)
    .bind(now_ms())
    .bind(window_start)
    .fetch_one(&mut **tx)
    .await?;
    row.try_get::<i64, _>(0)
}

/// Holds a throttle key back until `until` (ms).
pub async fn throttle_block(tx: &mut Tx, key: &str, until: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update login_throttles set blocked_until = $2 where key = $1")
        .bind(key)
        .bind(until)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Forgets one throttle key (a successful log-in from that address to that account).
pub async fn throttle_clear(tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from login_throttles where key = $1")
        .bind(key)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Forgets every address + account throttle of one account (its owner proved they hold its
/// mailbox or its password).
pub async fn throttle_clear_account(tx: &mut Tx, account: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from login_throttles where account = $1")
        .bind(account)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Deletes throttle rows whose last failure is before `before`: they count from zero anyway.
pub async fn prune_throttles(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from login_throttles where updated_at <= $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Stores an unlock token (hashed) for the mail interval `slot`, unless the account has one
/// for that interval already; true when stored (then its mail is to be sent). The unique
/// index makes concurrent attempts store one.
pub async fn insert_unlock(
    tx: &mut Tx,
    user_id: &str,
    slot: i64,
    secret: &str,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into login_unlocks (token_hash, user_id, slot, created_at, expires_at) values ($1, $2, $3, $4, $5)
         on conflict (user_id, slot) do nothing",
    )
    .bind(digest(secret))
    .bind(user_id)
    .bind(slot)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The account of a live (unused, unexpired) unlock token: its id and e-mail address.
pub async fn live_unlock(db: &Db, secret: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "select u.id, u.email from login_unlocks l join users u on u.id = l.user_id
         where l.token_hash = $1 and l.used_at is null and l.expires_at > $2",
    )
    .bind(digest(secret))
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| Ok((row.try_get("id")?, row.try_get("email")?)))
        .transpose()
}

/// Uses up an unlock token; false when it was used (or ran out) meanwhile.
pub async fn spend_unlock(tx: &mut Tx, secret: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update login_unlocks set used_at = $2 where token_hash = $1 and used_at is null and expires_at > $2",
    )
    .bind(digest(secret))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong password tried with an unlock token; at `max` failures the token is spent,
/// so an unlock link cannot become a way around the throttles for guessing.
pub async fn unlock_failed(db: &Db, secret: &str, max: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update login_unlocks set failures = failures + 1,
             used_at = case when failures + 1 >= $3 then $2 else used_at end
         where token_hash = $1 and used_at is null",
    )
    .bind(digest(secret))
    .bind(now_ms())
    .bind(max)
    .execute(db.pool())
    .await
    .map(drop)
}
