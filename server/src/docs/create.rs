//! Making a document: the one path for a blank page, a page from a template and an imported
//! file, so each is announced, indexed and (when its content is refused) undone the same way.

use atrium_client::wire::Doc;

use super::{feed, store, tree};
use crate::authz::{ProjectAccess, Resource, ResourceKind};
use crate::error::{ApiError, Result};
use crate::state::AppState;

/// What a new document starts with besides its title.
pub struct Content {
    /// The content as a Yjs v1 update (from the Markdown/.docx reader).
    pub update: Vec<u8>,
    /// The request field the content came from, named when it is too large.
    pub field: &'static str,
    /// The 422 message when the content is larger than a document may be.
    pub too_large: &'static str,
}

/// Creates a document at the end of its project's page tree, announces it (`doc.created`) and
/// writes `content` into it. Content the hub refuses (too large) takes the document back out
/// of everyone's tree, announced like a move to the trash, so a refused creation leaves
/// nothing visible behind; the row stays in the trash, where the creator sees what happened.
pub async fn create(
    state: &AppState,
    access: &ProjectAccess,
    title: &str,
    author: &str,
    content: Option<Content>,
) -> Result<Doc> {
    let mut work = state.writes.begin().await?;
    let mut doc = store::create(
        work.tx(),
        &access.project.org_id,
        &access.project.id,
        title,
        author,
    )
    .await?;
    feed::upsert(&mut work, &doc, "")?;
    tree::announce_doc(&mut work, tree::DocEventKind::Created, &doc);
    work.commit().await?;
    if let Some(content) = content
        && let Err(error) = state.collab.apply_update(&doc.id, &content.update).await
    {
        let mut work = state.writes.begin().await?;
        store::set_trashed(work.tx(), &doc.org_id, &doc.id, Some(author)).await?;
        feed::delete(&mut work, &doc)?;
        // The same event as a move to the trash: open page trees reload and drop the page.
        tree::announce(&mut work, &doc, Vec::new(), author);
        work.commit().await?;
        return Err(match error {
            atrium_collab::Error::MessageTooLarge { .. }
            | atrium_collab::Error::DocumentTooLarge { .. } => {
                ApiError::invalid_field(content.field, content.too_large)
            }
            other => super::routes::collab_error(other),
        });
    }
    doc.can = Some(access.can(Resource::owned_by(ResourceKind::Document, author)));
    Ok(doc)
}
