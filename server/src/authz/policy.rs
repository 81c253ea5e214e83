//! The decision: `may(subject, action, resource)` over the default table and an org's overrides.

use std::collections::HashMap;

use atrium_client::wire::{Can, OrgRole, ProjectRole};

use super::defaults;
use super::model::{Action, ResourceKind, Scope};
use super::roles::{org_role_name, project_role_name};

/// An organisation's overrides of the default table, keyed by (role, kind, action).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides(pub HashMap<(String, ResourceKind, Action), Scope>);

/// The table as it applies in one organisation.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    overrides: Overrides,
}

/// Who is asking: a member of the resource's organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub user_id: String,
    pub org_role: OrgRole,
    /// Business roles held besides the base role.
    pub business_roles: Vec<String>,
    /// The effective role in the resource's project (project resources); `None` when the
    /// project is not visible to them.
    pub project_role: Option<ProjectRole>,
}

/// What is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource<'a> {
    pub kind: ResourceKind,
    /// Who owns it (author, creator, uploader), for "only own" rows.
    pub owner: Option<&'a str>,
}

impl<'a> Resource<'a> {
    pub fn new(kind: ResourceKind) -> Self {
        Self { kind, owner: None }
    }

    pub fn owned_by(kind: ResourceKind, owner: &'a str) -> Self {
        Self {
            kind,
            owner: Some(owner),
        }
    }
}

impl Policy {
    pub fn new(overrides: Overrides) -> Self {
        Self { overrides }
    }

    /// The scope of one cell: the org's override, else the default.
    pub fn scope(&self, role: &str, kind: ResourceKind, action: Action) -> Scope {
        self.overrides
            .0
            .get(&(role.to_owned(), kind, action))
            .copied()
            .unwrap_or_else(|| defaults::scope(role, kind, action))
    }

    /// Whether `subject` may do `action` on `resource`.
    ///
    /// The subject's base row is their project role for project resources and their org role
    /// for the others; business roles add grants on top. In a project, business roles act only
    /// where the subject can see the project at all, so that visibility (what lists, search
    /// and the event router show) stays a matter of base and project roles.
    pub fn may(&self, subject: &Subject, action: Action, resource: Resource<'_>) -> bool {
        let kind = resource.kind;
        let base = if kind.in_project() {
            match subject.project_role {
                Some(role) => project_role_name(role),
                None => return false,
            }
        } else {
            org_role_name(subject.org_role)
        };
        let owns = resource.owner == Some(subject.user_id.as_str());
        std::iter::once(base)
            .chain(subject.business_roles.iter().map(String::as_str))
            .any(|role| match self.scope(role, kind, action) {
                Scope::All => true,
                Scope::Own => owns,
                Scope::None => false,
            })
    }

    /// The `can` flags of a resource for the subject.
    pub fn can(&self, subject: &Subject, resource: Resource<'_>) -> Can {
        let may = |action| self.may(subject, action, resource);
        Can {
            read: may(Action::Read),
            comment: may(Action::Comment),
            write: may(Action::Write),
            manage: may(Action::Manage),
            delete: may(Action::Delete),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(org_role: OrgRole, project_role: Option<ProjectRole>) -> Subject {
        Subject {
            user_id: "u".into(),
            org_role,
            business_roles: Vec::new(),
            project_role,
        }
    }

    #[test]
    fn own_rows_need_ownership() {
        let policy = Policy::default();
        let editor = subject(OrgRole::Member, Some(ProjectRole::Editor));
        let mine = Resource::owned_by(ResourceKind::Message, "u");
        let theirs = Resource::owned_by(ResourceKind::Message, "v");
        assert!(policy.may(&editor, Action::Write, mine));
        assert!(!policy.may(&editor, Action::Write, theirs));
    }

    #[test]
    fn overrides_replace_defaults_and_business_roles_add() {
        let mut overrides = Overrides::default();
        overrides.0.insert(
            ("accountant".into(), ResourceKind::Org, Action::ReadAudit),
            Scope::All,
        );
        overrides.0.insert(
            ("member".into(), ResourceKind::Org, Action::CreateProject),
            Scope::None,
        );
        let policy = Policy::new(overrides);
        let mut member = subject(OrgRole::Member, None);
        let org = Resource::new(ResourceKind::Org);
        assert!(!policy.may(&member, Action::CreateProject, org));
        assert!(!policy.may(&member, Action::ReadAudit, org));
        member.business_roles.push("accountant".into());
        assert!(policy.may(&member, Action::ReadAudit, org));
    }

    #[test]
    fn no_project_role_no_project_resource() {
        let policy = Policy::default();
        let mut guest = subject(OrgRole::Guest, None);
        guest.business_roles.push("accountant".into());
        assert!(!policy.may(&guest, Action::Read, Resource::new(ResourceKind::Document)));
    }
}
