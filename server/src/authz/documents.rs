//! Collaborative documents over the socket: what a connection may do, from one joined row;
//! the table decides between editing and reading. (A document in the trash is closed to the
//! socket: the socket checks that after access, so only those who may open it learn why.)

use atrium_client::wire::Can;

use super::joined::JoinedRoles;
use super::policy::Resource;
use super::roles::effective_role;
use super::{ResourceKind, member_access};
use crate::db::Db;
use crate::error::Result;

/// Why a socket may not open a document (said in its close frame).
pub const NO_SUCH_DOCUMENT: &str = "no such document";
pub const IN_TRASH: &str = "the document is in the trash";

/// The caller's `can` flags on a document for its socket, or why it has none.
pub async fn socket_can(
    db: &Db,
    user_id: &str,
    org_id: &str,
    roles: JoinedRoles,
    created_by: &str,
) -> Result<std::result::Result<Can, &'static str>> {
    let (Some(org_role), Some((visibility, default_role))) = (roles.org_role, roles.project) else {
        return Ok(Err(NO_SUCH_DOCUMENT));
    };
    let Some(project_role) =
        effective_role(org_role, roles.explicit_role, visibility, default_role)
    else {
        return Ok(Err(NO_SUCH_DOCUMENT));
    };
    let org = member_access(db, user_id, org_id, org_role).await?;
    let subject = super::Subject {
        project_role: Some(project_role),
        ..org.subject
    };
    let can = org.policy.can(
        &subject,
        Resource::owned_by(ResourceKind::Document, created_by),
    );
    Ok(if can.read {
        Ok(can)
    } else {
        Err(NO_SUCH_DOCUMENT)
    })
}

/// Whether `user_id` may read, now, a document of `project_id` made by `created_by` (a
/// comment's mention or reply reaches only the document's readers). No access is "no".
pub async fn reads(db: &Db, user_id: &str, project_id: &str, created_by: &str) -> bool {
    super::project_access(db, user_id, project_id)
        .await
        .is_ok_and(|access| {
            access.may(
                super::Action::Read,
                Resource::owned_by(ResourceKind::Document, created_by),
            )
        })
}
