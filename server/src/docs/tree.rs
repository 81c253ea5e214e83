//! The page tree: a project's documents nest under one another, in an order among siblings.
//!
//! A document's place is its `parent` (a live document of the same project, or none at the top
//! level) and an order key among its siblings: the fractional keys boards order cards by
//! ([`crate::boards::rank`]), so a move writes one row and never renumbers its siblings.
//! Documents older than the tree have the empty key; siblings sort by key, then creation, then
//! id, so they keep their creation order, and the first move into such a group (or into one
//! where two creations raced to the same key) gives every sibling a fresh key first.
//!
//! Every change of a project's tree first takes the project's tree lock
//! ([`store::lock_tree`]) and then reads the whole live tree in its own transaction: two
//! concurrent moves can never each pass the cycle check and together make a cycle, nor compute
//! the same key for one gap.
//!
//! A trashed document's pages do not go to the trash with it: they move up to its parent,
//! in its place and in their order ([`lift_children`]), so nothing live ever hides under a
//! trashed page and search, links and the list agree on what exists. A restored document comes
//! back last under its old parent if that is still live, else last at the top level; the
//! pages it had stay where they moved to.

use std::cmp::Ordering;
use std::collections::HashMap;

use atrium_client::wire::{Doc, DocPlacement, DocsMoved};

use super::store::{self, TreeNode};
use crate::boards::rank;
use crate::db::Tx;
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::write::UnitOfWork;

/// The order key after `last`, the greatest key of a group (`None`, or the empty key of
/// documents older than the tree: the first key).
pub fn key_after(last: Option<&str>) -> String {
    match last.filter(|key| rank::is_valid(key)) {
        Some(key) => rank::between(Some(key), None).unwrap_or_else(|_| key.to_owned()),
        None => rank::FIRST.to_owned(),
    }
}

