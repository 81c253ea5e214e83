//! The workflow steps a caller can take on a record now: what the browser shows as buttons,
//! decided by the server's policy (clients never re-derive roles).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One transition out of the record's current state, and whether the caller may take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AvailableTransition {
    pub action: String,
    /// The state the record would move to.
    pub to: String,
    pub allowed: bool,
    /// Why not, when not allowed: `permission` (the caller may not transition this record),
    /// `role` (none of their roles may take it), `self_approval` (the creator may not), or
    /// `condition` (the record's fields do not meet it; `field` names the field), or `relation`
    /// (the record's type reserves it to people it names: a timesheet's approvers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET /records/{record}/transitions`: the transitions out of the record's state, in the
/// workflow's order (empty for a type without a workflow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AvailableTransitions {
    pub items: Vec<AvailableTransition>,
}
