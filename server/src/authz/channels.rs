//! Channels and their messages: who can see a channel, and the role each member acts with in
//! it. A project channel's role is the member's effective project role; a direct message has
//! no project, so its members act as `editor` there — org owners and admins as `manager`, who
//! may moderate any conversation of their org. What each role may then do is the table's.

use atrium_client::wire::{Can, ChannelKind, OrgRole, ProjectRole};

use super::model::{Action, ResourceKind};
use super::policy::{Policy, Resource, Subject};
use super::{OrgAccess, forbidden};
use crate::error::Result;

/// Whether a channel is visible: a direct message to its members; a project channel to those
/// who see its project — and, if private, only to its explicit members; a task's discussion to
/// those who see the task's project; a record's discussion to those who may read the record
/// (`project_visible` then says that: a record belongs to no project, see
/// [`crate::records::discussion`]).
pub fn visible(kind: ChannelKind, private: bool, is_member: bool, project_visible: bool) -> bool {
    match kind {
        ChannelKind::Dm => is_member,
        ChannelKind::Channel => project_visible && (!private || is_member),
        ChannelKind::Task | ChannelKind::Record => project_visible,
    }
}

/// The role a member acts with in a channel they can see.
pub fn channel_role(
    org_role: OrgRole,
    kind: ChannelKind,
    project_role: Option<ProjectRole>,
) -> Option<ProjectRole> {
    match kind {
        // A record's discussion passes the role its record gives (see `records::discussion`).
        ChannelKind::Channel | ChannelKind::Task | ChannelKind::Record => project_role,
        ChannelKind::Dm if matches!(org_role, OrgRole::Owner | OrgRole::Admin) => {
            Some(ProjectRole::Manager)
        }
        ChannelKind::Dm => Some(ProjectRole::Editor),
    }
}

/// Whether a member may mention a whole channel (`@channel`, `@all`, `@here`): the org's chat
/// settings list the base roles that may.
pub fn may_mention_all(org_role: OrgRole, allowed: &[OrgRole]) -> bool {
    allowed.contains(&org_role)
}

/// A member's standing in one channel they can see, to decide about it and its messages.
#[derive(Debug, Clone)]
pub struct ChannelGrant {
    pub subject: Subject,
    pub policy: Policy,
    /// The channel's creator (who may manage it while they may post).
    pub created_by: String,
}

impl ChannelGrant {
    /// The grant of `org` (the caller's membership) in a channel of `kind`.
    pub fn new(
        org: OrgAccess,
        kind: ChannelKind,
        project_role: Option<ProjectRole>,
        created_by: &str,
    ) -> Self {
        let role = channel_role(org.role, kind, project_role);
        Self {
            subject: Subject {
                project_role: role,
                ..org.subject
            },
            policy: org.policy,
            created_by: created_by.to_owned(),
        }
    }

    fn channel(&self) -> Resource<'_> {
        Resource::owned_by(ResourceKind::Channel, &self.created_by)
    }

    /// May post, reply and react.
    pub fn may_post(&self) -> bool {
        self.policy.may(
            &self.subject,
            Action::Comment,
            Resource::new(ResourceKind::Channel),
        )
    }

    /// May rename, archive and add members.
    pub fn may_manage(&self) -> bool {
        self.policy
            .may(&self.subject, Action::Manage, self.channel())
    }

    /// May do `action` on a message by `author`.
    pub fn may_on_message(&self, action: Action, author: &str) -> bool {
        self.policy.may(
            &self.subject,
            action,
            Resource::owned_by(ResourceKind::Message, author),
        )
    }

    /// 403 unless the caller may do `action` on a message by `author`.
    pub fn require_on_message(&self, action: Action, author: &str) -> Result<()> {
        if self.may_on_message(action, author) {
            Ok(())
        } else {
            Err(forbidden(action, ResourceKind::Message))
        }
    }

    /// The `can` flags of the channel.
    pub fn can(&self) -> Can {
        self.policy.can(&self.subject, self.channel())
    }

    /// The `can` flags of a message by `author`.
    pub fn message_can(&self, author: &str) -> Can {
        self.policy.can(
            &self.subject,
            Resource::owned_by(ResourceKind::Message, author),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility() {
        use ChannelKind::*;
        assert!(visible(Channel, false, false, true));
        assert!(!visible(Channel, false, true, false));
        assert!(!visible(Channel, true, false, true));
        assert!(visible(Channel, true, true, true));
        assert!(visible(Dm, true, true, false));
        assert!(!visible(Dm, true, false, true));
    }
}
