//! Who may see, post in, manage and moderate a channel, and who its audience is.
//!
//! The rule (see [`model::channel_visible`]) is applied here for requests and in
//! [`crate::events::access`] for sockets, from the same inputs: org membership, the effective
//! project role ([`roles::effective_project_role`]) and explicit channel membership. A channel
//! the caller cannot see answers 404, like every resource they may not know of.

use std::collections::HashSet;

use atrium_client::wire::{ChannelKind, OrgRole, ProjectRole};

use super::model::{self, ChannelRow};
use super::store::channels as store;
use crate::authz::roles::{self, ProjectAction};
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::projects::store as project_store;

/// The caller's access to a channel they can see.
#[derive(Debug, Clone)]
pub struct ChannelAccess {
    pub channel: ChannelRow,
    pub org_role: OrgRole,
    /// The effective project role (project channels).
    pub project_role: Option<ProjectRole>,
    pub is_member: bool,
}

impl ChannelAccess {
    /// May post, reply and react: any DM member; in a project, roles that may comment.
    pub fn may_post(&self) -> bool {
        match self.channel.kind {
            ChannelKind::Dm => true,
            ChannelKind::Channel => self
                .project_role
                .is_some_and(|role| roles::project_allows(role, ProjectAction::Comment)),
        }
    }

    /// May delete others' messages: org owners and admins, and the project's managers.
    pub fn may_moderate(&self) -> bool {
        matches!(self.org_role, OrgRole::Owner | OrgRole::Admin)
            || (self.channel.kind == ChannelKind::Channel
                && self.project_role == Some(ProjectRole::Manager))
    }

    /// May rename, archive and add members: moderators and the channel's creator.
    pub fn may_manage(&self, user_id: &str) -> bool {
        self.may_moderate() || (self.channel.created_by == user_id && self.may_post())
    }

    /// 403 unless the caller may post, 409 when the channel is archived.
    pub fn require_post(&self) -> Result<()> {
        if !self.may_post() {
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
    row.and_then(decide).ok_or(ApiError::NotFound("channel"))
}

/// The user's access to `channel`, or `None` when they cannot see it.
pub async fn access_to(
    db: &Db,
    user_id: &str,
    channel: ChannelRow,
) -> Result<Option<ChannelAccess>> {
    Ok(store::access_row(db, &channel.id, user_id)
        .await?
        .and_then(decide))
}

/// Applies the visibility rule to what [`store::access_row`] read.
fn decide(row: store::AccessRow) -> Option<ChannelAccess> {
    let org_role = row.org_role?;
    let project_role = row.project.and_then(|(visibility, default_role)| {
        roles::effective_role(org_role, row.explicit_role, visibility, default_role)
    });
    let is_member = row.channel.has_explicit_members() && row.is_member;
    model::channel_visible(
        row.channel.kind,
        row.channel.private,
        is_member,
        project_role.is_some(),
    )
    .then_some(ChannelAccess {
        channel: row.channel,
        org_role,
        project_role,
        is_member,
    })
}

/// Everyone who can see the channel now, each with their org role.
pub async fn audience(db: &Db, channel: &ChannelRow) -> Result<Vec<(String, OrgRole)>> {
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
        Some(project_id) => project_store::find(db, project_id).await?,
        None => None,
    };
    Ok(candidates
        .into_iter()
        .filter(|(user_id, org_role, explicit)| {
            let project_visible = project.as_ref().is_some_and(|project| {
                roles::effective_project_role(*org_role, *explicit, project).is_some()
            });
            model::channel_visible(
                channel.kind,
                channel.private,
                members.contains(user_id),
                project_visible,
            )
        })
        .map(|(user_id, org_role, _)| (user_id, org_role))
        .collect())
}

/// The channels of an org the user can see, with their state, and the projects they read.
pub async fn visible_channels(
    db: &Db,
    user_id: &str,
    org_id: &str,
    org_role: OrgRole,
) -> Result<(Vec<store::ChannelForUser>, HashSet<String>), sqlx::Error> {
    let mut projects = HashSet::new();
    for (project, explicit) in project_store::list_in_org(db, org_id, user_id).await? {
        if roles::effective_project_role(org_role, explicit, &project).is_some() {
            projects.insert(project.id);
        }
    }
    let channels = store::list_for_user(db, org_id, None, user_id)
        .await?
        .into_iter()
        .filter(|entry| {
            let channel = &entry.channel;
            let project_visible = channel
                .project_id
                .as_ref()
                .is_some_and(|p| projects.contains(p));
            model::channel_visible(
                channel.kind,
                channel.private,
                entry.is_member,
                project_visible,
            )
        })
        .collect();
    Ok((channels, projects))
}
