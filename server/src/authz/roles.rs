//! Roles and the pure rules over them.

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};

use crate::projects::store::ProjectRow;

/// What can be done at the organisation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgAction {
    /// See the organisation, its member list and the projects open to the caller.
    Read,
    /// Create a project.
    CreateProject,
    /// Add, invite, re-role and remove members; manage every project.
    ManageMembers,
    /// Read the audit log.
    ReadAudit,
    /// See the organisation's background jobs (state, attempts, last error; never payloads).
    ReadJobs,
}

/// What can be done inside a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectAction {
    /// Read everything in it.
    Read,
    /// Comment, react and chat.
    Comment,
    /// Create and change content.
    Write,
    /// Change the project's settings and members.
    Manage,
}

/// Whether an org role allows an org-level action.
pub fn org_allows(role: OrgRole, action: OrgAction) -> bool {
    use OrgRole::*;
    match action {
        OrgAction::Read => true,
        OrgAction::CreateProject => matches!(role, Owner | Admin | Member),
        OrgAction::ManageMembers | OrgAction::ReadAudit | OrgAction::ReadJobs => {
            matches!(role, Owner | Admin)
        }
    }
}

/// Whether a project role allows a project action.
pub fn project_allows(role: ProjectRole, action: ProjectAction) -> bool {
    use ProjectRole::*;
    match action {
        ProjectAction::Read => true,
        ProjectAction::Comment => matches!(role, Manager | Editor | Commenter),
        ProjectAction::Write => matches!(role, Manager | Editor),
        ProjectAction::Manage => role == Manager,
    }
}

/// A user's effective role in a project, or `None` when they cannot see it.
///
/// Org owners and admins manage every project. Otherwise an explicit project role always
/// decides. Without one, an open project gives org members its default role — capped at
/// viewer for org viewers — and guests see only projects they were added to.
pub fn effective_project_role(
    org_role: OrgRole,
    explicit: Option<ProjectRole>,
    project: &ProjectRow,
) -> Option<ProjectRole> {
    effective_role(org_role, explicit, project.visibility, project.default_role)
}

/// [`effective_project_role`] from the two project settings it depends on.
pub fn effective_role(
    org_role: OrgRole,
    explicit: Option<ProjectRole>,
    visibility: Visibility,
    default_role: ProjectRole,
) -> Option<ProjectRole> {
    if matches!(org_role, OrgRole::Owner | OrgRole::Admin) {
        return Some(ProjectRole::Manager);
    }
    if explicit.is_some() {
        return explicit;
    }
    match (visibility, org_role) {
        (Visibility::Private, _) | (_, OrgRole::Guest) => None,
        (Visibility::Open, OrgRole::Viewer) => Some(ProjectRole::Viewer),
        (Visibility::Open, _) => Some(default_role),
    }
}

/// The database and wire name of an org role.
pub fn org_role_name(role: OrgRole) -> &'static str {
    match role {
        OrgRole::Owner => "owner",
        OrgRole::Admin => "admin",
        OrgRole::Member => "member",
        OrgRole::Accountant => "accountant",
        OrgRole::Viewer => "viewer",
        OrgRole::Guest => "guest",
    }
}

/// Reads an org role stored in the database.
pub fn parse_org_role(name: &str) -> Option<OrgRole> {
    Some(match name {
        "owner" => OrgRole::Owner,
        "admin" => OrgRole::Admin,
        "member" => OrgRole::Member,
        "accountant" => OrgRole::Accountant,
        "viewer" => OrgRole::Viewer,
        "guest" => OrgRole::Guest,
        _ => return None,
    })
}

/// The database and wire name of a project role.
pub fn project_role_name(role: ProjectRole) -> &'static str {
    match role {
        ProjectRole::Manager => "manager",
        ProjectRole::Editor => "editor",
        ProjectRole::Commenter => "commenter",
        ProjectRole::Viewer => "viewer",
    }
}

/// Reads a project role stored in the database.
pub fn parse_project_role(name: &str) -> Option<ProjectRole> {
    Some(match name {
        "manager" => ProjectRole::Manager,
        "editor" => ProjectRole::Editor,
        "commenter" => ProjectRole::Commenter,
        "viewer" => ProjectRole::Viewer,
        _ => return None,
    })
}

/// The database name of a visibility.
pub fn visibility_name(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Open => "open",
        Visibility::Private => "private",
    }
}

/// Reads a visibility stored in the database.
pub fn parse_visibility(name: &str) -> Option<Visibility> {
    match name {
        "open" => Some(Visibility::Open),
        "private" => Some(Visibility::Private),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(visibility: Visibility) -> ProjectRow {
        ProjectRow {
            id: "p".into(),
            org_id: "o".into(),
            name: "P".into(),
            description: String::new(),
            visibility,
            default_role: ProjectRole::Editor,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn effective_roles() {
        let open = project(Visibility::Open);
        let private = project(Visibility::Private);
        use OrgRole::*;
        assert_eq!(
            effective_project_role(Admin, Some(ProjectRole::Viewer), &private),
            Some(ProjectRole::Manager)
        );
        assert_eq!(
            effective_project_role(Member, None, &open),
            Some(ProjectRole::Editor)
        );
        assert_eq!(
            effective_project_role(Member, Some(ProjectRole::Viewer), &open),
            Some(ProjectRole::Viewer)
        );
        assert_eq!(effective_project_role(Member, None, &private), None);
        assert_eq!(
            effective_project_role(Viewer, None, &open),
            Some(ProjectRole::Viewer)
        );
        assert_eq!(effective_project_role(Guest, None, &open), None);
        assert_eq!(
            effective_project_role(Guest, Some(ProjectRole::Commenter), &private),
            Some(ProjectRole::Commenter)
        );
    }

    #[test]
    fn names_round_trip() {
        for role in [
            OrgRole::Owner,
            OrgRole::Admin,
            OrgRole::Member,
            OrgRole::Accountant,
            OrgRole::Viewer,
            OrgRole::Guest,
        ] {
            assert_eq!(parse_org_role(org_role_name(role)), Some(role));
        }
        for role in [
            ProjectRole::Manager,
            ProjectRole::Editor,
            ProjectRole::Commenter,
            ProjectRole::Viewer,
        ] {
            assert_eq!(parse_project_role(project_role_name(role)), Some(role));
        }
    }

    #[test]
    fn viewers_only_read() {
        assert!(project_allows(ProjectRole::Viewer, ProjectAction::Read));
        assert!(!project_allows(ProjectRole::Viewer, ProjectAction::Comment));
        assert!(!project_allows(
            ProjectRole::Commenter,
            ProjectAction::Write
        ));
        assert!(!org_allows(OrgRole::Viewer, OrgAction::CreateProject));
        assert!(!org_allows(OrgRole::Member, OrgAction::ManageMembers));
    }
}
