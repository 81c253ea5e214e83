//! Channels, explicit members, and per-user channel state.

use atrium_client::wire::{ChannelKind, NotifyLevel, OrgRole, ProjectRole, Visibility};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::decode_error;
use crate::authz::joined::joined_roles;
use crate::authz::roles::{parse_org_role, parse_project_role};
use crate::chat::model::{ChannelRow, kind_name, parse_kind, parse_notify};
use crate::db::{Db, Tx};

const COLUMNS: &str = "c.id, c.org_id, c.project_id, c.kind, c.name, c.topic, c.private, \
     c.created_by, c.created_at, c.updated_at, c.archived_at, c.last_message_at";

fn channel_from(row: &AnyRow) -> Result<ChannelRow, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(ChannelRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        project_id: row.try_get("project_id")?,
        kind: parse_kind(&kind).ok_or_else(|| decode_error("channel kind", &kind))?,
        name: row.try_get("name")?,
        topic: row.try_get("topic")?,
        private: row.try_get::<i64, _>("private")? != 0,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        archived_at: row.try_get("archived_at")?,
        last_message_at: row.try_get("last_message_at")?,
    })
}

fn notify_from(row: &AnyRow) -> Result<Option<NotifyLevel>, sqlx::Error> {
    let notify: Option<String> = row.try_get("notify")?;
    Ok(notify.as_deref().and_then(parse_notify))
}

/// A channel by id.
pub async fn find(db: &Db, channel_id: &str) -> Result<Option<ChannelRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from channels c where c.id = $1"));
    let row = sqlx::query(sql)
        .bind(channel_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(channel_from).transpose()
}

/// A channel by id, read inside a transaction.
pub async fn find_in(tx: &mut Tx, channel_id: &str) -> Result<Option<ChannelRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("select {COLUMNS} from channels c where c.id = $1"));
    let row = sqlx::query(sql)
        .bind(channel_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(channel_from).transpose()
}

/// The DM of an org for a set of users (see [`crate::chat::model::dm_key`]).
pub async fn find_dm(
    db: &Db,
    org_id: &str,
    dm_key: &str,
) -> Result<Option<ChannelRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from channels c where c.org_id = $1 and c.dm_key = $2"
    ));
    let row = sqlx::query(sql)
        .bind(org_id)
        .bind(dm_key)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(channel_from).transpose()
}

/// A channel to create.
pub struct NewChannel<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub project_id: Option<&'a str>,
    pub kind: ChannelKind,
    pub name: &'a str,
    pub topic: &'a str,
    pub private: bool,
    pub dm_key: Option<&'a str>,
    pub created_by: &'a str,
    pub now: i64,
}

