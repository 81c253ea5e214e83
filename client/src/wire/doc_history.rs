//! A document's history: automatic snapshots beside named versions, and the diff between two
//! versions (`GET /api/v1/docs/{doc}/versions/{a}/diff/{b}`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether a user named a version or the server kept it while people edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VersionKind {
    /// A version someone named (`POST /api/v1/docs/{doc}/versions`).
    Named,
    /// An automatic snapshot: at most one per document per few minutes of editing, and one
    /// when the editing session ends, only when the content changed.
    Auto,
}

/// How a block, or a run of words within a changed block, differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DiffOp {
    /// In both versions.
    Equal,
    /// Only in the newer one (`to`).
    Insert,
    /// Only in the older one (`from`).
    Delete,
}

/// A run of text of a block with how it differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiffSpan {
    pub op: DiffOp,
    pub text: String,
}

/// One block (paragraph, heading, list, table… as Markdown) of the diff. A block in both
/// versions is `equal` with one span; one only in `from` is `delete`, only in `to` `insert`;
/// a block that changed is `change`, its spans word by word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiffBlock {
    pub op: DiffBlockOp,
    pub spans: Vec<DiffSpan>,
}

/// How a block differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DiffBlockOp {
    Equal,
    Insert,
    Delete,
    Change,
}

/// `GET /api/v1/docs/{doc}/versions/{from}/diff/{to}`: how `to` differs from `from`, block by
/// block (`to` may be `current`, the live document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionDiff {
    pub from: String,
    pub to: String,
    pub blocks: Vec<DiffBlock>,
}
