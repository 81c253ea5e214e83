//! The application state for job handlers that act through it (the collaboration hub, the
//! application's own handlers): they are registered with the runner before the state exists,
//! and are given it once the server has built it.

use std::sync::{Arc, OnceLock};

use super::Outcome;
use crate::state::AppState;

#[derive(Clone, Default)]
pub struct LateState(Arc<OnceLock<AppState>>);

impl LateState {
    /// Gives the handler the state (before the runner runs its jobs; later calls are ignored).
    pub fn set(&self, state: AppState) {
        let _ = self.0.set(state);
    }

    /// The state, or the retry a job takes should it run while the server is still starting.
    pub fn get(&self) -> Result<&AppState, Outcome> {
        self.0
            .get()
            .ok_or_else(|| Outcome::Retry("the server is starting".into()))
    }
}
