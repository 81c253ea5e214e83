//! [`Cause`]: which automation run made a change, carried into its change-feed rows.
//!
//! An automation run acts through the same handlers a person's request does; it runs them
//! inside [`Cause::scope`], and every change queued meanwhile on that task records the cause.
//! Automation reads it back to stop a rule from triggering itself and to cut chains of rules
//! at a depth limit. A task-local rather than a parameter: the domains' write functions stay
//! the ones requests use, and a change made outside a run has no cause by construction.

use std::future::Future;

use serde::{Deserialize, Serialize};

tokio::task_local! {
    static CURRENT: Cause;
}

/// The automation run behind a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// The rule whose run made the change.
    pub rule: String,
    /// How many runs led to it: 1 for a run triggered by a person's change.
    pub depth: u32,
}

impl Cause {
    /// Runs `work` with this cause on every change it queues.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }

    /// The cause of the task's changes, if it runs inside [`Cause::scope`].
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored value; `None` for none or one this server cannot read.
    pub fn from_json(json: Option<&str>) -> Option<Self> {
        serde_json::from_str(json?).ok()
    }
}
