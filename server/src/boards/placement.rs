//! Where a task goes in a status's order: an order key between its neighbours, read in the
//! moving transaction, so a move writes one row and never renumbers a column.

use crate::boards::rank;
use crate::boards::store::{statuses, tasks};
use crate::db::Tx;
use crate::error::{ApiError, Result};

/// Where in the status: between two tasks of it, or at an end.
#[derive(Debug, Clone, Copy, Default)]
pub struct Slot<'a> {
    pub after: Option<&'a str>,
    pub before: Option<&'a str>,
    /// With neither neighbour: the top instead of the bottom.
    pub top: bool,
}

/// The order key for `task_id` (`""` for a new task) in `status_id` at `slot`. Neighbours must
/// be tasks of that status other than the moving one (else a 422 on `after`/`before`). Changes
/// of one status's order queue on its row; should two keys still meet (the unique index), the
/// caller's retry reads fresh neighbours.
pub async fn rank_for(
    tx: &mut Tx,
    status_id: &str,
    task_id: &str,
    slot: Slot<'_>,
) -> Result<String> {
    statuses::lock_order(tx, status_id).await?;
    rank_in_locked(tx, status_id, task_id, slot).await
}

/// [`rank_for`] in a transaction that already holds the status's order lock
/// ([`statuses::lock_order`]).
pub async fn rank_in_locked(
    tx: &mut Tx,
    status_id: &str,
    task_id: &str,
    slot: Slot<'_>,
) -> Result<String> {
    let neighbour = |field: &'static str| {
        ApiError::invalid_field(field, "must be another task of the target column")
    };
    if slot.after == Some(task_id) {
        return Err(neighbour("after"));
    }
    let before = slot.before.filter(|id| *id != task_id);
    // Every key the placement may need, in one round trip under the lock.
    let around = tasks::neighbours(tx, status_id, task_id, slot.after, before).await?;
    if slot.after.is_some() && around.after.is_none() {
        return Err(neighbour("after"));
    }
    if slot.before.is_some() && around.before.is_none() {
        return Err(neighbour("before"));
    }
    let (after_rank, before_rank) = match (around.after, around.before) {
        (Some(a), Some(b)) if a >= b => {
            return Err(ApiError::invalid_field(
                "before",
                "must come after `after` in the column",
            ));
        }
        (Some(a), Some(b)) => (Some(a), Some(b)),
        (Some(a), None) => (Some(a), around.next),
        (None, Some(b)) => (around.previous, Some(b)),
        (None, None) if slot.top => (None, around.next),
        (None, None) => (around.previous, None),
    };
    rank::between(after_rank.as_deref(), before_rank.as_deref()).map_err(ApiError::internal)
}