/// Creates a channel (a duplicate name in the project, or an existing DM, is a unique
/// violation).
pub async fn create(tx: &mut Tx, new: &NewChannel<'_>) -> Result<ChannelRow, sqlx::Error> {
    sqlx::query(
        "insert into channels (id, org_id, project_id, kind, name, name_key, topic, private,
             dm_key, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(new.id)
    .bind(new.org_id)
    .bind(new.project_id)
    .bind(kind_name(new.kind))
    .bind(new.name)
    .bind(new.name.to_lowercase())
    .bind(new.topic)
    .bind(i64::from(new.private))
    .bind(new.dm_key)
    .bind(new.created_by)
    .bind(new.now)
    .execute(&mut **tx)
    .await?;
    Ok(ChannelRow {
        id: new.id.to_owned(),
        org_id: new.org_id.to_owned(),
        project_id: new.project_id.map(str::to_owned),
        kind: new.kind,
        name: new.name.to_owned(),
        topic: new.topic.to_owned(),
        private: new.private,
        created_by: new.created_by.to_owned(),
        created_at: new.now,
        updated_at: new.now,
        archived_at: None,
        last_message_at: None,
    })
}

/// Saves a channel's name, topic and archive state.
pub async fn update(tx: &mut Tx, channel: &ChannelRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update channels set name = $2, name_key = $3, topic = $4, archived_at = $5,
             updated_at = $6 where id = $1",
    )
    .bind(&channel.id)
    .bind(&channel.name)
    .bind(channel.name.to_lowercase())
    .bind(&channel.topic)
    .bind(channel.archived_at)
    .bind(channel.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the time of a channel's newest message.
pub async fn touch(tx: &mut Tx, channel_id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update channels set last_message_at = $2 where id = $1")
        .bind(channel_id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds explicit members; returns those who were not members yet.
pub async fn add_members(
    tx: &mut Tx,
    channel_id: &str,
    user_ids: &[String],
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let mut added = Vec::new();
    for user_id in user_ids {
        let done = sqlx::query(
            "insert into channel_members (channel_id, user_id, created_at) values ($1, $2, $3)
             on conflict (channel_id, user_id) do nothing",
        )
        .bind(channel_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() > 0 {
            added.push(user_id.clone());
        }
    }
    Ok(added)
}

/// Removes an explicit member; whether they were one.
pub async fn remove_member(
    tx: &mut Tx,
    channel_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from channel_members where channel_id = $1 and user_id = $2")
        .bind(channel_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the user is an explicit member.
pub async fn is_member(db: &Db, channel_id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select 1 from channel_members where channel_id = $1 and user_id = $2")
        .bind(channel_id)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

/// The explicit members' ids, in the order they joined.
pub async fn member_ids(db: &Db, channel_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select user_id from channel_members where channel_id = $1 order by created_at, user_id",
    )
    .bind(channel_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// The explicit members of several channels, by channel (channels without any are absent).
pub async fn member_ids_of(
    db: &Db,
    channel_ids: &[&str],
) -> Result<std::collections::HashMap<String, Vec<String>>, sqlx::Error> {
    let mut members: std::collections::HashMap<String, Vec<String>> = Default::default();
    if channel_ids.is_empty() {
        return Ok(members);
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "select channel_id, user_id from channel_members where channel_id in ({})
         order by created_at, user_id",
        crate::db::bind_list(channel_ids.len())
    ));
    let mut query = sqlx::query(sql);
    for id in channel_ids {
        query = query.bind(*id);
    }
    for row in query.fetch_all(db.pool()).await? {
        members
            .entry(row.try_get("channel_id")?)
            .or_default()
            .push(row.try_get("user_id")?);
    }
    Ok(members)
}

/// A channel with the caller's relation to it.
#[derive(Debug, Clone)]
pub struct ChannelForUser {
    pub channel: ChannelRow,
    pub is_member: bool,
    pub notify: Option<NotifyLevel>,
    pub hidden: bool,
}

/// Every channel of an org (optionally of one project) with the user's membership and state;
/// the caller filters by visibility.
pub async fn list_for_user(
    db: &Db,
    org_id: &str,
    project_id: Option<&str>,
    user_id: &str,
) -> Result<Vec<ChannelForUser>, sqlx::Error> {
    let project_filter = if project_id.is_some() {
        "and c.project_id = $3"
    } else {
        ""
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS}, case when m.user_id is null then 0 else 1 end as is_member,
             s.notify, coalesce(s.hidden, 0) as hidden
         from channels c
         left join channel_members m on m.channel_id = c.id and m.user_id = $2
         left join channel_user_state s on s.channel_id = c.id and s.user_id = $2
         where c.org_id = $1 {project_filter}
         order by c.kind, c.name_key, c.id"
    ));
    let mut query = sqlx::query(sql).bind(org_id).bind(user_id);
    if let Some(project_id) = project_id {
        query = query.bind(project_id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(ChannelForUser {
                channel: channel_from(row)?,
                is_member: row.try_get::<i64, _>("is_member")? != 0,
                notify: notify_from(row)?,
                hidden: row.try_get::<i64, _>("hidden")? != 0,
            })
        })
        .collect()
}

/// A chat channel or direct message of an org, with what decides whether a user sees it.
#[derive(Debug, Clone)]
pub struct ListedChannel {
    pub id: String,
    pub project_id: Option<String>,
    pub kind: ChannelKind,
    pub private: bool,
    /// Whether the user is an explicit member.
    pub is_member: bool,
}

/// The org's chat channels and direct messages — not the discussions of its tasks and records,
/// of which an org may have hundreds of thousands — with the user's membership; the caller
/// filters by visibility. What an event socket needs to know at connect time.
pub async fn listed_for_user(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Vec<ListedChannel>, sqlx::Error> {
    let rows = sqlx::query(
        "select c.id, c.project_id, c.kind, c.private,
             case when m.user_id is null then 0 else 1 end as is_member
         from channels c
         left join channel_members m on m.channel_id = c.id and m.user_id = $2
         where c.org_id = $1 and c.kind in ('channel', 'dm')",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(ListedChannel {
                id: row.try_get("id")?,
                project_id: row.try_get("project_id")?,
                kind: parse_kind(&kind).ok_or_else(|| decode_error("channel kind", &kind))?,
                private: row.try_get::<i64, _>("private")? != 0,
                is_member: row.try_get::<i64, _>("is_member")? != 0,
            })
        })
        .collect()
}

/// The org and project of a task's discussion channel, if `channel_id` is one: the lookup
/// that establishes its tenant.
pub async fn task_discussion(
    db: &Db,
    channel_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "select org_id, project_id from channels
         where id = $1 and kind = 'task' and project_id is not null",
    )
    .bind(channel_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get("org_id")?, r.try_get("project_id")?)))
        .transpose()
}

/// The user's notification level in a channel (`None`: the default).
pub async fn notify_level(
    db: &Db,
    channel_id: &str,
    user_id: &str,
) -> Result<Option<NotifyLevel>, sqlx::Error> {
    let row =
        sqlx::query("select notify from channel_user_state where channel_id = $1 and user_id = $2")
            .bind(channel_id)
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    match row {
        Some(row) => notify_from(&row),
        None => Ok(None),
    }
}

/// Every stored notification level of a channel, by user.
pub async fn notify_levels(
    tx: &mut Tx,
    channel_id: &str,
) -> Result<Vec<(String, NotifyLevel)>, sqlx::Error> {
    let rows = sqlx::query(
        "select user_id, notify from channel_user_state where channel_id = $1 and notify is not null",
    )
    .bind(channel_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .filter_map(|row| {
            let user: Result<String, _> = row.try_get("user_id");
            let level = notify_from(row).transpose()?;
            Some(user.and_then(|u| level.map(|l| (u, l))))
        })
        .collect()
}

/// Sets the user's notification level.
pub async fn set_notify(
    tx: &mut Tx,
    channel_id: &str,
    user_id: &str,
    level: NotifyLevel,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into channel_user_state (channel_id, user_id, notify) values ($1, $2, $3)
         on conflict (channel_id, user_id) do update set notify = excluded.notify",
    )
    .bind(channel_id)
    .bind(user_id)
    .bind(crate::chat::model::notify_name(level))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Hides (left) or shows a public channel in the user's list.
pub async fn set_hidden(
    tx: &mut Tx,
    channel_id: &str,
    user_id: &str,
    hidden: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into channel_user_state (channel_id, user_id, hidden) values ($1, $2, $3)
         on conflict (channel_id, user_id) do update set hidden = excluded.hidden",
    )
    .bind(channel_id)
    .bind(user_id)
    .bind(i64::from(hidden))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every member of an org with their org role and explicit role in `project_id`: the
/// candidates from which a channel's audience is computed.
pub async fn org_members_with_project_role(
    db: &Db,
    org_id: &str,
    project_id: Option<&str>,
) -> Result<Vec<(String, OrgRole, Option<ProjectRole>)>, sqlx::Error> {
    let rows = sqlx::query(
        "select om.user_id, om.role, pm.role as project_role from org_members om
         left join project_members pm on pm.project_id = $2 and pm.user_id = om.user_id
         where om.org_id = $1 order by om.user_id",
    )
    .bind(org_id)
    .bind(project_id.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            let project_role: Option<String> = row.try_get("project_role")?;
            Ok((
                row.try_get("user_id")?,
                parse_org_role(&role).ok_or_else(|| decode_error("org role", &role))?,
                project_role.as_deref().and_then(parse_project_role),
            ))
        })
        .collect()
}

/// Shows a channel again to whoever hid it: a DM that gets a message reappears for everyone in
/// it; a public channel for the user who posts there.
pub async fn unhide(
    tx: &mut Tx,
    channel_id: &str,
    user_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    let query = match user_id {
        Some(user_id) => sqlx::query(
            "update channel_user_state set hidden = 0
             where channel_id = $1 and user_id = $2 and hidden <> 0",
        )
        .bind(channel_id)
        .bind(user_id),
        None => sqlx::query(
            "update channel_user_state set hidden = 0 where channel_id = $1 and hidden <> 0",
        )
        .bind(channel_id),
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A channel with everything that decides a user's access to it, read in one query.
#[derive(Debug, Clone)]
pub struct AccessRow {
    pub channel: ChannelRow,
    /// The user's org role (`None`: not a member of the channel's org).
    pub org_role: Option<OrgRole>,
    /// The channel's project's visibility and default role (`None`: a DM, or the project is
    /// archived or gone).
    pub project: Option<(Visibility, ProjectRole)>,
    /// The user's explicit role in the project.
    pub explicit_role: Option<ProjectRole>,
    /// Whether the user is an explicit member of the channel.
    pub is_member: bool,
}

/// The channel and the user's relation to it.
pub async fn access_row(
    db: &Db,
    channel_id: &str,
    user_id: &str,
) -> Result<Option<AccessRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS}, om.role as org_role, p.visibility as project_visibility,
             p.default_role as project_default_role, pm.role as explicit_role,
             case when cm.user_id is null then 0 else 1 end as is_member
         from channels c
         left join org_members om on om.org_id = c.org_id and om.user_id = $2
         left join projects p on p.id = c.project_id and p.archived_at is null
         left join project_members pm on pm.project_id = c.project_id and pm.user_id = $2
         left join channel_members cm on cm.channel_id = c.id and cm.user_id = $2
         where c.id = $1"
    ));
    let row = sqlx::query(sql)
        .bind(channel_id)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let roles = joined_roles(&row)?;
    Ok(Some(AccessRow {
        channel: channel_from(&row)?,
        org_role: roles.org_role,
        project: roles.project,
        explicit_role: roles.explicit_role,
        is_member: row.try_get::<i64, _>("is_member")? != 0,
    }))
}

/// Every channel of an organisation (all kinds, archived ones too), oldest first: the
/// whole-organisation export writes each.
pub async fn in_org(db: &Db, org_id: &str) -> Result<Vec<ChannelRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from channels c where c.org_id = $1 order by c.created_at, c.id"
    ));
    let rows = sqlx::query(sql).bind(org_id).fetch_all(db.pool()).await?;
    rows.iter().map(channel_from).collect()
}
