//! The HTTP handlers of boards and tasks.

mod boards;
mod bulk;
mod history;
mod lists;
pub(crate) mod moves;
pub(crate) mod tasks;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// The board and task routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(boards::router())
        .merge(tasks::router())
        .merge(moves::router())
        .merge(bulk::router())
        .merge(history::router())
        .merge(lists::router())
}

/// Runs a unit of work again when it lost a race for a unique key (two concurrent moves into
/// the same gap computed the same order key): the retry reads fresh neighbours.
macro_rules! retry_on_conflict {
    ($body:expr) => {{
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match $body {
                Err(crate::boards::routes::Retry::Again) if attempt < 8 => continue,
                Err(crate::boards::routes::Retry::Again) => {
                    break Err(crate::error::ApiError::conflict(
                        "busy",
                        "too many concurrent changes here; try again",
                    ));
                }
                Err(crate::boards::routes::Retry::Fail(error)) => break Err(error),
                Ok(value) => break Ok(value),
            }
        }
    }};
}
pub(crate) use retry_on_conflict;

/// A unit of work's failure: final, or a lost race worth another try.
pub(crate) enum Retry {
    Again,
    Fail(crate::error::ApiError),
}

impl From<crate::error::ApiError> for Retry {
    fn from(error: crate::error::ApiError) -> Self {
        match error {
            crate::error::ApiError::Conflict { code, .. }
                if code == crate::boards::edit::RANK_TAKEN =>
            {
                Self::Again
            }
            other => Self::Fail(other),
        }
    }
}

impl From<sqlx::Error> for Retry {
    fn from(error: sqlx::Error) -> Self {
        if crate::boards::store::is_unique_violation(&error) {
            Self::Again
        } else {
            Self::Fail(error.into())
        }
    }
}
