//! The types the server hands in and gets back.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of an indexed entity; one schema serves all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A collaborative document (its extracted text).
    Doc,
    /// A chat message.
    Message,
    /// A board task.
    Task,
    /// A business record.
    Record,
    /// An uploaded file (its name and extracted text).
    File,
}

impl Kind {
    /// Every kind, in the order the API lists them.
    pub const ALL: [Kind; 5] = [
        Kind::Doc,
        Kind::Message,
        Kind::Task,
        Kind::Record,
        Kind::File,
    ];

    /// The wire name (`doc`, `message`, …), also the value stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Doc => "doc",
            Kind::Message => "message",
            Kind::Task => "task",
            Kind::Record => "record",
            Kind::File => "file",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = crate::Error;

    /// Parses a wire name; an unknown one is a bad query (the `kind=` parameter is user input).
    fn from_str(s: &str) -> crate::Result<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| crate::Error::BadQuery(format!("unknown kind {s:?}")))
    }
}

/// Who may read an entity. Stored as a permission term and matched against the [`Scope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Whoever may read the document's `project`: documents, tasks, files and messages of
    /// public channels. Requires `project`.
    Project,
    /// Only members of the document's `channel`: messages of private channels and direct
    /// messages. Requires `channel`.
    Channel,
    /// Every member of the org who may read org-wide data ([`Scope::org_wide`]), e.g. records
    /// that belong to no project.
    Org,
    /// Holders of a named grant ([`Scope::grants`]), e.g. `record:invoice` for record types only
    /// some roles may read.
    Grant(String),
    /// Holders of any of these named grants: an entity several audiences may read, each by its
    /// own right — a record readable by every reader of its type, and also by its creator and
    /// its assignee where "only own" rules apply. Needs at least one grant.
    AnyGrant(Vec<String>),
}

/// One entity as the index sees it. Deleting, trashing or hiding an entity is an
/// [`IndexOp::Delete`]; changing who may read it is an upsert with the new [`Access`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// The kind; together with `id` the identity that updates replace.
    pub kind: Kind,
    /// The entity id (UUIDv7 string).
    pub id: String,
    /// The tenant; a search never crosses it.
    pub org: String,
    /// The project the entity lives in, if any.
    #[serde(default)]
    pub project: Option<String>,
    /// The channel, for messages.
    #[serde(default)]
    pub channel: Option<String>,
    /// Title, name or subject; hits here rank higher. Empty for chat messages.
    #[serde(default)]
    pub title: String,
    /// The searchable text (message text, extracted document or file text, record fields).
    /// Only the first 512 KiB are indexed and stored.
    #[serde(default)]
    pub body: String,
    /// The author's user id.
    #[serde(default)]
    pub author: Option<String>,
    /// Creation time, UTC milliseconds.
    pub created: i64,
    /// Last change, UTC milliseconds; recent entities rank higher.
    pub updated: i64,
    /// Who may read it.
    pub access: Access,
}

/// One change to apply, as derived from a change-feed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexOp {
    /// Insert or replace the entity with the same kind and id.
    Upsert(SearchDoc),
    /// Remove the entity (deleted, trashed, or no longer searchable).
    Delete {
        /// The entity's kind.
        kind: Kind,
        /// The entity's id.
        id: String,
    },
}

/// What the caller may read, computed by the server for every query so permission changes
/// take effect on the next one. Only entities matching at least one grant here, inside `org`,
/// are ever matched, counted or shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The org searched in; nothing of another org is ever matched.
    pub org: String,
    /// Projects the caller may read: their [`Access::Project`] entities are visible.
    pub projects: Vec<String>,
    /// Private channels and direct-message channels the caller is a member of: their
    /// [`Access::Channel`] messages are visible.
    pub channels: Vec<String>,
    /// Whether [`Access::Org`] entities are visible.
    pub org_wide: bool,
    /// Named grants held by the caller, matching [`Access::Grant`].
    pub grants: Vec<String>,
}

/// An inclusive range of UTC milliseconds; `None` leaves that side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Earliest time, inclusive.
    pub from: Option<i64>,
    /// Latest time, inclusive.
    pub to: Option<i64>,
}

impl TimeRange {
    pub(crate) fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

/// A search: the user's text plus filters that narrow (never widen) the [`Scope`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Free text: words (the last one also matches as a prefix, for search-as-you-type),
    /// `"quoted phrases"`; longer words tolerate typos. Any input is accepted.
    pub query: String,
    /// Only these kinds; empty means all.
    pub kinds: Vec<Kind>,
    /// Only these projects; empty means all visible.
    pub projects: Vec<String>,
    /// Only these channels; empty means all visible.
    pub channels: Vec<String>,
    /// Only by these authors; empty means anyone.
    pub authors: Vec<String>,
    /// Only entities created in this range.
    pub created: TimeRange,
    /// Only entities last changed in this range.
    pub updated: TimeRange,
    /// Page size; 0 means the default (20), larger than 100 is capped to 100.
    pub limit: usize,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
    /// "Now" for recency ranking, UTC ms; defaults to the system clock. A cursor carries the
    /// first page's value so later pages rank identically.
    pub now: Option<i64>,
}

impl SearchRequest {
    /// A request for `query` with no filters and the default page size.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            ..SearchRequest::default()
        }
    }
}

/// A passage of stored text with the matched words marked by byte ranges into `text`.
///
/// `text` is the content as stored, untouched: render it as text, or use [`Snippet::to_html`],
/// which escapes it. It never carries markup of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// The passage; starts or ends with `…` when cut from a longer text.
    pub text: String,
    /// Byte ranges of `text` that matched the query, ascending and disjoint.
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// The passage as HTML: content escaped, matches wrapped in `<mark>…</mark>`.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16 * self.highlights.len());
        let mut at = 0;
        for range in &self.highlights {
            // Ranges come from this crate; one that is out of order or off a character
            // boundary (a hand-made snippet) is skipped rather than panicking.
            let (Some(before), Some(marked)) =
                (self.text.get(at..range.start), self.text.get(range.clone()))
            else {
                continue;
            };
            escape_into(&mut out, before);
            out.push_str("<mark>");
            escape_into(&mut out, marked);
            out.push_str("</mark>");
            at = range.end;
        }
        escape_into(&mut out, &self.text[at..]);
        out
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// One search result. Everything in it comes from an entity the [`Scope`] allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The entity's kind.
    pub kind: Kind,
    /// The entity's id.
    pub id: String,
    /// Its project, if any.
    pub project: Option<String>,
    /// Its channel, for messages.
    pub channel: Option<String>,
    /// Its author.
    pub author: Option<String>,
    /// The title with matched words marked (empty text for messages).
    pub title: Snippet,
    /// The best passage of the body with matched words marked.
    pub snippet: Snippet,
    /// Relevance after the recency adjustment; comparable within one search only.
    pub score: f32,
    /// Creation time, UTC ms.
    pub created: i64,
    /// Last change, UTC ms.
    pub updated: i64,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// How many visible entities match in all (every page together).
    pub total: usize,
    /// Cursor for the next page; `None` on the last page.
    pub next: Option<String>,
}
