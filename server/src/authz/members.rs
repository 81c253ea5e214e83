//! The rules about granting org roles, beyond the table: only owners make or unmake owners,
//! and an organisation always keeps an owner.

use atrium_client::wire::OrgRole;

use crate::error::{ApiError, Result};

/// 403 unless `actor` may give `role` to someone or take it away: only owners grant or take
/// away ownership.
pub fn ensure_may_grant(actor: OrgRole, role: OrgRole) -> Result<()> {
    if role == OrgRole::Owner && actor != OrgRole::Owner {
        return Err(ApiError::Forbidden(
            "only owners can make other members owners".to_owned(),
        ));
    }
    Ok(())
}

/// 409 when a member with `current` would stop being an owner (`next`: the new role, `None`
/// when they leave) and `owners` is the org's owner count: the last owner stays.
pub fn ensure_keeps_an_owner(current: OrgRole, next: Option<OrgRole>, owners: i64) -> Result<()> {
    if current == OrgRole::Owner && next != Some(OrgRole::Owner) && owners <= 1 {
        return Err(ApiError::conflict(
            "last_owner",
            "an organisation needs an owner: make someone else owner first",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_rules() {
        assert!(ensure_may_grant(OrgRole::Admin, OrgRole::Owner).is_err());
        assert!(ensure_may_grant(OrgRole::Owner, OrgRole::Owner).is_ok());
        assert!(ensure_may_grant(OrgRole::Admin, OrgRole::Member).is_ok());
        assert!(ensure_keeps_an_owner(OrgRole::Owner, Some(OrgRole::Admin), 1).is_err());
        assert!(ensure_keeps_an_owner(OrgRole::Owner, None, 2).is_ok());
        assert!(ensure_keeps_an_owner(OrgRole::Owner, Some(OrgRole::Owner), 1).is_ok());
    }
}
