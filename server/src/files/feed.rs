//! File changes into the change feed (kind `file`): what search indexes. The payload has the
//! shape the indexer maps for every kind: `{project, title, body, author, created, updated}`,
//! with the file name as the title and the extracted text as the body.

use serde::Serialize;

use super::model::FileInfo;
use crate::db::Tx;
use crate::db::change_feed::{self, NewChange, Op};

/// The change-feed kind of files.
pub const KIND: &str = "file";

/// What a consumer gets for a file.
#[derive(Debug, Serialize)]
pub struct FilePayload<'a> {
    pub project: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub author: &'a str,
    pub created: i64,
    pub updated: i64,
}

/// Appends the file's current state with `text` (its current version's extracted text).
pub async fn upsert(tx: &mut Tx, file: &FileInfo, text: &str) -> Result<i64, sqlx::Error> {
    let payload = FilePayload {
        project: &file.project_id,
        title: &file.name,
        body: text,
        author: &file.created_by,
        created: file.created_at,
        updated: file.updated_at,
    };
    change_feed::append(
        tx,
        NewChange {
            org_id: &file.org_id,
            kind: KIND,
            entity_id: &file.id,
            op: Op::Upsert,
            payload: &payload,
        },
    )
    .await
}

/// Appends the file's removal (trashed or purged).
pub async fn delete(tx: &mut Tx, file: &FileInfo) -> Result<i64, sqlx::Error> {
    let payload = serde_json::json!({ "project": file.project_id });
    change_feed::append(
        tx,
        NewChange {
            org_id: &file.org_id,
            kind: KIND,
            entity_id: &file.id,
            op: Op::Delete,
            payload: &payload,
        },
    )
    .await
}
