//! The audit log: an append-only record of security and administrative events. An
//! organisation's owners and admins read the events *of that organisation* only; a member's
//! own events (log-ins with their address and user agent, password resets, tokens) belong to
//! no organisation and are never shown to one.

pub mod export;
pub mod routes;
pub mod store;

use serde::Serialize;

/// Event names, one place so that the log stays greppable and consistent.
pub mod action {
    pub const LOGIN_SUCCESS: &str = "login.success";
    pub const LOGIN_FAILURE: &str = "login.failure";
    /// A failure started a back-off (per address, or per address + account).
    pub const LOGIN_THROTTLED: &str = "login.throttled";
    /// An unlock link was e-mailed to a throttled account.
    pub const LOGIN_UNLOCK_SENT: &str = "login.unlock_sent";
    /// An unlock link was opened: the account's throttles were lifted.
    pub const LOGIN_UNLOCKED: &str = "login.unlocked";
    pub const LOGOUT: &str = "logout";
    pub const CREDENTIAL_REJECTED: &str = "auth.credential_rejected";
    pub const SIGNUP: &str = "user.signup";
    pub const EMAIL_VERIFICATION_SENT: &str = "email.verification_sent";
    pub const EMAIL_VERIFIED: &str = "email.verified";
    pub const EMAIL_VERIFICATION_REJECTED: &str = "email.verification_rejected";
    pub const PASSWORD_RESET_REQUESTED: &str = "password_reset.requested";
    pub const PASSWORD_RESET_COMPLETED: &str = "password_reset.completed";
    pub const PASSWORD_RESET_REJECTED: &str = "password_reset.rejected";
    /// The owner changed the password (knowing the current one).
    pub const PASSWORD_CHANGED: &str = "password.changed";
    /// A password change with a wrong current password (it counts as a failed log-in).
    pub const PASSWORD_CHANGE_REJECTED: &str = "password.change_rejected";
    pub const TOTP_ENROLMENT_STARTED: &str = "totp.enrolment_started";
    pub const TOTP_ENABLED: &str = "totp.enabled";
    pub const TOTP_DISABLED: &str = "totp.disabled";
    pub const TOTP_REJECTED: &str = "totp.rejected";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const SESSION_REVOKED: &str = "session.revoked";
    pub const ORG_CREATED: &str = "org.created";
    pub const ORG_RENAMED: &str = "org.renamed";
    pub const MEMBER_ADDED: &str = "member.added";
    pub const MEMBER_INVITED: &str = "member.invited";
    pub const INVITATION_ACCEPTED: &str = "invitation.accepted";
    pub const INVITATION_REVOKED: &str = "invitation.revoked";
    pub const MEMBER_ROLE_CHANGED: &str = "member.role_changed";
    pub const MEMBER_REMOVED: &str = "member.removed";
    pub const PROJECT_CREATED: &str = "project.created";
    pub const PROJECT_UPDATED: &str = "project.updated";
    pub const PROJECT_MEMBER_ADDED: &str = "project.member_added";
    pub const PROJECT_MEMBER_REMOVED: &str = "project.member_removed";
    pub const CHANNEL_CREATED: &str = "channel.created";
    pub const CHANNEL_UPDATED: &str = "channel.updated";
    pub const CHANNEL_MEMBER_ADDED: &str = "channel.member_added";
    pub const CHANNEL_MEMBER_REMOVED: &str = "channel.member_removed";
    pub const CHAT_SETTINGS_CHANGED: &str = "chat.settings_changed";
    /// A moderator deleted someone else's message.
    pub const MESSAGE_DELETED: &str = "message.deleted_by_moderator";
    /// A project manager changed someone else's time entry (it may be billed).
    pub const TIME_ENTRY_CHANGED: &str = "time_entry.changed_by_manager";
    /// A project manager deleted someone else's time entry.
    pub const TIME_ENTRY_DELETED: &str = "time_entry.deleted_by_manager";
    pub const MILESTONE_DELETED: &str = "milestone.deleted";
    pub const BOARD_CREATED: &str = "board.created";
    pub const BOARD_DELETED: &str = "board.deleted";
    pub const TASK_CREATED: &str = "task.created";
    pub const TASK_DELETED: &str = "task.deleted";
    pub const DOC_TEMPLATE_CREATED: &str = "doc_template.created";
    pub const DOC_TEMPLATE_UPDATED: &str = "doc_template.updated";
    pub const DOC_TEMPLATE_DELETED: &str = "doc_template.deleted";
}

/// An event to record.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub org_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Event<'a> {
    /// An event of `action` by `actor`.
    pub fn new(action: &'a str, actor_id: Option<&'a str>) -> Self {
        Self {
            action,
            actor_id,
            ..Self::default()
        }
    }

    /// In an organisation.
    pub fn org(mut self, org_id: &'a str) -> Self {
        self.org_id = Some(org_id);
        self
    }

    /// About a target.
    pub fn target(mut self, kind: &'a str, id: &'a str) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id);
        self
    }

    /// The state before and after a change.
    pub fn change(mut self, before: Option<impl Serialize>, after: Option<impl Serialize>) -> Self {
        self.before = before.and_then(|b| serde_json::to_value(b).ok());
        self.after = after.and_then(|a| serde_json::to_value(a).ok());
        self
    }
}
