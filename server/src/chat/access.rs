//! The caller's access to a channel, and who its audience is: the data is loaded here, the
//! decisions are [`crate::authz::channels`]'s. A channel the caller cannot see answers 404,
//! like every resource they may not know of. A record's discussion follows its record: the
//! records domain says who reads it and with which role ([`crate::records::discussion`]).

use std::collections::{HashMap, HashSet};

use atrium_client::wire::{Can, ChannelKind, OrgRole, ProjectRole};

use super::model::ChannelRow;
use super::store::channels as store;
use crate::authz::channels::{self as rules, ChannelGrant};
use crate::authz::roles::effective_role;
use crate::authz::{self, Action};
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::events::Audience;
use crate::projects::store::{self as project_store, ProjectRow};

/// The caller's access to a channel they can see.
#[derive(Debug, Clone)]
pub struct ChannelAccess {
    pub channel: ChannelRow,
    pub org_role: OrgRole,
    /// The effective project role (project channels).
    pub project_role: Option<ProjectRole>,
    pub is_member: bool,
    pub grant: ChannelGrant,
}

impl ChannelAccess {
    /// 403 unless the caller may do `action` on a message by `author`.
    pub fn require_on_message(&self, action: Action, author: &str) -> Result<()> {
        self.grant.require_on_message(action, author)
    }

    /// The caller's `can` flags on the channel.
    pub fn can(&self) -> Can {
        self.grant.can()
    }

    /// The caller's `can` flags on a message by `author`.
    pub fn message_can(&self, author: &str) -> Can {
        self.grant.message_can(author)
    }

    /// 403 unless the caller may post, 409 when the channel is archived.
    pub fn require_post(&self) -> Result<()> {
        if !self.grant.may_post() {
            return Err(ApiError::Forbidden(
                "your role in this project does not allow posting".into(),
            ));
        }
        self.require_not_archived()
    }

    /// 409 when the channel is archived (read-only).
    pub fn require_not_archived(&self) -> Result<()> {
        if self.channel.archived_at.is_some() {
            return Err(ApiError::Conflict {
                code: "channel_archived",
                message: "the channel is archived and read-only".into(),
            });
        }
        Ok(())
    }
}

/// The caller's access to `channel_id`; 404 when it does not exist or they cannot see it.
pub async fn require_channel(db: &Db, user_id: &str, channel_id: &str) -> Result<ChannelAccess> {
    let row = store::access_row(db, channel_id, user_id).await?;
    match row {
        Some(row) => decide(db, user_id, row).await?,
        None => None,
    }
    .ok_or(ApiError::NotFound("channel"))
}

/// The user's access to `channel`, or `None` when they cannot see it.
pub async fn access_to(
    db: &Db,
    user_id: &str,
    channel: ChannelRow,
) -> Result<Option<ChannelAccess>> {
    match store::access_row(db, &channel.id, user_id).await? {
        Some(row) => decide(db, user_id, row).await,
        None => Ok(None),
    }
}

/// Asks authz about what [`store::access_row`] read.
async fn decide(db: &Db, user_id: &str, row: store::AccessRow) -> Result<Option<ChannelAccess>> {
    let Some(org_role) = row.org_role else {
        return Ok(None);
    };
    let mut org = None;
    let project_role = if row.channel.kind == ChannelKind::Record {
        let access = authz::member_access(db, user_id, &row.channel.org_id, org_role).await?;
        let role = crate::records::discussion::role(db, &access, &row.channel.id).await?;
        org = Some(access);
        role
    } else {
        row.project.and_then(|(visibility, default_role)| {
            effective_role(org_role, row.explicit_role, visibility, default_role)
        })
    };
    let is_member = row.channel.has_explicit_members() && row.is_member;
    if !rules::visible(
        row.channel.kind,
        row.channel.private,
        is_member,
        project_role.is_some(),
    ) {
        return Ok(None);
    }
    let org = match org {
        Some(org) => org,
        None => authz::member_access(db, user_id, &row.channel.org_id, org_role).await?,
    };
    let grant = ChannelGrant::new(org, row.channel.kind, project_role, &row.channel.created_by);
    Ok(Some(ChannelAccess {
        channel: row.channel,
        org_role,
        project_role,
        is_member,
        grant,
    }))
}

