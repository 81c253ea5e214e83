//! Chat's domain types and rules: channel rows, who may see a channel, and the validation of
//! names, texts and emoji.

use std::collections::BTreeMap;

use atrium_client::wire::{Channel, ChannelKind, NotifyLevel};

/// The longest channel name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// The longest channel topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 250;
/// The longest message, in characters (raw markdown).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The most files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;
/// The most users a direct-message conversation may have.
pub const MAX_DM_USERS: usize = 16;
/// The most members added in one request.
pub const MAX_MEMBERS_PER_REQUEST: usize = 200;
/// The longest emoji (a sequence with modifiers and joiners, or a `:shortcode:`), in characters.
const MAX_EMOJI_CHARS: usize = 32;

/// A channel as stored.
#[derive(Debug, Clone)]
pub struct ChannelRow {
    pub id: String,
    pub org_id: String,
    pub project_id: Option<String>,
    pub kind: ChannelKind,
    pub name: String,
    pub topic: String,
    pub private: bool,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub archived_at: Option<i64>,
    pub last_message_at: Option<i64>,
}

impl ChannelRow {
    /// The wire form for a caller with `notify` (their level or `None` for the default).
    pub fn to_wire(&self, member_ids: Vec<String>, notify: Option<NotifyLevel>) -> Channel {
        Channel {
            id: self.id.clone(),
            org_id: self.org_id.clone(),
            project_id: self.project_id.clone(),
            kind: self.kind,
            name: self.name.clone(),
            topic: self.topic.clone(),
            private: self.private,
            archived: self.archived_at.is_some(),
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            last_message_at: self.last_message_at,
            member_ids: if self.has_explicit_members() {
                member_ids
            } else {
                Vec::new()
            },
            notify: notify.unwrap_or(default_notify(self.kind)),
            can: None,
        }
    }

    /// Private channels and DMs list their members; public channels are open to the project.
    pub fn has_explicit_members(&self) -> bool {
        self.private || self.kind == ChannelKind::Dm
    }
}

/// The notification level of a channel the user never chose one for.
pub fn default_notify(kind: ChannelKind) -> NotifyLevel {
    match kind {
        ChannelKind::Dm => NotifyLevel::All,
        ChannelKind::Channel | ChannelKind::Task | ChannelKind::Record => NotifyLevel::Mentions,
    }
}

/// The database names of kinds and levels.
pub fn kind_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Channel => "channel",
        ChannelKind::Dm => "dm",
        ChannelKind::Task => "task",
        ChannelKind::Record => "record",
    }
}

/// Reads a stored channel kind.
pub fn parse_kind(name: &str) -> Option<ChannelKind> {
    match name {
        "channel" => Some(ChannelKind::Channel),
        "dm" => Some(ChannelKind::Dm),
        "task" => Some(ChannelKind::Task),
        "record" => Some(ChannelKind::Record),
        _ => None,
    }
}

/// The database name of a notification level.
pub fn notify_name(level: NotifyLevel) -> &'static str {
    match level {
        NotifyLevel::All => "all",
        NotifyLevel::Mentions => "mentions",
        NotifyLevel::None => "none",
    }
}

/// Reads a stored notification level.
pub fn parse_notify(name: &str) -> Option<NotifyLevel> {
    match name {
        "all" => Some(NotifyLevel::All),
        "mentions" => Some(NotifyLevel::Mentions),
        "none" => Some(NotifyLevel::None),
        _ => None,
    }
}

/// The key that makes DMs unique per set of users: their sorted, distinct ids.
pub fn dm_key(user_ids: &[String]) -> String {
    let mut ids: Vec<&str> = user_ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.join(",")
}

/// 422 field errors, built up by the validators.
pub type FieldErrors = BTreeMap<String, String>;

/// A channel name: trimmed, 1–80 characters, no control characters.
pub fn check_name(name: &str, errors: &mut FieldErrors) -> String {
    let name = name.trim();
    if name.is_empty() {
        errors.insert("name".into(), "must not be empty".into());
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.insert(
            "name".into(),
            format!("must be at most {MAX_NAME_CHARS} characters"),
        );
    } else if name.chars().any(char::is_control) {
        errors.insert("name".into(), "must not hold control characters".into());
    }
    name.to_owned()
}

/// A channel topic: trimmed, at most 250 characters, no line breaks.
pub fn check_topic(topic: &str, errors: &mut FieldErrors) -> String {
    let topic = topic.trim();
    if topic.chars().count() > MAX_TOPIC_CHARS {
        errors.insert(
            "topic".into(),
            format!("must be at most {MAX_TOPIC_CHARS} characters"),
        );
    } else if topic.chars().any(char::is_control) {
        errors.insert("topic".into(), "must not hold control characters".into());
    }
    topic.to_owned()
}

/// A message text: not blank, at most 10,000 characters, no NUL. Stored as written.
pub fn check_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("must be at most {MAX_TEXT_CHARS} characters"));
    }
    if text.contains('\0') {
        return Err("must not hold NUL characters".into());
    }
    Ok(())
}

/// An emoji: a `:shortcode:` of lowercase letters, digits, `_`, `+`, `-`, or a short sequence of
/// non-ASCII symbols (emoji with skin tones and joiners).
pub fn check_emoji(emoji: &str) -> Result<String, String> {
    let emoji = emoji.trim();
    let count = emoji.chars().count();
    if count == 0 || count > MAX_EMOJI_CHARS {
        return Err(format!("must be 1 to {MAX_EMOJI_CHARS} characters"));
    }
    let shortcode = emoji.len() > 2
        && emoji.starts_with(':')
        && emoji.ends_with(':')
        && emoji[1..emoji.len() - 1]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_+-".contains(c));
    let symbols = emoji
        .chars()
        .all(|c| !c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control());
    if shortcode || symbols {
        Ok(emoji.to_owned())
    } else {
        Err("must be an emoji or a :shortcode:".into())
    }
}

/// The first line of a text, shortened for notifications and e-mail.
pub fn snippet(text: &str) -> String {
    const MAX: usize = 140;
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        flat
    } else {
        let cut: String = flat.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_rules() {
        assert_eq!(check_emoji("👍").unwrap(), "👍");
        assert!(check_emoji("👍🏽").is_ok());
        assert!(check_emoji("👨‍👩‍👧").is_ok());
        assert!(check_emoji(":party_parrot:").is_ok());
        assert!(check_emoji("").is_err());
        assert!(check_emoji("hello").is_err());
        assert!(check_emoji("<b>").is_err());
        assert!(check_emoji(":Bad Code:").is_err());
    }

    #[test]
    fn text_rules() {
        assert!(check_text("hi").is_ok());
        assert!(check_text("  \n").is_err());
        assert!(check_text(&"x".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(check_text("a\0b").is_err());
    }

    #[test]
    fn dm_keys_ignore_order_and_repeats() {
        let a = dm_key(&["b".into(), "a".into(), "b".into()]);
        assert_eq!(a, "a,b");
    }

    #[test]
    fn snippets_are_flat_and_short() {
        assert_eq!(snippet("a\n\n b"), "a b");
        assert_eq!(snippet(&"x".repeat(500)).chars().count(), 140);
    }
}
