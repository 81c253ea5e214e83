//! A document's automatic history: snapshots the server keeps while people edit, beside the
//! versions they name, and the diff between two versions.
//!
//! The collab hub notes who changed which document (see [`atrium_collab::authorship`]); the
//! task here takes the edit spans that are due and stores a snapshot of each document naming
//! its authors: at most one per document per [`HistoryConfig::interval`] of editing, and one
//! when the editing session ends (nobody connected on this node and no edit for
//! [`HistoryConfig::quiet`]) — only when the content differs from the newest stored version.
//! It runs beside the hub, never in a request or under a room's lock for longer than encoding
//! the state (as `GET …/update` does). Each node snapshots its own editors' spans; with many
//! nodes, a document edited on two at once may get a snapshot from each, each naming its
//! node's authors.
//!
//! Snapshots are thinned as they accumulate (see [`to_thin`]): all from the last day, the
//! newest per hour for a week, the newest per day before that, and never more than
//! [`MAX_AUTO_VERSIONS`] per document. That keeps what people look for (what changed today,
//! this week, roughly when) at a bounded cost per document; named versions are never thinned.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use atrium_client::wire::{DocVersion, ErrorBody, UserRef, VersionDiff, VersionKind};
use atrium_collab::{ContentFormat, EditSpan, Hub, VersionInfo};
use axum::extract::State;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::diff::{self, MAX_DIFF_BYTES};
use super::routes::{collab_error, doc_for};
use crate::auth::CurrentUser;
use crate::authz::ProjectAction;
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// Most automatic snapshots kept per document, whatever their age.
pub const MAX_AUTO_VERSIONS: usize = 300;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// When automatic snapshots are taken.
#[derive(Debug, Clone, Copy)]
pub struct HistoryConfig {
    /// The longest span of editing one snapshot covers.
    pub interval: Duration,
    /// How long after the last edit a session with nobody connected counts as ended.
    pub quiet: Duration,
}

impl HistoryConfig {
    /// From `ATRIUM_DOC_HISTORY_INTERVAL_SECS` and `ATRIUM_DOC_HISTORY_QUIET_SECS`.
    pub fn from_config(config: &Config) -> Self {
        Self {
            interval: Duration::from_secs(config.doc_history_interval_secs),
            quiet: Duration::from_secs(config.doc_history_quiet_secs),
        }
    }

    /// How often due spans are looked for: often enough that a snapshot is at most a few
    /// seconds late (a fraction of the shorter period), at most every 30 s.
    fn tick(self) -> Duration {
        let shorter = self.interval.min(self.quiet.max(Duration::from_secs(1)));
        (shorter / 4).clamp(Duration::from_millis(250), Duration::from_secs(30))
    }
}

/// Starts the snapshot task; it ends when `stop` is cancelled, after snapshotting the spans
/// still open (the hub has flushed by then).
pub fn spawn(
    hub: Hub,
    config: HistoryConfig,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let interval_ms = i64::try_from(config.interval.as_millis()).unwrap_or(i64::MAX);
    let quiet_ms = i64::try_from(config.quiet.as_millis()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(config.tick());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let last = tokio::select! {
                _ = tick.tick() => false,
                () = stop.cancelled() => true,
            };
            let due = if last {
                hub.take_due_edits(0, 0)
            } else {
                hub.take_due_edits(interval_ms, quiet_ms)
            };
            for (doc_id, span) in due {
                snapshot(&hub, &doc_id, &span).await;
            }
            if last {
                return;
            }
        }
    })
}

/// Stores one snapshot and thins the document's older ones.
async fn snapshot(hub: &Hub, doc_id: &str, span: &EditSpan) {
    match hub.create_auto_version(doc_id, span).await {
        Ok(Some(_)) => {}
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(doc = %doc_id, %error, "cannot store an automatic snapshot");
            return;
        }
    }
    let thin = match hub.list_versions(doc_id).await {
        Ok(versions) => {
            let autos: Vec<(String, i64)> = versions
                .into_iter()
                .filter(|v| v.kind == atrium_collab::VersionKind::Auto)
                .map(|v| (v.id, v.created_at))
                .collect();
            to_thin(&autos, crate::db::now_ms())
        }
        Err(error) => {
            tracing::warn!(doc = %doc_id, %error, "cannot list versions to thin");
            return;
        }
    };
    if let Err(error) = hub.delete_versions(doc_id, &thin).await {
        tracing::warn!(doc = %doc_id, %error, "cannot thin automatic snapshots");
    }
}

