//! File changes into the change feed (kind `file`): what search indexes, with the file name as
//! the title and the extracted text as the body.

use serde::{Deserialize, Serialize};

use super::model::FileInfo;
use crate::feed::{ChangeKind, Payload, Removal};
use crate::write::UnitOfWork;

/// What a consumer gets for a file: its state after the change.
// Fields missing from a stored row read as empty: rows of older versions and hand-fed ones
// (the search benchmark) still index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilePayload {
    pub project: String,
    /// The file name.
    pub title: String,
    /// The current version's extracted text.
    pub body: String,
    /// The uploader's user id.
    pub author: String,
    /// UTC milliseconds.
    pub created: i64,
    pub updated: i64,
}

/// Queues the file's current state with `text` (its current version's extracted text).
pub fn upsert(work: &mut UnitOfWork, file: &FileInfo, text: &str) -> Result<(), sqlx::Error> {
    let payload = Payload::File(FilePayload {
        project: file.project_id.clone(),
        title: file.name.clone(),
        body: text.to_owned(),
        author: file.created_by.clone(),
        created: file.created_at,
        updated: file.updated_at,
    });
    work.feed(&file.org_id, &file.id, &payload)
}

/// Queues the file's removal (it went to the trash).
pub fn delete(work: &mut UnitOfWork, file: &FileInfo) -> Result<(), sqlx::Error> {
    let removal = Removal {
        project: Some(file.project_id.clone()),
    };
    work.feed_removal(&file.org_id, ChangeKind::File, &file.id, &removal)
}