/// Everyone who can see the channel now, each with their org role.
pub async fn audience(db: &Db, channel: &ChannelRow) -> Result<Vec<(String, OrgRole)>> {
    if channel.kind == ChannelKind::Record {
        return crate::records::discussion::readers(db, &channel.org_id, &channel.id).await;
    }
    let candidates =
        store::org_members_with_project_role(db, &channel.org_id, channel.project_id.as_deref())
            .await?;
    let members: HashSet<String> = if channel.has_explicit_members() {
        store::member_ids(db, &channel.id)
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let project = match &channel.project_id {
        Some(project_id) => authz::store::project(db, project_id).await?,
        None => None,
    };
    Ok(candidates
        .into_iter()
        .filter(|(user_id, org_role, explicit)| {
            let project_visible = project.as_ref().is_some_and(|project| {
                effective_role(
                    *org_role,
                    *explicit,
                    project.visibility,
                    project.default_role,
                )
                .is_some()
            });
            rules::visible(
                channel.kind,
                channel.private,
                members.contains(user_id),
                project_visible,
            )
        })
        .map(|(user_id, org_role, _)| (user_id, org_role))
        .collect())
}

/// Where a channel's message events go: the sockets that track the channel. Discussions are
/// tracked by no socket (an org may have a discussion per task and per record): a task's goes
/// to whoever sees the task's project, whom its channel is open to; a record's to each member
/// who may read the record, one user audience each.
pub async fn event_audiences(db: &Db, channel: &ChannelRow) -> Result<Vec<Audience>> {
    match (channel.kind, &channel.project_id) {
        (ChannelKind::Record, _) => Ok(audience(db, channel)
            .await?
            .into_iter()
            .map(|(user_id, _)| Audience::User(user_id))
            .collect()),
        (ChannelKind::Task, Some(project_id)) => {
            Ok(vec![Audience::TaskDiscussion(project_id.clone())])
        }
        _ => Ok(vec![Audience::Channel(channel.id.clone())]),
    }
}

/// What an event socket tracks in an org: the chat channels and direct messages the user can
/// see, by id, and the projects they see with their effective role in each. Discussions are
/// not listed: their events are addressed by project or user ([`event_audiences`]).
pub async fn socket_channels(
    db: &Db,
    user_id: &str,
    org_id: &str,
    org_role: OrgRole,
) -> Result<(Vec<String>, HashMap<String, ProjectRole>), sqlx::Error> {
    let listed = project_store::list_in_org(db, org_id, user_id).await?;
    let projects = readable_projects(org_role, &listed);
    let channels = store::listed_for_user(db, org_id, user_id)
        .await?
        .into_iter()
        .filter(|channel| {
            let project_visible = channel
                .project_id
                .as_ref()
                .is_some_and(|p| projects.contains_key(p));
            rules::visible(
                channel.kind,
                channel.private,
                channel.is_member,
                project_visible,
            )
        })
        .map(|channel| channel.id)
        .collect();
    Ok((channels, projects))
}

/// The projects among `listed` the user sees, with their effective role in each.
fn readable_projects(
    org_role: OrgRole,
    listed: &[(ProjectRow, Option<ProjectRole>)],
) -> HashMap<String, ProjectRole> {
    listed
        .iter()
        .filter_map(|(project, explicit)| {
            let role = effective_role(
                org_role,
                *explicit,
                project.visibility,
                project.default_role,
            )?;
            Some((project.id.clone(), role))
        })
        .collect()
}

/// The channels of an org the user can see, with their state, and the projects they read with
/// their effective role in each.
pub async fn visible_channels(
    db: &Db,
    user_id: &str,
    org_id: &str,
    org_role: OrgRole,
) -> Result<(Vec<store::ChannelForUser>, HashMap<String, ProjectRole>), sqlx::Error> {
    let listed = project_store::list_in_org(db, org_id, user_id).await?;
    visible_channels_among(db, user_id, org_id, org_role, &listed).await
}

/// [`visible_channels`] given the org's projects with the user's explicit role in each, as
/// [`project_store::list_in_org`] read them (for a caller that needs them too).
pub async fn visible_channels_among(
    db: &Db,
    user_id: &str,
    org_id: &str,
    org_role: OrgRole,
    listed: &[(ProjectRow, Option<ProjectRole>)],
) -> Result<(Vec<store::ChannelForUser>, HashMap<String, ProjectRole>), sqlx::Error> {
    let projects = readable_projects(org_role, listed);
    let channels = store::list_for_user(db, org_id, None, user_id)
        .await?
        .into_iter()
        .filter(|entry| {
            let channel = &entry.channel;
            let project_visible = channel
                .project_id
                .as_ref()
                .is_some_and(|p| projects.contains_key(p));
            rules::visible(
                channel.kind,
                channel.private,
                entry.is_member,
                project_visible,
            )
        })
        .collect();
    Ok((channels, projects))
}
