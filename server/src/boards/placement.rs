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
    let neighbour = |field: &'static str| {
        ApiError::invalid_field(field, "must be another task of the target column")
    };
    let mut after_rank = match slot.after {
        Some(id) if id != task_id => Some(
            tasks::rank_in(tx, status_id, id)
                .await?
                .ok_or_else(|| neighbour("after"))?,
        ),
        Some(_) => return Err(neighbour("after")),
        None => None,
    };
    let mut before_rank = match slot.before {
        Some(id) if id != task_id => Some(
            tasks::rank_in(tx, status_id, id)
                .await?
                .ok_or_else(|| neighbour("before"))?,
        ),
        Some(_) => return Err(neighbour("before")),
        None => None,
    };
    match (&after_rank, &before_rank) {
        (Some(a), Some(b)) if a >= b => {
            return Err(ApiError::invalid_field(
                "before",
                "must come after `after` in the column",
            ));
        }
        (Some(a), None) => before_rank = tasks::next_rank(tx, status_id, Some(a), task_id).await?,
        (None, Some(b)) => {
            after_rank = tasks::previous_rank(tx, status_id, Some(b), task_id).await?;
        }
        (None, None) if slot.top => {
            before_rank = tasks::next_rank(tx, status_id, None, task_id).await?;
        }
        (None, None) => after_rank = tasks::previous_rank(tx, status_id, None, task_id).await?,
        (Some(_), Some(_)) => {}
    }
    rank::between(after_rank.as_deref(), before_rank.as_deref()).map_err(ApiError::internal)
}
