//! Role names and a user's effective role in a project.

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};

/// A user's effective role in a project, or `None` when they cannot see it.
///
/// Org owners and admins manage every project. Otherwise an explicit project role always
/// decides. Without one, an open project gives org members its default role — capped at
/// viewer for org viewers — and guests see only projects they were added to.
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
    role.as_str()
}

/// Reads an org role stored in the database.
pub fn parse_org_role(name: &str) -> Option<OrgRole> {
    Some(match name {
        "owner" => OrgRole::Owner,
        "admin" => OrgRole::Admin,
        "member" => OrgRole::Member,
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

    #[test]
    fn effective_roles() {
        use OrgRole::*;
        use Visibility::{Open, Private};
        let editor = ProjectRole::Editor;
        assert_eq!(
            effective_role(Admin, Some(ProjectRole::Viewer), Private, editor),
            Some(ProjectRole::Manager)
        );
        assert_eq!(effective_role(Member, None, Open, editor), Some(editor));
        assert_eq!(
            effective_role(Member, Some(ProjectRole::Viewer), Open, editor),
            Some(ProjectRole::Viewer)
        );
        assert_eq!(effective_role(Member, None, Private, editor), None);
        assert_eq!(
            effective_role(Viewer, None, Open, editor),
            Some(ProjectRole::Viewer)
        );
        assert_eq!(effective_role(Guest, None, Open, editor), None);
        assert_eq!(
            effective_role(Guest, Some(ProjectRole::Commenter), Private, editor),
            Some(ProjectRole::Commenter)
        );
    }

    #[test]
    fn names_round_trip() {
        for role in super::super::model::BASE_ROLES {
            assert_eq!(parse_org_role(org_role_name(role)), Some(role));
        }
        for role in super::super::model::PROJECT_ROLES {
            assert_eq!(parse_project_role(project_role_name(role)), Some(role));
        }
        assert_eq!(parse_org_role("accountant"), None);
    }
}
