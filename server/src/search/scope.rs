//! What a caller may read in an organisation, as the index's [`Scope`].
//!
//! Built from the database for every query, with the same rules as the rest of the API
//! ([`crate::authz`], [`crate::chat::access`]): a change of org role, project membership,
//! project visibility or channel membership applies to the next search. Messages of public
//! channels are read through their project; those of private channels and direct messages
//! (`Access::Channel`) only by the channel's members who can still see it.

use atrium_client::wire::{OrgRole, ProjectRole};
use atrium_search::Scope;

use crate::authz::{self, OrgAction, roles};
use crate::db::Db;
use crate::error::Result;
use crate::projects::store::{self as project_store, ProjectRow};

/// The caller's scope in `org_id`; 404 when they are not a member (or it does not exist).
pub async fn for_user(db: &Db, user_id: &str, org_id: &str) -> Result<Scope> {
    let access = authz::require_org(db, user_id, org_id, OrgAction::Read).await?;
    let projects = project_store::list_in_org(db, org_id, user_id).await?;
    let mut scope = scope(org_id, access.role, &projects);
    let (channels, _) =
        crate::chat::access::visible_channels(db, user_id, org_id, access.role).await?;
    scope.channels = channels
        .into_iter()
        .filter(|entry| entry.channel.has_explicit_members())
        .map(|entry| entry.channel.id)
        .collect();
    Ok(scope)
}

/// The scope of a member with `role` given the org's projects and their explicit roles.
fn scope(org_id: &str, role: OrgRole, projects: &[(ProjectRow, Option<ProjectRole>)]) -> Scope {
    Scope {
        org: org_id.to_owned(),
        projects: projects
            .iter()
            .filter(|(project, explicit)| {
                roles::effective_project_role(role, *explicit, project).is_some()
            })
            .map(|(project, _)| project.id.clone())
            .collect(),
        channels: Vec::new(),
        // Org-wide data (records outside projects) is for the org's own people, not guests,
        // who see only what they were explicitly added to.
        org_wide: role != OrgRole::Guest,
        grants: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_client::wire::Visibility;

    fn project(id: &str, visibility: Visibility) -> ProjectRow {
        ProjectRow {
            id: id.into(),
            org_id: "o".into(),
            name: id.into(),
            description: String::new(),
            visibility,
            default_role: ProjectRole::Editor,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn private_projects_need_a_role() {
        let projects = vec![
            (project("open", Visibility::Open), None),
            (project("secret", Visibility::Private), None),
            (
                project("shared", Visibility::Private),
                Some(ProjectRole::Viewer),
            ),
        ];
        let member = scope("o", OrgRole::Member, &projects);
        assert_eq!(member.projects, ["open", "shared"]);
        assert!(member.org_wide);
        let admin = scope("o", OrgRole::Admin, &projects);
        assert_eq!(admin.projects, ["open", "secret", "shared"]);
        let guest = scope("o", OrgRole::Guest, &projects);
        assert_eq!(guest.projects, ["shared"]);
        assert!(!guest.org_wide);
        assert!(member.channels.is_empty() && member.grants.is_empty());
    }
}
