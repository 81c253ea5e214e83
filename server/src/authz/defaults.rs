//! The built-in rows of the role × resource type × action table. An organisation's overrides
//! (`org_permissions`) replace single rows of it; anything not listed here is not allowed.
//!
//! Rows of project resources name project roles (the caller's effective role in the project,
//! see [`super::roles::effective_role`]); rows of the organisation, record types and records
//! name base org roles. Business roles have no default rows: an org grants them what they need.

use super::model::Action::{self, *};
use super::model::ResourceKind::{self, *};
use super::model::Scope::{self, *};
use super::model::{CONTENT_ACTIONS, ORG_ACTIONS, RECORD_ACTIONS, RECORD_TYPE_ACTIONS};

/// One default row: `role` may do `actions` on `kind` with `scope`.
pub struct Row {
    pub role: &'static str,
    pub kind: ResourceKind,
    pub actions: &'static [Action],
    pub scope: Scope,
}

const fn row(
    role: &'static str,
    kind: ResourceKind,
    actions: &'static [Action],
    scope: Scope,
) -> Row {
    Row {
        role,
        kind,
        actions,
        scope,
    }
}

/// Everything on the organisation but deleting it (the owners' alone).
const ADMIN_ORG: &[Action] = &[
    Read,
    CreateProject,
    InviteMembers,
    ManageMembers,
    ReadAudit,
    ReadJobs,
    ManagePermissions,
];

/// The default table.
pub const ROWS: &[Row] = &[
    // The organisation itself.
    row("owner", Org, ORG_ACTIONS, All),
    row("admin", Org, ADMIN_ORG, All),
    row("member", Org, &[Read, CreateProject], All),
    row("viewer", Org, &[Read], All),
    row("guest", Org, &[Read], All),
    // Projects: managers change settings and members.
    row("manager", Project, CONTENT_ACTIONS, All),
    row("editor", Project, &[Read, Comment, Write], All),
    row("commenter", Project, &[Read, Comment], All),
    row("viewer", Project, &[Read], All),
    // Channels: writing creates one; its creator manages it while they may post; managers
    // moderate every channel. In a direct message its members hold `editor`, org owners and
    // admins `manager`.
    row("manager", Channel, CONTENT_ACTIONS, All),
    row("editor", Channel, &[Read, Comment, Write], All),
    row("editor", Channel, &[Manage, Delete], Own),
    row("commenter", Channel, &[Read, Comment], All),
    row("commenter", Channel, &[Manage, Delete], Own),
    row("viewer", Channel, &[Read], All),
    // Messages: comment is replying and reacting; only the author edits; manage (reading the
    // edit history) and delete are the author's or a moderator's. A viewer who wrote a message
    // before losing the right to post may still delete it and read its history.
    row("manager", Message, &[Read, Comment, Manage, Delete], All),
    row("manager", Message, &[Write], Own),
    row("editor", Message, &[Read, Comment], All),
    row("editor", Message, &[Write, Manage, Delete], Own),
    row("commenter", Message, &[Read, Comment], All),
    row("commenter", Message, &[Write, Manage, Delete], Own),
    row("viewer", Message, &[Read], All),
    row("viewer", Message, &[Manage, Delete], Own),
    // Documents, files, boards and tasks.
    row("manager", Document, CONTENT_ACTIONS, All),
    row("editor", Document, &[Read, Comment, Write, Delete], All),
    row("commenter", Document, &[Read, Comment], All),
    row("viewer", Document, &[Read], All),
    row("manager", File, CONTENT_ACTIONS, All),
    row("editor", File, &[Read, Comment, Write, Delete], All),
    row("commenter", File, &[Read, Comment], All),
    row("viewer", File, &[Read], All),
    row("manager", Board, CONTENT_ACTIONS, All),
    row("editor", Board, &[Read, Comment, Write], All),
    row("commenter", Board, &[Read, Comment], All),
    row("viewer", Board, &[Read], All),
    row("manager", Task, CONTENT_ACTIONS, All),
    row("editor", Task, &[Read, Comment, Write, Delete], All),
    row("commenter", Task, &[Read, Comment], All),
    row("viewer", Task, &[Read], All),
    // Record types and records: owners and admins run them; members and viewers read the
    // types (org-wide data is for the org's own people, not guests, who see only what they were
    // added to); what business roles do with records is granted per org.
    row("owner", RecordType, RECORD_TYPE_ACTIONS, All),
    row("admin", RecordType, RECORD_TYPE_ACTIONS, All),
    row("member", RecordType, &[Read], All),
    row("viewer", RecordType, &[Read], All),
    row("owner", Record, RECORD_ACTIONS, All),
    row("admin", Record, RECORD_ACTIONS, All),
];

/// The default scope of one (role, kind, action) cell.
pub fn scope(role: &str, kind: ResourceKind, action: Action) -> Scope {
    ROWS.iter()
        .find(|row| row.role == role && row.kind == kind && row.actions.contains(&action))
        .map_or(Scope::None, |row| row.scope)
}
