//! The vocabulary of the policy: resource kinds, actions, scopes, and the role names a table
//! row may name.

use atrium_client::wire::{OrgRole, ProjectRole};

/// A kind of resource the policy decides about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Org,
    Project,
    Channel,
    Message,
    Document,
    File,
    Board,
    Task,
    RecordType,
    Record,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 10] = [
        Self::Org,
        Self::Project,
        Self::Channel,
        Self::Message,
        Self::Document,
        Self::File,
        Self::Board,
        Self::Task,
        Self::RecordType,
        Self::Record,
    ];

    /// The name in the table and on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Org => "org",
            Self::Project => "project",
            Self::Channel => "channel",
            Self::Message => "message",
            Self::Document => "document",
            Self::File => "file",
            Self::Board => "board",
            Self::Task => "task",
            Self::RecordType => "record_type",
            Self::Record => "record",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Whether resources of this kind live in a project: their base rows name project roles
    /// (the caller's effective role in the project); the others' name base org roles.
    pub fn in_project(self) -> bool {
        !matches!(self, Self::Org | Self::RecordType | Self::Record)
    }

    /// The actions meaningful for this kind (what its `can` flags and table rows may name).
    pub fn actions(self) -> &'static [Action] {
        match self {
            Self::Org => ORG_ACTIONS,
            Self::Record => RECORD_ACTIONS,
            Self::RecordType => RECORD_TYPE_ACTIONS,
            _ => CONTENT_ACTIONS,
        }
    }
}

/// Something a subject may do. The first five apply to every kind; `transition, export,
/// import` to records; the rest are organisation-level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Read,
    Comment,
    Write,
    Manage,
    Delete,
    Transition,
    Export,
    Import,
    /// Create a project in the organisation.
    CreateProject,
    /// Invite people to the organisation.
    InviteMembers,
    /// Re-role and remove members, list and revoke invitations; manage every project.
    ManageMembers,
    /// Read the audit log.
    ReadAudit,
    /// Read the organisation's background jobs.
    ReadJobs,
    /// Define business roles and edit the permission table.
    ManagePermissions,
}

/// The actions on the organisation itself.
pub const ORG_ACTIONS: &[Action] = &[
    Action::Read,
    Action::Delete,
    Action::CreateProject,
    Action::InviteMembers,
    Action::ManageMembers,
    Action::ReadAudit,
    Action::ReadJobs,
    Action::ManagePermissions,
];
/// The actions on a record.
pub const RECORD_ACTIONS: &[Action] = &[
    Action::Read,
    Action::Comment,
    Action::Write,
    Action::Manage,
    Action::Delete,
    Action::Transition,
    Action::Export,
    Action::Import,
];
/// The actions on a record type.
pub const RECORD_TYPE_ACTIONS: &[Action] = &[
    Action::Read,
    Action::Write,
    Action::Manage,
    Action::Delete,
    Action::Export,
    Action::Import,
];
/// The actions on everything else (projects, channels, messages, documents, files, boards,
/// tasks).
pub const CONTENT_ACTIONS: &[Action] = &[
    Action::Read,
    Action::Comment,
    Action::Write,
    Action::Manage,
    Action::Delete,
];

impl Action {
    pub const ALL: [Action; 14] = [
        Self::Read,
        Self::Comment,
        Self::Write,
        Self::Manage,
        Self::Delete,
        Self::Transition,
        Self::Export,
        Self::Import,
        Self::CreateProject,
        Self::InviteMembers,
        Self::ManageMembers,
        Self::ReadAudit,
        Self::ReadJobs,
        Self::ManagePermissions,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Comment => "comment",
            Self::Write => "write",
            Self::Manage => "manage",
            Self::Delete => "delete",
            Self::Transition => "transition",
            Self::Export => "export",
            Self::Import => "import",
            Self::CreateProject => "create_project",
            Self::InviteMembers => "invite_members",
            Self::ManageMembers => "manage_members",
            Self::ReadAudit => "read_audit",
            Self::ReadJobs => "read_jobs",
            Self::ManagePermissions => "manage_permissions",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.name() == name)
    }
}

/// How far a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every resource of the kind the subject can reach.
    All,
    /// Only resources the subject owns (authored, created, uploaded).
    Own,
    /// Nothing: an override that takes a default grant away.
    None,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Own => "own",
            Self::None => "none",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "all" => Some(Self::All),
            "own" => Some(Self::Own),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// The built-in business roles, held besides a base org role.
pub const BUILT_IN_BUSINESS_ROLES: [(&str, &str); 5] = [
    ("accountant", "Books, invoices and payments"),
    ("sales", "Customers, deals and quotes"),
    ("support", "Customer requests"),
    ("hr", "People and their records"),
    ("production", "Orders and their manufacture"),
];

/// The base org roles.
pub const BASE_ROLES: [OrgRole; 5] = [
    OrgRole::Owner,
    OrgRole::Admin,
    OrgRole::Member,
    OrgRole::Viewer,
    OrgRole::Guest,
];

/// The project roles.
pub const PROJECT_ROLES: [ProjectRole; 4] = [
    ProjectRole::Manager,
    ProjectRole::Editor,
    ProjectRole::Commenter,
    ProjectRole::Viewer,
];

/// Whether `name` may name a business role: 2–32 lowercase letters, digits, `_` or `-`,
/// starting with a letter, and not the name of a base or project role (a table row names
/// either, so they must not collide).
pub fn valid_business_role_name(name: &str) -> bool {
    let shape = (2..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    shape
        && super::roles::parse_org_role(name).is_none()
        && super::roles::parse_project_role(name).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(kind.name()), Some(kind));
        }
        for action in Action::ALL {
            assert_eq!(Action::parse(action.name()), Some(action));
        }
        for scope in [Scope::All, Scope::Own, Scope::None] {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
        }
    }

    #[test]
    fn business_role_names() {
        assert!(valid_business_role_name("accountant"));
        assert!(valid_business_role_name("field-sales_2"));
        assert!(!valid_business_role_name("admin"));
        assert!(!valid_business_role_name("editor"));
        assert!(!valid_business_role_name("A"));
        assert!(!valid_business_role_name("Sales"));
    }
}
