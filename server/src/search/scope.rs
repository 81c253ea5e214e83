//! What a caller may read in an organisation, as the index's [`Scope`].
//!
//! Built from the database for every query, with authz deciding each part: a change of org
//! role, business roles, the org's permission table, project membership, project visibility or
//! channel membership applies to the next search. Messages of public channels are read through
//! their project; those of private channels and direct messages (`Access::Channel`) only by the
//! channel's members who can still see it. Records by the grants of
//! [`super::record_grants`]: their type's readers, and "only own" readers their own.

use atrium_client::wire::ProjectRole;
use atrium_search::Scope;

use crate::authz::{self, Action, OrgAccess, ProjectFacts, Resource, ResourceKind};
use crate::db::Db;
use crate::error::Result;
use crate::projects::store::{self as project_store, ProjectRow};

/// The caller's scope in `org_id`; 404 when they are not a member (or it does not exist).
pub async fn for_user(db: &Db, user_id: &str, org_id: &str) -> Result<Scope> {
    let access = authz::require_org(db, user_id, org_id, Action::Read).await?;
    let projects = project_store::list_in_org(db, org_id, user_id).await?;
    let mut scope = scope(&access, &projects);
    scope
        .grants
        .extend(super::record_grants::held(db, &access).await?);
    let (channels, _) =
        crate::chat::access::visible_channels_among(db, user_id, org_id, access.role, &projects)
            .await?;
    scope.channels = channels
        .into_iter()
        .filter(|entry| entry.channel.has_explicit_members())
        .map(|entry| entry.channel.id)
        .collect();
    Ok(scope)
}

/// The scope of a member given the org's projects and their explicit roles.
fn scope(access: &OrgAccess, projects: &[(ProjectRow, Option<ProjectRole>)]) -> Scope {
    // Org-wide data (record types, records) for whoever may read it across the org; the kinds
    // read org-wide are also named grants (`record_type`, `record`) for entities indexed with
    // `Access::Grant`. "Only own" rows are not org-wide and give no grant.
    let mut grants = Vec::new();
    for kind in [ResourceKind::RecordType, ResourceKind::Record] {
        if access.may(Action::Read, Resource::new(kind)) {
            grants.push(kind.name().to_owned());
        }
    }
    Scope {
        org: access.org_id.clone(),
        projects: projects
            .iter()
            .filter(|(project, explicit)| {
                let facts = ProjectFacts {
                    id: project.id.clone(),
                    org_id: project.org_id.clone(),
                    visibility: project.visibility,
                    default_role: project.default_role,
                };
                access.in_project(&facts, *explicit).is_some_and(|subject| {
                    access
                        .policy
                        .may(&subject, Action::Read, Resource::new(ResourceKind::Project))
                })
            })
            .map(|(project, _)| project.id.clone())
            .collect(),
        channels: Vec::new(),
        org_wide: !grants.is_empty(),
        grants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_client::wire::{OrgRole, Visibility};

    fn project(id: &str, visibility: Visibility) -> ProjectRow {
        ProjectRow {
            id: id.into(),
            org_id: "o".into(),
            name: id.into(),
            description: String::new(),
            visibility,
            default_role: ProjectRole::Editor,
            key: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn member(role: OrgRole) -> OrgAccess {
        OrgAccess {
            org_id: "o".into(),
            role,
            subject: authz::Subject {
                user_id: "u".into(),
                org_role: role,
                business_roles: Vec::new(),
                project_role: None,
            },
            policy: authz::Policy::default(),
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
        let member_scope = scope(&member(OrgRole::Member), &projects);
        assert_eq!(member_scope.projects, ["open", "shared"]);
        assert!(member_scope.org_wide);
        let admin = scope(&member(OrgRole::Admin), &projects);
        assert_eq!(admin.projects, ["open", "secret", "shared"]);
        let guest = scope(&member(OrgRole::Guest), &projects);
        assert_eq!(guest.projects, ["shared"]);
        assert!(!guest.org_wide);
        assert!(member_scope.channels.is_empty());
    }
}
