//! An organisation's chat settings.

use atrium_client::wire::{ChatSettings, OrgRole};
use sqlx::Row;

use crate::authz::roles::{org_role_name, parse_org_role};
use crate::db::{Db, Tx};

/// The settings of an org that never chose any: owners, admins and members may use @channel,
/// @all and @here, with a warning above 50 members.
pub fn defaults() -> ChatSettings {
    ChatSettings {
        mention_all_roles: vec![OrgRole::Owner, OrgRole::Admin, OrgRole::Member],
        mention_all_warn_above: 50,
    }
}

/// The org's settings (the defaults when none were saved).
pub async fn get(db: &Db, org_id: &str) -> Result<ChatSettings, sqlx::Error> {
    let row = sqlx::query(
        "select mention_all_roles, mention_all_warn_above from org_chat_settings where org_id = $1",
    )
    .bind(org_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(defaults());
    };
    let roles: String = row.try_get("mention_all_roles")?;
    Ok(ChatSettings {
        mention_all_roles: roles.split(',').filter_map(parse_org_role).collect(),
        mention_all_warn_above: row.try_get("mention_all_warn_above")?,
    })
}

/// Saves the org's settings.
pub async fn put(
    tx: &mut Tx,
    org_id: &str,
    settings: &ChatSettings,
    now: i64,
) -> Result<(), sqlx::Error> {
    let roles: Vec<&str> = settings
        .mention_all_roles
        .iter()
        .map(|r| org_role_name(*r))
        .collect();
    sqlx::query(
        "insert into org_chat_settings (org_id, mention_all_roles, mention_all_warn_above, updated_at)
         values ($1, $2, $3, $4)
         on conflict (org_id) do update set mention_all_roles = excluded.mention_all_roles,
             mention_all_warn_above = excluded.mention_all_warn_above, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(roles.join(","))
    .bind(settings.mention_all_warn_above)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
