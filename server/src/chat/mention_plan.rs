//! Turns a message's `@mentions` into who gets notified.
//!
//! Handles must name existing users (otherwise 422, nothing posted). A mentioned user who
//! cannot see the channel is not notified and is reported back to the sender. `@channel`/`@all`
//! reach every member who can see the channel, `@here` those online now; both are allowed to
//! the org roles the org's chat settings name, and `@channel` above the settings' member count
//! answers a warning.

use std::collections::BTreeSet;

use atrium_client::wire::{PresenceStatus, User, Warning};

use super::access::{self, ChannelAccess};
use super::mentions::{self, Mentions};
use super::store::settings;
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::events::presence::Presence;

/// Who a message's mentions reach.
#[derive(Debug, Default, Clone)]
pub struct MentionPlan {
    /// Users mentioned by handle who can see the channel (never the author).
    pub users: Vec<String>,
    /// Handles of mentioned users who cannot see the channel: not notified.
    pub not_notified: Vec<String>,
    /// Users reached by `@channel`, `@all` or `@here` (never the author).
    pub broadcast: Vec<String>,
    pub warnings: Vec<Warning>,
}

impl MentionPlan {
    /// Everyone to notify of a mention, each once.
    pub fn notified(&self) -> BTreeSet<&str> {
        self.users
            .iter()
            .chain(&self.broadcast)
            .map(String::as_str)
            .collect()
    }
}

/// Resolves the mentions of `text`, posted by `author` in the channel of `channel_access`.
pub async fn plan(
    db: &Db,
    presence: &Presence,
    author: &User,
    channel_access: &ChannelAccess,
    text: &str,
) -> Result<MentionPlan> {
    let parsed = mentions::parse(text);
    let mut plan = MentionPlan::default();
    resolve_handles(db, author, channel_access, &parsed, &mut plan).await?;
    if parsed.everyone || parsed.here {
        resolve_broadcast(db, presence, author, channel_access, &parsed, &mut plan).await?;
    }
    Ok(plan)
}

async fn resolve_handles(
    db: &Db,
    author: &User,
    channel_access: &ChannelAccess,
    parsed: &Mentions,
    plan: &mut MentionPlan,
) -> Result<()> {
    if parsed.handles.is_empty() {
        return Ok(());
    }
    let candidates: Vec<String> = parsed
        .handles
        .iter()
        .flat_map(|h| mentions::candidates(h))
        .collect();
    let found = crate::users::store::find_by_handles(db, &candidates).await?;
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    for written in &parsed.handles {
        let user = mentions::candidates(written)
            .iter()
            .find_map(|candidate| found.iter().find(|u| &u.handle == candidate));
        let Some(user) = user else {
            unknown.push(format!("@{}", written.trim_end_matches(['.', '-'])));
            continue;
        };
        if user.id == author.id || !seen.insert(user.id.clone()) {
            continue;
        }
        match access::access_to(db, &user.id, channel_access.channel.clone()).await? {
            Some(_) => plan.users.push(user.id.clone()),
            None => plan.not_notified.push(user.handle.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::invalid_field(
            "text",
            format!("mentions unknown users: {}", unknown.join(", ")),
        ));
    }
    Ok(())
}

async fn resolve_broadcast(
    db: &Db,
    presence: &Presence,
    author: &User,
    channel_access: &ChannelAccess,
    parsed: &Mentions,
    plan: &mut MentionPlan,
) -> Result<()> {
    let org_settings = settings::get(db, &channel_access.channel.org_id).await?;
    if !crate::authz::channels::may_mention_all(
        channel_access.org_role,
        &org_settings.mention_all_roles,
    ) {
        return Err(ApiError::Forbidden(
            "your role in this organisation may not mention @channel, @all or @here".into(),
        ));
    }
    let audience = access::audience(db, &channel_access.channel).await?;
    let members = audience.len() as i64;
    plan.broadcast = audience
        .into_iter()
        .map(|(user_id, _)| user_id)
        .filter(|user_id| *user_id != author.id)
        .filter(|user_id| parsed.everyone || presence.status(user_id) == PresenceStatus::Online)
        .collect();
    if parsed.everyone && members > org_settings.mention_all_warn_above {
        plan.warnings.push(Warning {
            code: "large_audience".into(),
            message: format!("@channel notified {members} members"),
        });
    }
    Ok(())
}