/// How siblings sort: key (byte order, as the client compares), then creation, then id.
fn sibling_order(a: &TreeNode, b: &TreeNode) -> Ordering {
    a.key
        .as_bytes()
        .cmp(b.key.as_bytes())
        .then(a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// A project's live tree as one transaction read it.
struct Tree {
    nodes: HashMap<String, TreeNode>,
}

impl Tree {
    fn new(nodes: Vec<TreeNode>) -> Self {
        Self {
            nodes: nodes.into_iter().map(|n| (n.id.clone(), n)).collect(),
        }
    }

    /// The live documents under `parent`, in order, leaving out `except`.
    fn children(&self, parent: Option<&str>, except: &str) -> Vec<&TreeNode> {
        let mut children: Vec<&TreeNode> = self
            .nodes
            .values()
            .filter(|n| n.parent.as_deref() == parent && n.id != except)
            .collect();
        children.sort_by(|a, b| sibling_order(a, b));
        children
    }

    /// Whether `node` is `ancestor` or sits anywhere below it. The walk up stops after as
    /// many steps as there are nodes, so even a damaged tree cannot loop it.
    fn is_within(&self, node: &str, ancestor: &str) -> bool {
        let mut current = Some(node);
        for _ in 0..=self.nodes.len() {
            match current {
                Some(id) if id == ancestor => return true,
                Some(id) => current = self.nodes.get(id).and_then(|n| n.parent.as_deref()),
                None => return false,
            }
        }
        false
    }
}

/// The keys of `siblings` (in order) where a key can be made between any two neighbours:
/// theirs when they are valid and strictly increasing; else fresh ones, written (and reported
/// in `placements`) for the siblings whose key changes.
async fn usable_keys(
    tx: &mut Tx,
    org_id: &str,
    siblings: &[&TreeNode],
    placements: &mut Vec<DocPlacement>,
) -> Result<Vec<String>> {
    let ordered = siblings.iter().all(|n| rank::is_valid(&n.key))
        && siblings
            .windows(2)
            .all(|w| w[0].key.as_bytes() < w[1].key.as_bytes());
    if ordered {
        return Ok(siblings.iter().map(|n| n.key.clone()).collect());
    }
    let mut keys: Vec<String> = Vec::with_capacity(siblings.len());
    for node in siblings {
        let key = key_after(keys.last().map(String::as_str));
        if key != node.key {
            store::place(tx, org_id, &node.id, node.parent.as_deref(), &key).await?;
            placements.push(DocPlacement {
                id: node.id.clone(),
                parent: node.parent.clone(),
                position: key.clone(),
            });
        }
        keys.push(key);
    }
    Ok(keys)
}

fn refuse(field: &str, why: &str) -> ApiError {
    ApiError::invalid_field(field, why)
}

/// Moves `doc` (live) under `parent` (`None`: where it is; `Some(None)`: the top level), right
/// after its sibling `after` (`None`: last; `Some(None)`: first). Its own pages go with it.
/// Returns every placement that changed, the moved document's last. A refused move (422:
/// the parent is not a live document of the project, is the document or one of its own
/// pages; `after` is not a sibling under the target parent) writes nothing.
pub async fn move_doc(
    tx: &mut Tx,
    doc: &Doc,
    parent: Option<Option<&str>>,
    after: Option<Option<&str>>,
) -> Result<Vec<DocPlacement>> {
    store::lock_tree(tx, &doc.org_id, &doc.project_id).await?;
    let tree = Tree::new(store::tree_nodes(tx, &doc.org_id, &doc.project_id).await?);
    let Some(current) = tree.nodes.get(&doc.id) else {
        return Err(ApiError::conflict(
            "in_trash",
            "the document is in the trash; restore it first",
        ));
    };
    let parent = parent.unwrap_or(current.parent.as_deref());
    if let Some(parent) = parent {
        if parent == doc.id {
            return Err(refuse("parent", "cycle: a page cannot sit under itself"));
        }
        if !tree.nodes.contains_key(parent) {
            return Err(refuse(
                "parent",
                "must be a live document of the same project, or null for the top level",
            ));
        }
        if tree.is_within(parent, &doc.id) {
            return Err(refuse(
                "parent",
                "cycle: that page sits under this one, which cannot move under its own page",
            ));
        }
    }
    let siblings = tree.children(parent, &doc.id);
    let index = match after {
        None => siblings.len(),
        Some(None) => 0,
        Some(Some(after)) => {
            siblings.iter().position(|n| n.id == after).ok_or_else(|| {
                refuse(
                    "after",
                    "must be another page under the target parent, or null for first",
                )
            })? + 1
        }
    };
    let mut placements = Vec::new();
    let keys = usable_keys(tx, &doc.org_id, &siblings, &mut placements).await?;
    let previous = index.checked_sub(1).and_then(|i| keys.get(i));
    let next = keys.get(index);
    let key = rank::between(previous.map(String::as_str), next.map(String::as_str))
        .map_err(ApiError::internal)?;
    store::place(tx, &doc.org_id, &doc.id, parent, &key).await?;
    placements.push(DocPlacement {
        id: doc.id.clone(),
        parent: parent.map(str::to_owned),
        position: key,
    });
    Ok(placements)
}

/// Before `doc` goes to the trash: its pages move up to its parent, into its place, in their
/// order. Returns their new placements (none when it has no pages or is already trashed).
pub async fn lift_children(tx: &mut Tx, doc: &Doc) -> Result<Vec<DocPlacement>> {
    store::lock_tree(tx, &doc.org_id, &doc.project_id).await?;
    let tree = Tree::new(store::tree_nodes(tx, &doc.org_id, &doc.project_id).await?);
    let Some(node) = tree.nodes.get(&doc.id) else {
        return Ok(Vec::new());
    };
    let children = tree.children(Some(&doc.id), "");
    if children.is_empty() {
        return Ok(Vec::new());
    }
    let parent = node.parent.as_deref();
    let group = tree.children(parent, "");
    let mut placements = Vec::new();
    let keys = usable_keys(tx, &doc.org_id, &group, &mut placements).await?;
    let index = group.iter().position(|n| n.id == doc.id).unwrap_or(0);
    // Between the document's previous sibling and its next one: the document leaves the gap.
    let mut previous = index.checked_sub(1).and_then(|i| keys.get(i)).cloned();
    let next = keys.get(index + 1).map(String::as_str);
    for child in children {
        let key = rank::between(previous.as_deref(), next).map_err(ApiError::internal)?;
        store::place(tx, &doc.org_id, &child.id, parent, &key).await?;
        placements.push(DocPlacement {
            id: child.id.clone(),
            parent: parent.map(str::to_owned),
            position: key.clone(),
        });
        previous = Some(key);
    }
    Ok(placements)
}

/// Before `doc` comes out of the trash: its place, last under its old parent when that is
/// still live, else last at the top level.
pub async fn place_restored(tx: &mut Tx, doc: &Doc) -> Result<DocPlacement> {
    store::lock_tree(tx, &doc.org_id, &doc.project_id).await?;
    let tree = Tree::new(store::tree_nodes(tx, &doc.org_id, &doc.project_id).await?);
    let parent = doc
        .parent
        .as_deref()
        .filter(|p| *p != doc.id && tree.nodes.contains_key(*p));
    let siblings = tree.children(parent, &doc.id);
    let last = siblings
        .iter()
        .map(|n| n.key.as_str())
        .filter(|k| rank::is_valid(k))
        .max();
    let key = key_after(last);
    store::place(tx, &doc.org_id, &doc.id, parent, &key).await?;
    Ok(DocPlacement {
        id: doc.id.clone(),
        parent: parent.map(str::to_owned),
        position: key,
    })
}

/// Queues `doc.moved` for everyone who can see the project.
pub fn announce(work: &mut UnitOfWork, doc: &Doc, placements: Vec<DocPlacement>, by: &str) {
    let event = DocsMoved {
        project_id: doc.project_id.clone(),
        doc_id: doc.id.clone(),
        placements,
        by: by.to_owned(),
    };
    work.emit(NewEvent::new(
        &doc.org_id,
        Audience::Project(doc.project_id.clone()),
        "doc.moved",
        &event,
    ));
}

/// Which metadata event [`announce_doc`] queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocEventKind {
    Created,
    Renamed,
}

/// Queues `doc.created` or `doc.updated` (a rename) for everyone who can see the project, so
/// their page trees show new pages and titles without a reload.
pub fn announce_doc(work: &mut UnitOfWork, kind: DocEventKind, doc: &Doc) {
    let name = match kind {
        DocEventKind::Created => "doc.created",
        DocEventKind::Renamed => "doc.updated",
    };
    let doc = Doc {
        can: None,
        ..doc.clone()
    };
    work.emit(NewEvent::new(
        &doc.org_id,
        Audience::Project(doc.project_id.clone()),
        name,
        &doc,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: Option<&str>, key: &str, created_at: i64) -> TreeNode {
        TreeNode {
            id: id.to_owned(),
            parent: parent.map(str::to_owned),
            key: key.to_owned(),
            created_at,
        }
    }

    #[test]
    fn siblings_sort_by_key_then_creation() {
        let tree = Tree::new(vec![
            node("b", None, "a1", 1),
            node("old2", None, "", 5),
            node("a", None, "a0", 9),
            node("old1", None, "", 2),
            node("child", Some("a"), "a0", 1),
        ]);
        let ids: Vec<&str> = tree
            .children(None, "")
            .iter()
            .map(|n| n.id.as_str())
            .collect();
        assert_eq!(ids, ["old1", "old2", "a", "b"]);
        assert_eq!(tree.children(None, "a").len(), 3);
        assert_eq!(tree.children(Some("a"), "")[0].id, "child");
    }

    #[test]
    fn descendants_are_within() {
        let tree = Tree::new(vec![
            node("root", None, "a0", 1),
            node("mid", Some("root"), "a0", 1),
            node("leaf", Some("mid"), "a0", 1),
            node("other", None, "a1", 1),
        ]);
        assert!(tree.is_within("leaf", "root"));
        assert!(tree.is_within("root", "root"));
        assert!(!tree.is_within("root", "leaf"));
        assert!(!tree.is_within("other", "root"));
    }

    #[test]
    fn a_damaged_tree_does_not_loop() {
        let tree = Tree::new(vec![
            node("x", Some("y"), "a0", 1),
            node("y", Some("x"), "a0", 1),
        ]);
        assert!(!tree.is_within("x", "z"));
    }

    #[test]
    fn keys_after_legacy_and_valid_keys() {
        assert_eq!(key_after(None), rank::FIRST);
        assert_eq!(key_after(Some("")), rank::FIRST);
        assert!(key_after(Some("a0")).as_str() > "a0");
    }
}
