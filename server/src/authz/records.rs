//! Who may do what with a type's records: the policy's `record` rows, replaced per role and
//! action by the type's own permission rows (`permissions` in its schema — the `record:<type>`
//! rows of the one table). "Only own" (`own` scope) reaches the records the user created or is
//! named in by one of the type's owner fields (`assignee`; a timesheet's person and approvers).

use std::collections::HashMap;

use atrium_client::wire::{ProjectRole, RecordCan, TypePermission};

use super::roles::org_role_name;
use super::{Action, OrgAccess, Policy, ResourceKind, Scope, Subject, forbidden};
use crate::error::{ApiError, Result};

/// Whose a record is, for "only own" rows: its creator and the users its owner fields name
/// (a `user` field's id or a `users` field's list).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordOwner<'a> {
    pub created_by: &'a str,
    pub data: &'a serde_json::Map<String, serde_json::Value>,
    /// The fields naming owners ([`crate::records::registry::owner_fields`]).
    pub fields: &'static [&'static str],
}

impl<'a> RecordOwner<'a> {
    /// The users the owner fields name besides the creator, each once.
    pub fn others(&self) -> Vec<&'a str> {
        let mut users: Vec<&'a str> = Vec::new();
        for field in self.fields {
            let named: Vec<&'a str> = match self.data.get(*field) {
                Some(serde_json::Value::String(user)) => vec![user.as_str()],
                Some(serde_json::Value::Array(list)) => {
                    list.iter().filter_map(serde_json::Value::as_str).collect()
                }
                _ => Vec::new(),
            };
            for user in named {
                if !user.is_empty() && user != self.created_by && !users.contains(&user) {
                    users.push(user);
                }
            }
        }
        users
    }
}

/// A member's rights on one type's records.
#[derive(Debug, Clone)]
pub struct RecordAccess {
    pub org: OrgAccess,
    type_rules: HashMap<(String, Action), Scope>,
}

fn rules(permissions: &[TypePermission]) -> HashMap<(String, Action), Scope> {
    permissions
        .iter()
        .filter_map(|p| {
            Some((
                (p.role.clone(), Action::parse(&p.action)?),
                Scope::parse(&p.scope)?,
            ))
        })
        .collect()
}

/// Whether `user` owns `record` for "only own" rows.
pub fn owns(user: &str, record: RecordOwner<'_>) -> bool {
    record.created_by == user || record.others().contains(&user)
}

/// The widest scope `subject` holds for `action` under `policy` and the type's rows.
fn scope_of(
    policy: &Policy,
    type_rules: &HashMap<(String, Action), Scope>,
    subject: &Subject,
    action: Action,
) -> Scope {
    let base = org_role_name(subject.org_role);
    let mut best = Scope::None;
    for role in std::iter::once(base).chain(subject.business_roles.iter().map(String::as_str)) {
        let scope = type_rules
            .get(&(role.to_owned(), action))
            .copied()
            .unwrap_or_else(|| policy.scope(role, ResourceKind::Record, action));
        best = match (best, scope) {
            (Scope::All, _) | (_, Scope::All) => Scope::All,
            (Scope::Own, _) | (_, Scope::Own) => Scope::Own,
            _ => Scope::None,
        };
    }
    best
}

fn readable(
    policy: &Policy,
    type_rules: &HashMap<(String, Action), Scope>,
    subject: &Subject,
    record: RecordOwner<'_>,
) -> bool {
    match scope_of(policy, type_rules, subject, Action::Read) {
        Scope::All => true,
        Scope::Own => owns(&subject.user_id, record),
        Scope::None => false,
    }
}

/// A type's read rules in an org, to ask about any member when no caller is involved (who
/// may read a record, for its discussion's audience).
#[derive(Debug, Clone)]
pub struct TypeReaders {
    policy: Policy,
    type_rules: HashMap<(String, Action), Scope>,
}

impl TypeReaders {
    pub fn new(policy: Policy, permissions: &[TypePermission]) -> Self {
        Self {
            policy,
            type_rules: rules(permissions),
        }
    }

    /// Whether `subject` may read `record`.
    pub fn may_read(&self, subject: &Subject, record: RecordOwner<'_>) -> bool {
        readable(&self.policy, &self.type_rules, subject, record)
    }
}

impl RecordAccess {
    pub fn new(org: OrgAccess, permissions: &[TypePermission]) -> Self {
        Self {
            org,
            type_rules: rules(permissions),
        }
    }

    pub fn user_id(&self) -> &str {
        &self.org.subject.user_id
    }

    /// The caller's base and business roles (what transitions name).
    pub fn roles(&self) -> Vec<&str> {
        std::iter::once(org_role_name(self.org.subject.org_role))
            .chain(self.org.subject.business_roles.iter().map(String::as_str))
            .collect()
    }

    /// The caller's widest scope for `action` on this type.
    pub fn scope(&self, action: Action) -> Scope {
        scope_of(
            &self.org.policy,
            &self.type_rules,
            &self.org.subject,
            action,
        )
    }

    /// Whether `subject` (another member) may read `record` (for the event audience).
    pub fn readable_by(&self, subject: &Subject, record: RecordOwner<'_>) -> bool {
        readable(&self.org.policy, &self.type_rules, subject, record)
    }

    /// Whether the caller may do `action` on `record`.
    pub fn may(&self, action: Action, record: RecordOwner<'_>) -> bool {
        match self.scope(action) {
            Scope::All => true,
            Scope::Own => owns(self.user_id(), record),
            Scope::None => false,
        }
    }

    /// 403 unless the caller may do `action` on `record` (reading is checked first by
    /// [`RecordAccess::require_visible`]).
    pub fn require(&self, action: Action, record: RecordOwner<'_>) -> Result<()> {
        if self.may(action, record) {
            Ok(())
        } else {
            Err(forbidden(action, ResourceKind::Record))
        }
    }

    /// 404 unless the caller may read `record`: records a member may not read do not exist for
    /// them ("only own" hides the others').
    pub fn require_visible(&self, record: RecordOwner<'_>) -> Result<()> {
        if self.may(Action::Read, record) {
            Ok(())
        } else {
            Err(ApiError::NotFound("record"))
        }
    }

    /// The caller's role in the discussion of `record` (a chat channel of kind `record`):
    /// whoever may read the record reads and posts in it (`commenter`), whoever may write it
    /// edits (`editor`), whoever may manage its records moderates (`manager`: org owners and
    /// admins by default); `None` when the record is hidden from the caller.
    pub fn discussion_role(&self, record: RecordOwner<'_>) -> Option<ProjectRole> {
        if !self.may(Action::Read, record) {
            None
        } else if self.may(Action::Manage, record) {
            Some(ProjectRole::Manager)
        } else if self.may(Action::Write, record) {
            Some(ProjectRole::Editor)
        } else {
            Some(ProjectRole::Commenter)
        }
    }

    /// The caller's flags on this type (no record: what the scope allows at all).
    pub fn can(&self, record: Option<RecordOwner<'_>>) -> RecordCan {
        let may = |action| match record {
            Some(r) => self.may(action, r),
            None => self.scope(action) != Scope::None,
        };
        RecordCan {
            read: may(Action::Read),
            create: self.scope(Action::Write) != Scope::None,
            write: may(Action::Write),
            delete: may(Action::Delete),
            transition: may(Action::Transition),
            export: may(Action::Export),
            import: may(Action::Import),
        }
    }
}
