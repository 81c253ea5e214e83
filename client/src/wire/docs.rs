//! The page tree of a project's documents (`PATCH /api/v1/docs/{doc}` with `parent`/`after`,
//! the `doc.moved` event). A document's own metadata is [`super::Doc`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::boards::present;

/// `PATCH /api/v1/docs/{doc}`: a rename (`title`), a move in the page tree (`parent`,
/// `after`), or both. A move names where the document goes: under `parent` (`null`: the top
/// level; absent: where it is now), right after its sibling `after` (`null`: first; absent:
/// last). Its own pages go with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub title: Option<String>,
    /// A live document of the same project, not this one nor one of its own pages; `null`
    /// for the top level.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent: Option<Option<String>>,
    /// A document under the target parent that this one goes right after; `null` for first.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub after: Option<Option<String>>,
}

/// Where a document sits in its project's page tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocPlacement {
    pub id: String,
    /// `null` at the top level.
    pub parent: Option<String>,
    /// Order among siblings, as a document's `position`.
    pub position: String,
}

/// `doc.moved`: documents of a project took new places in its page tree (a move, or the pages
/// of a trashed document moving up, or a restored one coming back). Apply `placements`;
/// documents not named keep theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocsMoved {
    pub project_id: String,
    /// The document the change was about (moved, trashed or restored).
    pub doc_id: String,
    pub placements: Vec<DocPlacement>,
    /// Who did it.
    pub by: String,
}
