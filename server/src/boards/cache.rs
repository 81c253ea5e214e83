//! The cards of recently loaded projects, kept in memory while nothing in the project changes,
//! so loading a large board again costs one index lookup instead of reading every card.
//!
//! Every change to what a card shows — the task, its assignees and labels, its blockers, its
//! subtasks, its milestone — appends an event for the project's audience in the change's own
//! transaction (the live board depends on it: [`super::live`], [`super::dependents`], the
//! planning routes). So the sequence of the project's newest event is a version of its cards,
//! and the node's cards are those of the project while that version stands.
//!
//! # Why a kept version never hides a change
//!
//! A load reads `dispatched` (every event numbered up to it that will ever commit is visible:
//! [`crate::events::Events::dispatched`]), then the project's newest event `version`, then the
//! cards, each statement after the last. The cards are kept only when `version <= dispatched`
//! (on SQLite, whose single writer commits events in sequence order, always). A change that
//! the cards miss committed after the `version` read began; its event is numbered above
//! `dispatched` (those up to it were visible already), hence above `version`, so every load
//! that starts after the change committed reads a newer version and reads the cards again.
//! Cards that include a change newer than `version` are kept under the older version; the next
//! load reads the newer version and replaces them, so they are never served past it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use atrium_client::wire::TaskCard;
use sqlx::AnyConnection;

use super::store::cards;
use crate::db::Backend;
use crate::error::Result;
use crate::events::{Audience, store as event_store};
use crate::state::AppState;

/// Cards kept over all projects; the least recently loaded projects leave first. A card is a
/// few hundred bytes: this bounds the cache to some tens of megabytes.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// A project's cards in status and order, as of one version.
struct Entry {
    version: i64,
    cards: Arc<[TaskCard]>,
    used: Instant,
}

/// Kept cards per project; one per node.
pub struct CardCache {
    capacity: usize,
    projects: Mutex<HashMap<String, Entry>>,
}

impl Default for CardCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl CardCache {
    /// A cache that keeps at most `capacity` cards (a larger project is never kept).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            projects: Mutex::default(),
        }
    }

    fn get(&self, project_id: &str, version: i64) -> Option<Arc<[TaskCard]>> {
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        let entry = projects.get_mut(project_id)?;
        if entry.version != version {
            return None;
        }
        entry.used = Instant::now();
        Some(entry.cards.clone())
    }

    fn put(&self, project_id: &str, version: i64, cards: Arc<[TaskCard]>) {
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        projects.remove(project_id);
        if cards.len() > self.capacity {
            return;
        }
        let mut kept: usize = projects.values().map(|e| e.cards.len()).sum();
        while kept + cards.len() > self.capacity {
            let Some(oldest) = projects
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            if let Some(entry) = projects.remove(&oldest) {
                kept -= entry.cards.len();
            }
        }
        projects.insert(
            project_id.to_owned(),
            Entry {
                version,
                cards,
                used: Instant::now(),
            },
        );
    }
}

/// The cards of a project's tasks in status and order, as a statement starting now sees them:
/// kept ones while the project's newest event is the one they were read at, else read afresh.
pub async fn project_cards(
    state: &AppState,
    conn: &mut AnyConnection,
    org_id: &str,
    project_id: &str,
) -> Result<Arc<[TaskCard]>> {
    // In this order: `dispatched`, then the version, then the cards (see the module docs).
    let dispatched = state.events.dispatched();
    let audience = Audience::Project(project_id.to_owned());
    let version = event_store::latest_for(conn, &audience).await?;
    if let Some(cards) = state.board_cards.get(project_id, version) {
        return Ok(cards);
    }
    let cards: Arc<[TaskCard]> = cards::board_cards(conn, org_id, project_id).await?.into();
    if state.db.backend() == Backend::Sqlite || version <= dispatched {
        state.board_cards.put(project_id, version, cards.clone());
    }
    Ok(cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(n: usize) -> Arc<[TaskCard]> {
        (0..n)
            .map(|i| TaskCard {
                id: format!("t{i}"),
                key: format!("T-{i}"),
                title: "a card".to_owned(),
                status_id: "s".to_owned(),
                rank: format!("a{i}"),
                priority: atrium_client::wire::Priority::None,
                assignees: Vec::new(),
                labels: Vec::new(),
                due: None,
                estimate: None,
                milestone: None,
                parent: None,
                blocked: false,
                subtasks_done: 0,
                subtasks_total: 0,
                checklist_done: 0,
                checklist_total: 0,
                closed: false,
                updated_at: 0,
            })
            .collect()
    }

    #[test]
    fn serves_only_the_version_it_kept() {
        let cache = CardCache::new(10);
        cache.put("p", 7, cards(2));
        assert_eq!(cache.get("p", 7).map(|c| c.len()), Some(2));
        assert!(cache.get("p", 8).is_none());
        assert!(cache.get("q", 7).is_none());
        cache.put("p", 8, cards(3));
        assert!(cache.get("p", 7).is_none());
        assert_eq!(cache.get("p", 8).map(|c| c.len()), Some(3));
    }

    #[test]
    fn the_least_recently_loaded_project_leaves_first() {
        let cache = CardCache::new(10);
        cache.put("a", 1, cards(4));
        cache.put("b", 1, cards(4));
        assert!(cache.get("a", 1).is_some());
        cache.put("c", 1, cards(4));
        assert!(cache.get("b", 1).is_none(), "b was loaded least recently");
        assert!(cache.get("a", 1).is_some());
        assert!(cache.get("c", 1).is_some());
        cache.put("huge", 1, cards(11));
        assert!(
            cache.get("huge", 1).is_none(),
            "larger than the whole cache"
        );
    }
}
