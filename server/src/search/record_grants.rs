//! Who may find a record: the named grants a record is indexed with, and those a member holds.
//!
//! A record of type `T` is indexed with `record:T` — held by every member whose widest read
//! scope on `T` is "all" — and with `record:T:own:<user>` for its creator and its owners,
//! held by that user when their scope on `T` is "only own". What a member holds is computed
//! from the policy at query time (the org's table, the type's own permission rows, the
//! member's roles), so a change of any of them applies to the next search without reindexing.
//! A record changes its grants only when its type, creator or owners change, and every such
//! change is a save that re-indexes it.

use atrium_client::wire::TypePermission;

use crate::authz::records::RecordAccess;
use crate::authz::{Action, OrgAccess, Scope};
use crate::db::Db;
use crate::records::registry::Registry;
use crate::records::store::types as type_store;

/// The grant of every reader of a type's records.
fn type_grant(record_type: &str) -> String {
    format!("record:{record_type}")
}

/// The grant of a user who reads only their own records of a type.
fn own_grant(record_type: &str, user: &str) -> String {
    format!("record:{record_type}:own:{user}")
}

/// The grants a record is indexed with.
pub fn for_record<'a>(
    record_type: &str,
    created_by: &str,
    owners: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut grants = vec![type_grant(record_type), own_grant(record_type, created_by)];
    for owner in owners {
        let grant = own_grant(record_type, owner);
        if !owner.is_empty() && owner != created_by && !grants.contains(&grant) {
            grants.push(grant);
        }
    }
    grants
}

/// The grants the caller holds on `types` (each a slug with its permission rows).
fn held_among<'a>(
    access: &OrgAccess,
    types: impl IntoIterator<Item = (&'a str, &'a [TypePermission])>,
) -> Vec<String> {
    types
        .into_iter()
        .filter_map(|(slug, permissions)| {
            match RecordAccess::new(access.clone(), permissions).scope(Action::Read) {
                Scope::All => Some(type_grant(slug)),
                Scope::Own => Some(own_grant(slug, &access.subject.user_id)),
                Scope::None => None,
            }
        })
        .collect()
}

/// The grants the caller holds on the records of every type of their org (built-in and
/// custom, archived ones included: their records stay readable).
pub async fn held(db: &Db, access: &OrgAccess) -> Result<Vec<String>, sqlx::Error> {
    let custom = type_store::list(db, &access.org_id).await?;
    let builtin: Vec<_> = Registry::builtin()
        .all()
        .map(|kind| (kind.slug(), kind.schema()))
        .collect();
    Ok(held_among(
        access,
        builtin
            .iter()
            .map(|(slug, schema)| (*slug, schema.permissions.as_slice()))
            .chain(
                custom
                    .iter()
                    .map(|t| (t.slug.as_str(), t.schema.permissions.as_slice())),
            ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{Policy, Subject};
    use atrium_client::wire::OrgRole;

    fn member(user: &str, business_roles: &[&str]) -> OrgAccess {
        OrgAccess {
            org_id: "o".into(),
            role: OrgRole::Member,
            subject: Subject {
                user_id: user.into(),
                org_role: OrgRole::Member,
                business_roles: business_roles.iter().map(|r| (*r).to_owned()).collect(),
                project_role: None,
            },
            policy: Policy::default(),
        }
    }

    fn row(role: &str, scope: &str) -> TypePermission {
        TypePermission {
            role: role.into(),
            action: "read".into(),
            scope: scope.into(),
        }
    }

    #[test]
    fn a_record_is_found_by_its_readers_creator_and_assignee() {
        assert_eq!(
            for_record("order", "u1", ["u2"]),
            ["record:order", "record:order:own:u1", "record:order:own:u2"]
        );
        assert_eq!(
            for_record("order", "u1", ["u1"]),
            ["record:order", "record:order:own:u1"]
        );
    }

    #[test]
    fn members_hold_what_their_widest_scope_gives() {
        let order = [row("member", "own"), row("accountant", "all")];
        let secret: [TypePermission; 0] = [];
        let types = || [("order", &order[..]), ("secret", &secret[..])];
        assert_eq!(
            held_among(&member("u1", &[]), types()),
            ["record:order:own:u1"]
        );
        assert_eq!(
            held_among(&member("u1", &["accountant"]), types()),
            ["record:order"]
        );
    }
}