/// The automatic snapshots (id, taken at) to delete at `now`: all from the last day stay;
/// from a day to a week old the newest of each hour stays, older the newest of each day; and
/// only the newest [`MAX_AUTO_VERSIONS`] of those.
pub fn to_thin(autos: &[(String, i64)], now: i64) -> Vec<String> {
    let mut newest_first: Vec<&(String, i64)> = autos.iter().collect();
    newest_first.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let mut buckets = BTreeSet::new();
    let mut kept = 0usize;
    let mut thin = Vec::new();
    for (id, at) in newest_first {
        let age = now - at;
        let keep = if age < DAY_MS {
            true
        } else if age < 7 * DAY_MS {
            buckets.insert(("hour", at.div_euclid(HOUR_MS)))
        } else {
            buckets.insert(("day", at.div_euclid(DAY_MS)))
        };
        if keep && kept < MAX_AUTO_VERSIONS {
            kept += 1;
        } else {
            thin.push(id.clone());
        }
    }
    thin
}

/// The wire form of stored versions, newest first, with their authors' names.
pub async fn wire_versions(db: &Db, versions: Vec<VersionInfo>) -> Result<Vec<DocVersion>> {
    let ids: Vec<String> = versions
        .iter()
        .flat_map(|v| v.authors.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let users: HashMap<String, UserRef> = crate::users::store::find_many(db, &ids)
        .await?
        .iter()
        .map(|u| (u.id.clone(), crate::chat::post::user_ref(u)))
        .collect();
    let mut items: Vec<DocVersion> = versions
        .into_iter()
        .map(|v| {
            let mut authors: Vec<UserRef> = v
                .authors
                .iter()
                .filter_map(|id| users.get(id).cloned())
                .collect();
            authors.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
            DocVersion {
                id: v.id,
                name: v.name,
                created_at: v.created_at,
                kind: match v.kind {
                    atrium_collab::VersionKind::Named => VersionKind::Named,
                    atrium_collab::VersionKind::Auto => VersionKind::Auto,
                },
                authors,
                from: v.from,
                to: v.to,
            }
        })
        .collect();
    items.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    Ok(items)
}

/// The diff route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(version_diff))
}

/// What `to` names: `current` (the live document) or a version.
const CURRENT: &str = "current";

/// How version `to` (or `current`, the live document) differs from version `from`: block by
/// block of their Markdown, word by word within changed blocks.
#[utoipa::path(get, path = "/api/v1/docs/{doc}/versions/{from}/diff/{to}", tag = "docs",
    params(("doc" = String, Path), ("from" = String, Path, description = "A version"),
        ("to" = String, Path, description = "A version, or `current` for the live document")),
    responses(
    (status = 200, description = "The diff", body = VersionDiff),
    (status = 404, description = "No such document or version", body = ErrorBody),
    (status = 413, description = "A side is too large to diff (its Markdown passes 512 KiB)", body = ErrorBody)))]
async fn version_diff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((doc_id, from, to)): Path<(String, String, String)>,
) -> Result<Json<VersionDiff>> {
    doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
    let hub = &state.collab;
    let old = hub
        .version_content(&doc_id, &from, ContentFormat::Markdown)
        .await
        .map_err(collab_error)?;
    let new = if to == CURRENT {
        hub.content(&doc_id, ContentFormat::Markdown).await
    } else {
        hub.version_content(&doc_id, &to, ContentFormat::Markdown)
            .await
    }
    .map_err(collab_error)?;
    if old.len() > MAX_DIFF_BYTES || new.len() > MAX_DIFF_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    // Bounded by the size cap and the diff's deadline, but CPU work all the same: off the
    // request threads.
    let blocks = tokio::task::spawn_blocking(move || diff::diff(&old, &new))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(VersionDiff { from, to, blocks }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_day_then_hours_then_days() {
        let now = 100 * DAY_MS;
        let mut autos = Vec::new();
        // Every 10 minutes for 10 days.
        for i in 0..(10 * 24 * 6) {
            autos.push((format!("v{i:05}"), now - i * 10 * 60_000));
        }
        let thin: BTreeSet<String> = to_thin(&autos, now).into_iter().collect();
        let kept: Vec<i64> = autos
            .iter()
            .filter(|(id, _)| !thin.contains(id))
            .map(|(_, at)| now - at)
            .collect();
        let last_day = kept.iter().filter(|age| **age < DAY_MS).count();
        assert_eq!(last_day, 24 * 6);
        let week = kept
            .iter()
            .filter(|age| (DAY_MS..7 * DAY_MS).contains(*age))
            .count();
        // One per clock hour: the hour that began exactly a day ago adds one.
        assert!((6 * 24..=6 * 24 + 1).contains(&week), "{week}");
        let older = kept.iter().filter(|age| **age >= 7 * DAY_MS).count();
        assert!((3..=4).contains(&older), "{older}");
    }

    #[test]
    fn thinning_caps_the_count() {
        let now = 10 * DAY_MS;
        let autos: Vec<(String, i64)> = (0..(MAX_AUTO_VERSIONS as i64 + 20))
            .map(|i| (format!("v{i:05}"), now - i * 1000))
            .collect();
        let thin = to_thin(&autos, now);
        assert_eq!(thin.len(), 20);
        assert!(thin.iter().all(|id| id.as_str() >= "v00300"));
    }
}
