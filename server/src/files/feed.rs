//! File changes into the change feed (kind `file`): what search indexes, with the file name as
//! the title and the extracted text as the body.

use serde::{Deserialize, Serialize};

use super::model::FileInfo;
use crate::db::{Tx, change_feed};
use crate::feed::{ChangeKind, Payload, Removal};

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

/// Appends the file's current state with `text` (its current version's extracted text).
pub async fn upsert(tx: &mut Tx, file: &FileInfo, text: &str) -> Result<i64, sqlx::Error> {
    let payload = Payload::File(FilePayload {
        project: file.project_id.clone(),
        title: file.name.clone(),
        body: text.to_owned(),
        author: file.created_by.clone(),
        created: file.created_at,
        updated: file.updated_at,
    });
    change_feed::upsert(tx, &file.org_id, &file.id, &payload).await
}

/// Appends the file's removal (trashed or purged).
pub async fn delete(tx: &mut Tx, file: &FileInfo) -> Result<i64, sqlx::Error> {
    let removal = Removal {
        project: Some(file.project_id.clone()),
    };
    change_feed::delete(tx, &file.org_id, ChangeKind::File, &file.id, &removal).await
}
